"""The standalone worker end to end: real broker, real task processes, data read back."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest
from confluent_kafka import Consumer

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.support.worker import Worker, count_lines, wait_for

pytestmark = pytest.mark.kafka


def topic_values(broker: KafkaBroker, topic: str, expected: int, timeout: float = 60) -> list[bytes]:
    """Read a topic from the beginning until ``expected`` records arrived (or time is up)."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": f"check-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    out: list[bytes] = []
    deadline = time.monotonic() + timeout
    idle_until = None
    try:
        while time.monotonic() < deadline:
            msgs = consumer.consume(10000, 0.5)
            out.extend(m.value() for m in msgs if m.error() is None)
            if len(out) >= expected:
                # keep reading a little to catch any unexpected extra records
                idle_until = idle_until or time.monotonic() + 1.0
                if time.monotonic() >= idle_until:
                    break
    finally:
        consumer.close()
    return out


def file_source(name: str, path: Path, topic: str, **extra: str) -> dict[str, str]:
    return {"connector.class": "FileStreamSource", "tasks.max": "1", "file": str(path), "topic": topic, **extra}


def file_sink(name: str, path: Path, topic: str, **extra: str) -> dict[str, str]:
    return {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "tasks.max": "1",
        "file": str(path),
        "topics": topic,
        **extra,
    }


@pytest.fixture
def worker(tmp_path: Path, kafka_broker: KafkaBroker) -> Worker:
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    yield w  # type: ignore[misc]
    w.stop()


