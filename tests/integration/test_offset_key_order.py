"""Source offsets of a partition map with several keys, across key orders, on a real distributed worker.

A Java worker writes a partition map in its own iteration order. The offset record is produced here with
the keys in an order that is neither Java's HashMap order, nor sorted, nor the order the task asks in; the
kconnect task must resume after it, REST must report it, commits must land on the same key bytes, and a
reset must tombstone them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer

from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.workers.javafmt import java_hashmap_put_order
from tests.support.plugins import MULTI_KEY_PARTITION, MultiKeySourceConnector
from tests.support.worker import Worker, wait_for

pytestmark = [pytest.mark.kafka]

STORED_ORDER = ["table", "db", "shard"]  # how "Java" wrote the partition map
TASK_ORDER = "db,table,shard"  # how the kconnect task builds it


def _profile(group: str) -> dict[str, str]:
    return {
        "group.id": group,
        "config.storage.topic": f"{group}-configs",
        "offset.storage.topic": f"{group}-offsets",
        "status.storage.topic": f"{group}-status",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "offset.storage.partitions": "5",
        "status.storage.partitions": "2",
        "session.timeout.ms": "8000",
        "heartbeat.interval.ms": "500",
        "scheduled.rebalance.max.delay.ms": "6000",
        "kconnect.coordination.initial.rebalance.delay.ms": "500",
        "kconnect.coordination.rebalance.debounce.ms": "300",
        "offset.flush.interval.ms": "500",
    }


def _read(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    out: list[tuple[bytes | None, bytes | None]] = []
    try:
        consumer.subscribe([topic])
        idle = 0
        while idle < 6:  # 3 s without a record after the last one
            msg = consumer.poll(0.5)
            if msg is None:
                idle += 1 if out or idle < 20 else 0
                continue
            if msg.error() is None:
                idle = 0
                out.append((msg.key(), msg.value()))
    finally:
        consumer.close()
    return out


def _rest_offsets(worker: Worker, name: str) -> list[dict[str, Any]]:
    status, body = worker.rest.call("GET", f"/connectors/{name}/offsets")
    return list(body["offsets"]) if status == 200 else []


def test_a_multi_key_partition_stored_in_another_key_order_is_found_kept_and_reset(
    kafka_broker: KafkaBroker, unique_topic: str, tmp_path: Path
) -> None:
    assert STORED_ORDER != java_hashmap_put_order(list(MULTI_KEY_PARTITION)) != TASK_ORDER.split(",")
    assert sorted(MULTI_KEY_PARTITION) != STORED_ORDER
    bootstrap = kafka_broker.bootstrap_servers
    group = f"okey-{uuid.uuid4().hex[:8]}"
    name = "multi"
    worker = Worker(tmp_path, bootstrap, _profile(group), mode="distributed").start()
    try:
        wait_for(lambda: worker.rest.call("GET", "/connectors")[0] == 200, 60, "the worker to join")
        stored_partition = {key: MULTI_KEY_PARTITION[key] for key in STORED_ORDER}
        raw_key = json.dumps([name, stored_partition], separators=(",", ":")).encode()
        # Java's partitioner (murmur2), so the record lands where a Java worker's would.
        producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
        producer.produce(f"{group}-offsets", key=raw_key, value=b'{"n":41}')
        assert producer.flush(30) == 0

        worker.create(
            name,
            {
                "connector.class": MultiKeySourceConnector.class_name,
                "tasks.max": "1",
                "topic": unique_topic,
                "count": "60",
                "partition.key.order": TASK_ORDER,
            },
        )
        # The task resumed after the stored offset: 42..59, never 0..41.
        values = wait_for(
            lambda: (v := [r[1] for r in _read(bootstrap, unique_topic)]) and len(v) >= 18 and v,
            60,
            "the source's records",
        )
        assert values == [str(n).encode() for n in range(42, 60)]

        # REST reports the partition (in the order it was stored) with the task's last committed offset.
        offsets = wait_for(
            lambda: (o := _rest_offsets(worker, name)) and o[0]["offset"] == {"n": 59} and o,
            60,
            "the committed offset in GET /offsets",
        )
        assert offsets == [{"partition": stored_partition, "offset": {"n": 59}}]

        # The commits went to the very key bytes that were stored (one key: compaction keeps the latest).
        records = _read(bootstrap, f"{group}-offsets")
        assert {key for key, _ in records} == {raw_key}
        assert records[-1] == (raw_key, b'{"n":59}'), records

        # A reset tombstones that key; the offsets are gone for REST and in the topic.
        assert worker.rest.call("PUT", f"/connectors/{name}/stop")[0] == 204
        wait_for(lambda: worker.status(name)["connector"]["state"] == "STOPPED", 60, "the connector to stop")
        status, body = worker.rest.call("DELETE", f"/connectors/{name}/offsets")
        assert status == 200, body
        assert wait_for(lambda: _rest_offsets(worker, name) == [], 30, "no offsets after the reset")
        after = _read(bootstrap, f"{group}-offsets")
        assert after[-1] == (raw_key, None), after
    finally:
        worker.stop()
