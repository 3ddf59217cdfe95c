"""Kafka Connect's internal REST endpoints on a real two-worker distributed cluster (KIP-507).

``POST /connectors/{c}/tasks`` and ``PUT /connectors/{c}/fence`` must carry an HMAC of their body made
with the session key the leader wrote to the config topic. The tests read that key back from the config
topic (as another worker would), sign requests with it, send them to both workers (the follower forwards
to the leader) and check the records the leader wrote, read back from the config topic.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from kconnect.supervisor.stores import formats as f
from kconnect.workers.inter_worker_keys import sign
from tests.integration.test_distributed import timing_profile
from tests.support.worker import Worker, wait_for

pytestmark = pytest.mark.kafka

KEY_TTL_MS = 12000  # short, so that a rotation happens while the module runs


@dataclass
class Pair:
    workers: list[Worker]
    bootstrap: str
    config_topic: str
    work: Path


@pytest.fixture(scope="module")
def pair(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    group = f"internal-{uuid.uuid4().hex[:8]}"
    work = tmp_path_factory.mktemp("internal")
    props = {**timing_profile(group), "inter.worker.key.ttl.ms": str(KEY_TTL_MS)}
    workers = []
    for i in range(2):
        (work / f"w{i}").mkdir()
        workers.append(Worker(work / f"w{i}", kafka_broker.bootstrap_servers, props, mode="distributed"))
    try:
        for w in workers:
            w.start()
        for w in workers:
            wait_for(lambda w=w: w.rest.call("GET", "/connectors")[0] == 200, 60, "the worker joined")
        yield Pair(workers, kafka_broker.bootstrap_servers, f"{group}-configs", work)
    finally:
        for w in workers:
            w.stop()


def config_records(pair: Pair) -> list[tuple[str, bytes | None]]:
    """Every record of the config topic, in order (raw values)."""
    consumer = Consumer(
        {"bootstrap.servers": pair.bootstrap, "group.id": f"reader-{uuid.uuid4().hex}", "enable.auto.commit": False}
    )
    try:
        _low, high = consumer.get_watermark_offsets(TopicPartition(pair.config_topic, 0), timeout=10)
        consumer.assign([TopicPartition(pair.config_topic, 0, 0)])
        out: list[tuple[str, bytes | None]] = []
        deadline = time.monotonic() + 20
        while len(out) < high and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            key = msg.key()
            out.append((key.decode() if key else "", msg.value()))
        return out
    finally:
        consumer.close()


def session_keys(pair: Pair) -> list[f.SessionKey]:
    keys = []
    for key, value in config_records(pair):
        if key == "session-key":
            record = f.decode_config_record(key, value)
            assert isinstance(record, f.SessionKey)
            keys.append(record)
    return keys


def fresh_key(pair: Pair) -> f.SessionKey:
    """The current key, with enough of its TTL left that no rotation lands between signing and verifying;
    also long enough after its creation that both workers have read it."""

    def usable() -> f.SessionKey | None:
        keys = session_keys(pair)
        if not keys:
            return None
        age = int(time.time() * 1000) - keys[-1].creation_timestamp
        return keys[-1] if 1000 <= age <= KEY_TTL_MS - 6000 else None

    found: f.SessionKey = wait_for(usable, 60, "a fresh session key in the config topic", interval=0.3)
    return found


def internal(worker: Worker, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    return internal_at(worker.rest.base, method, path, body, headers)


def signed(key: f.SessionKey, body: bytes, algorithm: str = "HmacSHA256") -> dict[str, str]:
    return {
        "X-Connect-Authorization": sign(key.key, algorithm, body),
        "X-Connect-Request-Signature-Algorithm": algorithm,
    }


def source_config(pair: Pair, name: str) -> dict[str, str]:
    return {"connector.class": "FileStreamSource", "file": str(pair.work / f"{name}.txt"), "topic": f"{name}-out"}


def test_the_leader_writes_a_session_key_record_java_can_read(pair: Pair) -> None:
    keys = wait_for(lambda: session_keys(pair), 60, "a session-key record")
    raw = next(v for k, v in config_records(pair) if k == "session-key")
    assert raw is not None
    document = json.loads(raw)
    # Byte-compatible with Java's JsonConverter (schemas.enable=false) record
    assert set(document) == {"key", "algorithm", "creation-timestamp"}
    assert document["algorithm"] == "HmacSHA256"
    assert len(base64.b64decode(document["key"])) == 32
    assert keys[0].creation_timestamp == document["creation-timestamp"]


def test_the_session_key_is_rotated_after_its_ttl(pair: Pair) -> None:
    first = wait_for(lambda: session_keys(pair), 60, "a session-key record")[-1]
    later = wait_for(
        lambda: [k for k in session_keys(pair) if k.creation_timestamp > first.creation_timestamp],
        KEY_TTL_MS / 1000 + 30,
        "a rotated session key",
    )
    assert later[0].key != first.key
    assert later[0].creation_timestamp - first.creation_timestamp >= KEY_TTL_MS


def test_unsigned_requests_are_400_on_every_worker(pair: Pair) -> None:
    for w in pair.workers:
        for method, path, body in (("POST", "/connectors/any/tasks", b"[]"), ("PUT", "/connectors/any/fence", b"")):
            assert internal(w, method, path, body, {}) == (
                400,
                {"error_code": 400, "message": "Internal request missing required signature"},
            )


def test_wrong_signatures_are_403_and_unknown_algorithms_400(pair: Pair) -> None:
    key = fresh_key(pair)
    wrong = f.SessionKey(b"x" * 32, "HmacSHA256", key.creation_timestamp)
    for w in pair.workers:
        assert internal(w, "POST", "/connectors/any/tasks", b"[]", signed(wrong, b"[]")) == (
            403,
            {"error_code": 403, "message": "Internal request contained invalid signature."},
        )
        # signed for another body
        assert internal(w, "POST", "/connectors/any/tasks", b"[ ]", signed(key, b"[]"))[0] == 403
        status, body = internal(
            w,
            "PUT",
            "/connectors/any/fence",
            b"",
            {"X-Connect-Authorization": "AAAA", "X-Connect-Request-Signature-Algorithm": "HmacFoo"},
        )
        assert (status, body["message"]) == (400, "Algorithm HmacFoo not available")
        status, body = internal(w, "PUT", "/connectors/any/fence", b"", signed(key, b"", "HmacSHA512"))
        assert status == 400
        assert "does not support the 'HmacSHA512' key signing algorithm" in body["message"]


def test_signed_task_configs_are_written_by_the_leader(pair: Pair) -> None:
    for index, w in enumerate(pair.workers):
        name = f"internal-tasks-{index}"
        (pair.work / f"{name}.txt").write_text("")
        w.create(name, source_config(pair, name))
        wait_for(lambda w=w, name=name: len(w.rest.get(f"/connectors/{name}/tasks")) == 1, 60, "its own task")
        tasks = [
            {**source_config(pair, name), "task.class": "FileStreamSourceTask", "batch.size": "7", "marker": f"t{i}"}
            for i in range(2)
        ]
        body = json.dumps(tasks).encode()
        key = fresh_key(pair)
        assert internal(w, "POST", f"/connectors/{name}/tasks", body, signed(key, body)) == (204, None)

        written = {k: json.loads(v) for k, v in config_records(pair) if v is not None and name in k}
        assert written[f"commit-{name}"] == {"tasks": 2}
        assert [written[f"task-{name}-{i}"]["properties"]["marker"] for i in range(2)] == ["t0", "t1"]
        for reader in pair.workers:  # every worker serves them from the config topic
            wait_for(
                lambda reader=reader, name=name: (
                    [t["config"].get("marker") for t in reader.rest.get(f"/connectors/{name}/tasks")] == ["t0", "t1"]
                ),
                30,
                "the task configs on every worker",
            )


def test_task_configs_for_unknown_or_stopped_connectors(pair: Pair) -> None:
    body = json.dumps([{"a": "b"}]).encode()
    key = fresh_key(pair)
    for w in pair.workers:
        assert internal(w, "POST", "/connectors/no-such-connector/tasks", body, signed(key, body)) == (
            404,
            {"error_code": 404, "message": "Connector no-such-connector not found"},
        )
    name = "internal-stopped"
    status, created = pair.workers[0].rest.call(
        "POST", "/connectors", {"name": name, "config": source_config(pair, name), "initial_state": "STOPPED"}
    )
    assert status == 201, created
    wait_for(lambda: pair.workers[1].rest.call("GET", f"/connectors/{name}")[0] == 200, 30, "the stopped connector")
    key = fresh_key(pair)
    assert internal(pair.workers[1], "POST", f"/connectors/{name}/tasks", body, signed(key, body)) == (
        400,
        {"error_code": 400, "message": f"Cannot submit non-empty set of task configs for stopped connector {name}"},
    )


def test_fence_requests(pair: Pair) -> None:
    key = fresh_key(pair)
    for w in pair.workers:
        assert internal(w, "PUT", "/connectors/no-such-connector/fence", b"", signed(key, b"")) == (
            404,
            {"error_code": 404, "message": "Connector no-such-connector not found"},
        )
    sink = "internal-sink"
    pair.workers[0].create(
        sink, {"connector.class": "FileStreamSink", "file": str(pair.work / "sink.txt"), "topics": "nothing"}
    )
    wait_for(lambda: pair.workers[1].rest.call("GET", f"/connectors/{sink}")[0] == 200, 30, "the sink connector")
    key = fresh_key(pair)
    assert internal(pair.workers[1], "PUT", f"/connectors/{sink}/fence", b"", signed(key, b"")) == (
        400,
        {"error_code": 400, "message": f"Connector {sink} is not a source connector"},
    )
    # The source connector of the task-config test has a new task generation (commit- record): a fencing is
    # pending; with no earlier tasks-fencing- record nothing transactional ran, so the leader only records.
    name = "internal-tasks-1"
    key = fresh_key(pair)
    assert internal(pair.workers[1], "PUT", f"/connectors/{name}/fence", b"", signed(key, b"")) == (204, None)
    records = [(k, json.loads(v)) for k, v in config_records(pair) if v is not None and k == f"tasks-fencing-{name}"]
    assert records
    assert records[-1][1] == {"task-count": 2}


def test_fence_requests_fence_the_previous_task_generation(pair: Pair) -> None:
    """After the previous test the connector has a ``tasks-fencing-`` record of 2 tasks; a new generation of one
    task makes the leader fence both old transactional ids: an open transaction of a zombie task fails."""
    from confluent_kafka import KafkaException, Producer
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    name = "internal-tasks-1"
    group = pair.config_topic.removesuffix("-configs")
    topic = f"{group}-zombie"
    admin = AdminClient({"bootstrap.servers": pair.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    zombie = Producer({"bootstrap.servers": pair.bootstrap, "transactional.id": f"{group}-{name}-0"})
    zombie.init_transactions(30)
    zombie.begin_transaction()
    zombie.produce(topic, b"written by a task of the old generation")
    zombie.flush(30)

    tasks = [{**source_config(pair, name), "task.class": "FileStreamSourceTask", "marker": "next"}]
    body = json.dumps(tasks).encode()
    key = fresh_key(pair)
    assert internal(pair.workers[0], "POST", f"/connectors/{name}/tasks", body, signed(key, body)) == (204, None)
    key = fresh_key(pair)
    assert internal(pair.workers[0], "PUT", f"/connectors/{name}/fence", b"", signed(key, b"")) == (204, None)
    records = [json.loads(v) for k, v in config_records(pair) if v is not None and k == f"tasks-fencing-{name}"]
    assert records[-1] == {"task-count": 1}
    with pytest.raises(KafkaException):
        zombie.commit_transaction(30)


def test_standalone_answers_500_as_java(kafka_broker: Any, tmp_path: Path) -> None:
    worker = Worker(tmp_path, kafka_broker.bootstrap_servers).start()
    try:
        assert internal(worker, "POST", "/connectors/any/tasks", b"[]", {}) == (
            500,
            {
                "error_code": 500,
                "message": "Kafka Connect in standalone mode does not support externally setting task configurations.",
            },
        )
        assert internal(worker, "PUT", "/connectors/any/fence", b"", {}) == (
            500,
            {
                "error_code": 500,
                "message": "Kafka Connect in standalone mode does not support exactly-once source connectors.",
            },
        )
    finally:
        worker.stop()


# --- the same requests against Apache's ConnectDistributed -----------------------------------------------


@pytest.mark.java
def test_java_answers_the_same(pair: Pair, kafka_broker: Any, tmp_path: Path) -> None:
    from tests.support.java_connect import JavaConnect

    group = f"internal-java-{uuid.uuid4().hex[:8]}"
    java_props = {
        k: v
        for k, v in timing_profile(group).items()
        if not k.startswith("kconnect.") and k not in ("session.timeout.ms", "heartbeat.interval.ms")
    }
    java_pair = Pair([], kafka_broker.bootstrap_servers, f"{group}-configs", tmp_path)
    java = JavaConnect(tmp_path / "java", kafka_broker.bootstrap_servers, "distributed", extra=java_props)
    ours = pair.workers[1]  # the request may take a forwarding hop on our side
    with java:
        java_key: f.SessionKey = wait_for(lambda: (session_keys(java_pair) or [None])[-1], 90, "Java's session key")
        for target in (java.rest.base, ours.rest.base):
            status, created = json_call(
                target, "POST", "/connectors", {"name": "cmp-sink", "config": sink_config(pair)}
            )
            assert status in (201, 409), created
            status, created = json_call(
                target, "POST", "/connectors", {"name": "cmp-source", "config": source_config(pair, "cmp-source")}
            )
            assert status in (201, 409), created
            wait_for(lambda t=target: json_call(t, "GET", "/connectors/cmp-source/tasks")[1], 60, "source tasks")
        tasks = json.dumps([{"task.class": "org.apache.kafka.connect.file.FileStreamSourceTask", "marker": "m"}])
        body = tasks.encode()

        def both(method: str, path: str, raw: bytes, headers: Any) -> tuple[Any, Any]:
            mine = internal_at(ours.rest.base, method, path, raw, headers(fresh_key(pair)))
            theirs = internal_at(java.rest.base, method, path, raw, headers(java_key))
            return mine, theirs

        cases = [
            ("POST", "/connectors/cmp-source/tasks", body, lambda _k: {}),
            ("PUT", "/connectors/cmp-source/fence", b"", lambda _k: {}),
            ("POST", "/connectors/cmp-source/tasks", body, lambda k: signed(k, b"other")),
            ("PUT", "/connectors/cmp-source/fence", b"", lambda k: signed(k, b"x")),
            (
                "POST",
                "/connectors/cmp-source/tasks",
                body,
                lambda _k: {"X-Connect-Authorization": "AAAA", "X-Connect-Request-Signature-Algorithm": "HmacFoo"},
            ),
            ("POST", "/connectors/nope/tasks", body, lambda k: signed(k, body)),
            ("PUT", "/connectors/nope/fence", b"", lambda k: signed(k, b"")),
            ("PUT", "/connectors/cmp-sink/fence", b"", lambda k: signed(k, b"")),
            ("POST", "/connectors/cmp-source/tasks", body, lambda k: signed(k, body)),
        ]
        for method, path, raw, headers in cases:
            mine, theirs = both(method, path, raw, headers)
            assert mine == theirs, (method, path, raw, mine, theirs)
        # The accepted task configs, read back from each side's config topic: a task- record with the marker
        # and a commit- record after it. (The current task configs are not compared: the running connector
        # may regenerate its own on either side afterwards, at a time that differs under load.)
        for side in (java_pair, pair):
            wait_for(
                lambda side=side: _posted_and_committed(side), 30, f"the posted task config in {side.config_topic}"
            )


def _posted_and_committed(pair: Pair) -> bool:
    records = config_records(pair)
    posted = [i for i, (k, v) in enumerate(records) if k == "task-cmp-source-0" and v and b'"marker":"m"' in v]
    return bool(posted) and any(k == "commit-cmp-source" for k, _v in records[posted[0] + 1 :])


def sink_config(pair: Pair) -> dict[str, str]:
    return {"connector.class": "FileStreamSink", "file": str(pair.work / "cmp-sink.txt"), "topics": "nothing"}


def json_call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = None if body is None else json.dumps(body).encode()
    return internal_at(base, method, path, raw, {})


def internal_at(base: str, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
    req = urllib.request.Request(base + path, data=body, method=method)
    req.add_header("Content-Type", "application/json")
    for k, v in headers.items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None