def test_100k_lines_file_to_topic_to_file_complete_and_in_order(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    lines = [f"line-{i:06d} ünïcødé" for i in range(100_000)]
    src = tmp_path / "in.txt"
    src.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    out = tmp_path / "out.txt"
    worker.start()
    worker.create("src", file_source("src", src, unique_topic))
    worker.create("sink", file_sink("sink", out, unique_topic))
    wait_for(lambda: count_lines(out) >= len(lines), 120, "all lines in the sink file")
    assert out.read_text(encoding="utf-8").splitlines() == lines
    values = topic_values(kafka_broker, unique_topic, len(lines))
    assert [v.decode() for v in values] == lines
    status = worker.status("src")
    assert status["connector"]["state"] == "RUNNING"
    assert [t["state"] for t in status["tasks"]] == ["RUNNING"]
    assert status["type"] == "source"


def test_kill_9_of_a_task_process_restarts_it_and_loses_nothing(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    src = tmp_path / "in.txt"
    out = tmp_path / "out.txt"
    total = 0
    with open(src, "w") as f:
        for _ in range(20_000):
            f.write(f"r{total}\n")
            total += 1
    worker.start()
    worker.create("src", file_source("src", src, unique_topic))
    worker.create("sink", file_sink("sink", out, unique_topic))
    wait_for(lambda: count_lines(out) > 1000, 60, "the sink to start writing")
    victims = {"source": worker.task_pids("src", "source_task"), "sink": worker.task_pids("sink", "sink_task")}
    assert len(victims["source"]) == 1
    assert len(victims["sink"]) == 1
    for pid in victims["source"] + victims["sink"]:
        os.kill(pid, signal.SIGKILL)

    # The status shows the cause until the restart; then both run again in new processes.
    def restarted() -> bool:
        s, k = worker.task_pids("src", "source_task"), worker.task_pids("sink", "sink_task")
        return bool(s and k and s != victims["source"] and k != victims["sink"])

    wait_for(restarted, 30, "both task processes to be restarted")
    # Append more data mid-flight; every line must arrive (duplicates allowed, loss not).
    with open(src, "a") as f:
        for _ in range(20_000):
            f.write(f"r{total}\n")
            total += 1
    before = time.monotonic()
    wait_for(lambda: len(set(out.read_text().splitlines())) >= total, 60, "every line after the restart")
    resumed_in = time.monotonic() - before
    got = out.read_text().splitlines()
    assert set(got) == {f"r{i}" for i in range(total)}
    print(f"sink caught up {resumed_in:.1f} s after the restart; {len(got) - total} duplicate lines")
    for name in ("src", "sink"):
        wait_for(lambda n=name: worker.status(n)["tasks"][0]["state"] == "RUNNING", 30, f"{name} RUNNING")


def test_failed_status_carries_the_signal_when_restarts_are_off(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, {"kconnect.task.restart.enable": "false"})
    try:
        w.start()
        src = tmp_path / "in.txt"
        src.write_text("a\n")
        w.create("src", file_source("src", src, unique_topic))
        wait_for(lambda: w.task_pids("src", "source_task"), 30, "the task process")
        wait_for(lambda: w.status("src")["tasks"][0]["state"] == "RUNNING", 30, "RUNNING")
        os.kill(w.task_pids("src", "source_task")[0], signal.SIGKILL)
        task = wait_for(lambda: (t := w.status("src")["tasks"][0])["state"] == "FAILED" and t, 30, "FAILED status")
        assert "SIGKILL" in task["trace"]
        time.sleep(1.5)  # with restarts off it must stay FAILED (Kafka Connect's behaviour)
        assert w.status("src")["tasks"][0]["state"] == "FAILED"
        assert w.task_pids("src", "source_task") == []
    finally:
        w.stop()


def test_stop_and_start_resumes_source_offsets_without_rereading(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    src = tmp_path / "in.txt"
    src.write_text("".join(f"first-{i}\n" for i in range(5000)))
    conn = tmp_path / "src.properties"
    conn.write_text("".join(f"{k}={v}\n" for k, v in {"name": "src", **file_source("src", src, unique_topic)}.items()))
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    w.start(str(conn))
    assert len(topic_values(kafka_broker, unique_topic, 5000)) == 5000
    assert w.stop() == 0
    with open(src, "a") as f:
        f.write("".join(f"second-{i}\n" for i in range(3000)))
    w2 = Worker(tmp_path, kafka_broker.bootstrap_servers)
    w2.start(str(conn))
    try:
        values = [v.decode() for v in topic_values(kafka_broker, unique_topic, 8000)]
        assert values == [f"first-{i}" for i in range(5000)] + [f"second-{i}" for i in range(3000)]
    finally:
        w2.stop()


def test_invalid_rest_config_is_a_400_with_per_field_messages_and_the_worker_keeps_running(
    tmp_path: Path, worker: Worker
) -> None:
    worker.start()
    status, body = worker.rest.call(
        "POST", "/connectors", {"name": "bad", "config": {"connector.class": "FileStreamSource", "tasks.max": "0"}}
    )
    assert status == 400
    assert body["error_code"] == 400
    assert body["message"].startswith("Connector configuration is invalid and contains the following 2 error(s):")
    assert 'Missing required configuration "topic" which has no default value.' in body["message"]
    assert "Invalid value 0 for configuration tasks.max: Value must be at least 1" in body["message"]
    status, body = worker.rest.call("POST", "/connectors", {"name": "bad", "config": {"connector.class": "Nope"}})
    assert status == 400
    assert "Failed to find any class that implements Connector" in body["message"]
    status, body = worker.rest.call("POST", "/connectors", {"name": "bad", "config": {"tasks.max": "1"}})
    # Java prints the config map in HashMap order in this message.
    assert (status, body["message"]) == (400, "Connector config {name=bad, tasks.max=1} contains no connector type")
    assert worker.rest.get("/connectors") == []
    status, body = worker.rest.call("GET", "/connectors/bad/status")
    assert (status, body) == (404, {"error_code": 404, "message": "No status found for connector bad"})


def test_invalid_connector_file_stops_the_worker_with_exit_code_3(tmp_path: Path, kafka_broker: KafkaBroker) -> None:
    conn = tmp_path / "bad.properties"
    conn.write_text("name=bad\nconnector.class=FileStreamSource\ntasks.max=1\n")  # no topic
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    w.start(str(conn), wait=False)
    assert w.proc is not None
    assert w.proc.wait(60) == 3
    w.stop()
    assert 'Missing required configuration "topic"' in w.log_path.read_text()


def test_sigterm_drains_and_exits_cleanly_leaving_no_processes(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    src = tmp_path / "in.txt"
    src.write_text("x\n" * 100)
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    w.start()
    w.create("src", file_source("src", src, unique_topic))
    wait_for(lambda: w.task_pids("src", "source_task"), 30, "the task process")
    assert w.proc is not None
    descendants = [p.pid for p in psutil.Process(w.proc.pid).children(recursive=True)]
    assert w.stop() == 0
    for pid in descendants:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_kill9_of_the_supervisor_leaves_no_orphan_processes(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    """REST servers, connector and task processes all notice their parent's death (parent-death signal or
    the closed control socket) and exit: a restarted worker can bind its port and nothing runs unsupervised."""
    src = tmp_path / "in.txt"
    src.write_text("x\n" * 100)
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    w.start()
    w.create("src", file_source("src", src, unique_topic))
    wait_for(lambda: w.task_pids("src", "source_task"), 30, "the task process")
    assert w.proc is not None
    descendants = psutil.Process(w.proc.pid).children(recursive=True)
    roles = " ".join(" ".join(p.cmdline()) for p in descendants)
    assert "gunicorn" in roles, roles  # the REST servers are among them
    assert "source_task" in roles, roles
    w.kill9()

    def gone(p: psutil.Process) -> bool:
        try:
            return p.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    wait_for(lambda: all(gone(p) for p in descendants), 30, "every child of the killed supervisor to exit")


def test_a_put_slower_than_max_poll_interval_keeps_the_group_membership(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    """put() sleeps 12 s with max.poll.interval.ms=7 s: the task keeps polling with its partitions
    paused, so it is never kicked out of the group and nothing is redelivered."""
    import json

    from confluent_kafka import Producer

    kafka_broker.create_topic(unique_topic, partitions=1)
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
    for i in range(2000):
        producer.produce(unique_topic, f"v{i}".encode())
    producer.flush(30)
    w = Worker(
        tmp_path,
        kafka_broker.bootstrap_servers,
        {
            "consumer.session.timeout.ms": "6000",
            "consumer.heartbeat.interval.ms": "1000",
            "consumer.max.poll.interval.ms": "7000",
        },
    )
    records, events = tmp_path / "records.txt", tmp_path / "events.jsonl"
    try:
        w.start()
        w.create(
            "slow",
            {
                "connector.class": "tests.support.plugins.RecordingSinkConnector",
                "tasks.max": "1",
                "topics": unique_topic,
                "record.file": str(records),
                "events.file": str(events),
                "first.put.sleep.ms": "12000",
            },
        )
        wait_for(lambda: count_lines(records) >= 2000, 90, "all records after the slow put")
        time.sleep(2)  # a lost membership would show up as a revoke and redelivered duplicates
        got = records.read_text().splitlines()
        assert sorted(got, key=lambda v: int(v[1:])) == [f"v{i}" for i in range(2000)]
        kinds = [json.loads(line)["event"] for line in events.read_text().splitlines()]
        assert kinds == ["open", "slow-put-begin", "slow-put-end"], kinds
        assert "max.poll.interval" not in w.log_tail(200)
    finally:
        w.stop()


def test_worker_against_a_sasl_scram_broker(tmp_path: Path, kafka_sasl_broker: KafkaBroker, unique_topic: str) -> None:
    """Java's client security keys in the worker file, translated to librdkafka, end to end."""
    user, password = kafka_sasl_broker.sasl_username, kafka_sasl_broker.sasl_password
    w = Worker(
        tmp_path,
        kafka_sasl_broker.sasl_bootstrap_servers,
        {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{user}" password="{password}";',
        },
    )
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("".join(f"secure-{i}\n" for i in range(500)))
    try:
        w.start()
        w.create("src", file_source("src", src, unique_topic))
        w.create("sink", file_sink("sink", out, unique_topic))
        wait_for(lambda: count_lines(out) >= 500, 60, "all lines through the SASL listener")
        assert out.read_text().splitlines() == [f"secure-{i}" for i in range(500)]
    finally:
        w.stop()


def test_rest_shapes_of_the_standalone_endpoints(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    import urllib.request

    worker.start()
    root = worker.rest.get("/")
    assert set(root) == {"version", "commit", "kafka_cluster_id"}
    assert root["kafka_cluster_id"] == kafka_broker.cluster_id
    src = tmp_path / "in.txt"
    src.write_text("a\n")
    # Jackson coerces numbers to strings in config maps; tools rely on it.
    body = {
        "name": "s",
        "config": {"connector.class": "FileStreamSource", "tasks.max": 1, "file": str(src), "topic": unique_topic},
    }
    req = urllib.request.Request(
        worker.rest.base + "/connectors",
        data=json_bytes(body),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 201
        assert resp.headers["Location"] == f"{worker.rest.base}/connectors/s"
        created = json_load(resp.read())
    # Like Java's standalone worker, the answer comes once the connector generated its tasks.
    assert created == {
        "name": "s",
        "type": "source",
        "tasks": [{"connector": "s", "task": 0}],
        "config": {
            "connector.class": "FileStreamSource",
            "tasks.max": "1",
            "file": str(src),
            "topic": unique_topic,
            "name": "s",
        },
    }
    assert worker.rest.call("POST", "/connectors", body) == (
        409,
        {"error_code": 409, "message": "Connector s already exists"},
    )
    assert worker.rest.get("/connectors/") == ["s"]
    status = wait_for(lambda: (s := worker.status("s"))["tasks"] and s, 30, "tasks in the status")
    assert status["connector"]["worker_id"] == f"127.0.0.1:{worker.port}"
    assert status["tasks"][0]["id"] == 0
    assert status["tasks"][0]["worker_id"] == f"127.0.0.1:{worker.port}"
    expanded = worker.rest.get("/connectors?expand=status&expand=info")
    assert set(expanded["s"]) == {"status", "info"}
    assert worker.rest.call("GET", "/nope") == (404, {"error_code": 404, "message": "HTTP 404 Not Found"})
    status_code, _ = worker.rest.call("POST", "/connectors", b"name=x", content_type="text/plain")
    assert status_code == 415


def json_bytes(value: object) -> bytes:
    import json

    return json.dumps(value).encode()


def json_load(raw: bytes) -> object:
    import json

    return json.loads(raw)
