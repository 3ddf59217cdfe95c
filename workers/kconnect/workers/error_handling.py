"""Kafka Connect's retry-and-tolerance error handling (Apache's RetryWithToleranceOperator and friends).

An operation (a converter call, a transformation, a produce) runs inside a :class:`ProcessingContext`
that remembers the record it started from, the stage and the class that failed, and the error.
:class:`RetryWithToleranceOperator` retries ``RetriableError`` with exponential backoff within
``errors.retry.timeout``, skips records whose failure is tolerated (``errors.tolerance=all``) and
otherwise fails the task with Kafka Connect's message ``Tolerance exceeded in error handler``.
Every failed record is handed to the reporters (log, dead-letter queue).

The hot path never enters this module while nothing fails: runners convert whole batches with the
plain :class:`~kconnect.workers.conversion.Pipeline` and only a record that raised is run again
through the staged operations here (see :mod:`kconnect.workers.tolerant`).
"""

from __future__ import annotations

import enum
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from kconnect.api.errors import ConfigError, ConnectError, DataError, RetriableError

logger = logging.getLogger(__name__)

#: The first backoff between retries; doubles per attempt up to ``errors.retry.delay.max.ms``.
RETRIES_DELAY_MIN_MS = 300

TOLERANCE_EXCEEDED = "Tolerance exceeded in error handler"
UNHANDLED = "Unhandled exception in error handler"

T = TypeVar("T")
V = TypeVar("V")


class Stage(enum.Enum):
    """Where in a task's pipeline an operation failed (Apache's ``Stage``; names are reported as is)."""

    TASK_POLL = "TASK_POLL"
    TASK_PUT = "TASK_PUT"
    TRANSFORMATION = "TRANSFORMATION"
    KEY_CONVERTER = "KEY_CONVERTER"
    VALUE_CONVERTER = "VALUE_CONVERTER"
    HEADER_CONVERTER = "HEADER_CONVERTER"
    KAFKA_PRODUCE = "KAFKA_PRODUCE"
    KAFKA_CONSUME = "KAFKA_CONSUME"


# In these stages any exception may be tolerated; elsewhere only a RetriableError (as in Java).
TOLERABLE_ANY = frozenset({Stage.TRANSFORMATION, Stage.HEADER_CONVERTER, Stage.KEY_CONVERTER, Stage.VALUE_CONVERTER})

# Our API exceptions stand for Apache's; report them under the Java names so that tools reading
# ``__connect.errors.exception.class.name`` see the same values as with Java workers.
_JAVA_EXCEPTION_NAMES: dict[type[BaseException], str] = {
    RetriableError: "org.apache.kafka.connect.errors.RetriableException",
    DataError: "org.apache.kafka.connect.errors.DataException",
    ConfigError: "org.apache.kafka.common.config.ConfigException",
    ConnectError: "org.apache.kafka.connect.errors.ConnectException",
}


def exception_class_name(error: BaseException) -> str:
    """The reported class of an exception: Apache's name for our API errors, else ``module.QualName``."""
    name = _JAVA_EXCEPTION_NAMES.get(type(error))
    if name is not None:
        return name
    cls = type(error)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def exception_message(error: BaseException) -> str | None:
    """Java's ``getMessage()``: None when the exception carries no message."""
    text = str(error)
    return text if text else None


def plugin_class_name(obj: Any) -> str:
    """The executing class reported for a plugin: its Apache ``class_name`` when it has one."""
    cls = obj if isinstance(obj, type) else type(obj)
    declared = getattr(cls, "class_name", "")
    return declared if isinstance(declared, str) and declared else f"{cls.__module__}.{cls.__qualname__}"


