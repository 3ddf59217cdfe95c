"""The pure referee and assignor at scale: 100 workers, 100 connectors x 20 tasks (2,000 tasks + 100
connector instances = 2,100 units), production parameters, an idealised network (every worker reads each
record at once, heartbeats once per second, revoked units are released in the next round).

Prints, per event: generations until converged, units stopped (revoked or taken from a leaver), units that
changed worker, the bound ceil(N/W) per joining worker, broker time to converge, and the time per referee
step (median / p99 / max over every record applied). Run: .venv/bin/python tests/bench/bench_referee.py
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field

from kconnect.supervisor.coordination import assignor
from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.params import PRODUCTION, ProtocolParams
from kconnect.supervisor.coordination.records import Unit

FP = r.Fingerprint("bench", "cfg", "status", "offsets")
P = PRODUCTION.protocol
CONNECTORS, TASKS, WORKERS = 100, 20, 100
UNITS: list[Unit] = [(f"conn{c:03d}", t) for c in range(CONNECTORS) for t in range(-1, TASKS)]


@dataclass
class W:
    worker_id: str
    incarnation: str
    epoch: int = -1
    seq: int = 0
    alive: bool = True

    def env(self) -> dict[str, object]:
        self.seq += 1
        return {"cluster": "bench", "worker_id": self.worker_id, "incarnation": self.incarnation, "seq": self.seq}


@dataclass
class Cluster:
    state: ref.State = field(default_factory=lambda: ref.INITIAL)
    offset: int = 0
    lat: int = 1_000_000
    workers: dict[str, W] = field(default_factory=dict)
    step_ns: list[int] = field(default_factory=list)
    by_type: dict[str, list[int]] = field(default_factory=dict)
    assignment_ns: list[int] = field(default_factory=list)
    incarnations: int = 0
    revoked: int = 0
    units: list[Unit] = field(default_factory=lambda: UNITS)
    params: ProtocolParams = P

    def append(self, rec: r.Record) -> None:
        t0 = time.thread_time_ns()
        self.state = ref.apply(self.state, rec, self.lat, self.offset)
        spent = time.thread_time_ns() - t0
        self.step_ns.append(spent)
        self.by_type.setdefault(str(rec.TYPE), []).append(spent)
        if isinstance(rec, r.AssignmentRecord):
            self.assignment_ns.append(spent)
            if self.state.outcome.startswith("assignment"):
                self.revoked += len(rec.revokes)
        self.offset += 1
        self.lat += 1

    def start(self) -> None:
        boot = W("boot", "boot")
        self.append(r.ClusterRecord(**boot.env(), params=self.params, fingerprint=FP))  # type: ignore[arg-type]

    def join(self, wid: str) -> None:
        self.incarnations += 1
        w = W(wid, f"{wid}#{self.incarnations}")
        self.workers[wid] = w
        self.append(r.JoinRecord(**w.env(), join_seq=1, rest_url="", fingerprint=FP, config_offset=0, ready=True))  # type: ignore[arg-type]
        w.epoch = self.offset - 1

    def round(self) -> bool:
        """One heartbeat interval: heartbeats, releases of revoked units, one proposal. True if anything moved."""
        start = self.lat
        busy = False
        for w in sorted(self.workers.values(), key=lambda w: w.epoch):
            if not w.alive:
                continue
            self.append(
                r.HeartbeatRecord(**w.env(), epoch=w.epoch, applied_upto=self.offset - 1, config_offset=0, ready=True)
            )  # type: ignore[arg-type]
            mine = ref.revoking_of(self.state, w.epoch)
            if mine:
                items = tuple(r.ReleaseItem(u, k) for u, k in mine.items())
                self.append(r.ReleaseRecord(**w.env(), epoch=w.epoch, items=items))  # type: ignore[arg-type]
                busy = True
        lead = ref.leader(self.state)
        if lead is not None:
            p = assignor.propose(self.state, self.units, 0)
            if p is not None:
                w = self.workers[lead.worker_id]
                self.append(
                    r.AssignmentRecord(
                        **w.env(),
                        epoch=w.epoch,
                        gen=p.gen,
                        based_on=self.offset - 1,
                        config_offset=0,
                        revokes=p.revokes,
                        grants=p.grants,
                    )  # type: ignore[arg-type]
                )
                busy = True
        self.lat = max(self.lat, start + 1_000)
        return busy or bool(self.state.revoking)

    def placement(self) -> dict[Unit, str]:
        return {u: self.state.members[o.epoch].worker_id for u, o in self.state.owned.items()}

    def converge(self, max_rounds: int = 2_000) -> int:
        """Rounds until every unit is OWNED, nothing is revoking, and two rounds pass without a proposal."""
        quiet = 0
        for n in range(max_rounds):
            busy = self.round()
            done = len(self.state.owned) == len(self.units) and not busy
            quiet = quiet + 1 if done else 0
            if quiet >= 2:
                return n + 1
        raise RuntimeError("did not converge")


def balance(c: Cluster) -> tuple[int, int]:
    loads: dict[int, int] = {}
    for o in c.state.owned.values():
        loads[o.epoch] = loads.get(o.epoch, 0) + 1
    live = [m.epoch for m in ref.live_members(c.state)]
    counts = [loads.get(e, 0) for e in live]
    return min(counts), max(counts)


def event(c: Cluster, name: str, action: object, joined: int = 0) -> None:
    before_gen, before_mbt, before = c.state.gen, c.state.mbt, c.placement()
    c.revoked = 0
    action()  # type: ignore[operator]
    c.converge()
    after = c.placement()
    moved = sum(1 for u, w in before.items() if after.get(u) != w)
    lo, hi = balance(c)
    live = len(ref.live_members(c.state))
    bound = f"  bound j*ceil(N/W) = {joined * math.ceil(len(UNITS) / live)}" if joined else ""
    print(
        f"{name:<44} generations {c.state.gen - before_gen:>3}  revoked {c.revoked:>4}  changed worker {moved:>5}"
        f"  converged in {(c.state.mbt - before_mbt) / 1000:>6.1f} s broker time  load {lo}..{hi} on {live}{bound}"
    )


def main() -> None:
    c = Cluster()
    c.start()
    print(f"{len(UNITS)} units ({CONNECTORS} connectors x {TASKS} tasks + connector instances)", end=", ")
    print(f"T={P.lease_ms} ms, D={P.max_delay_ms} ms\n")

    def cold_start() -> None:
        for i in range(WORKERS):
            c.join(f"w{i:03d}")

    event(c, f"cold start of {WORKERS} workers", cold_start)
    event(c, "join of 1 worker (100 -> 101)", lambda: c.join("x000"), joined=1)
    event(
        c, "simultaneous join of 5 workers (101 -> 106)", lambda: [c.join(f"x{i:03d}") for i in range(1, 6)], joined=5
    )

    def leave(wid: str) -> None:
        w = c.workers[wid]
        c.append(r.LeaveRecord(**w.env(), epoch=w.epoch, mode=r.LeaveMode.SHUTDOWN))  # type: ignore[arg-type]
        w.alive = False

    event(c, "graceful leave of 1 worker (shutdown)", lambda: leave("x005"))

    def crash_and_return() -> None:
        c.workers["w050"].alive = False
        for _ in range(P.lease_ms // 1000 + 10):  # expired, parked, back after ~30 s (< D)
            c.round()
        c.join("w050")

    event(c, "kill -9 of 1 worker, back within D", crash_and_return)

    def crash() -> None:
        c.workers["w051"].alive = False
        for _ in range((P.lease_ms + P.max_delay_ms) // 1000 - 5):  # just short of T + D: still parked
            c.round()

    event(c, "kill -9 of 1 worker, never back (waits T + D)", crash)

    def rolling_restart() -> None:
        for wid in sorted(w.worker_id for w in c.workers.values() if w.alive):
            w = c.workers[wid]
            c.append(r.LeaveRecord(**w.env(), epoch=w.epoch, mode=r.LeaveMode.RESTART))  # type: ignore[arg-type]
            w.alive = False
            c.round()
            c.round()  # down for about 2 s
            c.join(wid)
            c.round()

    event(c, "rolling restart of every worker (LEAVE restart)", rolling_restart)

    steps = sorted(c.step_ns)
    print(
        f"\nreferee step over {len(steps)} records: median {statistics.median(steps) / 1000:.1f} us, "
        f"p99 {steps[int(len(steps) * 0.99)] / 1000:.1f} us, max {steps[-1] / 1000:.1f} us"
    )
    for kind, values in sorted(c.by_type.items()):
        v = sorted(values)
        print(
            f"  {kind:<11} {len(v):>6} records: median {statistics.median(v) / 1000:7.1f} us, "
            f"p99 {v[int(len(v) * 0.99)] / 1000:7.1f} us, max {v[-1] / 1000:7.1f} us"
        )
    t0 = time.perf_counter()
    for _ in range(20):
        assignor.propose(c.state, UNITS, 0)
    print(f"assignor.propose on the converged state: {(time.perf_counter() - t0) / 20 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
