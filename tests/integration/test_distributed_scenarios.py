"""Distributed scenarios of issue #4 judged by the witness connector (tests.support.plugins.WitnessSourceConnector).

The module runs its own Kafka broker (the full-outage scenario stops it) and one cluster of
``kconnect distributed`` workers; the tests run in file order, each starting from the state the previous one
left. Every scenario asserts zero overlaps judged from process lifetimes (a unit's new process starts only
after the previous one died, tests/support/witness.py) and from the records the tasks wrote to Kafka, and
that every unit runs at the end. Measured times and moves are printed (``pytest -s``); nothing asserts on time.
"""

from __future__ import annotations

import math
import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.supervisor.distributed.coordinator import coordination_client_id
from tests.integration.test_distributed import timing_profile
from tests.support import witness
from tests.support.client_quota import set_client_quota
from tests.support.coordtail import CoordinationTail, Seen
from tests.support.worker import Worker, wait_for

PARTITIONS = 4
TASKS = 4
# A restart in place (SIGUSR2) must re-join within kconnect.coordination.restart.park.ms for its units to come
# back to it. Stop + re-exec + re-join measured 5-7 s here on the loaded 2-core machine, more than the CI
# profile's 2 s park (and its D = 6 s, which bounds the park); both are raised for this module's cluster. No
# other scenario here depends on D: leaves are LEAVE(shutdown) and every expired worker comes back.
RESTART_PARK_MS = 20_000


def units_of(connector: str, tasks: int) -> set[str]:
    return {f"{connector}.{t}" for t in range(-1, tasks)}


@dataclass
class Cluster:
    broker: KafkaBroker
    work: Path
    group: str
    topic: str
    watch: witness.DeathWatch
    workers: list[Worker] = field(default_factory=list)
    connectors: dict[str, int] = field(default_factory=dict)  # name -> tasks.max
    extra: dict[str, str] = field(default_factory=dict)  # worker properties over the CI timing profile

    @property
    def witness_dir(self) -> Path:
        return self.work / "witness"

    @property
    def units(self) -> set[str]:
        return set().union(*(units_of(c, n) for c, n in self.connectors.items()))

    def add(self) -> Worker:
        work = self.work / f"w{len(self.workers)}"
        work.mkdir()
        props = {
            **timing_profile(self.group),
            "scheduled.rebalance.max.delay.ms": str(RESTART_PARK_MS),
            "kconnect.coordination.restart.park.ms": str(RESTART_PARK_MS),
            **self.extra,
        }
        worker = Worker(work, self.broker.bootstrap_servers, props, mode="distributed")
        self.workers.append(worker)
        return worker

    def live(self) -> list[Worker]:
        return [w for w in self.workers if w.proc is not None and w.proc.poll() is None]

    def worker_of(self, ppid: int) -> int:
        return next((i for i, w in enumerate(self.workers) if w.proc is not None and w.proc.pid == ppid), -1)

    def create(self, name: str, tasks: int) -> None:
        config = {
            "connector.class": WITNESS,
            "topic": self.topic,
            "witness.dir": str(self.witness_dir),
            "tasks.max": str(tasks),
        }
        through = self.live()[0]
        status = wait_for(
            lambda: (s := through.rest.call("POST", "/connectors", {"name": name, "config": config})[0]) != 409 and s,
            60,
            f"create {name} (409 while a rebalance is underway)",
        )
        assert status == 201, (status, through.log_tail())
        self.connectors[name] = tasks

    @property
    def coordination_topic(self) -> str:
        return f"{self.group}-configs-coordination"

    def tail(self) -> CoordinationTail:
        tail = CoordinationTail(self.broker.bootstrap_servers, self.coordination_topic)
        tail.catch_up()
        return tail

    def index_of(self, worker_id: str) -> int:
        return next(i for i, w in enumerate(self.workers) if worker_id.endswith(f":{w.port}"))

    def placement(self, away: int | None = None) -> dict[str, tuple[int, int]] | None:
        """unit -> (worker index, pid) when every unit has exactly one live process and every live worker
        reports every connector and task RUNNING; None otherwise. ``away``: a worker that is frozen or cut
        off (not asked, and it must run nothing)."""
        now = witness.running(witness.lives(self.witness_dir, self.watch), self.units)
        if now is None:
            return None
        if away is not None and any(self.worker_of(life.ppid) == away for life in now.values()):
            return None
        for w in self.live():
            if away is not None and w is self.workers[away]:
                continue
            for name, tasks in self.connectors.items():
                try:
                    status, body = w.rest.call("GET", f"/connectors/{name}/status")
                except OSError:  # its REST processes are restarting (SIGUSR2) or not up yet
                    return None
                if status != 200 or body["connector"]["state"] != "RUNNING" or len(body["tasks"]) != tasks:
                    return None
                if any(t["state"] != "RUNNING" for t in body["tasks"]):
                    return None
        return {u: (self.worker_of(life.ppid), life.pid) for u, life in now.items()}

    def settled(self, what: str, timeout: float = 120) -> dict[str, tuple[int, int]]:
        try:
            placed: dict[str, tuple[int, int]] = wait_for(self.placement, timeout, what)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.describe()}") from None
        return placed

    def describe(self) -> str:
        """What a failed wait saw: live witness processes by worker, and each live worker's statuses."""
        lines = []
        for unit, group in sorted(witness.lives(self.witness_dir, self.watch).items()):
            alive = [(self.worker_of(life.ppid), life.pid) for life in group if life.end is None]
            lines.append(f"  {unit}: live (worker, pid) {alive}")
        for i, w in enumerate(self.workers):
            if w in self.live():
                for name in self.connectors:
                    lines.append(f"  worker {i} {name}: {w.rest.call('GET', f'/connectors/{name}/status')}")
        return "\n".join(lines)

    def judge(self) -> None:
        """Zero overlaps, from lifetimes and from the records in Kafka; every running task has written."""

        def records_of_every_task() -> list[dict[str, object]] | None:
            records = witness.read_records(self.broker.bootstrap_servers, self.topic, PARTITIONS)
            now = witness.running(witness.lives(self.witness_dir, self.watch), self.units) or {}
            writers = {(r["unit"], r["pid"]) for r in records}
            tasks = {(u, life.pid) for u, life in now.items() if not u.endswith(".-1")}
            return records if tasks and tasks <= writers else None

        records = wait_for(records_of_every_task, 60, "records from every running task", interval=1.0)
        by_unit = witness.lives(self.witness_dir, self.watch)
        assert witness.lifetime_overlaps(by_unit) == []
        assert witness.record_overlaps(records) == []
        assert witness.running(by_unit, self.units) is not None, by_unit


