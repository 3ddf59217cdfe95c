"""A task's error handling: staged conversion of records that failed, reporters, the sink's errant reporter.

Runners convert records with the plain :class:`Pipeline` inside a ``try`` (free in CPython 3.11 while
nothing raises). A record that raised is converted again here one stage at a time, under the
:class:`RetryWithToleranceOperator`, which learns the failing stage and class, retries, tolerates or
fails the task, and reports. Converters and transformations are pure functions of their input in
Kafka Connect's model (Java retries them on the same input), so the second run fails the same way;
if it does not, the failure is counted (``total_record_failures``, ``total_retries``) and the record
goes on.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kconnect.api.errors import ConnectError
from kconnect.api.records import ConnectRecord, Headers, SinkRecord, SourceRecord, TopicPartition
from kconnect.workers.conversion import KafkaHeaders, Pipeline, ProduceArgs
from kconnect.workers.error_handling import (
    ErrorHandlingConfig,
    ErrorMetrics,
    ProcessingContext,
    RetryWithToleranceOperator,
    Stage,
    plugin_class_name,
)

if TYPE_CHECKING:
    from kconnect.workers.error_reporters import DeadLetterQueueReporter

logger = logging.getLogger(__name__)

# The executing classes Java names for failures outside converters and transformations.
SINK_TASK_CLASS = "org.apache.kafka.connect.sink.SinkTask"
SOURCE_PRODUCE_CLASS = "org.apache.kafka.connect.runtime.WorkerSourceTask"


@dataclass(frozen=True)
class ErrorSettings:
    """The connector's error-handling keys, parsed (see connector_config)."""

    handling: ErrorHandlingConfig
    log_enable: bool = False
    log_include_messages: bool = False
    dlq_topic: str = ""
    dlq_replication_factor: int = 3
    dlq_context_headers: bool = False

    @property
    def errant_reporter_enabled(self) -> bool:
        """Java gives a sink task an errant-record reporter only with a DLQ topic or error logging."""
        return bool(self.dlq_topic) or self.log_enable


class _Staged:
    def __init__(self, pipeline: Pipeline, operator: RetryWithToleranceOperator[Any]) -> None:
        self.pipeline = pipeline
        self.operator = operator
        self.dlq: DeadLetterQueueReporter | None = None
        self.key_class = plugin_class_name(pipeline.key_converter)
        self.value_class = plugin_class_name(pipeline.value_converter)
        self.header_class = plugin_class_name(pipeline.header_converter)
        names = list(pipeline.transform_classes)
        self.transform_classes = names + [""] * (len(pipeline.transforms) - len(names))

    @property
    def metrics(self) -> ErrorMetrics:
        return self.operator.metrics

    def flush_dlq(self) -> None:
        """Wait until every DLQ write so far is acknowledged (before offsets move past the records)."""
        if self.dlq is not None and self.dlq.flush(60.0):
            raise ConnectError(f"Dead letter queue writes to {self.dlq.topic} were not acknowledged in time")

    def close(self) -> None:
        self.operator.trigger_stop()
        self.operator.close()

    def _transform(self, context: ProcessingContext[Any], record: ConnectRecord) -> ConnectRecord | None:
        op = self.operator
        current: ConnectRecord = record
        for transform, klass in zip(self.pipeline.transforms, self.transform_classes, strict=True):
            out = op.execute(context, functools.partial(transform, current), Stage.TRANSFORMATION, klass)
            if out is None:
                return None
            current = out
        return current


