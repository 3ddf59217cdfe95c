"""Per-task resource limits with a real broker and a real worker.

A task that allocates past its memory limit inside C code is killed (by the kernel in a cgroup, or
by the supervisor's RSS watchdog where no cgroup is writable) and reported FAILED with the reason,
while another connector's tasks keep running and their records keep arriving in Kafka. Whichever
mechanism the machine offers is the one tested, and the test prints it: nothing is skipped.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.supervisor.limits import CGROUP_V1, CGROUP_V2, RSS_WATCHDOG, read_keyed, read_layout
from tests.integration.test_metrics import scrape, value
from tests.support.worker import Worker, wait_for

pytestmark = pytest.mark.kafka

PROBE = "tests.support.plugins.LimitProbeSourceConnector"
MIB = 1024 * 1024
LIMIT = 256 * MIB
HOG = 1024 * MIB


def probe(topic: str, mode: str, **extra: str) -> dict[str, str]:
    return {"connector.class": PROBE, "tasks.max": "1", "topic": topic, "mode": mode, **extra}


def mechanism_of(worker: Worker) -> str:
    """The mechanism the worker announced at start (INFO line of kconnect.supervisor.limits)."""
    line = wait_for(
        lambda: re.search(r"Per-task resource limits: (cgroup v2|cgroup v1|RSS watchdog)", worker.log_tail(400)),
        30,
        "the worker's limit mechanism line",
    )
    return str(line.group(1))


def values_after(broker: KafkaBroker, topic: str, offset: int, timeout: float = 10) -> list[str]:
    """Values of partition 0 of ``topic`` from ``offset``, read until idle or ``timeout``."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": f"limits-{time.time_ns()}",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, offset)])
    out: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            msgs = consumer.consume(1000, 0.5)
            if not msgs and out:
                break
            out.extend(m.value().decode() for m in msgs if m.error() is None and m.value() is not None)
    finally:
        consumer.close()
    return out


def end_offset(broker: KafkaBroker, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": f"limits-{time.time_ns()}"})
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1])
    finally:
        consumer.close()


def task_state(worker: Worker, name: str, task: int = 0) -> dict[str, Any]:
    tasks = worker.status(name)["tasks"]
    return next((t for t in tasks if t["id"] == task), {})


def kernel_or_watchdog(mechanism: str) -> str:
    if mechanism == RSS_WATCHDOG:
        return f"killed by the supervisor ({RSS_WATCHDOG}"
    return f"killed by the kernel ({mechanism})"


@pytest.fixture
def topics(kafka_broker: KafkaBroker, unique_topic: str) -> tuple[str, str]:
    steady, hog = f"{unique_topic}-steady", f"{unique_topic}-hog"
    kafka_broker.create_topic(steady, partitions=1)
    kafka_broker.create_topic(hog, partitions=1)
    return steady, hog


def _hog_killed_alone(tmp_path: Path, broker: KafkaBroker, topics: tuple[str, str], extra: dict[str, str]) -> str:
    steady_topic, hog_topic = topics
    worker = Worker(tmp_path, broker.bootstrap_servers, {"kconnect.task.memory.max.bytes": str(LIMIT), **extra})
    try:
        worker.start()
        mechanism = mechanism_of(worker)
        print(f"\nper-task limit mechanism exercised: {mechanism}")
        worker.create("steady", {**probe(steady_topic, "count"), "tasks.max": "2"})
        wait_for(lambda: len(worker.task_pids("steady", role="source_task")) == 2, 60, "two steady task processes")
        steady_pids = sorted(worker.task_pids("steady", role="source_task"))
        wait_for(lambda: end_offset(broker, steady_topic) > 0, 60, "records from the steady tasks")

        worker.create(
            "hog", {**probe(hog_topic, "hog", **{"hog.bytes": str(HOG)}), "kconnect.task.restart.enable": "false"}
        )
        failed = wait_for(
            lambda: (t := task_state(worker, "hog")).get("state") == "FAILED" and t,
            90,
            "the hog task FAILED",
        )
        trace = failed["trace"]
        print(f"hog task trace: {trace}")
        assert f"exceeded its memory limit of {LIMIT} bytes (kconnect.task.memory.max.bytes)" in trace, trace
        assert kernel_or_watchdog(mechanism) in trace, trace
        assert values_after(broker, hog_topic, 0) == ["hog-0-started"]  # it ran, then died allocating
        assert "still alive after allocating" not in worker.log_tail(400) or mechanism == RSS_WATCHDOG

        # The neighbours were not touched: same processes, RUNNING, and their records keep coming.
        status = worker.status("steady")
        assert [t["state"] for t in status["tasks"]] == ["RUNNING", "RUNNING"], status
        assert sorted(worker.task_pids("steady", role="source_task")) == steady_pids
        assert worker.status("hog")["connector"]["state"] == "RUNNING"
        mark = end_offset(broker, steady_topic)
        fresh = wait_for(
            lambda: (
                (v := values_after(broker, steady_topic, mark))
                and {x.split("-")[0] for x in v} == {"0", "1"}
                and len(v) >= 40
                and v
            ),
            60,
            "new records from both steady tasks after the kill",
        )
        assert all(re.fullmatch(r"[01]-\d+", v) for v in fresh)
        return mechanism
    finally:
        assert worker.stop() == 0, worker.log_tail()


