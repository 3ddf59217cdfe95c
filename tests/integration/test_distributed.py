"""Distributed mode end to end: several ``kconnect distributed`` workers (separate OS processes) on the real
broker, coordinating through Kafka topics only.

The tests of this module share one cluster and run in file order (each scenario starts from the state the
previous one left): 3 workers run a file source and a file sink connector; a 4th worker joins; a worker
leaves gracefully; a worker is killed with SIGKILL. Every scenario checks data read back from Kafka and the
files, statuses from every worker, and which unit processes kept their pid. Measured convergence times are
printed (``pytest -s`` shows them); nothing asserts on them.
"""

from __future__ import annotations

import itertools
import math
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from kconnect.supervisor.coordination import referee as ref
from tests.support.worker import Worker, wait_for

SINK_TASKS = 6
LEASE_MS = 8000
MAX_DELAY_MS = 6000


def timing_profile(group: str) -> dict[str, str]:
    """The short CI profile: an 8 s lease (heartbeats every 500 ms), lost workers wait 6 s."""
    return {
        "group.id": group,
        "config.storage.topic": f"{group}-configs",
        "offset.storage.topic": f"{group}-offsets",
        "status.storage.topic": f"{group}-status",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "offset.storage.partitions": "3",
        "status.storage.partitions": "2",
        "session.timeout.ms": str(LEASE_MS),
        "heartbeat.interval.ms": "500",
        "scheduled.rebalance.max.delay.ms": str(MAX_DELAY_MS),
        "task.shutdown.graceful.timeout.ms": "2000",
        "kconnect.coordination.initial.rebalance.delay.ms": "500",
        "kconnect.coordination.rebalance.debounce.ms": "300",
        "kconnect.coordination.restart.park.ms": "2000",
        "offset.flush.interval.ms": "500",
    }


@dataclass
class Cluster:
    work: Path
    bootstrap: str
    group: str
    topic: str
    workers: list[Worker] = field(default_factory=list)
    next_index: int = 0
    lines_written: int = 0

    def add(self) -> Worker:
        work = self.work / f"w{self.next_index}"
        self.next_index += 1
        work.mkdir()
        worker = Worker(work, self.bootstrap, timing_profile(self.group), mode="distributed")
        self.workers.append(worker)
        return worker

    @property
    def source_file(self) -> Path:
        return self.work / "input.txt"

    @property
    def sink_file(self) -> Path:
        return self.work / "output.txt"

    def write_lines(self, n: int) -> None:
        with open(self.source_file, "a", encoding="utf-8") as f:
            for i in range(self.lines_written, self.lines_written + n):
                f.write(f"line-{i:06d}\n")
        self.lines_written += n

    def expected(self) -> set[str]:
        return {f"line-{i:06d}" for i in range(self.lines_written)}

    def unit_pids(self) -> dict[tuple[str, int], tuple[int, int]]:
        """(connector, task) -> (worker index, pid) over every live worker's unit processes."""
        out: dict[tuple[str, int], tuple[int, int]] = {}
        for index, w in enumerate(self.workers):
            if w.proc is None or w.proc.poll() is not None:
                continue
            for pid in w.task_pids():
                try:
                    argv = psutil.Process(pid).cmdline()
                except psutil.Error:
                    continue
                args = dict(itertools.pairwise(argv))
                if args.get("--role") not in ("connector", "source_task", "sink_task"):
                    continue
                unit = (args.get("--connector", ""), int(args.get("--task", "-1")))
                assert unit not in out, f"unit {unit} runs twice: {out[unit]} and {(index, pid)}"
                out[unit] = (index, pid)
        return out

    def live(self) -> list[Worker]:
        return [w for w in self.workers if w.proc is not None and w.proc.poll() is None]


UNITS = {("src", -1), ("src", 0), ("sink", -1), *{("sink", i) for i in range(SINK_TASKS)}}


