"""Rebalance and coordination metrics of real distributed workers (docs/metrics.md, issue #5).

Two ``kconnect distributed`` workers run a sink connector with four tasks on the real broker; both are scraped:
each completed at least one rebalance and follows an assignment generation > 0, exactly one is the leader, the
assigned units add up to the connector's, and each task's series are on the one worker running it. A third worker
joins: the generation, the completed rebalances and the protocol counters of the first two move, and the units are
spread over three workers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import KafkaBroker
from tests.integration.test_distributed import timing_profile
from tests.integration.test_metrics import Samples, scrape, value
from tests.support.worker import Worker, wait_for

TASKS = 4


def metric(s: Samples, name: str) -> float:
    v = value(s, name)
    assert v is not None, f"{name} is missing"
    return v


class Workers:
    def __init__(self, work: Path, bootstrap: str) -> None:
        self.work, self.bootstrap = work, bootstrap
        self.group = f"kc-rbm-{uuid.uuid4().hex[:8]}"
        self.all: list[Worker] = []

    def add(self) -> Worker:
        work = self.work / f"w{len(self.all)}"
        work.mkdir()
        w = Worker(work, self.bootstrap, timing_profile(self.group), mode="distributed")
        self.all.append(w)
        return w


@pytest.fixture
def workers(tmp_path: Path, kafka_broker: KafkaBroker) -> Iterator[Workers]:
    ws = Workers(tmp_path, kafka_broker.bootstrap_servers)
    try:
        yield ws
    finally:
        for w in ws.all:
            if w.proc is not None and w.proc.poll() is None:
                w.stop(timeout=30)


def running_tasks(s: Samples) -> list[str]:
    """The task numbers this worker's kconnect_task_status shows RUNNING."""
    return sorted(
        dict(ls)["task"]
        for (n, ls), v in s.items()
        if n == "kconnect_task_status" and ("state", "running") in ls and v == 1
    )


def tasks_each_running_once(ws: Workers) -> list[Samples] | None:
    """Like Java, a worker has task series only for the tasks it runs: together they show each task once."""
    scrapes = settled(ws)
    if scrapes is None or sorted(t for s in scrapes for t in running_tasks(s)) != [str(i) for i in range(TASKS)]:
        return None
    return scrapes


def settled(ws: Workers) -> list[Samples] | None:
    """One scrape per worker once every worker is converged and the units add up (else None)."""
    scrapes = [scrape(w) for w in ws.all]
    if any(value(s, "kconnect_rebalance_in_progress") != 0 for s in scrapes):
        return None
    if sum(value(s, "kconnect_coordinator_assigned_tasks") or 0 for s in scrapes) != TASKS:
        return None
    if sum(value(s, "kconnect_coordinator_assigned_connectors") or 0 for s in scrapes) != 1:
        return None
    return scrapes


def test_rebalance_metrics_of_two_workers_move_when_a_third_joins(
    workers: Workers, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=TASKS)
    for _ in range(2):
        workers.add().start(wait=False)
    for w in workers.all:
        w.wait_ready(timeout=90)
    wait_for(lambda: all(w.rest.call("GET", "/connectors")[0] == 200 for w in workers.all), 60, "joined workers")
    workers.all[0].create(
        "sink",
        {
            "connector.class": "FileStreamSink",
            "file": str(workers.work / "out.txt"),
            "topics": unique_topic,
            "tasks.max": str(TASKS),
        },
    )
    before = wait_for(
        lambda: tasks_each_running_once(workers), 60, "two workers converged on 1 connector and 4 tasks", interval=0.5
    )
    for s in before:
        assert metric(s, "kconnect_rebalance_completed_total") >= 1
        assert metric(s, "kconnect_rebalance_duration_seconds_count") == metric(s, "kconnect_rebalance_completed_total")
        assert metric(s, "kconnect_rebalance_epoch") > 0
        assert metric(s, "kconnect_rebalance_last_completed_timestamp_seconds") > 0
        assert metric(s, "kconnect_coordinator_members") == 2
        assert metric(s, "kconnect_coordinator_heartbeats_total") >= 1
        assert metric(s, "kconnect_coordinator_records_read_total") > metric(s, "kconnect_coordinator_heartbeats_total")
        assert metric(s, "kconnect_coordinator_lease_remaining_seconds") > 0
        assert metric(s, "kconnect_coordinator_self_fences_total") == 0
    assert sorted(metric(s, "kconnect_coordinator_leader") for s in before) == [0, 1]
    assert all(metric(s, "kconnect_coordinator_assigned_tasks") >= 1 for s in before)  # spread over both
    assert [len(running_tasks(s)) for s in before] == [metric(s, "kconnect_coordinator_assigned_tasks") for s in before]

    workers.add().start()

    def moved() -> list[Samples] | None:
        scrapes = tasks_each_running_once(workers)
        if scrapes is None or any(metric(s, "kconnect_coordinator_members") != 3 for s in scrapes):
            return None
        if any(metric(s, "kconnect_coordinator_assigned_tasks") == 0 for s in scrapes):
            return None
        for old, new in zip(before, scrapes, strict=False):
            if metric(new, "kconnect_rebalance_epoch") <= metric(old, "kconnect_rebalance_epoch"):
                return None
            if metric(new, "kconnect_rebalance_completed_total") <= metric(old, "kconnect_rebalance_completed_total"):
                return None
        return scrapes

    after = wait_for(moved, 60, "a rebalance over three workers seen in every worker's metrics", interval=0.5)
    for old, new in zip(before, after, strict=False):
        for name in ("kconnect_coordinator_records_read_total", "kconnect_coordinator_records_written_total"):
            assert metric(new, name) > metric(old, name), name
    assert sorted(metric(s, "kconnect_coordinator_leader") for s in after) == [0, 0, 1]
    newcomer = after[2]
    assert metric(newcomer, "kconnect_rebalance_completed_total") >= 1
    assert metric(newcomer, "kconnect_rebalance_epoch") == metric(after[0], "kconnect_rebalance_epoch")
