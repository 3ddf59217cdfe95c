"""Adversarial coordination logs for the referee, and the safety oracle that judges them.

``generate(chooser, steps)`` writes a log the way a hostile world could: joins (new incarnations,
re-joins, exact replays), heartbeats with stale ``applied_upto``, leaves, ASSIGNMENTs from the real leader
(mostly the assignor's proposal, sometimes random grants/revokes with wrong tokens or a wrong gen) and from
non-leaders, RELEASEs naming any token their epoch ever held, verbatim duplicates of earlier records, and
broker-time jumps (backwards freely, forwards up to 1.5 T).

The oracle does not trust the referee's unit bookkeeping. Writers in this model are truthful: a RELEASE
(u, K) from E or a LEAVE from E means E's process for that grant is dead. Otherwise E may still run u
until its lease ends, i.e. until broker time passes E's last counted heartbeat + T (the value the worker
itself renews from). A new grant of u while another grant of u may still run is a violation (S1'/S3).
Also checked: S4 leader authority and gen + 1, S5 token monotonicity, S9 no resurrection, and
``anyone_after >= lease_end`` for every park.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from kconnect.supervisor.coordination import assignor
from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.params import ProtocolParams
from kconnect.supervisor.coordination.records import Token, Unit

T_ = TypeVar("T_")
FP = r.Fingerprint("g", "cfg", "st", "off")
PARAMS = ProtocolParams(
    lease_ms=3_000,
    max_delay_ms=4_000,
    restart_park_ms=2_000,
    cold_park_ms=500,
    init_delay_ms=500,
    revoke_timeout_ms=2_600,
    max_rejected=3,
    debounce_ms=0,
    max_items=50,
    checkpoint_interval_ms=2_000,
)
UNITS: list[Unit] = [("a", -1), ("a", 0), ("a", 1), ("b", 0)]
WORKERS = ["A", "B"]


class Chooser(Protocol):
    def int(self, lo: int, hi: int) -> int: ...


class RandomChooser:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def int(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


def pick(c: Chooser, items: Sequence[T_]) -> T_:
    return items[c.int(0, len(items) - 1)]


def chance(c: Chooser, percent: int) -> bool:
    return c.int(0, 99) < percent


@dataclass
class Writer:
    worker_id: str
    incarnation: str
    seq: int = 0
    join_seq: int = 0


@dataclass
class Model:
    chooser: Chooser
    log: list[tuple[r.Record, int]] = field(default_factory=list)  # (record, LAT)
    lat: int = 1_000_000
    writers: dict[str, Writer] = field(default_factory=dict)  # incarnation -> writer
    epochs: dict[int, Writer] = field(default_factory=dict)  # epoch -> writer
    tokens_held: dict[int, list[tuple[Unit, Token]]] = field(default_factory=dict)
    state: ref.State = field(default_factory=lambda: ref.INITIAL)

    def env(self, w: Writer) -> dict[str, object]:
        w.seq += 1
        return {"cluster": "g", "worker_id": w.worker_id, "incarnation": w.incarnation, "seq": w.seq}

    def append(self, rec: r.Record) -> None:
        self.log.append((rec, self.lat))


def generate(c: Chooser, steps: int) -> list[tuple[r.Record, int]]:
    """Build an adversarial log; the referee is consulted only to make actions plausible."""
    m = Model(c)
    boot = Writer("boot", "boot")
    m.append(r.ClusterRecord(**m.env(boot), params=PARAMS, fingerprint=FP))  # type: ignore[arg-type]
    m.state = ref.apply(m.state, *m.log[-1], 0)
    for _ in range(steps):
        _time_step(m)
        _action(m)
        off = len(m.log) - 1
        rec, lat = m.log[-1]
        m.state = ref.apply(m.state, rec, lat, off)
        if isinstance(rec, r.JoinRecord) and off in m.state.members:
            m.epochs[off] = m.writers[rec.incarnation]
        for u, o in m.state.owned.items():
            held = m.tokens_held.setdefault(o.epoch, [])
            if (u, o.token) not in held:
                held.append((u, o.token))
    return m.log


def _time_step(m: Model) -> None:
    c = m.chooser
    k = c.int(0, 99)
    if k < 60:
        m.lat += c.int(0, 400)
    elif k < 85:
        m.lat += c.int(400, PARAMS.lease_ms * 3 // 2)
    elif k < 95:
        m.lat -= c.int(0, 2_000)  # broker clock stepped back / leader change
    # else: same LAT (records of one batch)


def _action(m: Model) -> None:
    c = m.chooser
    live = [e for e, mem in sorted(m.state.members.items()) if mem.status is ref.Status.LIVE and e in m.epochs]
    known = sorted(m.epochs)
    k = c.int(0, 99)
    if k < 12 or not known:
        wid = pick(c, WORKERS)
        same = [w for w in m.writers.values() if w.worker_id == wid]
        w = same[-1] if same and chance(c, 50) else Writer(wid, f"{wid}#{len(m.writers)}")
        m.writers[w.incarnation] = w
        w.join_seq += 1
        m.append(
            r.JoinRecord(**m.env(w), join_seq=w.join_seq, rest_url="", fingerprint=FP, config_offset=0, ready=True)  # type: ignore[arg-type]
        )
    elif k < 45:
        e = pick(c, live) if live and chance(c, 85) else pick(c, known)
        w = m.epochs[e]
        applied = m.state.applied if chance(c, 85) else c.int(-1, max(0, m.state.applied))
        m.append(
            r.HeartbeatRecord(
                **m.env(w), epoch=e, applied_upto=applied, config_offset=0, ready=True, can_lead=chance(c, 95)
            )  # type: ignore[arg-type]
        )
    elif k < 50:
        e = pick(c, known)
        mode = pick(c, [r.LeaveMode.SHUTDOWN, r.LeaveMode.RESTART])
        m.append(r.LeaveRecord(**m.env(m.epochs[e]), epoch=e, mode=mode))  # type: ignore[arg-type]
    elif k < 72:
        _assignment(m, live, known)
    elif k < 90:
        e = pick(c, known)
        held = m.tokens_held.get(e, [])
        if not held:
            return _heartbeat_filler(m, known)
        items = tuple(r.ReleaseItem(u, t) for u, t in {pick(c, held) for _ in range(c.int(1, 2))})
        m.append(r.ReleaseRecord(**m.env(m.epochs[e]), epoch=e, items=items))  # type: ignore[arg-type]
    else:
        rec, _ = pick(c, m.log)
        m.append(rec)  # verbatim duplicate (a possibly-persisted resend, or a replica hiccup)


def _heartbeat_filler(m: Model, known: list[int]) -> None:
    e = pick(m.chooser, known)
    rec = r.HeartbeatRecord(**m.env(m.epochs[e]), epoch=e, applied_upto=m.state.applied, config_offset=0, ready=True)  # type: ignore[arg-type]
    m.append(rec)


def _assignment(m: Model, live: list[int], known: list[int]) -> None:
    c = m.chooser
    lead = ref.leader(m.state)
    writer = lead.epoch if lead is not None and lead.epoch in m.epochs and chance(c, 85) else pick(c, known)
    gen = m.state.gen + 1 if chance(c, 90) else m.state.gen + c.int(-1, 2)
    proposal = assignor.propose(m.state, UNITS, 0) if chance(c, 50) else None
    if proposal is not None:
        revokes, grants = proposal.revokes, proposal.grants
    else:
        targets = live or known
        grants = tuple(r.Grant(pick(c, UNITS), pick(c, targets)) for _ in range(c.int(0, 2)))
        owned = sorted(m.state.owned.items()) + [
            (u, ref.Owned(v.epoch, v.token)) for u, v in sorted(m.state.revoking.items())
        ]
        revokes = tuple(
            r.Revoke(u, o.epoch, o.token if chance(c, 80) else (o.token[0], o.token[1] - 1))
            for u, o in (pick(c, owned) for _ in range(c.int(0, 2) if owned else 0))
        )
    m.append(
        r.AssignmentRecord(
            **m.env(m.epochs[writer]),
            epoch=writer,
            gen=gen,
            based_on=m.state.applied,
            config_offset=0,
            revokes=revokes,
            grants=grants,
        )  # type: ignore[arg-type]
    )


# --- the oracle ----------------------------------------------------------------------------------------------


class Violation(AssertionError):
    pass


def check_log(log: list[tuple[r.Record, int]]) -> ref.State:
    """Fold the log and check the safety properties after every record; raises Violation."""
    state = ref.INITIAL
    may_run: dict[Unit, set[tuple[int, Token]]] = {}
    last_hb: dict[int, int] = {}
    ended: set[int] = set()
    last_token: dict[Unit, Token] = {}
    for off, (rec, lat) in enumerate(log):
        pre = state
        state = ref.apply(state, rec, lat, off)
        if state.cluster is None:
            continue
        T = state.params.lease_ms
        for e, mem in state.members.items():
            if mem.status is ref.Status.LIVE:
                if e in ended:
                    raise Violation(f"S9: epoch {e} LIVE again at offset {off}")
                last_hb[e] = max(last_hb.get(e, ref.NEVER), mem.last_hb_mbt)
            else:
                ended.add(e)
        # truthful writers: RELEASE / LEAVE mean the process is dead
        if isinstance(rec, r.ReleaseRecord):
            for item in rec.items:
                may_run.get(item.unit, set()).discard((rec.epoch, item.token))
        if isinstance(rec, r.LeaveRecord):
            for holders in may_run.values():
                for h in [h for h in holders if h[0] == rec.epoch]:
                    holders.discard(h)
        # S1 structural
        keys = [set(state.owned), set(state.revoking), set(state.parked)]
        if keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2]:
            raise Violation(f"S1: a unit in two states at offset {off}")
        for u, pk in state.parked.items():
            if pk.anyone_after < pk.lease_end:
                raise Violation(f"park of {u} ends before its holder's lease at offset {off}")
        # new grants
        for u, o in state.owned.items():
            before = pre.owned.get(u)
            if before == o:
                continue
            if o.token[1] != off:
                raise Violation(f"{u} changed owner without a grant at offset {off}")
            if u in last_token and not o.token > last_token[u]:
                raise Violation(f"S5: token of {u} went from {last_token[u]} to {o.token}")
            last_token[u] = o.token
            for e, k in sorted(may_run.get(u, set())):
                if e != o.epoch and state.mbt <= last_hb.get(e, ref.NEVER) + T:
                    raise Violation(
                        f"S1'/S3: {u} granted to {o.epoch} at offset {off} (mbt {state.mbt}) while epoch {e} "
                        f"(token {k}) may still run it until {last_hb.get(e, ref.NEVER) + T}"
                    )
            may_run[u] = {(o.epoch, o.token)}
        # S4
        if state.gen != pre.gen:
            if not isinstance(rec, r.AssignmentRecord) or rec.gen != pre.gen + 1 or state.gen != rec.gen:
                raise Violation(f"S4: gen moved from {pre.gen} to {state.gen} at offset {off}")
            eligible = [
                e
                for e, mem in state.members.items()
                if mem.status is ref.Status.LIVE
                and mem.ready
                and mem.can_lead
                and (mem.rejected < state.params.max_rejected or e == rec.epoch)
            ]
            if not eligible or eligible[0] != rec.epoch:
                raise Violation(f"S4: ASSIGNMENT at offset {off} accepted from {rec.epoch}, leader {eligible[:1]}")
    return state


def without_noise(state: ref.State) -> ref.State:
    return replace(state, applied=0, outcome="")
