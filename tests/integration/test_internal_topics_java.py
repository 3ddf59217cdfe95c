"""Kafka Connect's internal topics shared with Apache's Java ``ConnectDistributed`` (4.3.1), both ways.

1. kconnect creates the internal topics and writes a connector (config, task configs, commit, target
   state PAUSED) and source offsets; a Java distributed worker started on those topics reports the
   connector, its task configs, its state and its offsets through its REST API.
2. The same Java worker then creates, restarts, pauses, stops and deletes connectors, writes offsets,
   statuses, active topics, a cluster-scoped log level and its session key. kconnect decodes every
   record of the three topics, re-encodes each into the very same bytes, and its stores' view equals
   what Java answers over REST.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.supervisor.stores import formats as f
from kconnect.supervisor.stores.kafka_log import KafkaLog
from kconnect.supervisor.stores.kafka_stores import (
    create_internal_topics,
    internal_client_config,
    open_internal_stores,
)
from kconnect.supervisor.stores.log import LogRecord
from kconnect.workers.worker_config import WorkerConfig
from tests.support.java_connect import JavaConnect
from tests.support.worker import RestClient, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.java]

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SOURCE_TASK = "org.apache.kafka.connect.file.FileStreamSourceTask"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def _distributed_props(broker: KafkaBroker, stem: str) -> dict[str, str]:
    return {
        "bootstrap.servers": broker.bootstrap_servers,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "group.id": f"{stem}-cluster",
        "config.storage.topic": f"{stem}-configs",
        "offset.storage.topic": f"{stem}-offsets",
        "status.storage.topic": f"{stem}-status",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "offset.storage.partitions": "5",
        "status.storage.partitions": "3",
    }


def _read_all(worker: WorkerConfig, topic: str) -> list[LogRecord]:
    records: list[LogRecord] = []
    log = KafkaLog(
        topic, records.append, internal_client_config(worker, "consumer"), client_id="reader", read_only=True
    )
    log.start()
    log.stop()
    return records


def _call(rest: RestClient, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200,)) -> Any:
    status, answer = rest.call(method, path, body)
    assert status in expect, f"{method} {path} -> {status} {answer}"
    return answer


def _states(rest: RestClient, name: str) -> tuple[str, list[str]] | None:
    status, body = rest.call("GET", f"/connectors/{name}/status")
    if status != 200:
        return None
    return body["connector"]["state"], [t["state"] for t in body["tasks"]]


def _reencode(topic_kind: str, rec: LogRecord) -> tuple[bytes | None, bytes | None]:
    """Decode a record with kconnect's codec and encode the result again (key bytes, value bytes)."""
    assert rec.key is not None
    if topic_kind == "offsets":
        o = f.decode_offset_record(rec.key, rec.value)
        return f.encode_offset(o.connector, o.partition, o.offset)
    key = rec.key.decode()
    if topic_kind == "status":
        s = f.decode_status_record(key, rec.value)
        match s:
            case f.ConnectorStatus():
                k, v = f.encode_connector_status(s.connector, s.status)
            case f.TaskStatus():
                k, v = f.encode_task_status(s.connector, s.task, s.status)
            case f.TopicStatus():
                k, v = f.encode_topic_status(s.topic, s.connector, s.task, s.discover_timestamp)
        return k.encode(), v
    c = f.decode_config_record(key, rec.value)
    match c:
        case f.ConnectorConfig():
            k, v = f.encode_connector_config(c.connector, c.properties)
        case f.TaskConfig():
            k, v = f.encode_task_config(c.connector, c.task, c.properties)
        case f.TaskCommit():
            k, v = f.encode_task_commit(c.connector, c.tasks)
        case f.TargetState():
            k, v = f.encode_target_state(c.connector, c.state)
        case f.RestartRequest():
            k, v = f.encode_restart_request(c.connector, include_tasks=c.include_tasks, only_failed=c.only_failed)
        case f.LoggerLevel():
            k, v = f.encode_logger_level(c.namespace, c.level)
        case f.TaskCountRecord():
            k, v = f.encode_task_count_record(c.connector, c.task_count)
        case f.SessionKey():
            k, v = f.encode_session_key(c.key, c.algorithm, c.creation_timestamp)
    return k.encode(), v


