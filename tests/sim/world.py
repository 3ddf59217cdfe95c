"""Seeded discrete-event simulator around the real sans-IO worker core (coordination/member.py).

One RNG per seed drives everything: a broker whose LogAppendTime clock steps (backwards freely, forwards by
at most epsilon) and fails over; per-worker producers (FIFO, held while partitioned, "possibly persisted"
after a timeout, occasional exact duplicates appended later); per-worker fetchers with lag (so every
worker sees the log at its own pace); local clocks with rate error and forward steps; supervisor pauses
(children keep running), kill -9 (children die by PDEATHSIG within k), graceful leave/restart, partitions,
read-blind fetchers, connector changes, and a second process claiming an existing worker.id. Children die
by their kernel deadline (re-armed by SetDeadline), by SIGKILL, or
after a graceful stop; the simulator records each child's real lifetime, which is the S2 oracle.

Referee states are memoized per offset (all workers fold the same log from the same initial state, and the
fold is pure), so the cost is one apply per record, not one per record per worker.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from kconnect.supervisor.coordination import member as mc
from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.params import Profile, ProtocolParams
from kconnect.supervisor.coordination.records import Token, Unit

FINGERPRINT = r.Fingerprint("sim", "sim-configs", "sim-status", "sim-offsets")
TICK_MS = 50


class Clock:
    """Local CLOCK_BOOTTIME: piecewise linear in real time, rate 1+rho, forward steps only."""

    def __init__(self, offset: int, rate: float) -> None:
        self.segs: list[tuple[int, float, float]] = [(0, float(offset), rate)]

    def local(self, t: int) -> int:
        for t0, l0, rate in reversed(self.segs):
            if t >= t0:
                return int(l0 + rate * (t - t0))
        raise AssertionError

    def real_at(self, local: int) -> int:
        """First real time at which the local clock reads >= local."""
        for i, (t0, l0, rate) in enumerate(self.segs):
            t = t0 + max(0.0, (local - l0) / rate)
            if i + 1 == len(self.segs) or t < self.segs[i + 1][0]:
                return int(t) + 1
        raise AssertionError

    def step(self, t: int, amount: int) -> None:
        _, _, rate = self.segs[-1]
        self.segs.append((t, float(self.local(t) + amount), rate))


@dataclass
class Child:
    unit: Unit
    token: Token
    host: Host
    incarnation: str
    start: int
    deadline: int  # local ms
    version: int = 0
    end: int | None = None
    term_at: int | None = None


@dataclass
class Host:
    worker_id: str
    clock: Clock
    core: mc.MemberCore | None = None
    incarnations: int = 0
    read_pos: int = 0
    paused_until: int = 0
    cut_until: int = 0
    blind_until: int = 0
    last_append: int = 0
    outbox: list[tuple[int, r.Record]] = field(default_factory=list)
    children: dict[Unit, Child] = field(default_factory=dict)  # live processes by unit (this host)
    pending_exits: list[Child] = field(default_factory=list)
    claims: str = ""  # the worker.id this host's supervisor uses
    restart_mode: str | None = None  # after a LEAVE: "restart" comes back, "shutdown" stays away
    gone: bool = False


@dataclass
class Outcome:
    overlaps: list[str]
    not_running: list[Unit]
    duplicates_running: list[Unit]
    records: int
    events: int
    final_gen: int

    @property
    def ok(self) -> bool:
        return not self.overlaps and not self.not_running and not self.duplicates_running


ApplyFn = Callable[[ref.State, r.Record, int, int], ref.State]


class World:
    def __init__(
        self,
        seed: int,
        profile: Profile,
        *,
        workers: int = 4,
        units: list[Unit] | None = None,
        apply_fn: ApplyFn | None = None,
        per_worker_params: dict[str, ProtocolParams] | None = None,
        proposers: dict[str, mc.Proposer] | None = None,
        dup_prob: float = 0.03,
    ) -> None:
        self.rng = random.Random(seed)
        self.profile = profile
        self.params = profile.protocol
        self.t = 0
        self.heap: list[tuple[int, int, Callable[[], None]]] = []
        self.n = 0
        self.log: list[tuple[int, r.Record]] = []
        self.cache: list[ref.State] = []
        self.base_apply: ApplyFn = apply_fn or (lambda s, rec, lat, off: ref.apply(s, rec, lat, off))
        self.per_worker_params = per_worker_params or {}
        self.proposers = proposers or {}
        self.broker_skew = 0
        self.broker_down_until = 0
        self.broker_queue: list[tuple[Host, int, r.Record]] = []
        self.dup_prob = dup_prob
        self.hosts: dict[str, Host] = {}
        self.lifetimes: dict[Unit, list[Child]] = {}
        self.units = units or [(c, t) for c in ("alpha", "beta") for t in range(-1, 5)]
        self.config_version = 0
        self.events = 0
        # Retention: records before log_start are deleted. Workers booted after a deletion bootstrap from
        # the retained suffix (erratum 16), with their own fold (the memo holds the full history's states).
        self.log_start = 0
        self.naive_bootstrap = False  # mutation CE-5: replay the suffix without an anchor, as before
        # the CLUSTER record opens the log (written by whoever found it empty)
        self._append_now(
            r.ClusterRecord(
                cluster="sim", worker_id="boot", incarnation="boot", seq=1, params=self.params, fingerprint=FINGERPRINT
            )
        )
        for i in range(workers):
            self.add_worker(f"w{i}", at=i * 100 + self.rng.randint(0, 50))  # w0 joins first: the oldest

    # -- plumbing ----------------------------------------------------------------------------------------

    def at(self, t: int, fn: Callable[[], None]) -> None:
        self.n += 1
        heapq.heappush(self.heap, (max(t, self.t), self.n, fn))

    def run_until(self, end: int) -> None:
        while self.heap and self.heap[0][0] <= end:
            t, _, fn = heapq.heappop(self.heap)
            self.t = t
            self.events += 1
            fn()
        self.t = end

    def lat(self) -> int:
        return self.t + self.broker_skew

    def _append_now(self, rec: r.Record) -> int:
        off = len(self.log)
        self.log.append((self.lat(), rec))
        return off

    def _applier_for(self, worker_id: str) -> ApplyFn:
        local = self.per_worker_params.get(worker_id)
        if local is None:

            def shared(state: ref.State, rec: r.Record, lat: int, off: int) -> ref.State:
                if off < len(self.cache):
                    return self.cache[off]
                assert off == len(self.cache), (off, len(self.cache))
                s = self.base_apply(state, rec, lat, off)
                self.cache.append(s)
                return s

            return shared

        def with_local_params(state: ref.State, rec: r.Record, lat: int, off: int) -> ref.State:
            # mutation CE-3: this worker's referee reads its own configuration instead of the log's
            if state.cluster is not None:
                state = replace(state, cluster=replace(state.cluster, params=local))
            return self.base_apply(state, rec, lat, off)

        return with_local_params

    # -- workers -----------------------------------------------------------------------------------------

    def add_worker(self, worker_id: str, at: int, *, claims: str | None = None) -> None:
        """A new host; `claims` makes it use another host's worker.id (a duplicate id)."""
        rate = 1.0 + self.rng.uniform(-0.08, 0.08)
        host = Host(worker_id, Clock(self.rng.randint(0, 10**6), rate), claims=claims or worker_id)
        self.hosts[worker_id] = host
        self.at(at, lambda: self._boot(host))

    def _boot(self, host: Host) -> None:
        host.incarnations += 1
        host.gone = False
        host.restart_mode = None
        host.read_pos = 0
        host.outbox.clear()
        local = self.per_worker_params.get(host.worker_id)
        profile = self.profile if local is None else Profile(local, self.profile.local)
        truncated = self.log_start > 0
        core = mc.MemberCore(
            worker_id=host.claims,
            incarnation=f"{host.worker_id}#{host.incarnations}",
            profile=profile,
            fingerprint=FINGERPRINT,
            applier=self.base_apply if truncated else self._applier_for(host.worker_id),
            proposer=self.proposers.get(host.worker_id, mc.assignor.propose),
        )
        core.set_wanted(self.units, self.config_version)
        host.core = core
        if truncated:
            host.read_pos = self.log_start
            if self.naive_bootstrap:
                # The old shell: replay what is retained, and write a CLUSTER record if none was read.
                while host.read_pos < len(self.log):
                    lat, rec = self.log[host.read_pos]
                    self._run(host, core.on_record(host.read_pos, lat, rec, self.now(host)))
                    host.read_pos += 1
                if core.state.cluster is None:
                    self._produce(
                        host,
                        r.ClusterRecord(
                            cluster="sim",
                            worker_id=host.claims,
                            incarnation=core.incarnation,
                            seq=0,
                            params=self.params,
                            fingerprint=FINGERPRINT,
                        ),
                    )
            else:
                self._run(host, core.bootstrap_from(self.log_start, len(self.log), self.now(host)))
        self._run(host, core.start(self.now(host)))
        self._schedule_tick(host, core)
        self._schedule_fetch(host, core)

    def now(self, host: Host) -> int:
        return host.clock.local(self.t)

    def _running(self, host: Host, core: mc.MemberCore) -> bool:
        return host.core is core and not host.gone

    def _schedule_tick(self, host: Host, core: mc.MemberCore) -> None:
        def tick() -> None:
            if not self._running(host, core):
                return
            if self.t >= host.paused_until:
                self._flush_exits(host, core)
                self._run(host, core.tick(self.now(host)))
                if core.left:
                    self._left(host)
                    return
                if core.exited:
                    host.gone = True
                    return
            self.at(self.t + TICK_MS, tick)

        self.at(self.t + TICK_MS, tick)

    def _schedule_fetch(self, host: Host, core: mc.MemberCore) -> None:
        def fetch() -> None:
            if not self._running(host, core):
                return
            blocked = self.t < host.paused_until or self.t < host.cut_until or self.t < host.blind_until
            if not blocked:
                self._flush_exits(host, core)
                end = len(self.log)
                while host.read_pos < end and host.core is core:
                    lat, rec = self.log[host.read_pos]
                    off = host.read_pos
                    host.read_pos += 1
                    self._run(host, core.on_record(off, lat, rec, self.now(host)))
            self.at(self.t + self.rng.randint(5, 60), fetch)

        self.at(self.t + self.rng.randint(1, 30), fetch)

    def _left(self, host: Host) -> None:
        host.core = None
        mode = host.restart_mode
        if mode == "restart":
            self.at(self.t + self.rng.randint(200, 2_000), lambda: self._boot(host))
        else:
            host.gone = True

    def _flush_exits(self, host: Host, core: mc.MemberCore) -> None:
        while host.pending_exits:
            c = host.pending_exits.pop(0)
            self._run(host, core.on_child_exit(c.unit, c.token, self.now(host)))

    # -- commands ----------------------------------------------------------------------------------------

    def _run(self, host: Host, commands: list[mc.Command]) -> None:
        for cmd in commands:
            if isinstance(cmd, mc.Produce):
                self._produce(host, cmd.record)
            elif isinstance(cmd, mc.Spawn):
                self._spawn(host, cmd)
            elif isinstance(cmd, mc.SetDeadline):
                c = host.children.get(cmd.unit)
                if c is not None and c.token == cmd.token:
                    c.deadline = cmd.deadline
                    self._arm(c)
            elif isinstance(cmd, mc.Stop):
                c = host.children.get(cmd.unit)
                if c is not None and c.token == cmd.token and c.term_at is None:
                    c.term_at = self.t
                    g = self.profile.local.graceful_ms
                    ignores = self.rng.random() < 0.15
                    when = (
                        self.t + g + self.rng.randint(0, self.profile.local.kill_budget_ms)
                        if ignores
                        else self.t + self.rng.randint(5, g)
                    )
                    self._kill_at(c, when)
            elif isinstance(cmd, mc.FenceAll):
                for c in list(host.children.values()):
                    self._kill_at(c, self.t + self.rng.randint(0, self.profile.local.kill_budget_ms))

    def _produce(self, host: Host, rec: r.Record) -> None:
        if self.t < host.cut_until:
            host.outbox.append((self.t, rec))
            return
        when = max(host.last_append, self.t + self.rng.randint(1, 25))
        host.last_append = when
        self.at(when, lambda: self._land(host, self.t, rec))

    def _land(self, host: Host, sent: int, rec: r.Record) -> None:
        if self.t < self.broker_down_until:
            self.broker_queue.append((host, sent, rec))
            return
        self._append_now(rec)
        if self.rng.random() < self.dup_prob and not isinstance(rec, r.ClusterRecord):
            self.at(self.t + self.rng.randint(1, self.params.lease_ms), lambda: self._append_now(rec))

    def truncate(self, keep: int) -> None:
        """Retention deletes all but the last ``keep`` records (only workers booted later notice)."""
        self.log_start = max(self.log_start, len(self.log) - keep)

    def heal(self, host: Host) -> None:
        timeout = self.params.lease_ms  # message.timeout.ms = T
        for sent, rec in host.outbox:
            if self.t - sent <= timeout or self.rng.random() < 0.3:  # timed out yet possibly persisted
                self._land(host, sent, rec)
        host.outbox.clear()

    def broker_up(self) -> None:
        queue, self.broker_queue = self.broker_queue, []
        for _host, sent, rec in queue:
            if self.t - sent <= self.params.lease_ms or self.rng.random() < 0.3:
                self._append_now(rec)

    # -- children ----------------------------------------------------------------------------------------

    def _spawn(self, host: Host, cmd: mc.Spawn) -> None:
        assert cmd.unit not in host.children, "I1: a second process of the same unit on one host"
        assert host.core is not None
        c = Child(cmd.unit, cmd.token, host, host.core.incarnation, self.t, cmd.deadline)
        host.children[cmd.unit] = c
        self.lifetimes.setdefault(cmd.unit, []).append(c)
        self._arm(c)

    def _arm(self, c: Child) -> None:
        """The kernel timer: SIGKILL when the host's local clock reaches the deadline."""
        c.version += 1
        version = c.version
        when = c.host.clock.real_at(c.deadline) + self.rng.randint(0, self.profile.local.kill_budget_ms)

        def fire() -> None:
            if c.version == version:
                self._die(c)

        self.at(when, fire)

    def _kill_at(self, c: Child, when: int) -> None:
        self.at(when, lambda: self._die(c))

    def _die(self, c: Child) -> None:
        if c.end is not None:
            return
        c.end = self.t
        host = c.host
        if host.children.get(c.unit) is c:
            del host.children[c.unit]
        core = host.core
        if core is not None and core.incarnation == c.incarnation and not host.gone:
            if self.t < host.paused_until:
                host.pending_exits.append(c)
            else:
                self._run(host, core.on_child_exit(c.unit, c.token, self.now(host)))

    # -- faults ------------------------------------------------------------------------------------------

    def kill9(self, host: Host, restart_after: int | None) -> None:
        host.core = None
        host.outbox.clear()
        host.pending_exits.clear()
        for c in list(host.children.values()):
            self._kill_at(c, self.t + self.rng.randint(0, self.profile.local.kill_budget_ms))  # PDEATHSIG
        if restart_after is not None:
            self.at(self.t + restart_after, lambda: self._boot(host))

    def pause(self, host: Host, duration: int) -> None:
        host.paused_until = max(host.paused_until, self.t + duration)

    def partition(self, host: Host, duration: int) -> None:
        host.cut_until = max(host.cut_until, self.t + duration)
        self.at(self.t + duration, lambda: self.heal(host))

    def read_blind(self, host: Host, duration: int) -> None:
        host.blind_until = max(host.blind_until, self.t + duration)

    def leave(self, host: Host, mode: r.LeaveMode) -> None:
        if host.core is None or host.gone or self.t < host.paused_until:
            return
        host.restart_mode = "restart" if mode is r.LeaveMode.RESTART else "shutdown"
        self._run(host, host.core.leave(mode, self.now(host)))

    def broker_failover(self, duration: int, step: int) -> None:
        self.broker_down_until = max(self.broker_down_until, self.t + duration)
        self.broker_skew += step
        self.at(self.t + duration, self.broker_up)

    def reconfigure(self) -> None:
        """Create, delete or resize a connector; each worker reads the config topic after its own lag."""
        by_conn: dict[str, int] = {}
        for c, t in self.units:
            by_conn[c] = max(by_conn.get(c, -1), t)
        choice = self.rng.randint(0, 2)
        if choice == 0 or len(by_conn) == 1:
            by_conn[f"gamma{len(self.lifetimes)}"] = self.rng.randint(0, 4)
        elif choice == 1:
            del by_conn[self.rng.choice(sorted(by_conn))]
        else:
            name = self.rng.choice(sorted(by_conn))
            by_conn[name] = self.rng.randint(0, 6)
        self.units = [(c, t) for c, top in sorted(by_conn.items()) for t in range(-1, top + 1)]
        self.config_version += 1
        units, version = list(self.units), self.config_version
        for host in self.hosts.values():

            def read(host: Host = host) -> None:
                if host.core is not None and version > host.core.config_offset:  # the config topic is read in order
                    host.core.set_wanted(units, version)

            self.at(self.t + self.rng.randint(0, 500), read)

    # -- oracles -----------------------------------------------------------------------------------------

    def outcome(self) -> Outcome:
        overlaps: list[str] = []
        for unit, lives in sorted(self.lifetimes.items()):
            ordered = sorted(lives, key=lambda c: c.start)
            latest: Child | None = None
            for c in ordered:
                if latest is not None and c.start < _end(latest):
                    overlaps.append(
                        f"{unit}: {latest.incarnation} token {latest.token} alive {latest.start}..{latest.end} "
                        f"overlaps {c.incarnation} token {c.token} from {c.start}"
                    )
                if latest is None or _end(c) > _end(latest):
                    latest = c
        running: dict[Unit, int] = {}
        for host in self.hosts.values():
            if host.core is None or host.gone:
                continue
            for u in host.children:
                running[u] = running.get(u, 0) + 1
        state = self.cache[-1] if self.cache else ref.INITIAL
        return Outcome(
            overlaps=overlaps,
            not_running=[u for u in self.units if u not in running],
            duplicates_running=[u for u, n in sorted(running.items()) if n > 1 or u not in self.units],
            records=len(self.log),
            events=self.events,
            final_gen=state.gen,
        )


