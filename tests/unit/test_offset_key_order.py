"""Source offsets of a partition map with several keys match whatever order the keys were written in."""

from __future__ import annotations

import json

from kconnect.supervisor.stores import formats as f
from kconnect.supervisor.stores.backing import OffsetStore
from kconnect.supervisor.stores.log import Consume, MemoryLog, MemoryTopic, java_partition
from kconnect.workers.offsets import canonical_offset_key, offset_key
from kconnect.workers.source import StoredOffsets

PARTITION_JAVA_ORDER = {"table": "orders", "db": "shop", "shard": "7"}  # as a Java LinkedHashMap wrote it
PARTITION_TASK_ORDER = {"db": "shop", "table": "orders", "shard": "7"}  # as the task asks for it


def _factory(topic: MemoryTopic) -> object:
    def make(consume: Consume) -> MemoryLog:
        return MemoryLog(topic, consume)

    return make


def _raw_key(connector: str, partition: dict[str, str]) -> bytes:
    # The bytes a Java worker writes for a map iterated in this order (Jackson, compact).
    return json.dumps([connector, partition], separators=(",", ":")).encode()


def _store(topic: MemoryTopic) -> OffsetStore:
    store = OffsetStore(_factory(topic))  # type: ignore[arg-type]
    store.start()
    return store


def test_the_canonical_key_ignores_key_order_also_in_nested_maps() -> None:
    a = canonical_offset_key("c", {"x": 1, "y": {"b": 2, "a": 3}})
    b = canonical_offset_key("c", {"y": {"a": 3, "b": 2}, "x": 1})
    assert a == b
    assert canonical_offset_key("c", {"x": 1}) != canonical_offset_key("d", {"x": 1})
    assert canonical_offset_key("c", {"x": 1}) != canonical_offset_key("c", {"x": "1"})


def test_the_task_reader_finds_an_offset_stored_under_another_key_order() -> None:
    stored = {offset_key("c", PARTITION_JAVA_ORDER): {"n": 41}}
    reader = StoredOffsets("c", stored)
    assert reader.offset(PARTITION_TASK_ORDER) == {"n": 41}
    reader.update(offset_key("c", PARTITION_TASK_ORDER), {"n": 50})  # its own commit, in its own order
    assert reader.offset(PARTITION_JAVA_ORDER) == {"n": 50}
    reader.update(offset_key("c", PARTITION_JAVA_ORDER), None)
    assert reader.offset(PARTITION_TASK_ORDER) is None


def test_the_store_matches_any_order_and_writes_back_under_the_bytes_it_found() -> None:
    topic = MemoryTopic("offsets", partitions=5)
    writer = _store(topic)
    java_key = _raw_key("c", PARTITION_JAVA_ORDER)
    writer.set({java_key: b'{"n":41}'})
    reader = _store(topic)
    assert reader.offset("c", PARTITION_TASK_ORDER) == {"n": 41}
    assert reader.connector_offsets("c") == [(PARTITION_JAVA_ORDER, {"n": 41})]
    # A later commit of the same partition in another order goes to the raw key that holds it: one
    # key, one topic partition, so compaction keeps only the latest and Java still finds its bytes.
    reader.put_offsets("c", [(PARTITION_TASK_ORDER, {"n": 50})])
    assert f.encode_offset_key("c", PARTITION_TASK_ORDER) != java_key
    keys = {r.key for records in topic.records for r in records}
    assert keys == {java_key}
    fresh = _store(topic)
    assert fresh.offset("c", PARTITION_JAVA_ORDER) == {"n": 50}
    assert fresh.data[java_key] == b'{"n":50}'


def test_the_latest_write_wins_between_byte_forms_and_a_reset_tombstones_every_form() -> None:
    topic = MemoryTopic("offsets", partitions=5)
    store = _store(topic)
    java_key = _raw_key("c", PARTITION_JAVA_ORDER)
    other_key = _raw_key("c", {"shard": "7", "table": "orders", "db": "shop"})
    store.set({java_key: b'{"n":1}'})
    store.set({other_key: b'{"n":2}'})  # later (a higher record timestamp), on another topic partition
    store.set({java_key: b'{"n":3}'})
    store.read_to_end()
    assert store.offset("c", PARTITION_TASK_ORDER) == {"n": 3}
    # Replay reads partition by partition: the {"n":3} form's partition comes first, the older {"n":2} after.
    assert java_partition(java_key, 5) < java_partition(other_key, 5)
    # A worker replaying the topic partition by partition still picks the latest record.
    replayed = _store(topic)
    assert replayed.offset("c", PARTITION_TASK_ORDER) == {"n": 3}
    assert replayed.connector_offsets("c") == [(PARTITION_JAVA_ORDER, {"n": 3})]
    assert replayed.partitions["c"] == [PARTITION_JAVA_ORDER]
    replayed.put_offsets("c", [(PARTITION_TASK_ORDER, None)])  # reset
    tombstoned = {r.key for records in topic.records for r in records if r.value is None}
    assert {java_key, other_key} <= tombstoned
    after = _store(topic)
    assert after.offset("c", PARTITION_JAVA_ORDER) is None
    assert after.connector_offsets("c") == []
    assert after.partitions["c"] == []
    # The partition can be written again after a reset.
    after.put_offsets("c", [(PARTITION_TASK_ORDER, {"n": 0})])
    assert _store(topic).offset("c", PARTITION_JAVA_ORDER) == {"n": 0}
