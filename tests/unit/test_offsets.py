from __future__ import annotations

import json

from kconnect.workers.offsets import SubmittedOffsets, offset_key, offset_value, partition_of_key


def test_keys_and_values_are_apache_compact_json() -> None:
    key = offset_key("my-conn", {"filename": "/tmp/é.txt"})
    assert key == '["my-conn",{"filename":"/tmp/é.txt"}]'
    assert offset_value({"position": 42}) == '{"position":42}'
    assert offset_value(None) is None
    assert partition_of_key(key) == ("my-conn", {"filename": "/tmp/é.txt"})


def _batch(sub: SubmittedOffsets, position: int, records: int) -> object:
    batch = sub.new_batch()
    batch.outstanding = records
    batch.offsets[offset_key("c", {"f": 1})] = ({"f": 1}, {"position": position})
    batch.sealed = True
    return batch


def test_only_leading_acknowledged_batches_commit() -> None:
    sub = SubmittedOffsets()
    first = _batch(sub, 10, 2)
    second = _batch(sub, 20, 1)
    second.ack(None)  # type: ignore[attr-defined]
    assert sub.drain_committable() == {}, "a later batch must not commit past an unacknowledged one"
    first.ack(None)  # type: ignore[attr-defined]
    assert sub.drain_committable() == {}
    first.ack(None)  # type: ignore[attr-defined]
    ready = sub.drain_committable()
    assert [json.dumps(v[1]) for v in ready.values()] == ['{"position": 20}']
    assert sub.in_flight == 0


def test_a_failed_delivery_blocks_commit_and_is_reported() -> None:
    sub = SubmittedOffsets()
    batch = _batch(sub, 5, 1)
    batch.ack("broker down")  # type: ignore[attr-defined]
    assert sub.drain_committable() == {}
    assert "broker down" in str(sub.first_failure())
