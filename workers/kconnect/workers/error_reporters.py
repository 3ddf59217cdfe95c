"""Where failed records are reported: the application log and the dead-letter queue topic.

Sink DLQ records are the ORIGINAL consumed bytes (key, value, headers, timestamp) plus, when
``errors.deadletterqueue.context.headers.enable=true``, Kafka Connect's ``__connect.errors.*``
headers. Source DLQ records (our opt-in ``kconnect.errors.source.deadletterqueue.enable``) carry the
bytes the converters produced when conversion finished, else a JSON rendering of the SourceRecord
(:func:`render_source_record`), with the same context headers plus the source partition and offset.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import json
import logging
import threading
import traceback
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from kconnect.api.data import Schema, Struct
from kconnect.api.errors import ConnectError
from kconnect.api.records import SourceRecord
from kconnect.workers.client_logging import routed_logs
from kconnect.workers.error_handling import (
    ErrorMetrics,
    ProcessingContext,
    exception_class_name,
    exception_message,
)

logger = logging.getLogger("kconnect.workers.errors")

HEADER_PREFIX = "__connect.errors."
HEADER_TOPIC = HEADER_PREFIX + "topic"
HEADER_PARTITION = HEADER_PREFIX + "partition"
HEADER_OFFSET = HEADER_PREFIX + "offset"
HEADER_CONNECTOR = HEADER_PREFIX + "connector.name"
HEADER_TASK = HEADER_PREFIX + "task.id"
HEADER_STAGE = HEADER_PREFIX + "stage"
HEADER_CLASS = HEADER_PREFIX + "class.name"
HEADER_EXCEPTION = HEADER_PREFIX + "exception.class.name"
HEADER_MESSAGE = HEADER_PREFIX + "exception.message"
HEADER_STACKTRACE = HEADER_PREFIX + "exception.stacktrace"
# Ours, for source records (JSON): which source partition and offset the failed record came from.
HEADER_SOURCE_PARTITION = "__kconnect.errors.source.partition"
HEADER_SOURCE_OFFSET = "__kconnect.errors.source.offset"

DLQ_PARTITIONS = 1  # Java creates the DLQ topic with one partition

KafkaHeaders = list[tuple[str, str | bytes | None]]


def _utf8(value: str | None) -> bytes | None:
    return None if value is None else value.encode("utf-8")


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode("utf-8")


# --- log -------------------------------------------------------------------------------------


class LogReporter:
    """``errors.log.enable``: one ERROR line per failed record (Apache's LogReporter wording)."""

    def __init__(self, task_ident: str, include_messages: bool, metrics: ErrorMetrics) -> None:
        self.task_ident = task_ident
        self.include_messages = include_messages
        self.metrics = metrics

    def report(self, context: ProcessingContext[Any]) -> None:
        if context.error is None:
            return
        logger.error(self.message(context), exc_info=context.error)
        self.metrics.add("total_errors_logged")

    def message(self, context: ProcessingContext[Any]) -> str:
        stage = context.stage.name if context.stage is not None else "null"
        text = f"Error encountered in task {self.task_ident}. Executing stage '{stage}' with class "
        text += f"'{context.executing_class or 'null'}'"
        if self.include_messages:
            text += describe_original(context.original)
        return text + "."

    def close(self) -> None:
        return None


def describe_original(original: Any) -> str:
    if isinstance(original, SourceRecord):
        return ", where source record is = " + describe_source_record(original)
    text = f", where consumed record is {{topic='{original.topic()}', partition={original.partition()}"
    text += f", offset={original.offset()}"
    ts_type, ts = original.timestamp()
    if ts_type in (1, 2):
        text += f", timestamp={ts}, timestampType={'CreateTime' if ts_type == 1 else 'LogAppendTime'}"
    return text + "}"


def describe_source_record(r: SourceRecord) -> str:
    return (
        f"SourceRecord{{sourcePartition={r.source_partition}, sourceOffset={r.source_offset}}} "
        f"ConnectRecord{{topic='{r.topic}', kafkaPartition={r.kafka_partition}, key={r.key!r}, "
        f"keySchema={r.key_schema}, value={r.value!r}, valueSchema={r.value_schema}, "
        f"timestamp={r.timestamp}, headers={r.headers!r}}}"
    )


# --- JSON rendering of source records ----------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, Struct):
        return {f.name: v for f, v in value.items()}
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return repr(value)


def render_schema(schema: Schema | None) -> Any:
    """A schema as JSON: its type (and name, optional flag, fields / element schemas)."""
    if schema is None:
        return None
    out: dict[str, Any] = {"type": schema.type.name, "optional": schema.optional}
    if schema.name is not None:
        out["name"] = schema.name
    if schema.version is not None:
        out["version"] = schema.version
    if schema.parameters:
        out["parameters"] = dict(schema.parameters)
    if schema.fields:
        out["fields"] = [{"name": f.name, "schema": render_schema(f.schema)} for f in schema.fields]
    if schema.key_schema is not None:
        out["keySchema"] = render_schema(schema.key_schema)
    if schema.value_schema is not None:
        out["valueSchema"] = render_schema(schema.value_schema)
    return out


def render_source_record(record: SourceRecord) -> dict[str, Any]:
    """The documented JSON form of a SourceRecord that could not be converted (docs/errors-and-dlq.md)."""
    return {
        "topic": record.topic,
        "kafkaPartition": record.kafka_partition,
        "keySchema": render_schema(record.key_schema),
        "key": record.key,
        "valueSchema": render_schema(record.value_schema),
        "value": record.value,
        "timestamp": record.timestamp,
        "headers": [{"key": h.key, "schema": render_schema(h.schema), "value": h.value} for h in record.headers],
        "sourcePartition": record.source_partition,
        "sourceOffset": record.source_offset,
    }


def render_source_key(record: SourceRecord) -> bytes | None:
    return None if record.key is None else _compact(record.key)


# --- dead-letter queue -------------------------------------------------------------------------


def ensure_dlq_topic(admin_config: Mapping[str, str], topic: str, replication_factor: int, timeout_s: float) -> None:
    """Create the DLQ topic (one partition) if it does not exist, as Java's DeadLetterQueueReporter."""
    admin = AdminClient(dict(admin_config))
    try:
        if topic in admin.list_topics(timeout=timeout_s).topics:
            return
        logger.error("Topic %s doesn't exist. Will attempt to create topic.", topic)
        futures = admin.create_topics(
            [NewTopic(topic, num_partitions=DLQ_PARTITIONS, replication_factor=replication_factor)],
            operation_timeout=timeout_s,
            request_timeout=timeout_s,
        )
        futures[topic].result(timeout=timeout_s)
    except KafkaException as e:
        err = e.args[0] if e.args else None
        if isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            return
        raise ConnectError(f"Could not initialize dead letter queue with topic={topic}") from e


class DeadLetterQueueReporter:
    """Writes failed records to ``errors.deadletterqueue.topic.name`` through its own producer.

    A small thread serves the producer's delivery reports so the Future handed back completes even
    while the task thread is busy (a sink waiting on it inside ``put``).
    """

    def __init__(
        self,
        *,
        producer_config: Mapping[str, str],
        topic: str,
        connector: str,
        task_id: int,
        context_headers: bool,
        metrics: ErrorMetrics,
    ) -> None:
        self.topic = topic
        self.connector = connector
        self.task_id = task_id
        self.context_headers = context_headers
        self.metrics = metrics
        self.producer = Producer(routed_logs(dict(producer_config)))
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._serve, name="dlq-poller", daemon=True)
        self._poller.start()

    def _serve(self) -> None:
        while not self._closed.is_set():
            self.producer.poll(0.1)

    def report(self, context: ProcessingContext[Any]) -> Future[None]:
        self.metrics.add("deadletterqueue_produce_requests")
        future: Future[None] = Future()
        original = context.original
        if original is None:
            self.metrics.add("deadletterqueue_produce_failures")
            future.set_result(None)
            return future
        if isinstance(original, SourceRecord):
            key, value, headers, timestamp = self._source_payload(context, original)
        else:
            key, value = original.key(), original.value()
            headers = list(original.headers() or [])
            ts_type, ts = original.timestamp()
            timestamp = ts if ts_type != 0 else 0
            if self.context_headers:
                headers.extend(self._sink_context(original))
        if self.context_headers:
            headers.extend(self._common_context(context))

        def delivered(err: Any, _msg: Any) -> None:
            if err is None:
                future.set_result(None)
                return
            logger.error("Could not produce message to dead letter queue. topic=%s: %s", self.topic, err)
            self.metrics.add("deadletterqueue_produce_failures")
            future.set_exception(ConnectError(f"Could not produce message to dead letter queue: {err}"))

        while True:
            try:
                self.producer.produce(
                    self.topic, value, key, headers=headers or None, timestamp=timestamp, on_delivery=delivered
                )
                return future
            except BufferError:
                self.producer.poll(0.05)
            except KafkaException as e:
                delivered(e.args[0] if e.args else e, None)
                return future

    @staticmethod
    def _sink_context(original: Any) -> KafkaHeaders:
        return [
            (HEADER_TOPIC, _utf8(original.topic())),
            (HEADER_PARTITION, _utf8(str(original.partition()))),
            (HEADER_OFFSET, _utf8(str(original.offset()))),
        ]

    def _common_context(self, context: ProcessingContext[Any]) -> KafkaHeaders:
        out: KafkaHeaders = [
            (HEADER_CONNECTOR, _utf8(self.connector)),
            (HEADER_TASK, _utf8(str(self.task_id))),
            (HEADER_STAGE, _utf8(context.stage.name if context.stage is not None else None)),
            (HEADER_CLASS, _utf8(context.executing_class)),
        ]
        error = context.error
        if error is not None:
            out.append((HEADER_EXCEPTION, _utf8(exception_class_name(error))))
            out.append((HEADER_MESSAGE, _utf8(exception_message(error))))
            out.append((HEADER_STACKTRACE, _utf8("".join(traceback.format_exception(error)))))
        return out

    def _source_payload(
        self, context: ProcessingContext[Any], record: SourceRecord
    ) -> tuple[bytes | None, bytes | None, KafkaHeaders, int]:
        converted = context.converted
        headers: KafkaHeaders
        if converted is not None:  # conversion finished; producing it failed
            _topic, _partition, key, value, raw_headers, timestamp = converted
            headers = [(k, v if not isinstance(v, str) else v.encode("utf-8")) for k, v in (raw_headers or [])]
        else:
            key, value = render_source_key(record), _compact(render_source_record(record))
            headers, timestamp = [], record.timestamp or 0
        if self.context_headers:
            headers.append((HEADER_TOPIC, _utf8(record.topic)))
            if record.kafka_partition is not None:
                headers.append((HEADER_PARTITION, _utf8(str(record.kafka_partition))))
            partition, offset = record.source_partition, record.source_offset
            headers.append((HEADER_SOURCE_PARTITION, None if partition is None else _compact(partition)))
            headers.append((HEADER_SOURCE_OFFSET, None if offset is None else _compact(offset)))
        return key, value, headers, timestamp

    def flush(self, timeout_s: float) -> int:
        return int(self.producer.flush(timeout_s))

    def close(self) -> None:
        remaining = self.producer.flush(30)
        if remaining:
            logger.warning("%d dead letter queue records were not acknowledged at close", remaining)
        self._closed.set()
        self._poller.join(timeout=5)
