"""The dev/test broker really works: produce and consume through it, plain and with SASL."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from kconnect.supervisor.devbroker.broker import ClientConfig, KafkaBroker

pytestmark = [pytest.mark.kafka, pytest.mark.java]


def _round_trip(config: ClientConfig, topic: str) -> None:
    """Produce one record with key and headers, then read it back with a fresh consumer group."""
    key, value = b"k-" + uuid.uuid4().bytes, b"hello kafka " + uuid.uuid4().hex.encode()
    delivered: list[KafkaError | None] = []
    producer = Producer({**config, "acks": "all"})
    producer.produce(
        topic,
        key=key,
        value=value,
        headers=[("h1", b"v1")],
        on_delivery=lambda err, msg: delivered.append(err),
    )
    assert producer.flush(30) == 0
    assert delivered == [None]

    consumer = Consumer(
        {
            **config,
            "group.id": f"g-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": "false",
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            assert msg.topic() == topic
            assert msg.key() == key
            assert msg.value() == value
            assert msg.headers() == [("h1", b"v1")]
            return
        pytest.fail(f"no message consumed from {topic} within 30s")
    finally:
        consumer.close()


def test_produce_consume_plaintext(kafka_broker: KafkaBroker, unique_topic: str) -> None:
    kafka_broker.create_topic(unique_topic, partitions=3)
    md = kafka_broker.admin().list_topics(topic=unique_topic, timeout=10)
    assert len(md.topics[unique_topic].partitions) == 3
    _round_trip(kafka_broker.client_config(), unique_topic)


def test_topics_are_auto_created(kafka_broker: KafkaBroker, unique_topic: str) -> None:
    _round_trip({"bootstrap.servers": kafka_broker.bootstrap_servers}, unique_topic)


def test_bootstrap_servers_is_loopback(kafka_broker: KafkaBroker) -> None:
    host, port = kafka_broker.bootstrap_servers.rsplit(":", 1)
    assert host == "127.0.0.1"
    assert int(port) > 0
    assert kafka_broker.is_running()
    assert "Kafka Server started" in kafka_broker.log_file.read_text()


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "PLAIN"])
def test_produce_consume_sasl(kafka_sasl_broker: KafkaBroker, unique_topic: str, mechanism: str) -> None:
    kafka_sasl_broker.create_topic(unique_topic)  # via the PLAINTEXT (admin) listener
    config = kafka_sasl_broker.sasl_client_config(mechanism)
    assert config["sasl.username"] == "alice"
    assert config["bootstrap.servers"] == kafka_sasl_broker.sasl_bootstrap_servers
    _round_trip(config, unique_topic)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "PLAIN"])
def test_sasl_wrong_password_is_rejected(kafka_sasl_broker: KafkaBroker, mechanism: str) -> None:
    errors: list[KafkaError] = []
    admin = AdminClient(
        kafka_sasl_broker.sasl_client_config(mechanism, password="not-the-password"),
        error_cb=errors.append,
        logger=logging.getLogger("test.rdkafka"),  # keep librdkafka's auth errors off stderr
    )
    # librdkafka retries the failing authentication until the call times out (_TRANSPORT) ...
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=3)
    # ... and reports the reason through error_cb, which poll() serves.
    admin.poll(1)
    auth_errors = [e for e in errors if e.code() == KafkaError._AUTHENTICATION]
    assert auth_errors, errors
    assert all("Authentication failed" in e.str() for e in auth_errors), [e.str() for e in auth_errors]
    # The right password on the same listener works.
    good = AdminClient(kafka_sasl_broker.sasl_client_config(mechanism))
    assert good.list_topics(timeout=10).brokers
