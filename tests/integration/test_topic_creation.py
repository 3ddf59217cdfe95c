"""KIP-158 topic creation and client override policies, with real workers and the real broker.

Topics and their configs are read back from the broker with the admin client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.integration.test_standalone import topic_values
from tests.support.worker import Worker, wait_for

pytestmark = pytest.mark.kafka

# Keys for the compacted topic: FileStreamSource records have none, and a compacted topic refuses
# records without a key. line -> {"line": line} -> key {"line": line} -> key line.
_KEYED = {
    "transforms": "hoist,tokey,extract",
    "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
    "transforms.hoist.field": "line",
    "transforms.tokey.type": "org.apache.kafka.connect.transforms.ValueToKey",
    "transforms.tokey.fields": "line",
    "transforms.extract.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
    "transforms.extract.field": "line",
}


def _topic_creation(unique: str) -> dict[str, str]:
    return {
        "topic.creation.default.replication.factor": "1",
        "topic.creation.default.partitions": "3",
        "topic.creation.groups": "compacted",
        "topic.creation.compacted.include": f"{unique}-compact.*, other-.*",
        "topic.creation.compacted.exclude": f"{unique}-compact-not",
        "topic.creation.compacted.partitions": "2",
        "topic.creation.compacted.cleanup.policy": "compact",
    }


def _partitions(broker: KafkaBroker, topic: str) -> int | None:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
    meta = admin.list_topics(timeout=30).topics.get(topic)
    return None if meta is None or meta.error is not None else len(meta.partitions)


def _topic_config(broker: KafkaBroker, topic: str) -> dict[str, Any]:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=30)
    return {name: (e.value, e.is_default) for name, e in entries.items()}


def _source(tmp_path: Path, name: str, topic: str, lines: int, extra: dict[str, str]) -> dict[str, str]:
    src = tmp_path / f"{name}.txt"
    src.write_text("".join(f"{name} line {i}\n" for i in range(lines)))
    return {"connector.class": "FileStreamSource", "file": str(src), "topic": topic, **extra}


def test_source_tasks_create_topics_with_the_settings_of_the_matching_group(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    plain, compacted, excluded = unique_topic + "-plain", unique_topic + "-compacted", unique_topic + "-compact-not"
    existing = unique_topic + "-compact-existing"  # matches the group, but exists already: left as it is
    kafka_broker.create_topic(existing, partitions=1)
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    try:
        w.start()
        creation = _topic_creation(unique_topic)
        w.create("tc-existing", _source(tmp_path, "tc-existing", existing, 5, {**creation, **_KEYED}))
        w.create("tc-plain", _source(tmp_path, "tc-plain", plain, 20, creation))
        w.create("tc-compacted", _source(tmp_path, "tc-compacted", compacted, 20, {**creation, **_KEYED}))
        w.create("tc-excluded", _source(tmp_path, "tc-excluded", excluded, 20, creation))
        assert len(topic_values(kafka_broker, plain, 20)) == 20
        assert len(topic_values(kafka_broker, compacted, 20)) == 20
        assert len(topic_values(kafka_broker, excluded, 20)) == 20
        # Default group: 3 partitions, broker defaults otherwise.
        assert _partitions(kafka_broker, plain) == 3
        assert _topic_config(kafka_broker, plain)["cleanup.policy"] == ("delete", True)
        # The group's include matches: 2 partitions and the group's topic config.
        assert _partitions(kafka_broker, compacted) == 2
        assert _topic_config(kafka_broker, compacted)["cleanup.policy"] == ("compact", False)
        # Included but excluded by the same group: falls back to the default group.
        assert _partitions(kafka_broker, excluded) == 3
        assert _topic_config(kafka_broker, excluded)["cleanup.policy"] == ("delete", True)
        assert len(topic_values(kafka_broker, existing, 5)) == 5
        assert _partitions(kafka_broker, existing) == 1
        assert _topic_config(kafka_broker, existing)["cleanup.policy"] == ("delete", True)
        for name in ("tc-plain", "tc-compacted", "tc-excluded", "tc-existing"):
            assert w.status(name)["tasks"][0]["state"] == "RUNNING"
    finally:
        w.stop()


def test_worker_with_topic_creation_disabled_creates_nothing(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, extra={"topic.creation.enable": "false"})
    try:
        w.start()
        topic = unique_topic + "-compacted"
        w.create("tc-off", _source(tmp_path, "tc-off", topic, 10, {**_topic_creation(unique_topic), **_KEYED}))
        assert len(topic_values(kafka_broker, topic, 10)) == 10
        # Created by the broker's auto-creation (num.partitions=1), not with the group's settings.
        assert _partitions(kafka_broker, topic) == 1
        assert _topic_config(kafka_broker, topic)["cleanup.policy"] == ("delete", True)
    finally:
        w.stop()


MISSING_RF = 'Missing required configuration "topic.creation.default.replication.factor" which has no default value.'


def test_invalid_topic_creation_settings_fail_the_connector_as_in_java(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    try:
        w.start()
        config = _source(tmp_path, "tc-bad", unique_topic, 1, {"topic.creation.default.partitions": "3"})
        # Validation does not check these keys (as in Java); the start does: 500, connector kept, FAILED.
        status_code, body = w.rest.call("POST", "/connectors", {"name": "tc-bad", "config": config})
        assert status_code == 500
        assert body["message"] == MISSING_RF
        status = wait_for(
            lambda: (s := w.status("tc-bad"))["connector"]["state"] == "FAILED" and s,
            60,
            "the connector to fail on its missing replication factor",
        )
        assert MISSING_RF in status["connector"]["trace"]
        assert status["connector"]["version"] is None
        assert status["tasks"] == []
    finally:
        w.stop()


ACKS_MESSAGE = "The 'None' policy does not allow 'acks' to be overridden in the connector configuration."


def test_override_policy_none_rejects_producer_overrides_at_validation(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, extra={"connector.client.config.override.policy": "None"})
    try:
        w.start()
        config = _source(tmp_path, "ov-none", unique_topic, 1, {"producer.override.acks": "1"})
        status, body = w.rest.call(
            "PUT", "/connector-plugins/FileStreamSource/config/validate", {**config, "name": "ov-none"}
        )
        assert status == 200
        assert body["error_count"] == 1
        entry = next(c for c in body["configs"] if c["value"]["name"] == "producer.override.acks")
        assert entry["value"]["errors"] == [ACKS_MESSAGE]
        assert entry["value"]["value"] == "1"
        status, body = w.rest.call("POST", "/connectors", {"name": "ov-none", "config": config})
        assert status == 400
        assert ACKS_MESSAGE in body["message"]
        assert w.rest.call("GET", "/connectors/ov-none")[0] == 404
    finally:
        w.stop()


def test_override_policy_all_accepts_and_applies_producer_overrides(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, extra={"connector.client.config.override.policy": "All"})
    try:
        w.start()
        overrides = {"producer.override.acks": "1", "producer.override.max.request.size": "1000"}
        src = tmp_path / "ov-all.txt"
        src.write_text("short 1\nshort 2\n" + "x" * 5000 + "\n")
        config = {
            "connector.class": "FileStreamSource",
            "file": str(src),
            "topic": unique_topic,
            "batch.size": "1",
            **overrides,
        }
        status, body = w.rest.call(
            "PUT", "/connector-plugins/FileStreamSource/config/validate", {**config, "name": "ov-all"}
        )
        assert status == 200
        assert body["error_count"] == 0, body
        names = [c["value"]["name"] for c in body["configs"]]
        assert "producer.override.acks" in names
        assert "producer.override.max.request.size" in names
        w.create("ov-all", config)
        # The override reached the producer: the 5000-byte record exceeds the 1000-byte limit and fails
        # the task, after the two short ones were delivered.
        assert [v.decode() for v in topic_values(kafka_broker, unique_topic, 2)] == ["short 1", "short 2"]
        task = wait_for(
            lambda: (t := w.status("ov-all")["tasks"][0])["state"] == "FAILED" and t, 60, "the oversized record"
        )
        assert "MSG_SIZE_TOO_LARGE" in task["trace"] or "too large" in task["trace"].lower()
    finally:
        w.stop()