def test_task_past_its_memory_limit_is_killed_alone_and_reported(
    tmp_path: Path, kafka_broker: KafkaBroker, topics: tuple[str, str]
) -> None:
    mechanism = _hog_killed_alone(tmp_path, kafka_broker, topics, {})
    assert mechanism in (CGROUP_V2, CGROUP_V1, RSS_WATCHDOG)


@pytest.mark.parametrize("choice", ["auto", "watchdog"])
def test_a_task_killed_for_its_limit_is_restarted_by_the_policy_then_failed(
    tmp_path: Path, kafka_broker: KafkaBroker, topics: tuple[str, str], choice: str
) -> None:
    """The restart policy applies to a limit kill, whoever killed: the mechanism the machine offers
    (``auto``: the kernel in a cgroup here) and the fallback forced (the supervisor reads the RSS)."""
    _, hog_topic = topics
    worker = Worker(
        tmp_path,
        kafka_broker.bootstrap_servers,
        {"kconnect.task.memory.max.bytes": str(LIMIT), "kconnect.task.limits.mechanism": choice},
    )
    try:
        worker.start()
        mechanism = mechanism_of(worker)
        print(f"\nper-task limit mechanism exercised: {mechanism}")
        if choice == "watchdog":
            assert mechanism == RSS_WATCHDOG
        worker.create(
            "hog",
            {
                **probe(hog_topic, "hog", **{"hog.bytes": str(HOG)}),
                "kconnect.task.restart.max.attempts": "1",
                "kconnect.task.cpu.quota": "0.5",
            },
        )
        wait_for(
            lambda: "Task hog-0 failed and will not be restarted automatically" in worker.log_tail(400),
            120,
            "the restart policy to give up",
        )
        log = worker.log_tail(400)
        assert len(re.findall(r"Started task hog-0 as pid \d+", log)) == 2, log  # first run + one restart
        assert len(re.findall(r"Task hog-0 failed \(Task process exceeded its memory limit", log)) == 1, log
        if mechanism == RSS_WATCHDOG:
            assert "kconnect.task.cpu.quota=0.5 is unsupported with RSS watchdog" in log
        failed = task_state(worker, "hog")
        assert failed["state"] == "FAILED", failed
        assert f"exceeded its memory limit of {LIMIT} bytes (kconnect.task.memory.max.bytes)" in failed["trace"]
        assert kernel_or_watchdog(mechanism) in failed["trace"], failed["trace"]
        if mechanism == RSS_WATCHDOG:
            assert f"killed by the supervisor ({RSS_WATCHDOG}: RSS was " in failed["trace"]
        assert values_after(kafka_broker, hog_topic, 0) == ["hog-0-started", "hog-0-started"]
        # The metrics tell the same story: two limit kills of task hog-0, one restart, FAILED.
        hog = {"connector": "hog", "task": "0"}
        samples = scrape(worker)
        assert value(samples, "kconnect_task_exits_total", reason="memory_limit", **hog) == 2
        assert value(samples, "kconnect_task_last_exit_info", reason="memory_limit", **hog) == 1
        assert value(samples, "kconnect_task_restarts_total", **hog) == 1
        assert value(samples, "kconnect_task_status", state="failed", **hog) == 1
    finally:
        assert worker.stop() == 0, worker.log_tail()


def test_cpu_quota_throttles_the_task(tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    worker = Worker(tmp_path, kafka_broker.bootstrap_servers)
    try:
        worker.start()
        mechanism = mechanism_of(worker)
        print(f"\nper-task limit mechanism exercised: {mechanism}")
        worker.create("spin", {**probe(unique_topic, "spin"), "kconnect.task.cpu.quota": "0.1"})
        wait_for(lambda: task_state(worker, "spin").get("state") == "RUNNING", 60, "the spinning task RUNNING")
        wait_for(lambda: len(values_after(kafka_broker, unique_topic, 0, 5)) >= 2, 60, "records from the task")
        if mechanism == RSS_WATCHDOG:
            # No cgroup here: the quota cannot be enforced, and the worker says so.
            assert "kconnect.task.cpu.quota=0.1 is unsupported with RSS watchdog" in worker.log_tail(400)
            return
        (pid,) = worker.task_pids("spin", role="source_task")
        layout = read_layout(pid)
        group = layout.v2_dir if mechanism == CGROUP_V2 else layout.v1_dirs["cpu"]
        assert group is not None, layout
        assert "/kconnect-" in group, layout  # the task runs in its own group under the worker's
        if mechanism == CGROUP_V1:
            assert Path(group, "cpu.cfs_quota_us").read_text().strip() == "10000"
        else:
            assert Path(group, "cpu.max").read_text().split() == ["10000", "100000"]
        stat = wait_for(
            lambda: (s := read_keyed(str(Path(group, "cpu.stat")))).get("nr_throttled", 0) > 0 and s,
            60,
            "throttling in cpu.stat",
        )
        print(f"cpu.stat of the task's group: {stat}")
        assert task_state(worker, "spin")["state"] == "RUNNING"
    finally:
        assert worker.stop() == 0, worker.log_tail()