def test_internal_topics_shared_with_java_connect(kafka_broker: KafkaBroker, unique_topic: str, tmp_path: Path) -> None:
    stem = unique_topic
    props = _distributed_props(kafka_broker, stem)
    worker = WorkerConfig.from_props(props, "distributed", log=False)

    # --- 1. kconnect writes, Java reads -----------------------------------------------------------------------
    create_internal_topics(worker)
    seeded_file = str(tmp_path / "seeded.txt")
    seeded_config = {
        "connector.class": FILE_SOURCE,
        "tasks.max": "1",
        "file": seeded_file,
        "topic": f"{stem}-seeded",
        "name": "seeded",
    }
    seeded_task = {"task.class": FILE_SOURCE_TASK, "file": seeded_file, "topic": f"{stem}-seeded", "batch.size": "2000"}
    stores = open_internal_stores(worker)
    stores.start()
    try:
        stores.config.put_connector_config("seeded", seeded_config, target_state="PAUSED")
        stores.config.put_task_configs("seeded", [seeded_task])
        stores.offsets.put_offsets("seeded", [({"filename": seeded_file}, {"position": 42})])
    finally:
        stores.stop()

    java = JavaConnect(tmp_path / "java", kafka_broker.bootstrap_servers, "distributed", extra=props)
    with java:
        rest = java.rest
        assert _call(rest, "GET", "/connectors") == ["seeded"]
        assert _call(rest, "GET", "/connectors/seeded/config") == seeded_config
        assert _call(rest, "GET", "/connectors/seeded/tasks") == [
            {"id": {"connector": "seeded", "task": 0}, "config": seeded_task}
        ]
        wait_for(lambda: _states(rest, "seeded") == ("PAUSED", ["PAUSED"]), 30, "seeded connector PAUSED")
        assert _call(rest, "GET", "/connectors/seeded/offsets") == {
            "offsets": [{"partition": {"filename": seeded_file}, "offset": {"position": 42}}]
        }

        # --- 2. Java writes, kconnect reads ---------------------------------------------------------------------
        source_file = tmp_path / "in.txt"
        source_file.write_text("one\ntwo\nthree\n")
        src_config = {
            "connector.class": FILE_SOURCE,
            "tasks.max": "1",
            "file": str(source_file),
            "topic": f"{stem}-out",
        }
        _call(rest, "POST", "/connectors", {"name": "src", "config": src_config}, (201,))
        wait_for(lambda: _states(rest, "src") == ("RUNNING", ["RUNNING"]), 30, "src RUNNING")

        def flushed_offsets() -> Any:
            body = _call(rest, "GET", "/connectors/src/offsets")
            return body["offsets"] and body["offsets"][0]["offset"].get("position", 0) >= 14 and body

        java_offsets = wait_for(flushed_offsets, 30, "src offsets flushed")
        wait_for(
            lambda: _call(rest, "GET", "/connectors/src/topics")["src"]["topics"] == [f"{stem}-out"],
            30,
            "active topic recorded",
        )
        _call(rest, "POST", "/connectors/src/restart?includeTasks=true&onlyFailed=false", expect=(202,))
        wait_for(lambda: _states(rest, "src") == ("RUNNING", ["RUNNING"]), 30, "src RUNNING after restart")
        _call(rest, "PUT", "/connectors/src/pause", expect=(202,))
        wait_for(lambda: _states(rest, "src") == ("PAUSED", ["PAUSED"]), 30, "src PAUSED")
        sink_config = {"connector.class": FILE_SINK, "tasks.max": "1", "file": str(tmp_path / "out.txt"), "topics": "t"}
        _call(
            rest, "POST", "/connectors", {"name": "stopped", "config": sink_config, "initial_state": "STOPPED"}, (201,)
        )
        wait_for(lambda: _states(rest, "stopped") == ("STOPPED", []), 30, "stopped connector STOPPED")
        _call(rest, "POST", "/connectors", {"name": "tmp", "config": {**sink_config, "name": "tmp"}}, (201,))
        wait_for(lambda: _states(rest, "tmp") == ("RUNNING", ["RUNNING"]), 30, "tmp RUNNING")
        _call(rest, "DELETE", "/connectors/tmp", expect=(204,))
        wait_for(lambda: rest.call("GET", "/connectors/tmp/status")[0] == 404, 30, "tmp deleted")
        _call(rest, "PUT", "/admin/loggers/org.apache.kafka.connect.file?scope=cluster", {"level": "DEBUG"}, (204,))

        # What Java says over REST, while it is still the cluster's only (and leading) worker.
        names = sorted(_call(rest, "GET", "/connectors"))
        java_configs = {n: _call(rest, "GET", f"/connectors/{n}/config") for n in names}
        java_tasks = {n: _call(rest, "GET", f"/connectors/{n}/tasks") for n in names}
        java_status = {n: _call(rest, "GET", f"/connectors/{n}/status") for n in names}
        java_topics = _call(rest, "GET", "/connectors/src/topics")

        reader = open_internal_stores(worker)
        reader.start()
        try:
            snap = reader.config.snapshot()
            assert snap.connectors() == names == ["seeded", "src", "stopped"]
            for n in names:
                assert dict(snap.connector_configs[n]) == java_configs[n]
                tasks = [
                    {"id": {"connector": c, "task": i}, "config": dict(snap.task_configs[(c, i)])}
                    for c, i in snap.tasks(n)
                ]
                assert tasks == java_tasks[n]
                st = java_status[n]
                mine = reader.status.get(n)
                assert mine is not None
                assert (mine.state, mine.worker_id) == (st["connector"]["state"], st["connector"]["worker_id"])
                assert [
                    {"id": i, "state": s.state, "worker_id": s.worker_id} for i, s in reader.status.get_all(n).items()
                ] == [{k: t[k] for k in ("id", "state", "worker_id")} for t in st["tasks"]]
            assert snap.target_states == {"seeded": "PAUSED", "src": "PAUSED", "stopped": "STOPPED"}
            assert snap.task_count("stopped") == 0
            assert snap.session_key is not None
            assert snap.session_key.algorithm == "HmacSHA256"
            assert [{"partition": dict(p), "offset": dict(o)} for p, o in reader.offsets.connector_offsets("src")] == (
                java_offsets["offsets"]
            )
            assert {"src": {"topics": sorted(reader.status.get_topics("src"))}} == java_topics
        finally:
            reader.stop()

    # Every record of the three topics decodes, and encodes back into Java's exact bytes.
    kinds = {"config.storage.topic": "config", "offset.storage.topic": "offsets", "status.storage.topic": "status"}
    seen: set[str] = set()
    for setting, kind in kinds.items():
        records = _read_all(worker, props[setting])
        assert records, f"no records in {props[setting]}"
        for rec in records:
            assert _reencode(kind, rec) == (rec.key, rec.value), f"{kind} record at {rec.partition}/{rec.offset}"
            if kind == "config":
                seen.add(type(f.decode_config_record(rec.key.decode(), rec.value)).__name__)  # type: ignore[union-attr]
            if kind == "status" and rec.value is not None:
                decoded = f.decode_status_record(rec.key.decode(), rec.value)  # type: ignore[union-attr]
                if isinstance(decoded, f.ConnectorStatus | f.TaskStatus):
                    assert decoded.status is not None
                    if decoded.status.state == "RUNNING":
                        assert decoded.status.version is not None  # Java 4.1+ writes the plugin version
                    seen.add("status-" + decoded.status.state)
    assert {
        "ConnectorConfig",
        "TaskConfig",
        "TaskCommit",
        "TargetState",
        "RestartRequest",
        "LoggerLevel",
        "SessionKey",
        "status-RUNNING",
        "status-PAUSED",
        "status-STOPPED",
    } <= seen
