"""The source task loop: poll -> convert -> produce, committing offsets only for acknowledged records."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import KafkaException, Producer

from kconnect.api.errors import ConnectError, RetriableError
from kconnect.api.records import SourceRecord
from kconnect.api.task import SourceTask, TransactionContext
from kconnect.ipc import messages as m
from kconnect.workers.client_logging import routed_logs
from kconnect.workers.control import SupervisorLink
from kconnect.workers.conversion import Pipeline, ProduceArgs
from kconnect.workers.error_handling import ErrorHandlingConfig, RetryWithToleranceOperator
from kconnect.workers.offsets import SubmittedOffsets, canonical_of_key, canonical_offset_key, offset_key
from kconnect.workers.task_metrics import TaskMetrics
from kconnect.workers.tolerant import SourceErrors
from kconnect.workers.topic_creation import TopicCreator

logger = logging.getLogger(__name__)


class StoredOffsets:
    """The task's OffsetStorageReader over the offsets the supervisor handed over at start.

    Offsets this task commits later are folded in, so a reader sees its own progress. Lookups ignore the
    order of a partition map's keys (``canonical_offset_key``): a Java worker may have written the same
    partition with its keys in another order.
    """

    def __init__(self, connector: str, stored: Mapping[str, Mapping[str, Any] | None]) -> None:
        self._connector = connector
        self._by_key: dict[str, Mapping[str, Any] | None] = {}
        for key, offset in stored.items():
            self.update(key, offset)

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self._by_key.get(canonical_offset_key(self._connector, partition))
        return dict(found) if found is not None else None

    def offsets(self, partitions: Sequence[Mapping[str, Any]]) -> dict[Any, dict[str, Any]]:
        out: dict[Any, dict[str, Any]] = {}
        for p in partitions:
            off = self.offset(p)
            if off is not None:
                out[offset_key(self._connector, p)] = off
        return out

    def update(self, key: str, offset: Mapping[str, Any] | None) -> None:
        try:
            canonical = canonical_of_key(key)
        except ValueError:
            return  # not a source offset key: nothing could ever look it up
        self._by_key[canonical] = offset


class SourceTaskContextImpl:
    def __init__(
        self, configs: Mapping[str, str], reader: StoredOffsets, transactions: TransactionContext | None = None
    ) -> None:
        self._configs = configs
        self._reader = reader
        self._transactions = transactions  # only under exactly-once with connector-defined boundaries

    @property
    def configs(self) -> Mapping[str, str]:
        return self._configs

    def offset_storage_reader(self) -> StoredOffsets:
        return self._reader

    def transaction_context(self) -> TransactionContext | None:
        return self._transactions


class SourceTaskRunner:
    """Runs one SourceTask until told to stop; owns its producer (created here, after exec)."""

    def __init__(
        self,
        *,
        connector: str,
        task: SourceTask,
        task_config: Mapping[str, str],
        producer_config: dict[str, Any],
        pipeline: Pipeline,
        link: SupervisorLink,
        stored_offsets: Mapping[str, Mapping[str, Any] | None],
        offset_flush_interval_ms: int,
        shutdown_timeout_ms: int,
        metrics: TaskMetrics | None = None,
        errors: SourceErrors | None = None,
        topic_creator: TopicCreator | None = None,
    ) -> None:
        self.connector = connector
        # Retries, tolerance and reporters (errors.*); by default the first failure fails the task.
        self.errors = errors or SourceErrors(pipeline, RetryWithToleranceOperator(ErrorHandlingConfig()))
        self.errors.operator.waiter = self._wait_during_retry
        self._tolerate_produce = self.errors.operator.config.tolerate_all
        self.task = task
        self.task_config = task_config
        self.pipeline = pipeline
        self.link = link
        self.reader = StoredOffsets(connector, stored_offsets)
        self.submitted = SubmittedOffsets()
        self.metrics = metrics or TaskMetrics()
        self.producer = Producer(routed_logs(self.metrics.instrument(producer_config)))
        self.flush_interval_s = offset_flush_interval_ms / 1000.0
        self.shutdown_timeout_s = shutdown_timeout_ms / 1000.0
        self.records_polled = 0
        self.records_written = 0
        self.records_sent = 0  # handed to the producer (after SMTs); acknowledged = sent - in flight
        self.batches = 0
        self.topics: set[str] = set()
        self.topic_creator = topic_creator  # KIP-158: consulted once per new topic, never per record
        self._last_partition: Mapping[str, Any] | None = None
        self._last_key = ""

    def run(self) -> None:
        self.task.initialize(SourceTaskContextImpl(self.task_config, self.reader))
        self.task.start(self.task_config)
        self.link.send({"type": m.HELLO})
        next_commit = time.monotonic() + self.flush_interval_s
        try:
            while not self.link.stop_requested:
                self.link.poll_commands(0.2 if self.link.paused else 0.0)
                if self.link.paused:
                    self.producer.poll(0)
                    self.link.heartbeat(self.stats)  # a paused task is alive too (the supervisor kills silent ones)
                    continue
                records = self._poll()
                if records:
                    self._send(records)
                self.producer.poll(0)
                failure = self.submitted.first_failure()
                if failure is not None:
                    raise ConnectError("Unrecoverable exception from producer send callback") from failure
                if time.monotonic() >= next_commit:
                    self.commit_offsets()
                    next_commit = time.monotonic() + self.flush_interval_s
                self.link.heartbeat(self.stats)
        finally:
            self._shutdown()

    # --- the per-batch and per-record hooks both loops share (at-least-once here, exactly-once too) ----
    def _poll(self) -> list[SourceRecord] | None:
        """``task.poll()`` with Java's handling: a RetriableError means poll again; batch metrics."""
        started = time.perf_counter()
        try:
            records = self.task.poll()
        except RetriableError as e:
            logger.warning("Failed to poll records from SourceTask; will retry: %s", e)
            return None
        if records:
            self.metrics.batch(len(records), time.perf_counter() - started)
        return records

    def _convert(self, record: SourceRecord) -> ProduceArgs | None:
        """SMTs and converters; None when a transform dropped the record or its failure was tolerated."""
        try:
            return self.pipeline.source_to_kafka(record)
        except Exception:
            # Free while nothing raises: the record is processed again stage by stage to
            # retry, tolerate (skip, report) or fail the task as errors.* say.
            return self.errors.convert(record)

    def _first_send_to(self, topic: str) -> None:
        """KIP-158 topic creation, consulted once per new topic (never per record)."""
        if self.topic_creator is not None:
            self.topic_creator.ensure(topic)
        self.topics.add(topic)

    def _send(self, records: list[SourceRecord]) -> None:
        batch = self.submitted.new_batch()
        ack = batch.ack
        produce = self.producer.produce
        convert = self.pipeline.source_to_kafka
        dropped = 0
        tolerant = self._tolerate_produce
        for record in records:
            try:
                converted = convert(record)
            except Exception:
                converted = self.errors.convert(record)  # as in _convert, inlined on the hot path
            if converted is None:  # dropped by a transform: its offset still counts
                self._note_offset(batch, record)
                dropped += 1
                continue
            topic, partition, key, value, headers, timestamp = converted
            if topic not in self.topics:
                self._first_send_to(topic)
            batch.outstanding += 1
            # With errors.tolerance=all each record needs its own callback to report a failed send.
            on_delivery = self._tolerant_ack(batch, record, converted) if tolerant else ack
            while True:
                try:
                    produce(
                        topic,
                        value,
                        key,
                        partition=partition,
                        timestamp=timestamp,
                        headers=headers,
                        on_delivery=on_delivery,
                    )
                    break
                except BufferError:
                    # Local queue full: serve delivery reports until there is room (back-pressure).
                    self.producer.poll(0.05)
                except KafkaException as e:
                    # librdkafka refuses some records at once (unknown partition, too large) that
                    # Java reports through the send callback: handle them the same way.
                    on_delivery(e.args[0] if e.args else e, None)
                    break
            self._note_offset(batch, record)
        batch.sealed = True
        self.records_polled += len(records)
        self.records_sent += len(records) - dropped
        self.batches += 1

    def _tolerant_ack(self, batch: Any, record: SourceRecord, converted: ProduceArgs) -> Any:
        def delivered(err: Any, msg: Any) -> None:
            if err is not None and self.errors.produce_failed(record, converted, KafkaException(err)):
                err = None  # tolerated and reported: its offset may be committed (KIP-779)
            batch.ack(err, msg)

        return delivered

    def _note_offset(self, batch: Any, record: SourceRecord) -> None:
        partition = record.source_partition
        if partition is None:
            return
        # Connectors usually reuse one partition dict per source partition: serialise it once.
        # (Kept by reference, so the identity check cannot be fooled by a recycled id.)
        if partition is not self._last_partition:
            self._last_partition = partition
            self._last_key = offset_key(self.connector, partition)
        batch.offsets[self._last_key] = (partition, record.source_offset)

    def commit_offsets(self) -> None:
        self.errors.flush_dlq()
        ready = self.submitted.drain_committable()
        if not ready:
            return
        started = time.perf_counter()
        payload = {}
        for key, (_partition, offset) in ready.items():
            payload[key] = dict(offset) if offset is not None else None
            self.reader.update(key, offset)
        self.link.send({"type": m.OFFSETS, "offsets": payload})
        try:
            self.task.commit()
        except Exception:
            logger.exception("SourceTask.commit() failed; ignoring as Kafka Connect does")
        self.metrics.commit(time.perf_counter() - started, ok=True)

    def _wait_during_retry(self, seconds: float) -> bool:
        """Between retries of a failed conversion: stay responsive; True when the task must stop."""
        self.link.poll_commands(seconds)
        self.link.heartbeat(self.stats())
        return self.link.stop_requested

    def stats(self) -> dict[str, Any]:
        in_flight = self.submitted.in_flight
        return {
            "records_polled": self.records_polled,
            "records_written": self.records_sent - in_flight,
            "batches": self.batches,
            "in_flight": in_flight,
            "topics": sorted(self.topics),
            "metrics": self.metrics.snapshot(self.link.paused),
            "errors": self.errors.metrics.snapshot(),
        }

    def _shutdown(self) -> None:
        # Drain: stop polling, wait for acknowledgements, persist what was acknowledged.
        try:
            self.task.stop()
        except Exception:
            logger.exception("SourceTask.stop() raised")
        remaining = self.producer.flush(self.shutdown_timeout_s)
        if remaining:
            logger.warning("%d records were not acknowledged within the shutdown timeout", remaining)
        try:
            self.commit_offsets()
        finally:
            self.errors.close()