def all_running(cluster: Cluster) -> dict[tuple[str, int], tuple[int, int]] | None:
    """Every unit runs exactly once and every live worker reports both connectors RUNNING."""
    pids = cluster.unit_pids()
    if set(pids) != UNITS:
        return None
    for w in cluster.live():
        for name, tasks in (("src", 1), ("sink", SINK_TASKS)):
            status, body = w.rest.call("GET", f"/connectors/{name}/status")
            if status != 200 or body["connector"]["state"] != "RUNNING" or len(body["tasks"]) != tasks:
                return None
            if any(t["state"] != "RUNNING" for t in body["tasks"]):
                return None
    return pids


def sink_lines(cluster: Cluster) -> set[str]:
    try:
        return set(cluster.sink_file.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return set()


def topic_values(bootstrap: str, topic: str, partitions: int, expected: int) -> list[str]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4().hex}", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    values: list[str] = []
    deadline = time.monotonic() + 60
    while len(values) < expected and time.monotonic() < deadline:
        for msg in consumer.consume(1000, timeout=0.5):
            if msg.error() is None:
                values.append((msg.value() or b"").decode())
    consumer.close()
    return values


def _dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def moved(before: dict[Any, tuple[int, int]], after: dict[Any, tuple[int, int]]) -> list[Any]:
    return sorted(u for u in before if after.get(u) != before[u])


@pytest.fixture(scope="module")
def cluster(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    group = f"kc-dist-{uuid.uuid4().hex[:8]}"
    topic = f"{group}-data"
    admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap_servers})
    admin.create_topics([NewTopic(topic, num_partitions=SINK_TASKS, replication_factor=1)])[topic].result(30)
    c = Cluster(tmp_path_factory.mktemp("distributed"), kafka_broker.bootstrap_servers, group, topic)
    yield c
    for w in c.workers:
        if w.proc is not None and w.proc.poll() is None:
            w.stop(timeout=30)


def test_three_workers_run_connectors_created_through_one_worker(cluster: Cluster) -> None:
    started = time.monotonic()
    for _ in range(3):
        cluster.add().start(wait=False)
    for w in cluster.workers:
        w.wait_ready(timeout=90)
    wait_for(lambda: all(w.rest.call("GET", "/connectors")[0] == 200 for w in cluster.workers), 60, "joined workers")
    print(f"\n[distributed] 3 workers up and serving cluster reads after {time.monotonic() - started:.1f} s")

    cluster.write_lines(500)
    first = cluster.workers[1]
    t0 = time.monotonic()
    first.create(
        "src",
        {
            "connector.class": "FileStreamSource",
            "file": str(cluster.source_file),
            "topic": cluster.topic,
            "tasks.max": "1",
        },
    )
    first.create(
        "sink",
        {
            "connector.class": "FileStreamSink",
            "file": str(cluster.sink_file),
            "topics": cluster.topic,
            "tasks.max": str(SINK_TASKS),
        },
    )
    pids = wait_for(lambda: all_running(cluster), 120, "every unit RUNNING, seen from every worker")
    print(f"[distributed] 9 units running after {time.monotonic() - t0:.1f} s: {sorted(pids.items())}")
    per_worker = [sum(1 for i, _ in pids.values() if i == k) for k in range(3)]
    assert all(n >= 1 for n in per_worker), per_worker  # spread over the cluster, not all on one worker

    # Data flows: file -> Kafka (read back) -> file.
    values = topic_values(cluster.bootstrap, cluster.topic, SINK_TASKS, 500)
    assert set(values) == cluster.expected()
    wait_for(lambda: sink_lines(cluster) >= cluster.expected(), 60, "all lines in the sink file")

    # Every worker gives the same answer (statuses come from the status topic).
    answers = [w.rest.get("/connectors/sink/status") for w in cluster.live()]
    assert all(a == answers[0] for a in answers), answers
    owners = {t["worker_id"] for t in answers[0]["tasks"]}
    assert len(owners) >= 2, owners
    assert {w.rest.get("/connectors/src/config")["file"] for w in cluster.live()} == {str(cluster.source_file)}
    assert all(len(w.rest.get("/connectors/sink/tasks")) == SINK_TASKS for w in cluster.live())


