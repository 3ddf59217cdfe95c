"""The worker as a systemd service: sd_notify over a real datagram socket, journald-style logs.

No systemd runs here (no PID 1); the test plays systemd's part with the same primitives: a Unix
datagram socket named by NOTIFY_SOCKET (sender credentials checked as NotifyAccess=main does),
WATCHDOG_USEC, and a JOURNAL_STREAM that names the worker's stderr.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.support.notify_socket import NotifySocket
from tests.support.worker import Worker, count_lines, wait_for

pytestmark = pytest.mark.kafka


def _file_source_props(path: Path, name: str, source: Path, topic: str) -> Path:
    path.write_text(f"name={name}\nconnector.class=FileStreamSource\ntasks.max=1\nfile={source}\ntopic={topic}\n")
    return path


def _watchdogs(notify: NotifySocket) -> int:
    return sum("WATCHDOG=1" in n.lines for n in notify.received)


def test_ready_watchdog_stopping_in_order_and_no_pings_while_the_loop_is_wedged(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    source = tmp_path / "in.txt"
    source.write_text("".join(f"line-{i}\n" for i in range(100)))
    connectors = tmp_path / "connectors"
    connectors.mkdir()
    _file_source_props(connectors / "src.properties", "src", source, unique_topic)
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    # 1 s watchdog: the supervisor must ping every 0.5 s.
    worker = Worker(
        tmp_path, kafka_broker.bootstrap_servers, env={"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "1000000"}
    )
    try:
        worker.start(str(connectors), wait=False)  # a directory of connector files, as the unit passes
        assert worker.proc is not None
        ready = notify.wait_for("READY=1", 120)
        # READY=1 is sent only once /health answered: right now, with no waiting, it must answer.
        assert worker.rest.call("GET", "/health") == (
            200,
            {"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."},
        )
        assert ready.pid == worker.proc.pid
        wait_for(lambda: notify.receive(0.5) is not None and _watchdogs(notify) >= 3, 30, "three WATCHDOG=1 pings")
        wait_for(
            lambda: (
                notify.receive(0.5) is not None
                and any("STATUS=1 connector(s), 1 task(s): 1 running" in n.lines for n in notify.received)
            ),
            30,
            "a STATUS= line counting the running task",
        )

        # Wedge the main loop: the pings must stop, and /health (answered by that loop) turns unhealthy.
        pid = worker.proc.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            wait_for(lambda: psutil.Process(pid).status() == psutil.STATUS_STOPPED, 10, "stopped")
            notify.receive(0.2)  # anything sent before the stop took effect
            health: dict[str, Any] = {}
            probe = threading.Thread(target=lambda: health.update(answer=worker.rest.call("GET", "/health")))
            probe.start()
            before = len(notify.received)
            while probe.is_alive():  # /health waits 10 s for the loop: 20 watchdog intervals
                notify.receive(0.5)
            probe.join()
            during = notify.received[before:]
            assert during == [], during
            assert (health["answer"][0], health["answer"][1]["status"]) == (500, "unhealthy"), health
        finally:
            os.kill(pid, signal.SIGCONT)
        pings_before = _watchdogs(notify)
        wait_for(lambda: notify.receive(0.5) is not None and _watchdogs(notify) > pings_before, 30, "pings resume")
        # The worker really works meanwhile: the source moved its lines into Kafka.
        wait_for(lambda: worker.status("src")["tasks"][0]["state"] == "RUNNING", 30, "task RUNNING")
    finally:
        assert worker.stop() == 0, worker.log_tail()
        notify.receive(0.5)
        notify.close()

    kinds = [line for n in notify.received for line in n.lines if line in ("READY=1", "WATCHDOG=1", "STOPPING=1")]
    assert (kinds.count("READY=1"), kinds.count("STOPPING=1")) == (1, 1), kinds
    ready_at, stopping_at = kinds.index("READY=1"), kinds.index("STOPPING=1")
    assert ready_at < kinds.index("WATCHDOG=1", ready_at) < stopping_at, kinds
    # Only the supervisor speaks: gunicorn and task processes never see NOTIFY_SOCKET.
    assert {n.pid for n in notify.received} == {worker.proc.pid}


def test_abstract_notify_socket_gets_ready(tmp_path: Path, kafka_broker: KafkaBroker) -> None:
    notify = NotifySocket(f"@kconnect-test-{os.getpid()}-{tmp_path.name}")
    worker = Worker(tmp_path, kafka_broker.bootstrap_servers, env={"NOTIFY_SOCKET": notify.address})
    try:
        worker.start(wait=False)
        assert worker.proc is not None
        assert notify.wait_for("READY=1", 120).pid == worker.proc.pid
        assert worker.rest.get("/health")["status"] == "healthy"
    finally:
        worker.stop()
        notify.receive(0.3)
        notify.close()
    assert any("STOPPING=1" in n.lines for n in notify.received)
    assert not any("WATCHDOG=1" in n.lines for n in notify.received)  # no WATCHDOG_USEC, no pings


def _topic_values(broker: KafkaBroker, topic: str, expected: int, timeout: float = 60) -> list[str]:
    """Every value in ``topic`` once ``expected`` arrived and another second brought nothing new."""
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": f"check-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    out: list[str] = []
    deadline = time.monotonic() + timeout
    quiet_until: float | None = None
    try:
        while time.monotonic() < deadline:
            batch = [m for m in consumer.consume(1000, 0.5) if m.error() is None]
            out.extend((m.value() or b"").decode() for m in batch)
            if batch:
                quiet_until = None
            if len(out) >= expected:
                quiet_until = quiet_until or time.monotonic() + 1.0
                if time.monotonic() >= quiet_until:
                    break
    finally:
        consumer.close()
    return out


def test_sigusr2_restarts_in_place_reloading_then_ready_again(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    """Standalone restart in place: RELOADING=1, graceful stop (source offsets saved), re-exec of the same
    command line in the same process (the connector directory is read again: a file added meanwhile starts),
    READY=1 again from the same pid. Every source line reaches Kafka exactly once across the restart."""
    kafka_broker.create_topic(unique_topic, partitions=1)
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("".join(f"a-{i}\n" for i in range(100)))
    second.write_text("".join(f"b-{i}\n" for i in range(30)))
    connectors = tmp_path / "connectors"
    connectors.mkdir()
    _file_source_props(connectors / "a.properties", "a", first, unique_topic)
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    worker = Worker(
        tmp_path, kafka_broker.bootstrap_servers, env={"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "4000000"}
    )
    try:
        worker.start(str(connectors), wait=False)
        assert worker.proc is not None
        pid = worker.proc.pid
        notify.wait_for("READY=1", 120)
        assert len(_topic_values(kafka_broker, unique_topic, 100)) == 100
        (task_pid,) = worker.task_pids("a", "source_task")
        time.sleep(1.0)  # offset.flush.interval.ms = 500: the source's position is flushed
        _file_source_props(connectors / "b.properties", "b", second, unique_topic)  # read at the re-exec

        os.kill(pid, signal.SIGUSR2)
        reloading = notify.wait_for("RELOADING=1", 30)
        assert reloading.pid == pid
        assert any(line.startswith("MONOTONIC_USEC=") for line in reloading.lines), reloading
        ready = notify.wait_for("READY=1", 120)
        assert ready.pid == pid  # the same process: systemd's main PID does not change
        assert worker.proc.poll() is None
        assert worker.rest.get("/health")["status"] == "healthy"
        assert sorted(worker.rest.get("/connectors")) == ["a", "b"]
        wait_for(lambda: len(worker.task_pids(None, "source_task")) == 2, 30, "both source tasks running")
        assert task_pid not in worker.task_pids("a", "source_task")
        with first.open("a") as f:
            f.write("".join(f"a-{i}\n" for i in range(100, 120)))
        values = _topic_values(kafka_broker, unique_topic, 150)
        assert sorted(values) == sorted([f"a-{i}" for i in range(120)] + [f"b-{i}" for i in range(30)])
        assert worker.log_tail(400).count("Restarting in place: exec") == 1
    finally:
        assert worker.stop() == 0, worker.log_tail()
        notify.receive(0.5)
        notify.close()
    kinds = [
        line
        for n in notify.received
        for line in n.lines
        if line in ("READY=1", "RELOADING=1", "STOPPING=1") and n.pid == pid
    ]
    assert kinds == ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"], kinds
    assert {n.pid for n in notify.received} == {pid}


_PRIORITY = re.compile(r"^<([0-7])>")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def test_journald_lines_carry_priority_and_connector_task_tags(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    log = tmp_path / "worker.log"
    log.touch()
    st = log.stat()  # the worker's stdout/stderr is this file: tell it it is the journal stream
    worker = Worker(tmp_path, kafka_broker.bootstrap_servers, env={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
    source = tmp_path / "in.txt"
    source.write_text("".join(f"line-{i}\n" for i in range(50)))
    out = tmp_path / "out.txt"
    try:
        worker.start()
        worker.create(
            "src", {"connector.class": "FileStreamSource", "tasks.max": "1", "file": str(source), "topic": unique_topic}
        )
        worker.create(
            "sink",
            {"connector.class": "FileStreamSink", "tasks.max": "1", "file": str(out), "topics": unique_topic},
        )
        # A task that fails in start(): its ERROR line and traceback must carry <3> and the tag.
        worker.create(
            "broken",
            {
                "connector.class": "FileStreamSink",
                "tasks.max": "1",
                "file": str(tmp_path / "no-such-dir" / "out.txt"),
                "topics": unique_topic,
                "kconnect.task.restart.enable": "false",
            },
        )
        # A task whose producer cannot reach its broker: librdkafka's own error lines (raw
        # "%3|...|FAIL|rdkafka#producer-1|..." on stderr by default) must be tagged and prioritised too.
        worker.create(
            "unreachable",
            {
                "connector.class": "FileStreamSource",
                "tasks.max": "1",
                "file": str(source),
                "topic": unique_topic,
                "producer.override.bootstrap.servers": "127.0.0.1:1",
            },
        )
        wait_for(lambda: count_lines(out) >= 50, 60, "records through Kafka into the sink file")
        wait_for(lambda: worker.status("broken")["tasks"][0]["state"] == "FAILED", 60, "broken task FAILED")
        wait_for(
            lambda: any(
                "[unreachable|task-0]" in line and "kconnect.librdkafka" in line
                for line in log.read_text().splitlines()
            ),
            60,
            "librdkafka's connection errors in the task's tagged lines",
        )
    finally:
        worker.stop()
    lines = log.read_text().splitlines()
    unprefixed = [line for line in lines if not _PRIORITY.match(line)]
    assert unprefixed == [], unprefixed[:10]
    assert not [line for line in lines if _TIMESTAMP.search(line)], "journald adds its own timestamps"
    assert any(line.startswith("<6>INFO [supervisor] ") for line in lines)
    assert any(line.startswith("<6>INFO [src|task-0] Starting source task") for line in lines), lines[:40]
    broken = [line for line in lines if "[broken|task-0]" in line]
    assert any(line.startswith("<3>ERROR [broken|task-0] ") for line in broken), broken
    assert any(line.startswith("<3>[broken|task-0] | Traceback") for line in broken), broken
    # The supervisor's lines about a task carry the task's tag too, so one grep shows its whole story.
    assert any(line.startswith("<6>INFO [supervisor] [src|task-0] Started task src-0 as pid ") for line in lines)
    assert any(
        line.startswith("<3>ERROR [supervisor] [broken|task-0] Task broken-0 failed and will not be restarted")
        for line in broken
    ), broken
    about_broken = [line for line in lines if re.search(r"\b[Tt]ask broken-0\b", line)]
    assert about_broken, lines[:40]
    assert all("[broken|task-0]" in line for line in about_broken), about_broken
    rdkafka = [line for line in lines if "(kconnect.librdkafka)" in line]
    assert any(line.startswith("<3>ERROR [unreachable|task-0] ") for line in rdkafka), rdkafka[:5]
    assert not [line for line in lines if re.match(r"^%\d\|", line)], "raw librdkafka lines"


def test_distributed_worker_is_ready_only_once_it_joined_the_cluster(tmp_path: Path, kafka_broker: KafkaBroker) -> None:
    """READY=1 of a distributed worker means joined: the join is logged before READY=1 arrives."""
    from tests.integration.test_distributed import timing_profile

    notify = NotifySocket(str(tmp_path / "notify.sock"))
    group = f"kc-ready-{os.getpid()}-{tmp_path.name}"[:60]
    worker = Worker(
        tmp_path,
        kafka_broker.bootstrap_servers,
        timing_profile(group),
        mode="distributed",
        env={"NOTIFY_SOCKET": notify.address},
    )
    try:
        worker.start(wait=False)
        assert worker.proc is not None
        ready = notify.wait_for("READY=1", 120)
        log_at_ready = worker.log_tail(2000)
        assert ready.pid == worker.proc.pid
        assert re.search(r"Worker \S+ joined the cluster", log_at_ready), log_at_ready[-3000:]
        assert worker.rest.get("/health")["status"] == "healthy"
    finally:
        worker.stop()
        notify.receive(0.3)
        notify.close()
    assert any("STOPPING=1" in n.lines for n in notify.received)