class SinkErrors(_Staged):
    """The sink side: staged conversion of consumed messages, and the errant-record reporter."""

    def __init__(self, pipeline: Pipeline, operator: RetryWithToleranceOperator[Any], errant: bool) -> None:
        super().__init__(pipeline, operator)
        self.errant_enabled = errant
        self.batch: Sequence[Any] = ()
        self._index: dict[tuple[str, int, int], Any] | None = None
        self._futures: list[tuple[TopicPartition, Future[None]]] = []
        self._put_error: BaseException | None = None
        self._lock = threading.Lock()

    def convert(self, msg: Any) -> SinkRecord | None:
        """Convert a message that failed on the fast path; None when the failure was tolerated."""
        context: ProcessingContext[Any] = ProcessingContext(msg)
        p, op = self.pipeline, self.operator
        topic = msg.topic()

        def headers_of() -> Headers:
            headers = Headers()
            for hk, hv in msg.headers() or ():
                sv = p.header_converter.to_connect_header(topic, hk, hv)
                headers.add(hk, sv.value, sv.schema)
            return headers

        # Java converts key, value, then headers; our converters take the converted headers, so
        # headers come first (only a record failing in two stages is reported differently).
        headers = op.execute(context, headers_of, Stage.HEADER_CONVERTER, self.header_class)
        if headers is None:
            return None
        key = op.execute(
            context,
            lambda: p.key_converter.to_connect_data(topic, msg.key(), headers),
            Stage.KEY_CONVERTER,
            self.key_class,
        )
        value = op.execute(
            context,
            lambda: p.value_converter.to_connect_data(topic, msg.value(), headers),
            Stage.VALUE_CONVERTER,
            self.value_class,
        )
        if key is None or value is None or context.failed:
            return None
        record = Pipeline.sink_record(msg, headers, key, value)
        out = self._transform(context, record)
        self._unreproduced(context)
        return out if isinstance(out, SinkRecord) else None

    def _unreproduced(self, context: ProcessingContext[Any]) -> None:
        if not context.failed:
            logger.warning("A record that failed conversion converted on a second attempt; counted as a retry")
            self.operator.metrics.add("total_record_failures")
            self.operator.metrics.add("total_retries")

    # --- errant record reporter (runs on the put thread) --------------------------------------
    def new_batch(self, msgs: Sequence[Any]) -> None:
        self.batch = msgs
        self._index = None

    def _original(self, record: SinkRecord) -> Any | None:
        if self._index is None:
            self._index = {(m.topic(), m.partition(), m.offset()): m for m in self.batch if m.error() is None}
        topic = record.original_topic if record.original_topic is not None else record.topic
        partition = record.original_kafka_partition
        offset = record.original_kafka_offset
        if partition is None or offset is None:
            return None
        return self._index.get((topic, partition, offset))

    def report(self, record: SinkRecord, error: BaseException) -> Future[None]:
        original = self._original(record)
        if original is None:
            # A record the task made up or kept from an earlier batch: send it as it is now, as Java does.
            original = _RebuiltMessage.of(record, self.pipeline)
        context: ProcessingContext[Any] = ProcessingContext(original)
        with self._lock:
            if self._put_error is None:
                self._put_error = error
        future = self.operator.execute_failed(context, Stage.TASK_PUT, SINK_TASK_CLASS, error)
        if not future.done():
            with self._lock:
                self._futures.append((TopicPartition(original.topic(), original.partition()), future))
        return future

    def raise_if_intolerable(self) -> None:
        """After put(): a reported failure beyond tolerance fails the task even if put swallowed it."""
        if self._put_error is not None and not self.operator.within_tolerance():
            raise ConnectError("Tolerance exceeded in error handler") from self._put_error

    def await_reports(self, partitions: set[TopicPartition] | None = None) -> None:
        """Before committing: every reported record's DLQ write must be acknowledged (or fail the task)."""
        with self._lock:
            pending = [(tp, f) for tp, f in self._futures if partitions is None or tp in partitions]
            self._futures = [(tp, f) for tp, f in self._futures if not (partitions is None or tp in partitions)]
        for _tp, future in pending:
            try:
                future.result()
            except Exception as e:
                raise ConnectError("Failed to write an errant record to the dead letter queue") from e

    def forget(self, partitions: set[TopicPartition]) -> None:
        with self._lock:
            self._futures = [(tp, f) for tp, f in self._futures if tp not in partitions]


class _RebuiltMessage:
    """A consumed-message look-alike for a record the task reported but that was not in the batch."""

    def __init__(self, record: SinkRecord, key: bytes | None, value: bytes | None, headers: KafkaHeaders) -> None:
        self._record = record
        self._key, self._value, self._headers = key, value, headers

    @classmethod
    def of(cls, record: SinkRecord, pipeline: Pipeline) -> _RebuiltMessage:
        topic = record.topic
        key = pipeline.key_converter.from_connect_data(topic, record.key_schema, record.key)
        value = pipeline.value_converter.from_connect_data(topic, record.value_schema, record.value)
        headers: KafkaHeaders = [
            (h.key, pipeline.header_converter.from_connect_header(topic, h.key, h.schema, h.value))
            for h in record.headers
        ]
        return cls(record, key, value, headers)

    def topic(self) -> str:
        return self._record.topic

    def partition(self) -> int:
        return self._record.kafka_partition if self._record.kafka_partition is not None else -1

    def offset(self) -> int:
        return self._record.kafka_offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> KafkaHeaders:
        return list(self._headers)

    def timestamp(self) -> tuple[int, int]:
        ts = self._record.timestamp
        if ts is None:
            return 0, -1
        return (2 if self._record.timestamp_type == "LogAppendTime" else 1), ts

    def error(self) -> None:
        return None


