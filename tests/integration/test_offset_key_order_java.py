"""A multi-key source partition written by Java Kafka Connect (4.3.1) and read by kconnect in another key order.

Java's distributed worker stores an offset altered over REST (``PATCH /connectors/{c}/offsets``) under the
bytes of the partition map as it holds it (measured: HashMap order, whatever the REST body's order; a
connector's own LinkedHashMap would keep its order, which test_offset_key_order.py covers). kconnect's
offset store finds it whatever order it is asked in, and writes its own update under Java's bytes, so Java
then reports kconnect's offset (one key, not two). This pins compatibility with Java's bytes both ways.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.supervisor.stores import formats as f
from kconnect.supervisor.stores.kafka_log import KafkaLog
from kconnect.supervisor.stores.kafka_stores import internal_client_config, open_internal_stores
from kconnect.supervisor.stores.log import LogRecord
from kconnect.workers.worker_config import WorkerConfig
from tests.integration.test_internal_topics_java import _distributed_props
from tests.support.java_connect import JavaConnect
from tests.support.worker import RestClient, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.java]

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def _props(broker: KafkaBroker, stem: str) -> dict[str, str]:
    return _distributed_props(broker, stem)  # the same worker settings as the internal-topics Java test


def _call(rest: RestClient, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200,)) -> Any:
    status, answer = rest.call(method, path, body)
    assert status in expect, f"{method} {path} -> {status} {answer}"
    return answer


def _offset_records(worker: WorkerConfig, topic: str) -> list[LogRecord]:
    records: list[LogRecord] = []
    log = KafkaLog(
        topic, records.append, internal_client_config(worker, "consumer"), client_id="reader", read_only=True
    )
    log.start()
    log.stop()
    return records


def test_kconnect_reads_and_updates_a_multi_key_partition_java_wrote(
    kafka_broker: KafkaBroker, unique_topic: str, tmp_path: Path
) -> None:
    props = _props(kafka_broker, unique_topic)
    worker = WorkerConfig.from_props(props, "distributed", log=False)
    source_file = str(tmp_path / "in.txt")
    requested = {"table": "orders", "filename": source_file, "db": "shop"}  # the order of the REST body
    with JavaConnect(tmp_path / "java", kafka_broker.bootstrap_servers, "distributed", extra=props) as java:
        rest = java.rest
        config = {"connector.class": FILE_SOURCE, "tasks.max": "1", "file": source_file, "topic": f"{unique_topic}-out"}
        _call(rest, "POST", "/connectors", {"name": "src", "config": config, "initial_state": "STOPPED"}, (201,))
        wait_for(lambda: rest.call("GET", "/connectors/src/status")[0] == 200, 30, "src known")
        wait_for(
            lambda: rest.call("GET", "/connectors/src/status")[1]["connector"]["state"] == "STOPPED", 30, "src STOPPED"
        )
        body = {"offsets": [{"partition": requested, "offset": {"position": 7}}]}
        _call(rest, "PATCH", "/connectors/src/offsets", body)

        records = [r for r in _offset_records(worker, props["offset.storage.topic"]) if r.value is not None]
        assert len(records) == 1
        java_key = records[0].key
        assert java_key is not None
        java_order = list(json.loads(java_key)[1])
        print(f"[offset-key-order] Java wrote the partition keys as {java_order} (REST body: {list(requested)})")

        stores = open_internal_stores(worker)
        stores.start()
        try:
            # Asked in two orders, neither of them necessarily Java's: the same offset.
            by_sorted = {k: requested[k] for k in sorted(requested)}
            by_reversed = {k: requested[k] for k in reversed(java_order)}
            assert list(by_reversed) != java_order
            assert stores.offsets.offset("src", by_sorted) == {"position": 7}
            assert stores.offsets.offset("src", by_reversed) == {"position": 7}
            assert [(dict(p), dict(o)) for p, o in stores.offsets.connector_offsets("src")] == [
                (requested, {"position": 7})
            ]
            # kconnect's update, asked in another order, lands on Java's key bytes.
            stores.offsets.put_offsets("src", [(by_reversed, {"position": 9})])
        finally:
            stores.stop()
        keys = {r.key for r in _offset_records(worker, props["offset.storage.topic"])}
        assert keys == {java_key}, f"{f.encode_offset_key('src', by_reversed)!r} written besides Java's key"

        def java_sees_update() -> Any:
            offsets = _call(rest, "GET", "/connectors/src/offsets")["offsets"]
            return offsets if offsets and offsets[0]["offset"] == {"position": 9} else None

        offsets = wait_for(java_sees_update, 30, "Java to report kconnect's offset")
        assert offsets == [{"partition": requested, "offset": {"position": 9}}]