def _end(c: Child) -> int:
    return c.end if c.end is not None else 2**62


def chaos(world: World, *, start: int, end: int, faults: int) -> list[str]:
    """A seeded fault schedule between start and end; every fault heals or restarts before end + 5 s."""
    rng = world.rng
    T = world.params.lease_ms
    log: list[str] = []
    kinds = [
        "kill9",
        "kill9_stay",
        "pause",
        "partition",
        "blind",
        "leave_restart",
        "leave_shutdown",
        "join",
        "broker",
        "clock_step",
        "config",
        "twin",
    ]
    for _ in range(faults):
        t = rng.randint(start, end)
        kind = rng.choice(kinds)
        wid = rng.choice(sorted(world.hosts))
        log.append(f"{t}:{kind}:{wid}")

        def fire(kind: str = kind, wid: str = wid) -> None:
            host = world.hosts[wid]
            if kind == "kill9" and host.core is not None:
                world.kill9(host, rng.randint(100, 3 * T))
            elif kind == "kill9_stay" and host.core is not None:
                world.kill9(host, rng.randint(2 * T, 4 * T))
            elif kind == "pause":
                world.pause(host, rng.randint(T // 4, 2 * T))
            elif kind == "partition":
                world.partition(host, rng.randint(T // 4, 2 * T))
            elif kind == "blind":
                world.read_blind(host, rng.randint(T // 4, 2 * T))
            elif kind == "leave_restart":
                world.leave(host, r.LeaveMode.RESTART)
            elif kind == "leave_shutdown":
                world.leave(host, r.LeaveMode.SHUTDOWN)
                world.at(world.t + rng.randint(1_000, 4_000), lambda: _revive(world, host))
            elif kind == "join":
                world.add_worker(f"n{len(world.hosts)}", at=world.t)
            elif kind == "broker":
                world.broker_failover(
                    rng.randint(50, T // 2), rng.randint(-2_000, world.profile.local.broker_clock_skew_ms)
                )
            elif kind == "config":
                world.reconfigure()
            elif kind == "twin" and not wid.startswith("twin"):
                world.add_worker(f"twin{len(world.hosts)}", at=world.t, claims=host.claims)
            elif kind == "clock_step":
                host.clock.step(world.t, rng.randint(1, T // 2))

        world.at(t, fire)
    return log


def _revive(world: World, host: Host) -> None:
    if host.core is None and host.gone:
        host.gone = False
        world._boot(host)


def quiet_period(profile: Profile) -> int:
    """Long enough after the last fault for every unit to run again (L1 bound plus slack)."""
    p = profile.protocol
    return 5_000 + p.lease_ms * 3 + p.max_delay_ms + p.cold_park_ms + p.init_delay_ms + p.revoke_timeout_ms


def run_seed(seed: int, profile: Profile, *, faults: bool = True, **kwargs: Any) -> tuple[Outcome, list[str]]:
    """One chaos run: faults in [3 s, 20 s], then a quiet period long enough for every unit to run again."""
    world = World(seed, profile, **kwargs)
    schedule = chaos(world, start=3_000, end=20_000, faults=world.rng.randint(3, 7)) if faults else []
    world.run_until(20_000 + 4 * profile.protocol.lease_ms + quiet_period(profile))
    return world.outcome(), schedule


def blind_leader(world: World, at: int) -> None:
    """CE-6: from `at` on, the current leader's fetcher is wedged for good while it keeps producing."""

    def fire() -> None:
        state = world.cache[-1]
        lead = ref.leader(state)
        if lead is not None:
            world.read_blind(world.hosts[lead.worker_id], 10**9)

    world.at(at, fire)
