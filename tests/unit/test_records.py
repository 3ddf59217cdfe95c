"""replace_record: the fast copy SMTs use must equal dataclasses.replace on every record class."""

from __future__ import annotations

import dataclasses

import pytest

from kconnect.api.records import ConnectRecord, Headers, SinkRecord, SourceRecord, replace_record


def _examples() -> list[ConnectRecord]:
    headers = Headers().add("h", "v")
    return [
        ConnectRecord(topic="t", kafka_partition=1, key="k", value={"a": 1}, timestamp=5, headers=headers),
        SourceRecord(topic="t", value="v", source_partition={"file": "f"}, source_offset={"position": 3}),
        SinkRecord(
            topic="t",
            kafka_partition=2,
            value=b"x",
            kafka_offset=9,
            timestamp_type="LogAppendTime",
            original_topic="o",
            original_kafka_partition=0,
            original_kafka_offset=7,
        ),
    ]


@pytest.mark.parametrize("record", _examples(), ids=lambda r: type(r).__name__)
def test_replace_record_matches_dataclasses_replace(record: ConnectRecord) -> None:
    changes = {"topic": "other", "value": [1, 2], "headers": Headers()}
    fast = replace_record(record, **changes)
    assert fast == dataclasses.replace(record, **changes)
    assert type(fast) is type(record)
    assert fast is not record
    # every field not changed is carried over, and the original is untouched
    for f in dataclasses.fields(record):
        if f.name not in changes:
            assert getattr(fast, f.name) == getattr(record, f.name)
    assert record.topic == "t"


def test_replace_record_rejects_unknown_field() -> None:
    with pytest.raises(AttributeError):
        replace_record(SinkRecord(topic="t"), no_such_field=1)