def test_task_restart_through_another_worker_is_forwarded_to_the_owner(cluster: Cluster) -> None:
    before = wait_for(lambda: all_running(cluster), 60, "a settled cluster")
    owner_index, old_pid = before[("sink", 0)]
    other = next(w for i, w in enumerate(cluster.workers) if i != owner_index and w in cluster.live())
    status, body = other.rest.call("POST", "/connectors/sink/tasks/0/restart")
    assert status == 204, (status, body)
    after = wait_for(
        lambda: (now := all_running(cluster)) and now[("sink", 0)][1] != old_pid and now, 60, "sink-0 restarted"
    )
    assert after[("sink", 0)][0] == owner_index  # restarted in place, not moved
    assert moved(before, after) == [("sink", 0)]
    # A request that already took its last hop is not forwarded again (Java's forward=false).
    status, body = other.rest.call("POST", "/connectors/sink/tasks/0/restart?forward=false")
    assert status == 409, (status, body)


def test_join_moves_only_a_fair_share(cluster: Cluster) -> None:
    before = wait_for(lambda: all_running(cluster), 60, "a settled cluster")
    t0 = time.monotonic()
    cluster.add().start()
    newcomer = len(cluster.workers) - 1

    def joined() -> dict[Any, tuple[int, int]] | None:
        now = all_running(cluster)
        return now if now and any(i == newcomer for i, _ in now.values()) else None

    after = wait_for(joined, 120, "units on the new worker")
    time.sleep(2 * 0.5 + 1.0)  # a few heartbeats: nothing else may move once the join settled
    after = wait_for(lambda: all_running(cluster), 30, "a settled cluster")
    changed = moved(before, after)
    limit = math.ceil(len(UNITS) / len(cluster.live()))
    print(
        f"[distributed] join: {len(changed)} unit(s) moved {changed} in {time.monotonic() - t0:.1f} s (limit {limit})"
    )
    assert 1 <= len(changed) <= limit, changed
    assert all(after[u][0] == newcomer for u in changed), (changed, after)
    cluster.write_lines(100)
    wait_for(lambda: sink_lines(cluster) >= cluster.expected(), 60, "lines after the join in the sink file")


def test_graceful_leave_moves_only_the_leavers_units(cluster: Cluster) -> None:
    before = wait_for(lambda: all_running(cluster), 60, "a settled cluster")
    leaver = 0
    t0 = time.monotonic()
    assert cluster.workers[leaver].stop(timeout=60) == 0
    after = wait_for(lambda: all_running(cluster), 120, "every unit running again after the leave")
    changed = moved(before, after)
    print(f"[distributed] graceful leave: {len(changed)} unit(s) moved in {time.monotonic() - t0:.1f} s")
    assert set(changed) == {u for u, (i, _pid) in before.items() if i == leaver}
    cluster.write_lines(100)
    wait_for(lambda: sink_lines(cluster) >= cluster.expected(), 60, "lines after the leave in the sink file")


def test_kill9_then_quick_return_gets_its_units_back(cluster: Cluster) -> None:
    before = wait_for(lambda: all_running(cluster), 60, "a settled cluster")
    victim = next(
        i for i, w in enumerate(cluster.workers) if w in cluster.live() and any(k == i for k, _ in before.values())
    )
    lost = {u for u, (i, _pid) in before.items() if i == victim}
    t0 = time.monotonic()
    cluster.workers[victim].kill9()
    victim_pids = [pid for u, (i, pid) in before.items() if i == victim]
    wait_for(lambda: all(_dead(pid) for pid in victim_pids), 60, "the victim's orphaned unit processes to exit")
    cluster.workers[victim].start()  # same worker id (same advertised host:port), new incarnation
    after = wait_for(
        lambda: (now := all_running(cluster)) and all(now[u][0] == victim for u in lost) and now,
        120,
        "the victim's units back on the restarted worker",
    )
    took = time.monotonic() - t0
    print(f"[distributed] kill -9 + quick return: {len(lost)} unit(s) back on their worker after {took:.1f} s")
    assert set(moved(before, after)) == lost  # restarted processes, same worker; nothing else touched
    assert all(after[u][0] == before[u][0] for u in before)