class SourceErrors(_Staged):
    """The source side: staged transformation and conversion of a polled record, and produce failures."""

    def convert(self, record: SourceRecord) -> ProduceArgs | None:
        context: ProcessingContext[Any] = ProcessingContext(record)
        out = self._convert(context, record)
        if not context.failed:
            self._unreproduced(context)
        return out

    def _convert(self, context: ProcessingContext[Any], record: SourceRecord) -> ProduceArgs | None:
        p, op = self.pipeline, self.operator
        rec = self._transform(context, record)
        if rec is None:
            return None
        topic = rec.topic

        def headers_of() -> KafkaHeaders | None:
            if not len(rec.headers):
                return None
            convert = p.header_converter.from_connect_header
            return [(h.key, convert(topic, h.key, h.schema, h.value)) for h in rec.headers]

        headers = op.execute(context, headers_of, Stage.HEADER_CONVERTER, self.header_class)
        key = op.execute(
            context,
            lambda: p.key_converter.from_connect_data(topic, rec.key_schema, rec.key, rec.headers),
            Stage.KEY_CONVERTER,
            self.key_class,
        )
        value = op.execute(
            context,
            lambda: p.value_converter.from_connect_data(topic, rec.value_schema, rec.value, rec.headers),
            Stage.VALUE_CONVERTER,
            self.value_class,
        )
        if context.failed:
            return None
        partition = rec.kafka_partition if rec.kafka_partition is not None else -1
        timestamp = rec.timestamp if rec.timestamp is not None else 0
        return topic, partition, key, value, headers, timestamp

    def _unreproduced(self, context: ProcessingContext[Any]) -> None:
        logger.warning("A record that failed conversion converted on a second attempt; counted as a retry")
        self.operator.metrics.add("total_record_failures")
        self.operator.metrics.add("total_retries")

    def produce_failed(self, record: SourceRecord, converted: ProduceArgs, error: BaseException) -> bool:
        """A record Kafka did not accept: True if tolerated (report it, commit past it), else False."""
        if not self.operator.config.tolerate_all:
            return False
        context: ProcessingContext[Any] = ProcessingContext(record)
        context.converted = converted
        self.operator.execute_failed(context, Stage.KAFKA_PRODUCE, SOURCE_PRODUCE_CLASS, error)
        return True


def error_settings(connector: Mapping[str, str], connector_type: str) -> ErrorSettings:
    """Parse the error-handling keys of a connector config (validated already when it was accepted)."""
    from kconnect.api.config import ConfigDef
    from kconnect.workers import connector_config as cc

    errors_def = ConfigDef([k for k in cc.common_config_keys() if k.name.startswith("errors.")])
    values = errors_def.parse(connector)
    handling = ErrorHandlingConfig(
        retry_timeout_ms=values[cc.ERRORS_RETRY_TIMEOUT],
        retry_delay_max_ms=values[cc.ERRORS_RETRY_MAX_DELAY],
        tolerate_all=str(values[cc.ERRORS_TOLERANCE]).strip().lower() == "all",
    )
    log_enable, log_messages = values[cc.ERRORS_LOG_ENABLE], values[cc.ERRORS_LOG_INCLUDE_MESSAGES]
    if connector_type != "sink" and not cc.source_dlq_enabled(connector):
        return ErrorSettings(handling, log_enable, log_messages)
    dlq = cc.source_dlq_config_def().parse(connector)
    return ErrorSettings(
        handling,
        log_enable,
        log_messages,
        dlq_topic=str(dlq[cc.DLQ_TOPIC_NAME] or "").strip(),
        dlq_replication_factor=dlq[cc.DLQ_TOPIC_REPLICATION_FACTOR],
        dlq_context_headers=dlq[cc.DLQ_CONTEXT_HEADERS_ENABLE],
    )


def build_error_handling(
    *,
    kind: str,
    connector: str,
    task_id: int,
    settings: ErrorSettings,
    pipeline: Pipeline,
    dlq_producer_config: Mapping[str, str] | None,
    dlq_admin_config: Mapping[str, str] | None,
    timeout_s: float = 60.0,
) -> SinkErrors | SourceErrors:
    """The operator and reporters for one task (Java's sink/sourceTaskReporters): log, then DLQ."""
    from kconnect.workers.error_reporters import DeadLetterQueueReporter, LogReporter, ensure_dlq_topic

    metrics = ErrorMetrics()
    operator: RetryWithToleranceOperator[Any] = RetryWithToleranceOperator(settings.handling, metrics)
    reporters: list[Any] = []
    if settings.log_enable:
        reporters.append(LogReporter(f"{connector}-{task_id}", settings.log_include_messages, metrics))
    dlq: DeadLetterQueueReporter | None = None
    if settings.dlq_topic and dlq_producer_config is not None and dlq_admin_config is not None:
        ensure_dlq_topic(dlq_admin_config, settings.dlq_topic, settings.dlq_replication_factor, timeout_s)
        dlq = DeadLetterQueueReporter(
            producer_config=dlq_producer_config,
            topic=settings.dlq_topic,
            connector=connector,
            task_id=task_id,
            context_headers=settings.dlq_context_headers,
            metrics=metrics,
        )
        reporters.append(dlq)
    operator.reporters = reporters
    errors: SinkErrors | SourceErrors
    if kind == "sink":
        errors = SinkErrors(pipeline, operator, settings.errant_reporter_enabled)
    else:
        errors = SourceErrors(pipeline, operator)
    errors.dlq = dlq
    return errors