class ErrorMetrics:
    """Java's task-error-metrics, as the ``stats["errors"]`` dict of the heartbeat contract."""

    FIELDS = (
        "total_record_failures",
        "total_record_errors",
        "total_records_skipped",
        "total_retries",
        "total_errors_logged",
        "deadletterqueue_produce_requests",
        "deadletterqueue_produce_failures",
        "last_error_timestamp",
    )
    __slots__ = (*FIELDS, "_lock")

    def __init__(self) -> None:
        self.total_record_failures = 0
        self.total_record_errors = 0
        self.total_records_skipped = 0
        self.total_retries = 0
        self.total_errors_logged = 0
        self.deadletterqueue_produce_requests = 0
        self.deadletterqueue_produce_failures = 0
        self.last_error_timestamp = 0
        # Errors are reported from the put thread and DLQ callbacks from the producer's poller.
        self._lock = threading.Lock()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def error_now(self) -> None:
        self.last_error_timestamp = int(time.time() * 1000)

    def snapshot(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.FIELDS}


class ProcessingContext(Generic[T]):
    """The state of one record's trip through the pipeline: its original form, stage, class, error."""

    __slots__ = ("attempt", "converted", "error", "executing_class", "original", "stage")

    def __init__(self, original: T) -> None:
        self.original = original
        # For sources: the produce arguments once conversion succeeded (the DLQ's payload then).
        self.converted: Any = None
        self.stage: Stage | None = None
        self.executing_class = ""
        self.attempt = 0
        self.error: BaseException | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


class ErrorReporter(Protocol[T]):
    def report(self, context: ProcessingContext[T]) -> Future[None] | None:
        """Record a failure; a Future when the report completes later (a DLQ write), else None."""

    def close(self) -> None: ...


def _done() -> Future[None]:
    f: Future[None] = Future()
    f.set_result(None)
    return f


class CombinedFuture(Future[None]):
    """Completes when every report of one failure has (Apache's ErrantRecordFuture)."""

    def __init__(self, parts: Sequence[Future[None]]) -> None:
        super().__init__()
        self._pending = len(parts)
        self._lock = threading.Lock()
        if not parts:
            self.set_result(None)
        for part in parts:
            part.add_done_callback(self._one_done)

    def _one_done(self, part: Future[None]) -> None:
        with self._lock:
            self._pending -= 1
            last = self._pending == 0
            error = part.exception()
            if self.done():
                return
            if error is not None:
                self.set_exception(error)
            elif last:
                self.set_result(None)


@dataclass(frozen=True)
class ErrorHandlingConfig:
    retry_timeout_ms: int = 0  # 0: no retries; -1: retry forever
    retry_delay_max_ms: int = 60000
    tolerate_all: bool = False

    @property
    def trivial(self) -> bool:
        """Nothing to retry and nothing tolerated: the first failure fails the task."""
        return self.retry_timeout_ms == 0 and not self.tolerate_all