def test_sigstop_of_a_supervisor_its_tasks_die_by_their_deadline(cluster: Cluster) -> None:
    before = wait_for(lambda: all_running(cluster), 60, "a settled cluster")
    frozen = next(
        i for i, w in enumerate(cluster.workers) if w in cluster.live() and any(k == i for k, _ in before.values())
    )
    lost = {u: pid for u, (i, pid) in before.items() if i == frozen}
    proc = cluster.workers[frozen].proc
    assert proc is not None
    t0 = time.monotonic()
    proc.send_signal(signal.SIGSTOP)
    try:
        # Nobody signals them: the kernel timer armed from the lease deadline kills the frozen worker's units.
        wait_for(lambda: all(_dead(pid) for pid in lost.values()), 60, "the frozen worker's unit processes to die")
        died = time.monotonic() - t0
        others = [w for i, w in enumerate(cluster.workers) if i != frozen and w in cluster.live()]

        def elsewhere() -> bool:
            pids = {u: v for u, v in cluster.unit_pids().items() if v[0] != frozen}
            return set(pids) == UNITS

        wait_for(elsewhere, 120, "the frozen worker's units running on the others")
        print(
            f"[distributed] SIGSTOP: the frozen worker's {len(lost)} unit process(es) died after {died:.1f} s, "
            f"units running elsewhere after {time.monotonic() - t0:.1f} s"
        )
        assert others
    finally:
        proc.send_signal(signal.SIGCONT)
    # Thawed, it finds its coordinator gone, rejoins, and the cluster settles with every unit once.
    wait_for(lambda: all_running(cluster), 120, "a settled cluster after SIGCONT")


def leader_index(cluster: Cluster) -> int:
    """The leader as every worker computes it: the referee folded over the coordination topic."""
    topic = f"{cluster.group}-configs-coordination"
    consumer = Consumer(
        {"bootstrap.servers": cluster.bootstrap, "group.id": f"check-{uuid.uuid4().hex}", "enable.auto.commit": False}
    )
    _, end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    consumer.assign([TopicPartition(topic, 0, 0)])
    triples: list[tuple[bytes, int, int]] = []
    while len(triples) < end:
        for msg in consumer.consume(1000, timeout=1.0):
            if msg.error() is None:
                triples.append((msg.value() or b"", msg.timestamp()[1], msg.offset() or 0))
    consumer.close()
    lead = ref.leader(ref.fold(triples))
    assert lead is not None
    return next(i for i, w in enumerate(cluster.workers) if lead.worker_id.endswith(f":{w.port}"))