WITNESS = "tests.support.plugins.WitnessSourceConnector"


def moved(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> set[str]:
    return {u for u in before if after.get(u) != before[u]}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    # Our own broker: the outage scenario stops it, and the session broker is shared with other modules.
    broker = KafkaBroker(tmp_path_factory.mktemp("scenario-kafka"))
    broker.start()
    group = f"kc-scen-{uuid.uuid4().hex[:8]}"
    topic = f"{group}-witness"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])[topic].result(30)
    work = tmp_path_factory.mktemp("scenarios")
    (work / "witness").mkdir()
    with witness.DeathWatch(work / "witness") as watch:
        c = Cluster(broker, work, group, topic, watch)
        try:
            yield c
        finally:
            for w in c.workers:
                if w.proc is not None and w.proc.poll() is None:
                    w.stop(timeout=30)
            broker.stop()


def test_witness_runs_on_three_workers(cluster: Cluster) -> None:
    t0 = time.monotonic()
    for _ in range(3):
        cluster.add().start(wait=False)
    for w in cluster.workers:
        w.wait_ready(timeout=90)
    wait_for(lambda: all(w.rest.call("GET", "/connectors")[0] == 200 for w in cluster.workers), 60, "joined workers")
    cluster.create("wit", TASKS)
    placed = cluster.settled("every witness unit RUNNING")
    print(f"\n[scenarios] 3 workers, {len(placed)} witness units running after {time.monotonic() - t0:.1f} s")
    time.sleep(0.5)  # a few witness records per task
    cluster.judge()


