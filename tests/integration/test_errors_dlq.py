"""errors.* in real task processes: tolerance, dead-letter queues and their context headers, read back from Kafka."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.integration.test_standalone import topic_values
from tests.support.worker import Worker, wait_for

pytestmark = pytest.mark.kafka

CAST = "org.apache.kafka.connect.transforms.Cast$Value"
JSON = "org.apache.kafka.connect.json.JsonConverter"
DATA_EXCEPTION = "org.apache.kafka.connect.errors.DataException"
TOLERANCE_EXCEEDED = "Tolerance exceeded in error handler"


def read_all(broker: KafkaBroker, topic: str, expected: int, timeout: float = 60) -> list[Any]:
    """Every message of ``topic`` (key, value, headers, offset), once ``expected`` arrived and a second passed."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": f"check-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    idle_until = None
    try:
        while time.monotonic() < deadline:
            out.extend(m for m in consumer.consume(1000, 0.5) if m.error() is None)
            if len(out) >= expected:
                idle_until = idle_until or time.monotonic() + 1.5
                if time.monotonic() >= idle_until:
                    break
    finally:
        consumer.close()
    return out


def headers_of(msg: Any) -> dict[str, bytes | None]:
    return dict(msg.headers() or [])


def task_state(w: Worker, name: str) -> dict[str, Any]:
    tasks = w.status(name)["tasks"]
    return tasks[0] if tasks else {}


def sink_config(topic: str, out: Path, dlq: str, **extra: str) -> dict[str, str]:
    return {
        "connector.class": "tests.support.plugins.RejectingSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "record.file": str(out),
        "events.file": str(out) + ".events",
        "value.converter": JSON,
        "value.converter.schemas.enable": "false",
        "transforms": "cast",
        "transforms.cast.type": CAST,
        "transforms.cast.spec": "n:int32",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
        **extra,
    }


def test_sink_sends_each_bad_record_once_to_the_dlq_and_every_good_one_to_the_task(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic)
    dlq = unique_topic + "-dlq"
    # offset -> (what, value bytes); good records carry a number the Cast turns into an int
    inputs: list[tuple[str, bytes]] = []
    for i in range(40):
        kind = ("good", "malformed", "smt", "reject")[i % 4] if i % 3 else "good"
        value = {
            "good": json.dumps({"n": str(i)}).encode(),
            "malformed": b'{"n": "' + str(i).encode() + b'", ',
            "smt": json.dumps({"n": f"x{i}"}).encode(),
            "reject": json.dumps({"n": str(i), "reject": True}).encode(),
        }[kind]
        inputs.append((kind, value))
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
    for i, (_kind, value) in enumerate(inputs):
        producer.produce(unique_topic, value, f"k{i}".encode(), headers=[("origin", f"h{i}".encode())])
    producer.flush(30)
    out = tmp_path / "out.jsonl"
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    try:
        w.start()
        w.create(
            "dlq-sink",
            sink_config(
                unique_topic,
                out,
                dlq,
                **{
                    "errors.tolerance": "all",
                    "errors.log.enable": "true",
                    "errors.log.include.messages": "true",
                    "retriable.puts": "2",  # RetriableError from put(): the batch is redelivered
                },
            ),
        )
        bad = {i: kind for i, (kind, _v) in enumerate(inputs) if kind != "good"}
        good = [i for i, (kind, _v) in enumerate(inputs) if kind == "good"]
        dead = read_all(kafka_broker, dlq, len(bad))

        def consumed_all() -> bool:
            offsets = w.rest.get("/connectors/dlq-sink/offsets")["offsets"]
            return any(o["offset"]["kafka_offset"] == len(inputs) for o in offsets)

        wait_for(consumed_all, 60, "the sink to commit past every record")
        assert [json.loads(line) for line in out.read_text().splitlines()] == [{"n": i} for i in good]
        by_offset = {int(headers_of(m)["__connect.errors.offset"] or b"-1"): m for m in dead}
        assert len(dead) == len(bad)  # exactly once each
        assert sorted(by_offset) == sorted(bad)
        expected_stage = {
            "malformed": ("VALUE_CONVERTER", JSON),
            "smt": ("TRANSFORMATION", CAST),
            "reject": ("TASK_PUT", "org.apache.kafka.connect.sink.SinkTask"),
        }
        for offset, kind in bad.items():
            m = by_offset[offset]
            h = headers_of(m)
            # The original consumed bytes: key, value and the record's own headers, first.
            assert (m.key(), m.value()) == (f"k{offset}".encode(), inputs[offset][1])
            assert m.headers()[0] == ("origin", f"h{offset}".encode())
            stage, klass = expected_stage[kind]
            assert h["__connect.errors.topic"] == unique_topic.encode()
            assert h["__connect.errors.partition"] == b"0"
            assert h["__connect.errors.connector.name"] == b"dlq-sink"
            assert h["__connect.errors.task.id"] == b"0"
            assert h["__connect.errors.stage"] == stage.encode(), (offset, kind, h)
            assert h["__connect.errors.class.name"] == klass.encode()
            assert h["__connect.errors.exception.class.name"] == DATA_EXCEPTION.encode()
            message = (h["__connect.errors.exception.message"] or b"").decode()
            if kind == "smt":
                assert message == f"Value (x{offset}) was out of range for requested data type"
            elif kind == "reject":
                assert message == f"rejected by the sink at offset {offset}"
            else:
                assert message.startswith("Converting byte[] to Kafka Connect data failed due to serialization error")
            stacktrace = (h["__connect.errors.exception.stacktrace"] or b"").decode()
            assert message in stacktrace  # Python's format: a traceback when the error was raised
            if kind != "reject":
                assert stacktrace.startswith("Traceback")
        assert task_state(w, "dlq-sink")["state"] == "RUNNING"
        events = [json.loads(line)["event"] for line in Path(str(out) + ".events").read_text().splitlines()]
        assert events.count("retriable-put") == 2
        # errors.log.enable: one ERROR line per failed record, in Java's words, in the task's log.
        logged = [line for line in w.log_tail(100000).splitlines() if "Error encountered in task dlq-sink-0." in line]
        assert len(logged) == len(bad)
        first_smt = min(i for i, kind in bad.items() if kind == "smt")
        assert any(
            f"Executing stage 'TRANSFORMATION' with class '{CAST}', where consumed record is "
            f"{{topic='{unique_topic}', partition=0, offset={first_smt}, timestamp=" in line
            for line in logged
        )
    finally:
        w.stop()