def test_kill9_of_the_leader_units_move_only_after_the_scheduled_delay(cluster: Cluster) -> None:
    before = wait_for(lambda: all_running(cluster), 60, "a settled cluster")
    victim = leader_index(cluster)  # the new leader must keep the parks' broker-time deadlines (no reset)
    lost = {u for u, (i, _pid) in before.items() if i == victim}
    assert lost, "the leader runs no unit"
    t0 = time.monotonic()
    cluster.workers[victim].kill9()
    # Its orphaned unit processes notice the closed supervisor link (or their lease timer) and exit.
    victim_pids = [pid for u, (i, pid) in before.items() if i == victim]
    wait_for(lambda: all(_dead(pid) for pid in victim_pids), 60, "the victim's orphaned unit processes to exit")
    # Within the lease plus the delay the lost units stay parked: nobody else may run them yet.
    time.sleep(max(0.0, t0 + MAX_DELAY_MS / 2000.0 - time.monotonic()))
    assert not set(cluster.unit_pids()) & lost, "a lost unit moved before scheduled.rebalance.max.delay.ms"
    after = wait_for(lambda: all_running(cluster), 120, "the victim's units running elsewhere")
    moved_after = time.monotonic() - t0
    print(
        f"[distributed] kill -9 of the leader: {len(lost)} unit(s) back after {moved_after:.1f} s "
        f"(lease {LEASE_MS} ms + scheduled.rebalance.max.delay.ms {MAX_DELAY_MS} ms)"
    )
    assert set(moved(before, after)) == lost
    cluster.write_lines(100)
    wait_for(lambda: sink_lines(cluster) >= cluster.expected(), 60, "lines after the crash in the sink file")


def test_pause_resume_stop_delete_through_different_workers(cluster: Cluster) -> None:
    wait_for(lambda: all_running(cluster), 60, "a settled cluster")
    a, b = cluster.live()[:2]

    def states(w: Worker, name: str) -> list[str]:
        status, body = w.rest.call("GET", f"/connectors/{name}/status")
        if status != 200:
            return []
        return [body["connector"]["state"], *(t["state"] for t in body["tasks"])]

    assert (
        wait_for(lambda: (code := a.rest.call("PUT", "/connectors/sink/pause")[0]) != 409 and code, 30, "pause") == 202
    )
    wait_for(lambda: all(set(states(w, "sink")) == {"PAUSED"} for w in cluster.live()), 60, "sink PAUSED everywhere")
    assert b.rest.call("PUT", "/connectors/sink/resume")[0] == 202
    wait_for(lambda: all_running(cluster), 60, "sink RUNNING again")

    # KIP-745 restart through any worker: a restart-connector record; the workers running sink's units restart them.
    before = wait_for(lambda: all_running(cluster), 60, "a settled cluster")
    status, body = b.rest.call("POST", "/connectors/sink/restart?includeTasks=true")
    assert status == 202, (status, body)
    after = wait_for(
        lambda: (now := all_running(cluster)) and all(now[u] != before[u] for u in UNITS if u[0] == "sink") and now,
        60,
        "every sink unit restarted",
    )
    assert all(after[u] == before[u] for u in UNITS if u[0] == "src")
    assert all(after[u][0] == before[u][0] for u in UNITS)  # restarted where they ran

    assert wait_for(lambda: (code := a.rest.call("PUT", "/connectors/src/stop")[0]) != 409 and code, 30, "stop") == 204
    wait_for(lambda: not {u for u in cluster.unit_pids() if u[0] == "src"}, 60, "src processes gone")
    wait_for(lambda: all(states(w, "src") == ["STOPPED"] for w in cluster.live()), 60, "src STOPPED everywhere")

    # Source offsets live in the offsets topic: readable from any worker, reset through any worker (leader).
    offsets = a.rest.get("/connectors/src/offsets")["offsets"]
    assert offsets == [{"partition": {"filename": str(cluster.source_file)}, "offset": offsets[0]["offset"]}]
    assert offsets[0]["offset"]["position"] > 0
    reset = wait_for(lambda: (r := b.rest.call("DELETE", "/connectors/src/offsets"))[0] != 409 and r, 60, "reset")
    assert reset == (200, {"message": "The offsets for this connector have been reset successfully"})
    assert all(w.rest.get("/connectors/src/offsets") == {"offsets": []} for w in cluster.live())

    # The stop revoked src's units: while that revocation wave settles a write may get Java's 409; retry.
    deleted = wait_for(lambda: (code := b.rest.call("DELETE", "/connectors/src")[0]) != 409 and code, 30, "delete")
    assert deleted == 204
    wait_for(lambda: all(w.rest.get("/connectors") == ["sink"] for w in cluster.live()), 60, "src deleted everywhere")
    assert all(w.rest.call("GET", "/connectors/src/status")[0] == 404 for w in cluster.live())
    assert {u for u in cluster.unit_pids() if u[0] == "sink"} == {u for u in UNITS if u[0] == "sink"}