def test_rolling_restart_of_every_worker(cluster: Cluster) -> None:
    """SIGTERM then start again, one worker after the other. The shell leaves with LEAVE(shutdown), so a
    leave moves exactly the leaver's units and a return moves at most ceil(N/W) units, all to the returning
    worker (docs/coordination-protocol.md §4, §9); units on the other workers never stop."""
    start = cluster.settled("a settled cluster")
    restarts = dict.fromkeys(start, 0)
    t0 = time.monotonic()
    for index in range(len(cluster.workers)):
        worker = cluster.workers[index]
        if worker not in cluster.live():
            continue
        before = cluster.settled("a settled cluster")
        assert worker.stop(timeout=60) == 0
        left = cluster.settled(f"every unit running after worker {index} left")
        assert moved(before, left) == {u for u, (i, _) in before.items() if i == index}
        worker.start()
        back = wait_for(
            lambda i=index: (p := cluster.placement()) and any(w == i for w, _ in p.values()) and p,
            120,
            f"units on the returning worker {index}",
        )
        time.sleep(2.0)  # a few heartbeats: nothing else may move once the return settled
        back = cluster.settled(f"a settled cluster after worker {index} returned")
        returned = moved(left, back)
        limit = math.ceil(len(cluster.units) / len(cluster.live()))
        assert 1 <= len(returned) <= limit, returned
        assert all(back[u][0] == index for u in returned), (returned, back)
        for u in moved(before, back):
            restarts[u] += 1
    took = time.monotonic() - t0
    print(
        f"[scenarios] rolling restart of {len(cluster.workers)} workers in {took:.1f} s; restarts per unit {restarts}"
    )
    cluster.judge()


