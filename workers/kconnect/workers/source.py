"""The source task loop: poll -> convert -> produce, committing offsets only for acknowledged records."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import Producer

from kconnect.api.records import SourceRecord
from kconnect.api.task import SourceTask, TransactionContext
from kconnect.ipc import messages as m
from kconnect.workers.control import SupervisorLink
from kconnect.workers.conversion import Pipeline
from kconnect.workers.offsets import SubmittedOffsets, offset_key

logger = logging.getLogger(__name__)


class StoredOffsets:
    """The task's OffsetStorageReader over the offsets the supervisor handed over at start.

    Offsets this task commits later are folded in, so a reader sees its own progress.
    """

    def __init__(self, connector: str, stored: Mapping[str, Mapping[str, Any] | None]) -> None:
        self._connector = connector
        self._by_key: dict[str, Mapping[str, Any] | None] = dict(stored)

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self._by_key.get(offset_key(self._connector, partition))
        return dict(found) if found is not None else None

    def offsets(self, partitions: Sequence[Mapping[str, Any]]) -> dict[Any, dict[str, Any]]:
        out: dict[Any, dict[str, Any]] = {}
        for p in partitions:
            off = self.offset(p)
            if off is not None:
                out[offset_key(self._connector, p)] = off
        return out

    def update(self, key: str, offset: Mapping[str, Any] | None) -> None:
        self._by_key[key] = offset


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
    ) -> None:
        self.connector = connector
        self.task = task
        self.task_config = task_config
        self.pipeline = pipeline
        self.link = link
        self.reader = StoredOffsets(connector, stored_offsets)
        self.submitted = SubmittedOffsets()
        self.producer = Producer(producer_config)
        self.flush_interval_s = offset_flush_interval_ms / 1000.0
        self.shutdown_timeout_s = shutdown_timeout_ms / 1000.0
        self.records_polled = 0
        self.records_written = 0
        self.batches = 0
        self.topics: set[str] = set()
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
                    continue
                records = self.task.poll()
                if records:
                    self._send(records)
                self.producer.poll(0)
                failure = self.submitted.first_failure()
                if failure is not None:
                    raise failure
                if time.monotonic() >= next_commit:
                    self.commit_offsets()
                    next_commit = time.monotonic() + self.flush_interval_s
                self.link.heartbeat(self.stats())
        finally:
            self._shutdown()

    def _send(self, records: list[SourceRecord]) -> None:
        batch = self.submitted.new_batch()
        ack = batch.ack
        produce = self.producer.produce
        convert = self.pipeline.source_to_kafka
        for record in records:
            converted = convert(record)
            if converted is None:  # dropped by a transform: its offset still counts
                self._note_offset(batch, record)
                continue
            topic, partition, key, value, headers, timestamp = converted
            if topic not in self.topics:
                self.topics.add(topic)
            batch.outstanding += 1
            while True:
                try:
                    produce(
                        topic,
                        value,
                        key,
                        partition=partition,
                        timestamp=timestamp,
                        headers=headers,
                        on_delivery=ack,
                    )
                    break
                except BufferError:
                    # Local queue full: serve delivery reports until there is room (back-pressure).
                    self.producer.poll(0.05)
            self._note_offset(batch, record)
        batch.sealed = True
        self.records_polled += len(records)
        self.batches += 1

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
        ready = self.submitted.drain_committable()
        if not ready:
            return
        payload = {}
        for key, (_partition, offset) in ready.items():
            payload[key] = dict(offset) if offset is not None else None
            self.reader.update(key, offset)
        self.link.send({"type": m.OFFSETS, "offsets": payload})
        try:
            self.task.commit()
        except Exception:
            logger.exception("SourceTask.commit() failed; ignoring as Kafka Connect does")

    def stats(self) -> dict[str, Any]:
        return {
            "records_polled": self.records_polled,
            "batches": self.batches,
            "in_flight": self.submitted.in_flight,
            "topics": sorted(self.topics),
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
        self.commit_offsets()
