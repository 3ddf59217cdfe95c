"""The internal topic stores against the real broker: topic creation/verification and store round trips."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from kconnect.api.errors import ConfigError
from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.supervisor.stores import formats as f
from kconnect.supervisor.stores.kafka_stores import create_internal_topics, open_internal_stores
from kconnect.supervisor.stores.log import java_partition
from kconnect.workers.worker_config import WorkerConfig

pytestmark = pytest.mark.kafka


def _worker(broker: KafkaBroker, stem: str, **extra: str) -> WorkerConfig:
    props = {
        "bootstrap.servers": broker.bootstrap_servers,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "group.id": stem,
        "config.storage.topic": f"{stem}-configs",
        "offset.storage.topic": f"{stem}-offsets",
        "status.storage.topic": f"{stem}-status",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "offset.storage.partitions": "5",
        "status.storage.partitions": "3",
        **extra,
    }
    return WorkerConfig.from_props(props, "distributed", log=False)


def _describe(admin: AdminClient, topic: str) -> tuple[int, dict[str, str]]:
    md = admin.list_topics(topic, timeout=10)
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = next(iter(admin.describe_configs([resource]).values())).result(timeout=10)
    return len(md.topics[topic].partitions), {k: v.value for k, v in entries.items()}


def test_internal_topics_are_created_with_required_settings(kafka_broker: KafkaBroker, unique_topic: str) -> None:
    # -1: the broker's defaults (num.partitions=1, default.replication.factor=1 on the test broker).
    worker = _worker(
        kafka_broker,
        unique_topic,
        **{
            "status.storage.segment.ms": "600000",
            "offset.storage.partitions": "-1",
            "status.storage.replication.factor": "-1",
        },
    )
    created = create_internal_topics(worker)
    coordination = f"{unique_topic}-configs-coordination"
    assert sorted(created) == sorted(
        [f"{unique_topic}-configs", f"{unique_topic}-offsets", f"{unique_topic}-status", coordination]
    )
    admin = kafka_broker.admin()
    parts, configs = _describe(admin, f"{unique_topic}-configs")
    assert (parts, configs["cleanup.policy"]) == (1, "compact")
    parts, configs = _describe(admin, f"{unique_topic}-offsets")
    assert (parts, configs["cleanup.policy"]) == (1, "compact")
    parts, configs = _describe(admin, f"{unique_topic}-status")
    assert (parts, configs["cleanup.policy"], configs["segment.ms"]) == (3, "compact", "600000")
    parts, configs = _describe(admin, coordination)
    assert parts == 1
    assert configs["cleanup.policy"] == "delete"
    assert configs["message.timestamp.type"] == "LogAppendTime"
    assert configs["unclean.leader.election.enable"] == "false"
    assert configs["retention.ms"] == "86400000"
    # A second worker verifies the existing topics and creates nothing.
    assert create_internal_topics(worker) == []


def test_misconfigured_existing_topics_are_refused(kafka_broker: KafkaBroker, unique_topic: str) -> None:
    admin = kafka_broker.admin()
    worker = _worker(kafka_broker, unique_topic)
    bad_config = NewTopic(
        f"{unique_topic}-configs", num_partitions=3, replication_factor=1, config={"cleanup.policy": "compact"}
    )
    for fut in admin.create_topics([bad_config]).values():
        fut.result(timeout=30)
    with pytest.raises(ConfigError) as e:
        create_internal_topics(worker)
    assert str(e.value) == (
        f"Topic '{unique_topic}-configs' supplied via the 'config.storage.topic' property is required to have a "
        "single partition in order to guarantee consistency of connector configurations, but found 3 partitions."
    )

    other = _worker(kafka_broker, unique_topic + "-b")
    coordination = f"{unique_topic}-b-configs-coordination"
    create_time = NewTopic(coordination, num_partitions=1, replication_factor=1, config={"cleanup.policy": "delete"})
    for fut in admin.create_topics([create_time]).values():
        fut.result(timeout=30)
    with pytest.raises(ConfigError, match=r"kconnect\.coordination\.storage\.topic.*message\.timestamp\.type"):
        create_internal_topics(other)


def test_stores_round_trip_through_kafka(kafka_broker: KafkaBroker, unique_topic: str) -> None:
    worker = _worker(kafka_broker, unique_topic)
    create_internal_topics(worker)
    writer = open_internal_stores(worker)
    writer.start()
    try:
        writer.config.put_connector_config("src", {"name": "src", "connector.class": "FileStreamSource"}, "PAUSED")
        writer.config.put_task_configs("src", [{"task.class": "T", "n": "0"}, {"task.class": "T", "n": "1"}])
        writer.config.put_target_state("src", "STOPPED")
        writer.config.put_session_key(b"s" * 32, "HmacSHA256", 1700000000000)
        writer.config.put_connector_config("gone", {"name": "gone"})
        writer.config.remove_connector_config("gone")
        running = f.StatusValue("RUNNING", None, "127.0.0.1:8083", 1, "4.3.1")
        writer.status.put_connector("src", running)
        writer.status.put_task(("src", 0), running)
        writer.status.put_topic("out", "src", 0, 1700000000001)
        writer.offsets.put_offsets(
            "src", [({"filename": "/a"}, {"position": 10}), ({"filename": "/b"}, {"position": 5})]
        )
        writer.offsets.put_offsets("src", [({"filename": "/b"}, None)])
        expected = writer.config.snapshot()
    finally:
        writer.stop()

    reader = open_internal_stores(worker)
    reader.start()
    try:
        snap = reader.config.snapshot()
        assert snap == expected
        assert snap.connectors() == ["src"]
        assert snap.target_state("src") == "STOPPED"
        assert [dict(snap.task_config(t) or {}) for t in snap.tasks("src")] == [
            {"task.class": "T", "n": "0"},
            {"task.class": "T", "n": "1"},
        ]
        assert snap.session_key == f.SessionKey(b"s" * 32, "HmacSHA256", 1700000000000)
        assert reader.status.get("src") == running
        assert reader.status.get_all("src") == {0: running}
        assert reader.status.get_topics("src")["out"].task == 0
        assert reader.offsets.connector_offsets("src") == [({"filename": "/a"}, {"position": 10})]
    finally:
        reader.stop()

    # librdkafka's murmur2_random put each offset record where Java's partitioner would have.
    consumer = Consumer({"bootstrap.servers": kafka_broker.bootstrap_servers, "group.id": unique_topic})
    topic = f"{unique_topic}-offsets"
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(5)])
        seen = 0
        while seen < 3:
            msg = consumer.poll(10)
            assert msg is not None, "offset records missing"
            assert msg.error() is None
            assert msg.partition() == java_partition(msg.key(), 5)
            seen += 1
    finally:
        consumer.close()
