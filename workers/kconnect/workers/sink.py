"""The sink task loop: consume in batches -> convert -> put, committing only what the task flushed.

``put`` runs on a helper thread so the main thread can keep the consumer alive while a slow
``put`` is in progress: it pauses the assignment and keeps calling ``poll`` rather than letting
``max.poll.interval.ms`` expire (which would cost a group rebalance and redelivery).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from kconnect.api.errors import ConnectError, RetriableError
from kconnect.api.records import SinkRecord, TopicPartition
from kconnect.api.task import SinkTask
from kconnect.ipc import messages as m
from kconnect.workers.client_logging import routed_logs
from kconnect.workers.control import SupervisorLink
from kconnect.workers.conversion import Pipeline
from kconnect.workers.error_handling import ErrorHandlingConfig, RetryWithToleranceOperator
from kconnect.workers.task_metrics import TaskMetrics
from kconnect.workers.tolerant import SinkErrors

logger = logging.getLogger(__name__)

# How long put() may run before the main thread pauses partitions and starts keep-alive polling.
PUT_KEEPALIVE_AFTER_S = 1.0


class SinkTaskContextImpl:
    def __init__(self, runner: SinkTaskRunner, configs: Mapping[str, str]) -> None:
        self._runner = runner
        self._configs = configs

    @property
    def configs(self) -> Mapping[str, str]:
        return self._configs

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        self._runner.requested_seeks.update(offsets)

    def timeout(self, timeout_ms: int) -> None:
        self._runner.retry_backoff_s = timeout_ms / 1000.0

    def assignment(self) -> set[TopicPartition]:
        return set(self._runner.assignment)

    def pause(self, *partitions: TopicPartition) -> None:
        self._runner.task_paused.update(partitions)
        self._runner.consumer.pause([KafkaTopicPartition(p.topic, p.partition) for p in partitions])

    def resume(self, *partitions: TopicPartition) -> None:
        self._runner.task_paused.difference_update(partitions)
        self._runner.consumer.resume([KafkaTopicPartition(p.topic, p.partition) for p in partitions])

    def request_commit(self) -> None:
        self._runner.commit_requested = True

    def errant_record_reporter(self) -> SinkErrors | None:
        errors = self._runner.errors
        return errors if errors.errant_enabled else None


class SinkTaskRunner:
    def __init__(
        self,
        *,
        connector: str,
        task: SinkTask,
        task_config: Mapping[str, str],
        consumer_config: dict[str, Any],
        batch_size: int,
        topics: Sequence[str],
        topics_regex: str | None,
        pipeline: Pipeline,
        link: SupervisorLink,
        offset_flush_interval_ms: int,
        metrics: TaskMetrics | None = None,
        errors: SinkErrors | None = None,
    ) -> None:
        self.connector = connector
        # Retries, tolerance and reporters (errors.*); by default the first failure fails the task.
        self.errors = errors or SinkErrors(pipeline, RetryWithToleranceOperator(ErrorHandlingConfig()), False)
        self.errors.operator.waiter = self._wait_during_retry
        self.task = task
        self.task_config = task_config
        self.pipeline = pipeline
        self.link = link
        self.batch_size = batch_size
        self.topics = list(topics)
        self.topics_regex = topics_regex
        self.metrics = metrics or TaskMetrics()
        self.consumer = Consumer(routed_logs(self.metrics.instrument(consumer_config)))
        self.flush_interval_s = offset_flush_interval_ms / 1000.0
        self.assignment: set[TopicPartition] = set()
        self.task_paused: set[TopicPartition] = set()
        self.current: dict[TopicPartition, int] = {}
        self.committed: dict[TopicPartition, int] = {}
        self.requested_seeks: dict[TopicPartition, int] = {}
        self.retry_backoff_s = 0.0
        self.commit_requested = False
        self.records_put = 0
        self.put_batches = 0
        self.records_read = 0
        self.read_at_commit = 0  # records_read when the last commit caught up (for the active count)
        self.commit_seq_no = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="put")
        self._held: list[Any] = []  # messages that arrived while partitions were paused
        self._closed = False
        self._callback_error: BaseException | None = None

    # --- rebalance callbacks (run inside consume/poll/close on this thread) ----------------------
    # An exception must never escape into librdkafka (it surfaces as a SystemError much later), so
    # a failing callback is recorded and re-raised from the main loop.
    def _on_assign(self, consumer: Any, partitions: list[KafkaTopicPartition]) -> None:
        try:
            added = [TopicPartition(p.topic, p.partition) for p in partitions]
            self.assignment.update(added)
            self.task.open(added)
        except BaseException as e:
            self._callback_error = e

    def _on_revoke(self, consumer: Any, partitions: list[KafkaTopicPartition]) -> None:
        if self._closed:
            return  # shutdown already committed and closed every partition; the task is stopped
        try:
            revoked = [TopicPartition(p.topic, p.partition) for p in partitions]
            self._commit(final=True)
            self.task.close(revoked)
            for tp in revoked:
                self.assignment.discard(tp)
                self.current.pop(tp, None)
                self.committed.pop(tp, None)
        except BaseException as e:
            self._callback_error = e

    def run(self) -> None:
        self.task.initialize(SinkTaskContextImpl(self, self.task_config))
        self.task.start(self.task_config)
        subscription = ["^" + self.topics_regex] if self.topics_regex else self.topics
        self.consumer.subscribe(subscription, on_assign=self._on_assign, on_revoke=self._on_revoke)
        self.link.send({"type": m.HELLO})
        next_commit = time.monotonic() + self.flush_interval_s
        try:
            while not self.link.stop_requested:
                self.link.poll_commands(0.0)
                if self.link.paused:
                    self._idle_while_paused()
                    continue
                msgs = self._held or self.consumer.consume(num_messages=self.batch_size, timeout=0.5)
                self._held = []
                if self._callback_error is not None:
                    raise self._callback_error
                records, batch_offsets = self._convert(msgs)
                if records:
                    self.errors.new_batch(msgs)
                    self._deliver(records)
                # Only now that put() accepted the batch may its offsets be committed.
                for (topic, partition), offset in batch_offsets.items():
                    self.current[TopicPartition(topic, partition)] = offset
                if self.commit_requested or time.monotonic() >= next_commit:
                    self._commit(final=False)
                    self.commit_requested = False
                    next_commit = time.monotonic() + self.flush_interval_s
                self.link.heartbeat(self.stats)
        finally:
            self._shutdown()

    def _convert(self, msgs: list[Any]) -> tuple[list[SinkRecord], dict[tuple[str, int], int]]:
        """Records for put(), and the next offset per partition (plain tuples: cheap per record)."""
        records: list[SinkRecord] = []
        offsets: dict[tuple[str, int], int] = {}
        convert = self.pipeline.kafka_to_sink
        self.records_read += len(msgs)
        for msg in msgs:
            err = msg.error()
            if err is not None:
                self.records_read -= 1  # an event, not a record
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                if err.fatal() or not err.retriable():
                    raise KafkaException(err)
                logger.warning("Consumer error: %s", err)
                continue
            try:
                record = convert(msg)
            except Exception:
                # Free while nothing raises; the record is converted again stage by stage to
                # retry, tolerate (skip, report) or fail the task as errors.* say.
                record = self.errors.convert(msg)
            offsets[(msg.topic(), msg.partition())] = msg.offset() + 1
            if record is not None:
                records.append(record)
        return records, offsets

    def _deliver(self, records: list[SinkRecord]) -> None:
        """Hand a batch to put(), redelivering on RetriableError, keeping the consumer alive meanwhile."""
        started = time.perf_counter()
        while True:
            future: Future[None] = self._executor.submit(self.task.put, records)
            self._wait_keeping_alive(future)
            try:
                future.result()
                self.errors.raise_if_intolerable()
            except RetriableError as e:
                backoff = self.retry_backoff_s or (e.backoff_ms or 1000) / 1000.0
                self.retry_backoff_s = 0.0  # context.timeout() applies to the next redelivery only, as in Java
                logger.warning("put() asked for a retry (%s); redelivering in %.1f s", e, backoff)
                deadline = time.monotonic() + backoff
                while time.monotonic() < deadline and not self.link.stop_requested:
                    self._keepalive_poll(min(0.5, max(0.0, deadline - time.monotonic())))
                if self.link.stop_requested:
                    raise
                continue
            except Exception as e:
                logger.error("Task threw an uncaught and unrecoverable exception: %s", e)
                raise ConnectError("Exiting WorkerSinkTask due to unrecoverable exception.") from e
            break
        self.metrics.batch(len(records), time.perf_counter() - started)
        self.records_put += len(records)
        self.put_batches += 1
        if self.requested_seeks:
            for tp, offset in self.requested_seeks.items():
                self.consumer.seek(KafkaTopicPartition(tp.topic, tp.partition, offset))
                self.current[tp] = offset
            self.requested_seeks.clear()
            self._held = []

    def _wait_keeping_alive(self, future: Future[None]) -> None:
        try:
            future.result(timeout=PUT_KEEPALIVE_AFTER_S)
            return
        except TimeoutError:
            pass
        except Exception:
            return  # surfaced by the caller's future.result()
        paused = [KafkaTopicPartition(tp.topic, tp.partition) for tp in self.assignment]
        self.consumer.pause(paused)
        try:
            while not future.done():
                self._keepalive_poll(0.2)
                self.link.poll_commands(0.0)
                self.link.heartbeat(self.stats)
        finally:
            self.consumer.resume([p for p in paused if TopicPartition(p.topic, p.partition) not in self.task_paused])

    def _keepalive_poll(self, timeout: float) -> None:
        msg = self.consumer.poll(timeout)
        if msg is not None:
            self._held.append(msg)

    def _idle_while_paused(self) -> None:
        parts = [KafkaTopicPartition(tp.topic, tp.partition) for tp in self.assignment]
        self.consumer.pause(parts)
        try:
            while self.link.paused and not self.link.stop_requested:
                self._keepalive_poll(0.2)
                self.link.poll_commands(0.0)
                self.link.heartbeat(self.stats)
        finally:
            self.consumer.resume([p for p in parts if TopicPartition(p.topic, p.partition) not in self.task_paused])

    def _commit(self, *, final: bool) -> None:
        if not self.current:
            return
        # Offsets never move past a record reported to the DLQ before its write is acknowledged.
        self.errors.await_reports()
        self.errors.flush_dlq()
        try:
            to_commit = dict(self.task.pre_commit(dict(self.current)))
        except Exception:
            logger.exception("pre_commit/flush failed; skipping this offset commit")
            return
        pending = {tp: off for tp, off in to_commit.items() if self.committed.get(tp) != off and tp in self.assignment}
        if not pending:
            self.read_at_commit = self.records_read
            return
        offsets = [KafkaTopicPartition(tp.topic, tp.partition, off) for tp, off in pending.items()]
        self.commit_seq_no += 1
        started = time.perf_counter()
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
            self.committed.update(pending)
            self.metrics.commit(time.perf_counter() - started, ok=True)
            self.read_at_commit = self.records_read
        except KafkaException as e:
            if e.args and e.args[0].code() == KafkaError._NO_OFFSET:
                return
            self.metrics.commit(time.perf_counter() - started, ok=False)
            logger.warning("Offset commit failed: %s", e)
            if final:
                raise

    def _wait_during_retry(self, seconds: float) -> bool:
        """Between retries of a failed conversion: stay responsive; True when the task must stop."""
        self.link.poll_commands(seconds)
        self.link.heartbeat(self.stats())
        return self.link.stop_requested

    def stats(self) -> dict[str, Any]:
        return {
            "records_put": self.records_put,
            "records_read": self.records_read,
            "active_records": self.records_read - self.read_at_commit,
            "commit_seq_no": self.commit_seq_no,
            "batches": self.put_batches,
            "partitions": len(self.assignment),
            "topics": sorted({tp.topic for tp in self.assignment}),
            "metrics": self.metrics.snapshot(self.link.paused),
            "errors": self.errors.metrics.snapshot(),
        }

    def _shutdown(self) -> None:
        # Drain: what put() accepted is flushed by pre_commit and committed; nothing beyond it.
        try:
            self._commit(final=False)
        finally:
            try:
                self.task.close(sorted(self.assignment))
            except Exception:
                logger.exception("SinkTask.close() raised")
            self._closed = True
            try:
                self.task.stop()
            except Exception:
                logger.exception("SinkTask.stop() raised")
            self._executor.shutdown(wait=False)
            self.consumer.close()
            self.errors.close()


__all__ = ["SinkTaskRunner"]