class RetryWithToleranceOperator(Generic[T]):
    """Runs operations with Kafka Connect's retry, tolerance and reporting rules."""

    def __init__(
        self,
        config: ErrorHandlingConfig,
        metrics: ErrorMetrics | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics if metrics is not None else ErrorMetrics()
        self.reporters: list[ErrorReporter[T]] = []
        self.total_failures = 0
        self._clock = clock
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        # Set by the task runner: waits up to the given seconds while keeping the task alive
        # (heartbeats, control commands) and returns True when the task must stop.
        self.waiter: Callable[[float], bool] | None = None

    # --- execution ---------------------------------------------------------------------------
    def execute(self, context: ProcessingContext[T], operation: Callable[[], V], stage: Stage, klass: str) -> V | None:
        """Run ``operation``; None if the record failed earlier or its failure was tolerated.

        Raises :class:`ConnectError` (``Tolerance exceeded in error handler``) when the failure is
        not tolerated; the failure is reported all the same, as Java does.
        """
        if context.failed:
            return None
        context.stage, context.executing_class = stage, klass
        try:
            return self._handle(context, operation, stage)
        finally:
            if context.failed:
                self.metrics.add("total_record_errors")
                self.report(context)

    def execute_failed(
        self, context: ProcessingContext[T], stage: Stage, klass: str, error: BaseException
    ) -> Future[None]:
        """An operation outside our control already failed (a sink's reported record, a produce)."""
        self._mark_failed()
        context.stage, context.executing_class, context.error = stage, klass, error
        self.metrics.add("total_record_failures")
        future = self.report(context)
        if not self.within_tolerance():
            self.metrics.add("total_record_errors")
            raise ConnectError(TOLERANCE_EXCEEDED) from error
        return future

    def _handle(self, context: ProcessingContext[T], operation: Callable[[], V], stage: Stage) -> V | None:
        try:
            result = self._retrying(context, operation)
        except Exception as e:
            self.metrics.add("total_record_failures")
            self._mark_failed()
            context.error = e
            if stage not in TOLERABLE_ANY and not isinstance(e, RetriableError):
                raise ConnectError(UNHANDLED) from e
            if not self.within_tolerance():
                raise ConnectError(TOLERANCE_EXCEEDED) from e
            self.metrics.add("total_records_skipped")
            return None
        if context.failed:  # retries ran out
            self._mark_failed()
            self.metrics.add("total_records_skipped")
        return result

    def _retrying(self, context: ProcessingContext[T], operation: Callable[[], V]) -> V | None:
        attempt = 0
        start = self._clock()
        timeout = self.config.retry_timeout_ms
        deadline = start + timeout / 1000.0 if timeout >= 0 else float("inf")
        while True:
            attempt += 1
            context.attempt = attempt
            try:
                return operation()
            except RetriableError as e:
                self.metrics.add("total_record_failures")
                if self._clock() < deadline:
                    self._backoff(attempt, deadline)
                    self.metrics.add("total_retries")
                else:
                    context.error = e
                    return None
                if self._stop.is_set():
                    context.error = e
                    return None

    def backoff_delay_ms(self, attempt: int, deadline: float) -> float:
        """Java's schedule: 300 ms doubling per attempt; past the maximum a random delay below it."""
        delay = float(RETRIES_DELAY_MIN_MS << min(attempt - 1, 40))
        limit = self.config.retry_delay_max_ms
        if delay > limit:
            delay = self._rng.uniform(0, limit) if limit > 0 else 0.0
        remaining = (deadline - self._clock()) * 1000.0
        return max(0.0, min(delay, remaining))

    def _backoff(self, attempt: int, deadline: float) -> None:
        delay_s = self.backoff_delay_ms(attempt, deadline) / 1000.0
        if self.waiter is None:
            self._stop.wait(delay_s)
            return
        # Long (or endless) retries must not starve heartbeats nor miss a STOP: wait in slices.
        until = time.monotonic() + delay_s
        while not self._stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            if self.waiter(min(left, 0.5)):
                self._stop.set()

    def trigger_stop(self) -> None:
        """Stop retrying (the task is stopping); an operation backing off fails at once."""
        self._stop.set()

    # --- tolerance ---------------------------------------------------------------------------
    def _mark_failed(self) -> None:
        with self._lock:
            self.metrics.error_now()
            self.total_failures += 1

    def within_tolerance(self) -> bool:
        return self.config.tolerate_all or self.total_failures == 0

    # --- reporting ---------------------------------------------------------------------------
    def report(self, context: ProcessingContext[T]) -> Future[None]:
        pending = []
        with self._lock:
            for reporter in self.reporters:
                future = reporter.report(context)
                if future is not None and not (future.done() and future.exception() is None):
                    pending.append(future)
        return CombinedFuture(pending) if pending else _done()

    def close(self) -> None:
        first: BaseException | None = None
        for reporter in self.reporters:
            try:
                reporter.close()
            except Exception as e:
                logger.exception("Closing an error reporter failed")
                first = first or e
        self.reporters = []
        if first is not None:
            raise ConnectError("Failed to close all reporters") from first