def test_kill9_with_no_delay_units_move_within_the_lease_and_never_overlap(
    kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """scheduled.rebalance.max.delay.ms=0: a crashed worker's units move once its lease ran out; judged from
    process lifetimes, no new process of a unit starts before the old one was seen dead."""
    group = f"kc-dist0-{uuid.uuid4().hex[:8]}"
    topic = f"{group}-data"
    admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap_servers})
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])[topic].result(30)
    work = tmp_path_factory.mktemp("distributed-nodelay")
    profile = {
        **timing_profile(group),
        "scheduled.rebalance.max.delay.ms": "0",
        "kconnect.coordination.restart.park.ms": "0",
    }
    workers = []
    for i in range(2):
        (work / f"w{i}").mkdir()
        workers.append(Worker(work / f"w{i}", kafka_broker.bootstrap_servers, profile, mode="distributed"))
    try:
        for w in workers:
            w.start(wait=False)
        for w in workers:
            w.wait_ready(timeout=90)
        wait_for(lambda: all(w.rest.call("GET", "/connectors")[0] == 200 for w in workers), 60, "joined workers")
        out = work / "out.txt"
        config = {"connector.class": "FileStreamSink", "file": str(out), "topics": topic, "tasks.max": "4"}
        assert workers[0].rest.call("POST", "/connectors", {"name": "s", "config": config})[0] == 201
        units = {("s", -1), *{("s", i) for i in range(4)}}

        def placed() -> dict[tuple[str, int], tuple[int, int]] | None:
            seen: dict[tuple[str, int], tuple[int, int]] = {}
            for index, w in enumerate(workers):
                if w.proc is None or w.proc.poll() is not None:
                    continue
                for pid in w.task_pids(connector="s"):
                    try:
                        args = dict(itertools.pairwise(psutil.Process(pid).cmdline()))
                    except psutil.Error:
                        continue
                    unit = ("s", int(args.get("--task", "-1")))
                    assert unit not in seen, f"{unit} runs twice"
                    seen[unit] = (index, pid)
            return seen if set(seen) == units else None

        before = wait_for(placed, 90, "every unit placed")
        victim = next(i for i, _ in before.values())
        victim_pids = {u: pid for u, (i, pid) in before.items() if i == victim}
        dead_seen: dict[int, float] = {}
        t0 = time.time()
        workers[victim].kill9()
        while len(dead_seen) < len(victim_pids) and time.time() - t0 < 60:
            for pid in victim_pids.values():
                if pid in dead_seen:
                    continue
                if _dead(pid):
                    dead_seen[pid] = time.time()
            time.sleep(0.02)
        assert len(dead_seen) == len(victim_pids), "orphaned unit processes did not exit"
        after = wait_for(
            lambda: (now := placed()) and all(now[u][0] != victim for u in victim_pids) and now,
            60,
            "the victim's units on the survivor",
        )
        moved_after = time.time() - t0
        for unit, old_pid in victim_pids.items():
            started = psutil.Process(after[unit][1]).create_time()
            assert started >= dead_seen[old_pid], f"{unit}: new process started before the old one was seen dead"
        print(
            f"\n[distributed] kill -9 with delay 0: {len(victim_pids)} unit(s) running on the survivor after "
            f"{moved_after:.1f} s (lease {LEASE_MS} ms); old processes gone within "
            f"{max(dead_seen.values()) - t0:.2f} s"
        )
    finally:
        for w in workers:
            if w.proc is not None and w.proc.poll() is None:
                w.stop(timeout=30)
