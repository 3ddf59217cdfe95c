"""Record conversion between Connect data and Kafka bytes, per task (the hot path)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kconnect.api.converter import Converter, HeaderConverter, SchemaAndValue
from kconnect.api.records import ConnectRecord, Headers, SinkRecord, SourceRecord

KafkaHeaders = list[tuple[str, str | bytes | None]]
ProduceArgs = tuple[str, int, bytes | None, bytes | None, KafkaHeaders | None, int]

Transform = Callable[[ConnectRecord], ConnectRecord | None]


@dataclass
class Pipeline:
    key_converter: Converter
    value_converter: Converter
    header_converter: HeaderConverter
    transforms: Sequence[Transform] = ()
    # The class reported for each transform when it fails (error handling only; same order).
    transform_classes: Sequence[str] = ()

    def _transform(self, record: ConnectRecord) -> ConnectRecord | None:
        for t in self.transforms:
            out = t(record)
            if out is None:
                return None
            record = out
        return record

    def source_to_kafka(self, record: SourceRecord) -> ProduceArgs | None:
        """Transform then convert a SourceRecord into ``Producer.produce`` arguments, or None if dropped."""
        rec = self._transform(record) if self.transforms else record
        if rec is None:
            return None
        topic = rec.topic
        headers: KafkaHeaders | None = None
        if len(rec.headers):
            headers = [
                (h.key, self.header_converter.from_connect_header(topic, h.key, h.schema, h.value)) for h in rec.headers
            ]
        key = self.key_converter.from_connect_data(topic, rec.key_schema, rec.key, rec.headers)
        value = self.value_converter.from_connect_data(topic, rec.value_schema, rec.value, rec.headers)
        partition = rec.kafka_partition if rec.kafka_partition is not None else -1
        timestamp = rec.timestamp if rec.timestamp is not None else 0
        return topic, partition, key, value, headers, timestamp

    def kafka_to_sink(self, msg: Any) -> SinkRecord | None:
        """Convert a confluent_kafka Message into a SinkRecord (then transform), or None if dropped."""
        topic = msg.topic()
        raw_headers = msg.headers()
        headers = Headers()
        if raw_headers:
            for hk, hv in raw_headers:
                sv = self.header_converter.to_connect_header(topic, hk, hv)
                headers.add(hk, sv.value, sv.schema)
        key = self.key_converter.to_connect_data(topic, msg.key(), headers)
        value = self.value_converter.to_connect_data(topic, msg.value(), headers)
        # Built inline rather than through sink_record(): one call less per record on the hot path.
        ts_type, ts = msg.timestamp()
        partition = msg.partition()
        offset = msg.offset()
        record = SinkRecord(
            topic=topic,
            kafka_partition=partition,
            key_schema=key.schema,
            key=key.value,
            value_schema=value.schema,
            value=value.value,
            timestamp=ts if ts_type != 0 else None,
            headers=headers,
            kafka_offset=offset,
            timestamp_type="LogAppendTime" if ts_type == 2 else "CreateTime",
            original_topic=topic,
            original_kafka_partition=partition,
            original_kafka_offset=offset,
        )
        if not self.transforms:
            return record
        out = self._transform(record)
        return out if isinstance(out, SinkRecord) or out is None else None

    @staticmethod
    def sink_record(msg: Any, headers: Headers, key: SchemaAndValue, value: SchemaAndValue) -> SinkRecord:
        """The SinkRecord of a consumed message whose headers, key and value are converted (error path)."""
        topic = msg.topic()
        ts_type, ts = msg.timestamp()
        partition = msg.partition()
        offset = msg.offset()
        return SinkRecord(
            topic=topic,
            kafka_partition=partition,
            key_schema=key.schema,
            key=key.value,
            value_schema=value.schema,
            value=value.value,
            timestamp=ts if ts_type != 0 else None,
            headers=headers,
            kafka_offset=offset,
            timestamp_type="LogAppendTime" if ts_type == 2 else "CreateTime",
            original_topic=topic,
            original_kafka_partition=partition,
            original_kafka_offset=offset,
        )