def test_sink_without_tolerance_fails_with_javas_message_and_still_reports_the_record(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic)
    dlq = unique_topic + "-dlq"
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
    producer.produce(unique_topic, b'{"n": "1"}')
    producer.produce(unique_topic, b"{not json")
    producer.produce(unique_topic, b'{"n": "3"}')
    producer.flush(30)
    out = tmp_path / "out.jsonl"
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, {"kconnect.task.restart.enable": "false"})
    try:
        w.start()
        w.create("strict-sink", sink_config(unique_topic, out, dlq))
        failed = wait_for(lambda: task_state(w, "strict-sink").get("state") == "FAILED", 60, "the task to fail")
        assert failed
        trace = task_state(w, "strict-sink")["trace"]
        assert TOLERANCE_EXCEEDED in trace
        assert "Converting byte[] to Kafka Connect data failed due to serialization error" in trace
        # As in Java, the record that failed the task is reported before it fails.
        dead = read_all(kafka_broker, dlq, 1)
        assert [m.value() for m in dead] == [b"{not json"]
        assert headers_of(dead[0])["__connect.errors.stage"] == b"VALUE_CONVERTER"
        assert not out.exists() or out.read_text() == ""  # the batch never reached put()
    finally:
        w.stop()


def script(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def source_config(topic: str, script_file: Path, **extra: str) -> dict[str, str]:
    return {
        "connector.class": "tests.support.plugins.ScriptedSourceConnector",
        "tasks.max": "1",
        "topic": topic,
        "script.file": str(script_file),
        "value.converter": JSON,
        "value.converter.schemas.enable": "false",
        # Cast only records carrying a "cast" header, so records without it reach the converter as they are.
        "transforms": "cast",
        "transforms.cast.type": CAST,
        "transforms.cast.spec": "n:int32",
        "transforms.cast.predicate": "marked",
        "predicates": "marked",
        "predicates.marked.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        "predicates.marked.name": "cast",
        **extra,
    }


def test_source_extension_sends_failed_records_to_the_dlq_with_source_partition_and_offset(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic)  # one partition: partition 7 does not exist
    dlq = unique_topic + "-dlq"
    lines: list[dict[str, Any]] = []
    kinds: list[str] = []
    for i in range(24):
        kind = ("good", "smt", "converter", "produce")[i % 4] if i % 5 else "good"
        kinds.append(kind)
        line: dict[str, Any] = {"key": f"k{i}", "value": {"n": str(i)}, "headers": {"cast": "yes"}}
        if kind == "smt":
            line["value"] = {"n": f"x{i}"}
        elif kind == "converter":
            line = {"key": f"k{i}", "value": f"not an int {i}", "int32": True}
        elif kind == "produce":
            line["partition"] = 7
        lines.append(line)
    script_file = script(tmp_path / "script.jsonl", lines)
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    try:
        w.start()
        w.create(
            "dlq-source",
            source_config(
                unique_topic,
                script_file,
                **{
                    "errors.tolerance": "all",
                    "retriable.polls": "3",  # RetriableError from poll(): polled again
                    "kconnect.errors.source.deadletterqueue.enable": "true",
                    "errors.deadletterqueue.topic.name": dlq,
                    "errors.deadletterqueue.topic.replication.factor": "1",
                    "errors.deadletterqueue.context.headers.enable": "true",
                },
            ),
        )
        good = [i for i, k in enumerate(kinds) if k == "good"]
        bad = {i: k for i, k in enumerate(kinds) if k != "good"}
        values = [json.loads(v) for v in topic_values(kafka_broker, unique_topic, len(good))]
        assert values == [{"n": i} for i in good]
        dead = read_all(kafka_broker, dlq, len(bad))
        by_line = {json.loads(headers_of(m)["__kconnect.errors.source.offset"] or b"{}")["line"]: m for m in dead}
        assert len(dead) == len(bad)  # exactly once each
        assert sorted(by_line) == sorted(bad)
        stages = {
            "smt": ("TRANSFORMATION", CAST, DATA_EXCEPTION),
            "converter": ("VALUE_CONVERTER", JSON, DATA_EXCEPTION),
            "produce": ("KAFKA_PRODUCE", "org.apache.kafka.connect.runtime.WorkerSourceTask", None),
        }
        for n, kind in bad.items():
            m = by_line[n]
            h = headers_of(m)
            stage, klass, exc = stages[kind]
            assert h["__connect.errors.stage"] == stage.encode(), (n, kind, h)
            assert h["__connect.errors.class.name"] == klass.encode()
            if exc is not None:
                assert h["__connect.errors.exception.class.name"] == exc.encode()
            assert h["__connect.errors.connector.name"] == b"dlq-source"
            assert h["__connect.errors.task.id"] == b"0"
            assert h["__connect.errors.topic"] == unique_topic.encode()
            assert json.loads(h["__kconnect.errors.source.partition"] or b"") == {"script": str(script_file)}
            if kind == "produce":
                # Conversion had finished: the DLQ holds the converted bytes and headers.
                assert (m.key(), json.loads(m.value())) == (f"k{n}".encode(), {"n": n})
                assert h["__connect.errors.partition"] == b"7"
                assert h["cast"] == b"yes"
            else:
                # No converter output: the documented JSON rendering of the SourceRecord.
                rendered = json.loads(m.value())
                assert m.key() == json.dumps(f"k{n}").encode()
                assert rendered["topic"] == unique_topic
                assert rendered["value"] == lines[n]["value"]
                assert rendered["sourceOffset"] == {"line": n}
                assert rendered["sourcePartition"] == {"script": str(script_file)}
        assert task_state(w, "dlq-source")["state"] == "RUNNING"

        def committed_to_the_end() -> bool:
            offsets = w.rest.get("/connectors/dlq-source/offsets")["offsets"]
            return [o["offset"] for o in offsets] == [{"line": len(lines) - 1}]

        wait_for(committed_to_the_end, 60, "source offsets committed past the failed records")
    finally:
        w.stop()


def test_source_without_tolerance_fails_with_javas_message_and_bad_dlq_settings_are_refused(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    script_file = script(
        tmp_path / "script.jsonl",
        [{"value": {"n": "1"}, "headers": {"cast": "y"}}, {"value": {"n": "bad"}, "headers": {"cast": "y"}}],
    )
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, {"kconnect.task.restart.enable": "false"})
    try:
        w.start()
        w.create("strict-source", source_config(unique_topic, script_file))
        wait_for(lambda: task_state(w, "strict-source").get("state") == "FAILED", 60, "the task to fail")
        trace = task_state(w, "strict-source")["trace"]
        assert TOLERANCE_EXCEEDED in trace
        assert "Value (bad) was out of range for requested data type" in trace
        # The extension needs a DLQ topic: refused with a message naming the key.
        status, body = w.rest.call(
            "POST",
            "/connectors",
            {
                "name": "no-dlq-topic",
                "config": {
                    "connector.class": "tests.support.plugins.ScriptedSourceConnector",
                    "topic": "t",
                    "script.file": str(tmp_path / "none.jsonl"),
                    "kconnect.errors.source.deadletterqueue.enable": "true",
                },
            },
        )
        assert status == 400
        assert "kconnect.errors.source.deadletterqueue.enable" in body["message"]
        assert "errors.deadletterqueue.topic.name must name a topic" in body["message"]
        # A DLQ topic the task cannot create (replication factor 3 on one broker) fails the task.
        w.create(
            "dlq-rf3",
            {
                "connector.class": "tests.support.plugins.RecordingSinkConnector",
                "topics": "some-topic",
                "record.file": str(tmp_path / "out.txt"),
                "events.file": str(tmp_path / "events.txt"),
                "errors.deadletterqueue.topic.name": "dlq-rf3-dlq",
            },
        )
        wait_for(lambda: task_state(w, "dlq-rf3").get("state") == "FAILED", 60, "the task to fail")
        assert "Could not initialize dead letter queue with topic=dlq-rf3-dlq" in task_state(w, "dlq-rf3")["trace"]
    finally:
        w.stop()


def _dlq_view(msg: Any, connector: str) -> dict[str, Any]:
    """What must match between Java and kconnect for one DLQ record (connector name normalised)."""
    h = headers_of(msg)
    assert h.pop("__connect.errors.connector.name") == connector.encode()
    stacktrace = h.pop("__connect.errors.exception.stacktrace")
    assert stacktrace  # present on both sides; Java's and Python's formats differ
    message = (h.pop("__connect.errors.exception.message") or b"").decode()
    names = [k for k, _v in msg.headers() or []]  # the order too: original headers, then Java's sequence
    return {"key": msg.key(), "value": msg.value(), "headers": h, "names": names, "message": message}


@pytest.mark.java
def test_dlq_records_match_java_kafka_connect(tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str) -> None:
    from tests.support.java_connect import JavaConnect

    kafka_broker.create_topic(unique_topic)
    values = [b'{"n": "1"}', b"{broken", b'{"n": "x2"}', b'{"n": "3"}', b"[1, 2", b'{"n": "x5"}', b'{"n": "6"}']
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
    for i, value in enumerate(values):
        producer.produce(unique_topic, value, f"k{i}".encode(), headers=[("origin", f"h{i}".encode())])
    producer.flush(30)

    def config(name: str, dlq: str, out: Path) -> dict[str, str]:
        return {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "tasks.max": "1",
            "topics": unique_topic,
            "file": str(out),
            "value.converter": JSON,
            "value.converter.schemas.enable": "false",
            "transforms": "cast",
            "transforms.cast.type": CAST,
            "transforms.cast.spec": "n:int32",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }

    bad = 4
    views: dict[str, list[dict[str, Any]]] = {}
    java_dir, ours_dir = tmp_path / "java", tmp_path / "kconnect"
    java_dir.mkdir()
    ours_dir.mkdir()
    with JavaConnect(java_dir, kafka_broker.bootstrap_servers) as java:
        status, body = java.rest.call(
            "POST",
            "/connectors",
            {"name": "java-dlq", "config": config("java-dlq", unique_topic + "-java", java_dir / "out.txt")},
        )
        assert status == 201, body
        views["java"] = [_dlq_view(m, "java-dlq") for m in read_all(kafka_broker, unique_topic + "-java", bad)]
    w = Worker(ours_dir, kafka_broker.bootstrap_servers)
    try:
        w.start()
        w.create("ours-dlq", config("ours-dlq", unique_topic + "-ours", ours_dir / "out.txt"))
        views["ours"] = [_dlq_view(m, "ours-dlq") for m in read_all(kafka_broker, unique_topic + "-ours", bad)]
    finally:
        w.stop()
    assert len(views["java"]) == bad
    java_messages = [v.pop("message") for v in views["java"]]
    our_messages = [v.pop("message") for v in views["ours"]]
    # Key, value, original headers and every context header but the connector name and stack trace.
    assert views["ours"] == views["java"]
    for java_msg, ours in zip(java_messages, our_messages, strict=True):
        # Java's JsonConverter leaves the parser's reason to the stack trace; ours appends it.
        assert ours == java_msg or (java_msg.endswith(": ") and ours.startswith(java_msg)), (java_msg, ours)
