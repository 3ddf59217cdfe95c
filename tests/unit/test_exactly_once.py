"""Exactly-once sources without a broker: names, settings, transaction boundaries, validation, fencing plans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from kconnect.api.config import ConfigDef, ConfigValue
from kconnect.api.connector import ConnectorTransactionBoundaries, ExactlyOnceSupport, SourceConnector
from kconnect.api.errors import ConnectError
from kconnect.api.records import SourceRecord
from kconnect.api.task import SourceTask
from kconnect.supervisor.distributed.fencing import FencingPlan, fencing_plan
from kconnect.supervisor.stores import formats as f
from kconnect.supervisor.stores.config_state import ConfigReplay
from kconnect.workers.exactly_once import (
    Decision,
    ExactlyOnceSettings,
    TransactionBoundaries,
    WorkerTransactionContext,
    leader_transactional_id,
    task_settings,
    task_transactional_id,
    transactional_producer_config,
    validate_source_connector,
)

WORKER = {
    "bootstrap.servers": "localhost:9092",
    "group.id": "connect-cluster",
    "offset.storage.topic": "connect-offsets",
    "exactly.once.source.support": "enabled",
}


def _record(n: int) -> SourceRecord:
    return SourceRecord(topic="t", value=str(n), source_partition={"p": 0}, source_offset={"n": n})


# --- names and settings ----------------------------------------------------------------------------


def test_transactional_ids_are_javas() -> None:
    assert task_transactional_id("connect-cluster", "my-source", 3) == "connect-cluster-my-source-3"
    assert leader_transactional_id("connect-cluster") == "connect-cluster-connect-cluster"


@pytest.mark.parametrize("support", ["disabled", "preparing", "DISABLED", ""])
def test_tasks_run_at_least_once_unless_support_is_enabled(support: str) -> None:
    assert task_settings({**WORKER, "exactly.once.source.support": support}, {}, "c", 0) is None


def test_standalone_worker_never_runs_exactly_once() -> None:
    props = {k: v for k, v in WORKER.items() if k != "group.id"}
    assert task_settings(props, {}, "c", 0) is None


def test_settings_follow_the_connector_config() -> None:
    s = task_settings({**WORKER, "exactly.once.source.support": "Enabled"}, {}, "src", 2, offset_flush_interval_ms=7000)
    assert s == ExactlyOnceSettings("connect-cluster-src-2", "connect-offsets", "connect-offsets", "poll", 7000)
    own = task_settings(
        WORKER,
        {
            "offsets.storage.topic": " src-offsets ",
            "transaction.boundary": "INTERVAL",
            "transaction.boundary.interval.ms": "250",
        },
        "src",
        0,
    )
    assert own is not None
    assert (own.offsets_topic, own.global_offsets_topic, own.boundary, own.interval_ms) == (
        "src-offsets",
        "connect-offsets",
        "interval",
        250,
    )
    assert ExactlyOnceSettings.from_boot(own.to_boot()) == own


def test_producer_is_forced_transactional() -> None:
    settings = task_settings(WORKER, {}, "src", 0)
    assert settings is not None
    base = {"enable.idempotence": "false", "acks": "1", "message.timeout.ms": "2147483647", "client.id": "x"}
    conf = transactional_producer_config(base, settings)
    assert conf["transactional.id"] == "connect-cluster-src-0"
    assert conf["enable.idempotence"] == "true"
    assert conf["acks"] == "all"
    assert conf["message.timeout.ms"] == "60000"  # never beyond the transaction timeout
    assert conf["client.id"] == "x"
    shorter = transactional_producer_config({"transaction.timeout.ms": "30000", "message.timeout.ms": "5000"}, settings)
    assert shorter["message.timeout.ms"] == "5000"


# --- the transaction context and boundaries --------------------------------------------------------


def test_transaction_context_requests_are_consumed_once() -> None:
    ctx = WorkerTransactionContext()
    r1, r2 = _record(1), _record(2)
    ctx.commit_transaction(r1)
    ctx.abort_transaction(r2)
    ctx.commit_transaction()
    assert ctx.should_commit_on(r1) is True
    assert ctx.should_commit_on(r1) is False
    assert ctx.should_abort_on(r2) is True
    assert ctx.should_commit_on(_record(1)) is False  # an equal record is not the same record
    assert ctx.should_commit_batch() is True
    assert ctx.should_commit_batch() is False
    assert ctx.should_abort_batch() is False


def test_transaction_context_refuses_commit_and_abort_of_the_same_thing() -> None:
    ctx = WorkerTransactionContext()
    ctx.commit_transaction()
    ctx.abort_transaction()
    with pytest.raises(ConnectError, match="Connector requested both commit and abort of same transaction"):
        ctx.should_commit_batch()
    record = _record(1)
    ctx2 = WorkerTransactionContext()
    ctx2.commit_transaction(record)
    ctx2.abort_transaction(record)
    with pytest.raises(ConnectError, match="both commit and abort of same record against topic/partition t/None"):
        ctx2.should_commit_on(record)


def test_poll_boundary_commits_every_batch_and_at_the_end() -> None:
    b = TransactionBoundaries("poll", 1000, None)
    assert b.for_record(_record(1)) is Decision.NONE
    assert b.for_batch() is Decision.COMMIT
    assert b.final() is Decision.COMMIT


def test_interval_boundary_commits_when_the_interval_passed() -> None:
    now = [0.0]
    b = TransactionBoundaries("interval", 500, None, clock_ms=lambda: now[0])
    b.start()
    now[0] = 499
    assert b.for_batch() is Decision.NONE
    now[0] = 500
    assert b.for_batch() is Decision.COMMIT
    now[0] = 900
    assert b.for_batch() is Decision.NONE  # measured from the last commit
    now[0] = 1000
    assert b.for_batch() is Decision.COMMIT
    assert b.final() is Decision.COMMIT


def test_connector_boundary_follows_the_tasks_requests() -> None:
    ctx = WorkerTransactionContext()
    b = TransactionBoundaries("connector", 1000, ctx)
    r1, r2 = _record(1), _record(2)
    assert b.for_record(r1) is Decision.NONE
    assert b.for_batch() is Decision.NONE
    assert b.final() is Decision.NONE  # nothing requested: the open transaction is dropped at stop
    ctx.commit_transaction(r1)
    ctx.abort_transaction(r2)
    assert b.for_record(r1) is Decision.COMMIT
    assert b.for_record(r2) is Decision.ABORT
    ctx.abort_transaction()
    assert b.for_batch() is Decision.ABORT
    ctx.commit_transaction()
    assert b.final() is Decision.COMMIT


def test_bad_boundaries_are_refused() -> None:
    with pytest.raises(ConnectError, match="Unrecognized transaction boundary: sometimes"):
        TransactionBoundaries("sometimes", 1, None)
    with pytest.raises(ConnectError, match="Transaction context must be provided"):
        TransactionBoundaries("connector", 1, None)


# --- validation --------------------------------------------------------------------------------------


class _Task(SourceTask):
    def start(self, props: Mapping[str, str]) -> None: ...

    def stop(self) -> None: ...

    def poll(self) -> list[SourceRecord] | None:
        return None


class _Source(SourceConnector):
    """A connector whose exactly-once answers come from its config (``eos``, ``boundaries``)."""

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef([])

    def start(self, props: Mapping[str, str]) -> None: ...

    def stop(self) -> None: ...

    @classmethod
    def task_class(cls) -> type[SourceTask]:
        return _Task

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return []

    def exactly_once_support(self, connector_config: Mapping[str, str]) -> ExactlyOnceSupport | None:
        answer = connector_config.get("eos")
        if answer == "boom":
            raise ValueError("  cannot tell  ")
        return None if answer is None else ExactlyOnceSupport(answer)

    def can_define_transaction_boundaries(self, connector_config: Mapping[str, str]) -> Any:
        answer = connector_config.get("boundaries")
        if answer == "boom":
            raise ValueError("")
        return None if answer == "null" else ConnectorTransactionBoundaries(answer or "UNSUPPORTED")


def _validate(worker: Mapping[str, str], config: dict[str, str]) -> tuple[list[str], list[str]]:
    results = {
        "exactly.once.support": ConfigValue("exactly.once.support", config.get("exactly.once.support", "requested")),
        "transaction.boundary": ConfigValue("transaction.boundary", config.get("transaction.boundary", "poll")),
    }
    validate_source_connector(worker, _Source(), config, results)
    return results["exactly.once.support"].errors, results["transaction.boundary"].errors


def test_requested_support_and_poll_boundary_need_no_checks() -> None:
    assert _validate({**WORKER, "exactly.once.source.support": "disabled"}, {}) == ([], [])


def test_required_support_checks_the_worker_and_the_connector() -> None:
    assert _validate(WORKER, {"exactly.once.support": "REQUIRED", "eos": "SUPPORTED"}) == ([], [])
    errors, _ = _validate(
        {**WORKER, "exactly.once.source.support": "preparing"},
        {"exactly.once.support": "required", "eos": "UNSUPPORTED"},
    )
    assert errors == [
        "This worker does not have exactly-once source support enabled.",
        "The connector does not support exactly-once semantics with the provided configuration.",
    ]
    errors, _ = _validate(WORKER, {"exactly.once.support": "required"})
    assert errors[0].startswith("The connector does not implement the API required for preflight validation")
    assert '"requested" for this property' in errors[0]
    errors, _ = _validate(WORKER, {"exactly.once.support": "required", "eos": "boom"})
    assert errors == ["An unexpected error occurred during validation: cannot tell"]


def test_connector_boundary_needs_a_connector_that_can_define_them() -> None:
    assert _validate(WORKER, {"transaction.boundary": "connector", "boundaries": "SUPPORTED"}) == ([], [])
    _, errors = _validate(WORKER, {"transaction.boundary": "Connector"})
    assert errors == [
        "The connector does not support connector-defined transaction boundaries with the given configuration. "
        "Please reconfigure it to use a different transaction boundary definition."
    ]
    _, errors = _validate(WORKER, {"transaction.boundary": "connector", "boundaries": "null"})
    assert errors[0].endswith("cannot be configured with 'transaction.boundary' set to 'connector'.")
    _, errors = _validate(WORKER, {"transaction.boundary": "connector", "boundaries": "boom"})
    assert errors == ["An unexpected error occurred during validation; please see the worker logs for more details."]


def test_a_key_with_an_error_already_is_not_checked_again() -> None:
    results = {"exactly.once.support": ConfigValue("exactly.once.support", "required", errors=["bad value"])}
    validate_source_connector({}, _Source(), {}, results)
    assert results["exactly.once.support"].errors == ["bad value"]


# --- fencing plans (Java's doFenceZombieSourceTasks decisions) -------------------------------------


def _replay(*records: f.ConfigRecord) -> ConfigReplay:
    replay = ConfigReplay()
    for offset, record in enumerate(records):
        replay.apply(offset, record)
    return replay


def _tasks(connector: str, n: int) -> list[f.ConfigRecord]:
    return [*(f.TaskConfig(connector, i, {"i": str(i)}) for i in range(n)), f.TaskCommit(connector, n)]


def test_fencing_plans() -> None:
    created = f.ConnectorConfig("src", {"connector.class": "X"})
    # First generation: nothing transactional ran before, only the record is written.
    assert fencing_plan(_replay(created, *_tasks("src", 3)).snapshot(), "src") == FencingPlan("src", 0, 3)
    # Recorded: nothing pending.
    replay = _replay(created, *_tasks("src", 3), f.TaskCountRecord("src", 3))
    assert fencing_plan(replay.snapshot(), "src") is None
    # New task configs after a record: every task of the recorded generation is fenced.
    replay.apply(10, f.TaskConfig("src", 0, {"i": "0"}))
    replay.apply(11, f.TaskCommit("src", 1))
    assert fencing_plan(replay.snapshot(), "src") == FencingPlan("src", 3, 1)
    # One task before and one now: the new task's own init_transactions fences the old one.
    one = _replay(created, *_tasks("src", 1), f.TaskCountRecord("src", 1), *_tasks("src", 1))
    assert fencing_plan(one.snapshot(), "src") == FencingPlan("src", 0, 1)
    # Unknown or deleted connectors have nothing to fence.
    assert fencing_plan(one.snapshot(), "other") is None