def test_rolling_restart_in_place_with_sigusr2(cluster: Cluster) -> None:
    """SIGUSR2 to each worker in turn: graceful stop, LEAVE(restart), re-exec of the same process, re-join under
    the same worker id. The leaver's units stay parked for it and come back to it: every unit of the restarting
    worker gets exactly one new process, on the same worker; no other unit restarts; nothing moves."""
    cluster.settled("a settled cluster")
    order = [i for i, w in enumerate(cluster.workers) if w in cluster.live()]
    assert len(order) == 3, order
    took: list[float] = []
    downtimes: dict[str, float] = {}
    t0 = time.monotonic()
    for index in order:
        worker = cluster.workers[index]
        assert worker.proc is not None
        pid = worker.proc.pid
        start = cluster.settled(f"a settled cluster before worker {index} restarts")
        mine = {u for u, (i, _) in start.items() if i == index}
        assert mine, start  # 5 units on 3 workers: each holds at least one
        processes = {u: len(g) for u, g in witness.lives(cluster.witness_dir, cluster.watch).items()}
        log = worker.log_path.read_text(errors="replace")
        execs, leaves = log.count("Restarting in place: exec"), log.count("Leaving the cluster (restart)")
        t1 = time.monotonic()
        worker.proc.send_signal(signal.SIGUSR2)
        back = wait_for(
            lambda start=start, mine=mine: (
                (p := cluster.placement()) and all(p[u][1] != start[u][1] for u in mine) and p
            ),
            90,
            f"the units of worker {index} running again after its restart in place",
        )
        took.append(time.monotonic() - t1)
        time.sleep(2.0)  # a few heartbeats: nothing may move once the return settled
        after = cluster.settled(f"a settled cluster after worker {index} restarted")
        assert after == back, (back, after)
        # The same process, re-executed (not a new one started by someone else); the port is bound again.
        assert worker.proc.poll() is None
        assert worker.proc.pid == pid
        log = worker.log_path.read_text(errors="replace")
        assert log.count("Restarting in place: exec") == execs + 1, worker.log_tail()
        assert log.count("Leaving the cluster (restart)") == leaves + 1, worker.log_tail()
        assert not [c for c in psutil.Process(pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN]
        # Zero moves: every unit runs where it ran; exactly the restarting worker's units have new processes.
        assert {u: w for u, (w, _) in after.items()} == {u: w for u, (w, _) in start.items()}
        assert moved(start, after) == mine
        lives = witness.lives(cluster.witness_dir, cluster.watch)
        new_processes = {u: len(lives[u]) - processes.get(u, 0) for u in cluster.units}
        assert new_processes == {u: (1 if u in mine else 0) for u in cluster.units}, new_processes
        for u in mine:
            old = next(life for life in lives[u] if life.pid == start[u][1])
            new = next(life for life in lives[u] if life.pid == after[u][1])
            assert old.end is not None
            assert new.start >= old.end
            downtimes[u] = new.start - old.end
    per_unit = sorted(downtimes.values())
    print(
        f"[scenarios] rolling restart in place (SIGUSR2) of {len(order)} workers in {time.monotonic() - t0:.1f} s: "
        f"per worker {', '.join(f'{t:.1f}' for t in took)} s (signal -> its units RUNNING again); per-unit "
        f"downtime median {per_unit[len(per_unit) // 2]:.1f} s (max {per_unit[-1]:.1f} s) over {len(per_unit)} "
        "unit restarts; 0 units moved"
    )
    cluster.judge()


def test_simultaneous_joins_of_two_workers(cluster: Cluster) -> None:
    before = cluster.settled("a settled cluster")
    t0 = time.monotonic()
    newcomers = [len(cluster.workers), len(cluster.workers) + 1]
    for _ in newcomers:
        cluster.add().start(wait=False)
    for i in newcomers:
        cluster.workers[i].wait_ready(timeout=90)
    after = wait_for(
        lambda: (p := cluster.placement()) and all(any(w == i for w, _ in p.values()) for i in newcomers) and p,
        120,
        "units on both newcomers",
    )
    time.sleep(2.0)
    after = cluster.settled("a settled cluster after the joins")
    changed = moved(before, after)
    limit = len(newcomers) * math.ceil(len(cluster.units) / len(cluster.live()))
    print(
        f"[scenarios] 2 simultaneous joins: {len(changed)} unit(s) moved in {time.monotonic() - t0:.1f} s "
        f"(limit {limit}): {sorted(changed)}"
    )
    assert 1 <= len(changed) <= limit, changed
    assert all(after[u][0] in newcomers for u in changed), (changed, after)
    cluster.judge()


def test_connector_create_and_delete_during_rebalances(cluster: Cluster) -> None:
    cluster.settled("a settled cluster")
    t0 = time.monotonic()
    # Rebalance 1: the two newest workers leave (SIGTERM, not waited for) while a connector is created.
    leavers = cluster.live()[-2:]
    for w in leavers:
        assert w.proc is not None
        w.proc.terminate()
    cluster.create("wit2", 2)
    for w in leavers:
        assert w.proc is not None
        w.proc.wait(timeout=60)  # no second SIGTERM: the supervisor takes a second one as "stop now"
        assert w.stop() == 0
    cluster.settled("wit and wit2 running after the leaves")
    created = time.monotonic() - t0
    cluster.judge()
    # Rebalance 2: a worker joins while the new connector is deleted.
    t1 = time.monotonic()
    cluster.add().start(wait=False)
    through = cluster.live()[0]
    status = wait_for(lambda: (s := through.rest.call("DELETE", "/connectors/wit2")[0]) != 409 and s, 60, "delete wit2")
    assert status == 204
    del cluster.connectors["wit2"]
    cluster.workers[-1].wait_ready(timeout=90)
    wait_for(
        lambda: all(w.rest.call("GET", "/connectors/wit2/status")[0] == 404 for w in cluster.live()),
        60,
        "wit2 gone on every worker",
    )
    cluster.settled("wit running, wit2 gone, after the join")
    gone = wait_for(
        lambda: (
            not [
                u
                for u, g in witness.lives(cluster.witness_dir, cluster.watch).items()
                if u.startswith("wit2.") and any(life.end is None for life in g)
            ]
        ),
        60,
        "every wit2 process exited",
    )
    print(
        f"[scenarios] create during a leave: running after {created:.1f} s; delete during a join: "
        f"settled after {time.monotonic() - t1:.1f} s"
    )
    assert gone
    cluster.judge()


def test_full_kafka_outage(cluster: Cluster) -> None:
    before = cluster.settled("a settled cluster")
    t0 = time.monotonic()
    cluster.broker.stop()
    # Without the broker no heartbeat counts: every unit process must die by its lease deadline.
    wait_for(lambda: all(not witness._alive(pid) for _, pid in before.values()), 90, "every unit process dead (fenced)")
    fenced = time.monotonic() - t0
    time.sleep(max(0.0, t0 + 15 - time.monotonic()))  # an outage longer than the lease (8 s)
    cluster.broker.start()
    t1 = time.monotonic()
    after = cluster.settled("every unit running after Kafka came back", timeout=90)
    print(
        f"[scenarios] Kafka outage: unit processes fenced after {fenced:.1f} s; running "
        f"{time.monotonic() - t1:.1f} s after the broker returned; moved {sorted(moved(before, after))}"
    )
    cluster.judge()


def test_cold_start_of_the_whole_cluster(cluster: Cluster) -> None:
    # Starts from whatever the outage left (see its xfail): every worker stops, then all start again.
    members = cluster.live()
    for w in members:
        w.stop(timeout=60)  # not asserted: after the outage above a worker may have to be killed (its units are dead)
    wait_for(
        lambda: witness.running(witness.lives(cluster.witness_dir, cluster.watch), set()) == {},
        30,
        "no witness process left",
    )
    t2 = time.monotonic()
    for w in members:
        w.start(wait=False)
    for w in members:
        w.wait_ready(timeout=90)
    cluster.settled("every unit running after the cold start", timeout=180)
    print(f"[scenarios] cold start of {len(members)} workers: every unit running after {time.monotonic() - t2:.1f} s")
    cluster.judge()


def _coordinator_pid(worker: Worker) -> int:
    pids = worker.task_pids(role="coordinator")
    assert len(pids) == 1, pids
    return pids[0]


def _death(cluster: Cluster, pid: int) -> float:
    """When the witness process ``pid`` died (its exit line, or first seen dead), wall-clock seconds."""
    for group in witness.lives(cluster.witness_dir, cluster.watch).values():
        for life in group:
            if life.pid == pid and life.end is not None:
                return life.end
    raise AssertionError(f"pid {pid} is not dead")


def _downtimes(cluster: Cluster, before: dict[str, tuple[int, int]]) -> dict[str, float]:
    """Per unit whose process changed: start of its newest process - end of the process it had in ``before``."""
    by_unit = witness.lives(cluster.witness_dir, cluster.watch)
    out = {}
    for unit, (_, pid) in before.items():
        old = next(life for life in by_unit[unit] if life.pid == pid)
        new = by_unit[unit][-1]
        if new.pid != pid and old.end is not None:
            out[unit] = round(new.start - old.end, 1)
    return out


def test_frozen_leader_in_the_middle_of_a_revoke_wave(cluster: Cluster) -> None:
    """A worker joins; right after the leader wrote the ASSIGNMENT that starts the revocation wave, the
    leader's supervisor and coordinator are frozen (SIGSTOP) for longer than lease + delay. Its unit processes
    must die by their kernel deadline before their lease ends in broker time (nobody can signal them: their
    supervisor is frozen), another worker must take the lead and finish the wave, every unit must run exactly
    once meanwhile, and the thawed worker must fence itself (its epoch expired) and rejoin with a new epoch."""
    before = cluster.settled("a settled cluster")
    tail = cluster.tail()
    lead = tail.leader()
    assert lead is not None
    frozen = cluster.index_of(lead.worker_id)
    lost = {u: pid for u, (i, pid) in before.items() if i == frozen}
    assert lost, "the leader runs no unit"
    leader_worker = cluster.workers[frozen]
    assert leader_worker.proc is not None
    pids = [_coordinator_pid(leader_worker), leader_worker.proc.pid]

    def revoke_by_leader(seen: Seen) -> bool:
        rec = seen.record
        return (
            isinstance(rec, r.AssignmentRecord)
            and rec.epoch == lead.epoch
            and bool(rec.revokes)
            and seen.outcome.startswith("assignment:")
            and not seen.outcome.startswith("assignment:0/")
        )

    newcomer = cluster.add().start(wait=False)  # the join makes the leader revoke units for the newcomer
    wave = tail.until(revoke_by_leader, 90, "the leader's revocation ASSIGNMENT", since=tail.state.applied)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    frozen_at = time.time()
    try:
        # Nobody can signal them: the kernel timer armed from the lease deadline kills the leader's units.
        wait_for(lambda: all(not witness._alive(pid) for pid in lost.values()), 60, "the frozen leader's units to die")
        newcomer.wait_ready(timeout=90)
        new_lead = tail.until(
            lambda s: (m := ref.leader(s.state)) is not None and m.epoch != lead.epoch,
            60,
            "another leader",
            since=wave.offset,
        )
        new_leader = ref.leader(new_lead.state)
        assert new_leader is not None
        assert new_leader.worker_id != lead.worker_id
        assert lead.epoch in tail.ended, "the lead moved while the frozen epoch was still LIVE"
        ended, _ = tail.ended[lead.epoch]
        first_assignment = tail.until(
            lambda s: (
                isinstance(s.record, r.AssignmentRecord)
                and s.record.epoch != lead.epoch
                and s.outcome.startswith("assignment:")
                and not s.outcome.startswith("assignment:0/")
            ),
            60,
            "an ASSIGNMENT accepted from the new leader",
            since=wave.offset,
        )
        away = wait_for(lambda: cluster.placement(away=frozen), 90, "every unit running without the frozen leader")
    finally:
        for pid in reversed(pids):
            os.kill(pid, signal.SIGCONT)
    thawed_at = time.time()
    deaths = {u: _death(cluster, pid) for u, pid in lost.items()}
    # Self-fenced: died while the supervisor was frozen, before the lease ended in broker time. A unit of the
    # leader that its own wave revoked may have got its SIGTERM just before the freeze.
    assert isinstance(wave.record, r.AssignmentRecord)
    revoked = {f"{rv.unit[0]}.{rv.unit[1]}" for rv in wave.record.revokes}
    assert all(frozen_at < d < thawed_at for u, d in deaths.items() if u not in revoked), (frozen_at, deaths)
    assert all(d * 1000 < ended.lease_end for d in deaths.values()), (deaths, ended)
    assert ended.status in ("EXPIRED", "EXPELLED"), ended
    by_unit = witness.lives(cluster.witness_dir, cluster.watch)
    for unit, pid in lost.items():
        successor = next(life for life in by_unit[unit] if life.start > deaths[unit])
        assert successor.pid != pid
        assert cluster.worker_of(successor.ppid) != frozen
    assert away is not None

    # Thawed: the worker finds its epoch gone, fences and rejoins with a new epoch; the cluster settles.
    frozen_id = lead.worker_id
    rejoin = tail.until(
        lambda s: any(m.worker_id == frozen_id and m.epoch > lead.epoch for m in ref.live_members(s.state)),
        90,
        "the thawed worker's new epoch",
        since=wave.offset,
    )
    after = cluster.settled("a settled cluster after the thaw")
    for unit, (i, pid) in after.items():
        if i == frozen:  # started by the thawed worker: only under its new epoch
            life = next(x for x in witness.lives(cluster.witness_dir, cluster.watch)[unit] if x.pid == pid)
            assert life.start * 1000 >= rejoin.lat, (unit, life, rejoin.lat)
    downtime = _downtimes(cluster, before)
    print(
        f"\n[scenarios] frozen leader (epoch {lead.epoch}) frozen {frozen_at - wave.lat / 1000:.2f} s after its "
        f"revoke at offset {wave.offset} was appended; its {len(lost)} unit(s) died "
        f"{min(deaths.values()) - frozen_at:.1f}-{max(deaths.values()) - frozen_at:.1f} s "
        f"after the freeze, {(ended.lease_end / 1000 - max(deaths.values())):.1f} s before its lease ended; "
        f"new leader after {(new_lead.lat - wave.lat) / 1000:.1f} s (broker time), its first ASSIGNMENT after "
        f"{(first_assignment.lat - wave.lat) / 1000:.1f} s; frozen {thawed_at - frozen_at:.1f} s; rejoined "
        f"{rejoin.lat / 1000 - thawed_at:.1f} s after the thaw; downtime per moved unit {downtime}"
    )
    tail.close()
    cluster.judge()


def _fetch_quota(broker: KafkaBroker, client_id: str, bytes_per_s: int | None) -> None:
    set_client_quota(broker, client_id, "consumer_byte_rate", bytes_per_s)


def test_worker_that_can_write_but_not_read(cluster: Cluster) -> None:
    """A broker fetch quota of 1 byte/s on one worker's coordination consumer (its client.id only) makes it
    read-blind while its producer keeps appending heartbeats. Its own heartbeats are never read back, so its
    lease is not renewed: its unit processes die by their kernel deadline before the lease ends in broker
    time, the referee no longer counts its heartbeats (read-progress rule) and ends its epoch, its units run
    elsewhere after the delay. With the quota removed it reads again, fences (epoch gone) and rejoins."""
    before = cluster.settled("a settled cluster")
    tail = cluster.tail()
    lead = tail.leader()
    assert lead is not None
    members = {cluster.index_of(m.worker_id): m for m in ref.live_members(tail.state)}
    blind = next(
        i for i, m in sorted(members.items()) if m.epoch != lead.epoch and any(k == i for k, _ in before.values())
    )
    member = members[blind]
    lost = {u: pid for u, (i, pid) in before.items() if i == blind}
    client_id = coordination_client_id(f"{cluster.group}-", member.worker_id)
    mark = tail.state.applied
    _fetch_quota(cluster.broker, client_id, 1)
    quota_at = time.time()
    try:
        wait_for(lambda: all(not witness._alive(pid) for pid in lost.values()), 60, "the blind worker's units to die")
        gone = tail.until(
            lambda s: (m := s.state.members.get(member.epoch)) is None or m.status != ref.Status.LIVE,
            60,
            "the blind worker's epoch to end",
            since=mark,
        )
        ended, _ = tail.ended[member.epoch]
        away = wait_for(lambda: cluster.placement(away=blind), 90, "every unit running without the blind worker")
        # It kept writing: heartbeats appended after its epoch ended, still claiming to have read only up to
        # a record before that end (it read nothing since).
        written = tail.until(
            lambda s: isinstance(s.record, r.HeartbeatRecord) and s.record.epoch == member.epoch,
            30,
            "a heartbeat of the blind worker after its epoch ended",
            since=gone.offset,
        )
        blind_heartbeats = [
            s
            for s in tail.seen
            if s.offset > mark and isinstance(s.record, r.HeartbeatRecord) and s.record.epoch == member.epoch
        ]
    finally:
        _fetch_quota(cluster.broker, client_id, None)
    lifted_at = time.time()
    assert isinstance(written.record, r.HeartbeatRecord)
    assert written.record.applied_upto < gone.offset, (written.record, gone.offset)
    deaths = {u: _death(cluster, pid) for u, pid in lost.items()}
    assert all(d * 1000 < ended.lease_end for d in deaths.values()), (deaths, ended)
    assert ended.status == ref.Status.EXPIRED, ended
    assert away is not None
    by_unit = witness.lives(cluster.witness_dir, cluster.watch)
    for unit, pid in lost.items():
        successor = next(life for life in by_unit[unit] if life.start > deaths[unit])
        assert successor.pid != pid
        assert cluster.worker_of(successor.ppid) != blind

    rejoin = tail.until(
        lambda s: any(m.worker_id == member.worker_id and m.epoch > member.epoch for m in ref.live_members(s.state)),
        90,
        "the worker's new epoch once it reads again",
        since=gone.offset,
    )
    after = cluster.settled("a settled cluster after the quota was removed")
    for unit, (i, pid) in after.items():
        if i == blind:
            life = next(x for x in witness.lives(cluster.witness_dir, cluster.watch)[unit] if x.pid == pid)
            assert life.start * 1000 >= rejoin.lat, (unit, life, rejoin.lat)
    print(
        f"\n[scenarios] read-blind worker (fetch quota 1 B/s on {client_id}): its {len(lost)} unit(s) died "
        f"{min(deaths.values()) - quota_at:.1f}-{max(deaths.values()) - quota_at:.1f} s after the quota, "
        f"{ended.lease_end / 1000 - max(deaths.values()):.1f} s before its lease ended; epoch {ended.status} "
        f"{gone.lat / 1000 - quota_at:.1f} s after the quota; {len(blind_heartbeats)} heartbeats appended while "
        f"blind; rejoined {rejoin.lat / 1000 - lifted_at:.1f} s after the quota was removed; downtime per moved "
        f"unit {_downtimes(cluster, before)}"
    )
    tail.close()
    cluster.judge()
