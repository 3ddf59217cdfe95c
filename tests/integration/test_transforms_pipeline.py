"""SMT chains run inside real task processes: configured as in Java, checked on data read back from Kafka."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.integration.test_standalone import topic_values
from tests.support.worker import Worker, count_lines, wait_for

pytestmark = pytest.mark.kafka


def test_source_chain_routes_and_hoists_and_a_predicate_limits_a_sink_filter(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    src = tmp_path / "in.txt"
    src.write_text("".join(f"line {i}\n" for i in range(50)))
    routed = unique_topic + "-out"
    try:
        w.start()
        w.create(
            "chain-src",
            {
                "connector.class": "FileStreamSource",
                "file": str(src),
                "topic": unique_topic + "-in",
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false",
                "transforms": "route,hoist",
                "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
                "transforms.route.regex": "(.*)-in",
                "transforms.route.replacement": "$1-out",
                "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.hoist.field": "line",
            },
        )
        values = [json.loads(v) for v in topic_values(kafka_broker, routed, 50)]
        assert values == [{"line": f"line {i}"} for i in range(50)]
        # A sink whose Filter applies only to records of the routed topic (TopicNameMatches): all dropped.
        out = tmp_path / "out.txt"
        w.create(
            "chain-sink",
            {
                "connector.class": "FileStreamSink",
                "file": str(out),
                "topics": f"{routed},{unique_topic}-other",
                "transforms": "drop",
                "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
                "transforms.drop.predicate": "routed",
                "predicates": "routed",
                "predicates.routed.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                "predicates.routed.pattern": ".*-out",
            },
        )
        from confluent_kafka import Producer

        p = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
        p.produce(unique_topic + "-other", b"kept")
        p.flush(30)
        wait_for(lambda: count_lines(out) >= 1, 60, "the record the filter lets through")

        def consumed_routed() -> bool:
            offsets = w.rest.get("/connectors/chain-sink/offsets")["offsets"]
            return any(o["partition"]["kafka_topic"] == routed and o["offset"]["kafka_offset"] == 50 for o in offsets)

        wait_for(consumed_routed, 60, "the sink to have consumed (and filtered) all 50 routed records")
        assert out.read_text().splitlines() == ["kept"]
        status, body = w.rest.call(
            "POST",
            "/connectors",
            {
                "name": "bad-chain",
                "config": {
                    "connector.class": "FileStreamSink",
                    "topics": "t",
                    "transforms": "x",
                    "transforms.x.type": "com.example.Nope",
                },
            },
        )
        assert status == 400
        assert "Class com.example.Nope could not be found." in body["message"]
    finally:
        w.stop()
