"""The retry-and-tolerance operator and the staged re-conversion of failed records (no broker needed)."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

import pytest

from kconnect.api.errors import ConnectError, DataError, RetriableError
from kconnect.api.records import SinkRecord, SourceRecord
from kconnect.plugins.converters.header import SimpleHeaderConverter
from kconnect.plugins.converters.json import JsonConverter
from kconnect.plugins.converters.string import StringConverter
from kconnect.plugins.transforms.cast import CastValue
from kconnect.workers.conversion import Pipeline
from kconnect.workers.error_handling import (
    ErrorHandlingConfig,
    ErrorMetrics,
    ProcessingContext,
    RetryWithToleranceOperator,
    Stage,
    exception_class_name,
)
from kconnect.workers.error_reporters import LogReporter, render_source_record
from kconnect.workers.tolerant import SinkErrors, SourceErrors, error_settings

CONTRACT = {
    "total_record_failures",
    "total_record_errors",
    "total_records_skipped",
    "total_retries",
    "total_errors_logged",
    "deadletterqueue_produce_requests",
    "deadletterqueue_produce_failures",
    "last_error_timestamp",
}


class Recorder:
    """An error reporter that remembers what it was told (stage, class, error) per report."""

    def __init__(self) -> None:
        self.reports: list[tuple[Stage | None, str, BaseException | None]] = []

    def report(self, context: ProcessingContext[Any]) -> Future[None] | None:
        self.reports.append((context.stage, context.executing_class, context.error))
        return None

    def close(self) -> None:
        return None


def operator(**config: Any) -> tuple[RetryWithToleranceOperator[Any], Recorder]:
    op: RetryWithToleranceOperator[Any] = RetryWithToleranceOperator(ErrorHandlingConfig(**config))
    recorder = Recorder()
    op.reporters = [recorder]
    return op, recorder


def failing(error: BaseException, times: int = 1 << 30, result: Any = "ok") -> Callable[[], Any]:
    calls = {"n": 0}

    def run() -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return result

    return run


def test_metrics_have_exactly_the_contract_keys() -> None:
    assert set(ErrorMetrics().snapshot()) == CONTRACT
    assert all(v == 0 for v in ErrorMetrics().snapshot().values())


def test_no_tolerance_fails_with_javas_message_and_reports_first() -> None:
    op, rec = operator()
    cause = DataError("bad bytes")
    with pytest.raises(ConnectError, match=r"^Tolerance exceeded in error handler$") as info:
        op.execute(ProcessingContext("msg"), failing(cause), Stage.VALUE_CONVERTER, "C")
    assert info.value.__cause__ is cause
    assert rec.reports == [(Stage.VALUE_CONVERTER, "C", cause)]
    m = op.metrics.snapshot()
    assert (m["total_record_failures"], m["total_record_errors"], m["total_records_skipped"]) == (1, 1, 0)
    assert m["last_error_timestamp"] > 0


def test_tolerance_all_skips_each_failed_record_and_counts_it() -> None:
    op, rec = operator(tolerate_all=True)
    for _ in range(3):
        assert op.execute(ProcessingContext("m"), failing(ValueError("x")), Stage.TRANSFORMATION, "T") is None
    assert op.execute(ProcessingContext("m"), lambda: 5, Stage.TRANSFORMATION, "T") == 5
    m = op.metrics.snapshot()
    assert (m["total_record_failures"], m["total_record_errors"], m["total_records_skipped"]) == (3, 3, 3)
    assert len(rec.reports) == 3


def test_a_failed_context_skips_later_stages() -> None:
    op, rec = operator(tolerate_all=True)
    ctx: ProcessingContext[Any] = ProcessingContext("m")
    op.execute(ctx, failing(DataError("key")), Stage.KEY_CONVERTER, "K")
    called = []
    assert op.execute(ctx, lambda: called.append(1), Stage.VALUE_CONVERTER, "V") is None
    assert called == []
    assert ctx.stage is Stage.KEY_CONVERTER
    assert len(rec.reports) == 1


def test_outside_converters_and_transforms_only_retriable_errors_are_handled() -> None:
    op, _ = operator(tolerate_all=True)
    with pytest.raises(ConnectError, match=r"^Unhandled exception in error handler$"):
        op.execute(ProcessingContext("m"), failing(ValueError("boom")), Stage.KAFKA_PRODUCE, "P")


def test_retriable_errors_are_retried_until_the_operation_succeeds() -> None:
    op, rec = operator(retry_timeout_ms=60_000, retry_delay_max_ms=1)
    assert (
        op.execute(ProcessingContext("m"), failing(RetriableError("later"), times=3), Stage.KEY_CONVERTER, "K") == "ok"
    )
    m = op.metrics.snapshot()
    assert (m["total_record_failures"], m["total_retries"], m["total_record_errors"]) == (3, 3, 0)
    assert rec.reports == []


def test_without_a_retry_timeout_nothing_is_retried_and_the_record_is_skipped_as_in_java() -> None:
    # Java's quirk, kept: a RetriableError that runs out of retries skips the record even with
    # errors.tolerance=none (only the error is counted and reported).
    op, rec = operator()
    ctx: ProcessingContext[Any] = ProcessingContext("m")
    assert op.execute(ctx, failing(RetriableError("later")), Stage.VALUE_CONVERTER, "V") is None
    assert ctx.attempt == 1
    m = op.metrics.snapshot()
    assert (m["total_retries"], m["total_records_skipped"], m["total_record_errors"]) == (0, 1, 1)
    assert len(rec.reports) == 1


def test_retries_stop_at_the_retry_timeout() -> None:
    op, _ = operator(retry_timeout_ms=200, retry_delay_max_ms=20)
    ctx: ProcessingContext[Any] = ProcessingContext("m")
    assert op.execute(ctx, failing(RetriableError("never")), Stage.VALUE_CONVERTER, "V") is None
    assert ctx.attempt >= 2
    assert op.metrics.total_retries == ctx.attempt - 1


def test_backoff_doubles_from_300_ms_then_jitters_below_the_maximum_and_never_passes_the_deadline() -> None:
    now = [1000.0]
    op: RetryWithToleranceOperator[Any] = RetryWithToleranceOperator(
        ErrorHandlingConfig(retry_timeout_ms=-1, retry_delay_max_ms=1000), clock=lambda: now[0], rng=random.Random(7)
    )
    far = float("inf")
    assert [op.backoff_delay_ms(a, far) for a in (1, 2)] == [300.0, 600.0]
    jittered = [op.backoff_delay_ms(3, far) for _ in range(20)]
    assert all(0 <= d < 1000 for d in jittered)
    assert len(set(jittered)) > 1
    assert op.backoff_delay_ms(1, now[0] + 0.1) == pytest.approx(100.0)


def test_stop_interrupts_infinite_retries() -> None:
    op, _ = operator(retry_timeout_ms=-1, retry_delay_max_ms=60_000)
    result: list[Any] = []
    t = threading.Thread(
        target=lambda: result.append(
            op.execute(ProcessingContext("m"), failing(RetriableError("x")), Stage.VALUE_CONVERTER, "V")
        )
    )
    t.start()
    time.sleep(0.1)
    op.trigger_stop()
    t.join(10)
    assert not t.is_alive()
    assert result == [None]


def test_execute_failed_reports_then_fails_beyond_tolerance() -> None:
    op, rec = operator()
    with pytest.raises(ConnectError, match="Tolerance exceeded"):
        op.execute_failed(ProcessingContext("m"), Stage.TASK_PUT, "S", DataError("no"))
    assert [r[0] for r in rec.reports] == [Stage.TASK_PUT]
    tolerant, _ = operator(tolerate_all=True)
    assert tolerant.execute_failed(ProcessingContext("m"), Stage.TASK_PUT, "S", DataError("no")).done()


def test_our_api_errors_are_reported_under_apaches_class_names() -> None:
    assert exception_class_name(DataError("x")) == "org.apache.kafka.connect.errors.DataException"
    assert exception_class_name(RetriableError("x")) == "org.apache.kafka.connect.errors.RetriableException"
    assert exception_class_name(ValueError("x")) == "ValueError"


class Message:
    """The shape of a consumed confluent_kafka Message (test data, not the system under test)."""

    def __init__(self, value: bytes, offset: int = 5) -> None:
        self._value, self._offset = value, offset

    def topic(self) -> str:
        return "in"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return b"k"

    def value(self) -> bytes:
        return self._value

    def headers(self) -> list[tuple[str, bytes]]:
        return [("h", b"v")]

    def timestamp(self) -> tuple[int, int]:
        return 1, 1234

    def error(self) -> None:
        return None


def pipeline() -> Pipeline:
    key = StringConverter()
    key.configure({}, True)
    value = JsonConverter()
    value.configure({"schemas.enable": "false"}, False)
    header = SimpleHeaderConverter()
    header.configure({})
    cast = CastValue()
    cast.configure({"spec": "n:int32"})
    return Pipeline(key, value, header, [cast.apply], [CastValue.class_name])


@pytest.mark.parametrize(
    ("value", "stage", "klass"),
    [
        (b"{oops", Stage.VALUE_CONVERTER, JsonConverter.class_name),
        (b'{"n": "abc"}', Stage.TRANSFORMATION, "org.apache.kafka.connect.transforms.Cast$Value"),
    ],
)
def test_a_record_that_failed_is_converted_again_stage_by_stage(value: bytes, stage: Stage, klass: str) -> None:
    p = pipeline()
    with pytest.raises(DataError):
        p.kafka_to_sink(Message(value))  # the fast path just raises
    op, rec = operator(tolerate_all=True)
    assert SinkErrors(p, op, errant=False).convert(Message(value)) is None
    assert [(s, c) for s, c, _ in rec.reports] == [(stage, klass)]
    good = SinkErrors(p, op, errant=False).convert(Message(b'{"n": "7"}'))
    assert good is not None
    assert good.value == {"n": 7}


def test_sources_transform_then_convert_in_stages() -> None:
    p = pipeline()
    op, rec = operator(tolerate_all=True)
    errors = SourceErrors(p, op)
    assert errors.convert(SourceRecord(topic="t", value={"n": "x"})) is None
    assert rec.reports[-1][0] is Stage.TRANSFORMATION
    converted = errors.convert(SourceRecord(topic="t", key="k", value={"n": "3"}))
    assert converted is not None
    assert converted[2:4] == (b"k", b'{"n":3}')


def test_log_reporter_uses_javas_wording(caplog: pytest.LogCaptureFixture) -> None:
    metrics = ErrorMetrics()
    reporter = LogReporter("conn-0", include_messages=True, metrics=metrics)
    ctx: ProcessingContext[Any] = ProcessingContext(Message(b"x", offset=9))
    ctx.stage, ctx.executing_class, ctx.error = Stage.VALUE_CONVERTER, "C", DataError("bad")
    with caplog.at_level(logging.ERROR, logger="kconnect.workers.errors"):
        reporter.report(ctx)
    assert caplog.records[0].getMessage() == (
        "Error encountered in task conn-0. Executing stage 'VALUE_CONVERTER' with class 'C', where consumed record is "
        "{topic='in', partition=0, offset=9, timestamp=1234, timestampType=CreateTime}."
    )
    assert metrics.total_errors_logged == 1


def test_source_record_rendering_is_plain_json() -> None:
    record = SourceRecord(topic="t", key=b"\x00", value={"a": 1}, source_partition={"f": "x"}, source_offset={"o": 2})
    assert render_source_record(record) == {
        "topic": "t",
        "kafkaPartition": None,
        "keySchema": None,
        "key": b"\x00",
        "valueSchema": None,
        "value": {"a": 1},
        "timestamp": None,
        "headers": [],
        "sourcePartition": {"f": "x"},
        "sourceOffset": {"o": 2},
    }


def test_settings_read_the_dlq_keys_for_sources_only_with_the_extension() -> None:
    keys = {"errors.deadletterqueue.topic.name": "dlq", "errors.tolerance": "all"}
    assert error_settings(keys, "sink").dlq_topic == "dlq"
    assert error_settings(keys, "source").dlq_topic == ""
    enabled = {**keys, "kconnect.errors.source.deadletterqueue.enable": "true"}
    assert error_settings(enabled, "source").dlq_topic == "dlq"
    assert error_settings(enabled, "source").handling.tolerate_all


class PendingReporter:
    """A reporter whose writes complete when the test says so (a DLQ write in flight)."""

    def __init__(self) -> None:
        self.futures: list[Future[None]] = []
        self.originals: list[Any] = []

    def report(self, context: ProcessingContext[Any]) -> Future[None]:
        future: Future[None] = Future()
        self.futures.append(future)
        self.originals.append(context.original)
        return future

    def close(self) -> None:
        return None


def test_commits_wait_for_reported_records_and_a_failed_dlq_write_fails_the_task() -> None:
    op: RetryWithToleranceOperator[Any] = RetryWithToleranceOperator(ErrorHandlingConfig(tolerate_all=True))
    pending = PendingReporter()
    op.reporters = [pending]
    errors = SinkErrors(pipeline(), op, errant=True)
    msg = Message(b'{"n": "1"}', offset=3)
    errors.new_batch([msg])
    record = pipeline().kafka_to_sink(msg)
    assert record is not None
    returned = errors.report(record, DataError("rejected"))
    assert pending.originals == [msg]  # the original consumed message, found by its coordinates
    waiter = threading.Thread(target=errors.await_reports)
    waiter.start()
    time.sleep(0.2)
    assert waiter.is_alive()  # offsets may not move past the record yet
    pending.futures[0].set_result(None)
    waiter.join(5)
    assert not waiter.is_alive()
    assert returned.done()
    errors.report(record, DataError("again"))
    pending.futures[1].set_exception(RuntimeError("broker said no"))
    with pytest.raises(ConnectError, match="dead letter queue"):
        errors.await_reports()


def test_a_reported_record_not_from_the_batch_is_converted_back() -> None:
    op, _ = operator(tolerate_all=True)
    pending = PendingReporter()
    op.reporters = [pending]
    errors = SinkErrors(pipeline(), op, errant=True)
    errors.new_batch([])
    made_up = SinkRecord(topic="in", kafka_partition=0, key="k", value={"n": 9}, kafka_offset=42)
    errors.report(made_up, DataError("made up"))
    original = pending.originals[0]
    assert (original.key(), original.value(), original.offset()) == (b"k", b'{"n":9}', 42)


def test_tolerance_none_in_the_errant_reporter_raises_and_is_raised_again_after_put() -> None:
    op, _ = operator()
    errors = SinkErrors(pipeline(), op, errant=True)
    errors.new_batch([])
    record = SinkRecord(topic="in", kafka_partition=0, value={"n": 1}, kafka_offset=1)
    with pytest.raises(ConnectError, match="Tolerance exceeded"):
        errors.report(record, DataError("no"))
    with pytest.raises(ConnectError, match="Tolerance exceeded"):
        errors.raise_if_intolerable()  # even if put() swallowed it


@pytest.mark.parametrize(
    ("kind", "extra", "error"),
    [
        ("source", {"errors.deadletterqueue.topic.name": "d"}, None),
        (
            "source",
            {},
            "Invalid value true for configuration kconnect.errors.source.deadletterqueue.enable: "
            "errors.deadletterqueue.topic.name must name a topic",
        ),
        (
            "source",
            {"errors.deadletterqueue.topic.name": "d", "errors.deadletterqueue.topic.replication.factor": "abc"},
            "Invalid value abc for configuration errors.deadletterqueue.topic.replication.factor: "
            "Not a number of type SHORT",
        ),
        (
            "sink",
            {"topics": "a"},
            "Invalid value true for configuration kconnect.errors.source.deadletterqueue.enable: "
            "only source connectors accept it",
        ),
    ],
)
def test_validation_of_the_source_dlq_extension(kind: str, extra: dict[str, str], error: str | None) -> None:
    from kconnect.api.config import ConfigDef
    from kconnect.workers.connector_config import validate_connector_config, validation_errors

    props = {"name": "x", "connector.class": "Foo", "kconnect.errors.source.deadletterqueue.enable": "true", **extra}
    infos = validate_connector_config("Foo", kind, ConfigDef(), {}, props)  # type: ignore[arg-type]
    assert validation_errors(infos) == ([] if error is None else [error])


def test_retries_wait_through_the_runners_waiter_which_can_stop_them() -> None:
    op, _ = operator(retry_timeout_ms=-1, retry_delay_max_ms=60_000)
    slices: list[float] = []

    def waiter(seconds: float) -> bool:
        slices.append(seconds)
        return len(slices) >= 3  # the task was told to stop during the third slice

    op.waiter = waiter
    ctx: ProcessingContext[Any] = ProcessingContext("m")
    assert op.execute(ctx, failing(RetriableError("x")), Stage.VALUE_CONVERTER, "V") is None
    assert len(slices) == 3
    assert all(0 < s <= 0.5 for s in slices)
    assert isinstance(ctx.error, RetriableError)


def test_task_stats_carry_the_error_counters_of_the_contract() -> None:
    from kconnect.workers.offsets import SubmittedOffsets
    from kconnect.workers.sink import SinkTaskRunner
    from kconnect.workers.source import SourceTaskRunner
    from kconnect.workers.task_metrics import TaskMetrics

    op, _ = operator(tolerate_all=True)
    op.execute(ProcessingContext("m"), failing(DataError("x")), Stage.VALUE_CONVERTER, "V")
    sink = SinkTaskRunner.__new__(SinkTaskRunner)  # stats() only: no consumer needed
    sink.errors = SinkErrors(pipeline(), op, errant=False)
    sink.records_put, sink.put_batches, sink.assignment = 0, 0, set()
    sink.records_read, sink.read_at_commit, sink.commit_seq_no = 0, 0, 0
    sink.metrics, sink.link = TaskMetrics(), SimpleNamespace(paused=False)
    source = SourceTaskRunner.__new__(SourceTaskRunner)
    source.errors = SourceErrors(pipeline(), op)
    source.records_polled, source.batches, source.submitted, source.topics = 0, 0, SubmittedOffsets(), set()
    source.records_sent, source.metrics, source.link = 0, TaskMetrics(), SimpleNamespace(paused=False)
    for stats in (sink.stats(), source.stats()):
        assert set(stats["errors"]) == CONTRACT
        assert stats["errors"]["total_records_skipped"] == 1
