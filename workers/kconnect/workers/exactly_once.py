"""Exactly-once source tasks (KIP-618): records and their source offsets in one producer transaction.

A task runs exactly-once when its worker has ``exactly.once.source.support=enabled`` (distributed
mode): the supervisor side then hands the task an ``exactly_once`` bootstrap section built by
:func:`task_settings`. The task process

1. creates a transactional producer with Kafka Connect's id ``<group.id>-<connector>-<task>`` and
   calls ``init_transactions`` — which fences any zombie instance of the same task (its open
   transaction is aborted and its producer epoch is bumped, so its later writes fail);
2. only then reads its source offsets, with a ``read_committed`` consumer, from the offsets topic
   (the connector's ``offsets.storage.topic`` over the worker's ``offset.storage.topic``);
3. writes each transaction's records *and* the offsets of those records (Java's key/value bytes,
   :mod:`kconnect.supervisor.stores.formats`) to the offsets topic inside the same transaction, and
   commits it at the boundaries ``transaction.boundary`` names: every poll batch (``poll``), every
   ``transaction.boundary.interval.ms`` (``interval``), or when the task asks through its
   :class:`WorkerTransactionContext` (``connector``).

So after any crash a restarted task resumes from the offsets of the last committed transaction, and a
``read_committed`` reader of the data topics sees every record exactly once. docs/exactly-once.md.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from confluent_kafka import KafkaError, KafkaException

from kconnect.api.errors import ConnectError
from kconnect.api.records import SourceRecord
from kconnect.ipc import messages as m
from kconnect.workers.offsets import offset_key
from kconnect.workers.source import SourceTaskContextImpl, SourceTaskRunner, StoredOffsets

logger = logging.getLogger(__name__)

BOUNDARY_POLL: Final = "poll"
BOUNDARY_INTERVAL: Final = "interval"
BOUNDARY_CONNECTOR: Final = "connector"
BOUNDARIES: Final = (BOUNDARY_POLL, BOUNDARY_INTERVAL, BOUNDARY_CONNECTOR)

#: librdkafka's (and Java's) default ``transaction.timeout.ms``.
DEFAULT_TRANSACTION_TIMEOUT_MS: Final = 60000
#: How long ``init_transactions`` / ``commit_transaction`` may block before the task fails.
TRANSACTION_CALL_TIMEOUT_S: Final = 60.0


# --- names ------------------------------------------------------------------------------------------


def task_transactional_id(group_id: str, connector: str, task: int) -> str:
    """Java's ``Worker.taskTransactionalId``: ``<group.id>-<connector>-<task>``."""
    return f"{group_id}-{connector}-{task}"


def leader_transactional_id(group_id: str) -> str:
    """Java's ``DistributedConfig.transactionalProducerId``: the leader's config-topic producer."""
    return f"connect-cluster-{group_id}"


# --- what the supervisor side hands a task ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExactlyOnceSettings:
    """The ``exactly_once`` section of a source task's bootstrap message."""

    transactional_id: str
    offsets_topic: str  # where this task writes offsets (the connector's topic, else the worker's)
    global_offsets_topic: str  # the worker's offset.storage.topic (read as a fallback)
    boundary: str
    interval_ms: int

    def to_boot(self) -> dict[str, Any]:
        return {
            "transactional_id": self.transactional_id,
            "offsets_topic": self.offsets_topic,
            "global_offsets_topic": self.global_offsets_topic,
            "boundary": self.boundary,
            "interval_ms": self.interval_ms,
        }

    @classmethod
    def from_boot(cls, section: Mapping[str, Any]) -> ExactlyOnceSettings:
        return cls(
            transactional_id=str(section["transactional_id"]),
            offsets_topic=str(section["offsets_topic"]),
            global_offsets_topic=str(section["global_offsets_topic"]),
            boundary=str(section["boundary"]),
            interval_ms=int(section["interval_ms"]),
        )


def worker_support(worker_props: Mapping[str, str]) -> str:
    """The worker's ``exactly.once.source.support`` in lower case (``disabled`` when unset)."""
    return str(worker_props.get("exactly.once.source.support") or "disabled").strip().lower()


def task_settings(
    worker_props: Mapping[str, str],
    connector_config: Mapping[str, str],
    connector: str,
    task_id: int,
    *,
    offset_flush_interval_ms: int = 60000,
) -> ExactlyOnceSettings | None:
    """The exactly-once settings of a source task, or None when it runs at-least-once.

    Only a distributed worker (it has a ``group.id``) with support ``enabled`` runs tasks
    exactly-once, as in Java; ``preparing`` still runs them at-least-once.
    """
    group_id = worker_props.get("group.id")
    if worker_support(worker_props) != "enabled" or not group_id:
        return None
    global_topic = str(worker_props.get("offset.storage.topic") or "")
    own = (connector_config.get("offsets.storage.topic") or "").strip()
    boundary = (connector_config.get("transaction.boundary") or BOUNDARY_POLL).strip().lower()
    interval = connector_config.get("transaction.boundary.interval.ms")
    return ExactlyOnceSettings(
        transactional_id=task_transactional_id(group_id, connector, task_id),
        offsets_topic=own or global_topic,
        global_offsets_topic=global_topic,
        boundary=boundary,
        interval_ms=int(interval) if interval not in (None, "") else offset_flush_interval_ms,
    )


def transactional_producer_config(base: Mapping[str, Any], settings: ExactlyOnceSettings) -> dict[str, Any]:
    """The task's librdkafka producer config with transactions on (Java's forced settings)."""
    conf = dict(base)
    for key, forced in (("enable.idempotence", "true"), ("transactional.id", settings.transactional_id)):
        given = conf.get(key)
        if given is not None and str(given).lower() != forced.lower():
            # (the base config always disables idempotence, as Java's base producer config does)
            logger.debug(
                "Overriding producer %s=%s with %s for connectors when exactly-once source support is enabled",
                key,
                given,
                forced,
            )
        conf[key] = forced
    conf["acks"] = "all"
    # librdkafka refuses a message timeout longer than the transaction timeout (Java's delivery
    # timeout default, INT_MAX, would be one): a record not delivered within it fails the commit.
    txn_timeout = int(conf.get("transaction.timeout.ms", DEFAULT_TRANSACTION_TIMEOUT_MS))
    conf["message.timeout.ms"] = str(min(int(conf.get("message.timeout.ms", txn_timeout)), txn_timeout))
    # Idempotence allows up to five requests in flight without reordering.
    conf["max.in.flight.requests.per.connection"] = str(
        min(5, max(1, int(conf.get("max.in.flight.requests.per.connection", 5))))
    )
    return conf


# --- validation (the distributed herder's preflight checks) ---------------------------------------


def _unexpected(e: Exception) -> str:
    message = str(e).strip()
    if message:
        return f"An unexpected error occurred during validation: {message}"
    return "An unexpected error occurred during validation; please see the worker logs for more details."


def validate_source_connector(
    worker_props: Mapping[str, str], connector: Any, config: Mapping[str, str], results: Mapping[str, Any]
) -> None:
    """Add Java's errors to the ``exactly.once.support`` and ``transaction.boundary`` results.

    ``connector`` is the SourceConnector instance (its ``exactly_once_support`` and
    ``can_define_transaction_boundaries`` hooks are consulted); ``results`` maps key -> ConfigValue.
    Keys that already carry an error are left alone, as in Java.
    """
    from kconnect.api.connector import ConnectorTransactionBoundaries, ExactlyOnceSupport

    support = results.get("exactly.once.support")
    if support is not None and not support.errors and str(support.value).strip().lower() == "required":
        if worker_support(worker_props) != "enabled":
            support.add_error("This worker does not have exactly-once source support enabled.")
        try:
            answer = connector.exactly_once_support(dict(config))
            if answer is None:
                support.add_error(
                    "The connector does not implement the API required for preflight validation of exactly-once "
                    "source support. Please consult the documentation for the connector to determine whether it "
                    "supports exactly-once semantics, and then consider reconfiguring the connector to use the value "
                    '"requested" for this property (which will disable this preflight check and allow the connector '
                    "to be created)."
                )
            elif answer is not ExactlyOnceSupport.SUPPORTED:
                support.add_error(
                    "The connector does not support exactly-once semantics with the provided configuration."
                )
        except Exception as e:
            logger.exception("Failed while validating connector support for exactly-once semantics")
            support.add_error(_unexpected(e))
    boundary = results.get("transaction.boundary")
    if boundary is not None and not boundary.errors and str(boundary.value).strip().lower() == BOUNDARY_CONNECTOR:
        try:
            can = connector.can_define_transaction_boundaries(dict(config))
            if can is None:
                boundary.add_error(
                    "This connector has returned a null value from its canDefineTransactionBoundaries method, which "
                    "is not permitted. The connector will be treated as if it cannot define its own transaction "
                    "boundaries, and cannot be configured with 'transaction.boundary' set to 'connector'."
                )
            elif can is not ConnectorTransactionBoundaries.SUPPORTED:
                boundary.add_error(
                    "The connector does not support connector-defined transaction boundaries with the given "
                    "configuration. Please reconfigure it to use a different transaction boundary definition."
                )
        except Exception as e:
            logger.exception("Failed while validating connector support for defining its own transaction boundaries")
            boundary.add_error(_unexpected(e))


# --- the connector's transaction boundaries ---------------------------------------------------------


class WorkerTransactionContext:
    """The ``TransactionContext`` a task gets under ``transaction.boundary=connector`` (Java semantics).

    Requests are remembered until the runner checks them: per record after the record is dispatched,
    per batch after the whole ``poll()`` batch is dispatched. Records are matched by identity — the
    object the task returned from ``poll()``.
    """

    def __init__(self) -> None:
        self._commit_records: dict[int, SourceRecord] = {}
        self._abort_records: dict[int, SourceRecord] = {}
        self._commit_batch = False
        self._abort_batch = False

    # task-facing API (kconnect.api.task.TransactionContext)
    def commit_transaction(self, record: SourceRecord | None = None) -> None:
        if record is None:
            self._commit_batch = True
        else:
            self._commit_records[id(record)] = record

    def abort_transaction(self, record: SourceRecord | None = None) -> None:
        if record is None:
            self._abort_batch = True
        else:
            self._abort_records[id(record)] = record

    # runner-facing checks (each consumes the request it reports)
    def should_commit_batch(self) -> bool:
        self._check_batch()
        result, self._commit_batch = self._commit_batch, False
        return result

    def should_abort_batch(self) -> bool:
        self._check_batch()
        result, self._abort_batch = self._abort_batch, False
        return result

    def should_commit_on(self, record: SourceRecord) -> bool:
        self._check_record(record)
        return self._commit_records.pop(id(record), None) is not None

    def should_abort_on(self, record: SourceRecord) -> bool:
        self._check_record(record)
        return self._abort_records.pop(id(record), None) is not None

    def _check_batch(self) -> None:
        if self._commit_batch and self._abort_batch:
            raise ConnectError("Connector requested both commit and abort of same transaction")

    def _check_record(self, record: SourceRecord) -> None:
        if id(record) in self._commit_records and id(record) in self._abort_records:
            raise ConnectError(
                "Connector requested both commit and abort of same record against topic/partition "
                f"{record.topic}/{record.kafka_partition}"
            )


class Decision(enum.Enum):
    NONE = "none"
    COMMIT = "commit"
    #: abort the open transaction, then commit the offsets (the aborted records are not re-read)
    ABORT = "abort"


class TransactionBoundaries:
    """When to end a transaction: Java's TransactionBoundaryManager as a pure decision table."""

    def __init__(
        self,
        boundary: str,
        interval_ms: int,
        context: WorkerTransactionContext | None,
        clock_ms: Callable[[], float] = lambda: time.monotonic() * 1000.0,
    ) -> None:
        if boundary not in BOUNDARIES:
            raise ConnectError(f"Unrecognized transaction boundary: {boundary}")
        if boundary == BOUNDARY_CONNECTOR and context is None:
            raise ConnectError(
                "Transaction context must be provided when using connector-defined transaction boundaries"
            )
        self.boundary = boundary
        self.interval_ms = interval_ms
        self.context = context
        self._clock = clock_ms
        self._last_commit = clock_ms()

    def start(self) -> None:
        self._last_commit = self._clock()

    def for_record(self, record: SourceRecord) -> Decision:
        if self.boundary != BOUNDARY_CONNECTOR:
            return Decision.NONE
        assert self.context is not None
        if self.context.should_abort_on(record):
            return Decision.ABORT
        return Decision.COMMIT if self.context.should_commit_on(record) else Decision.NONE

    def for_batch(self) -> Decision:
        if self.boundary == BOUNDARY_POLL:
            return Decision.COMMIT
        if self.boundary == BOUNDARY_INTERVAL:
            now = self._clock()
            if now >= self._last_commit + self.interval_ms:
                self._last_commit = now
                return Decision.COMMIT
            return Decision.NONE
        assert self.context is not None
        if self.context.should_abort_batch():
            return Decision.ABORT
        return Decision.COMMIT if self.context.should_commit_batch() else Decision.NONE

    def final(self) -> Decision:
        """At a clean stop or a pause: poll and interval commit what is open; connector only on request."""
        return self.for_batch() if self.boundary == BOUNDARY_CONNECTOR else Decision.COMMIT


# --- reading offsets ----------------------------------------------------------------------------------


def read_committed_offsets(
    client_config: Mapping[str, str],
    connector: str,
    topics: list[str],
    *,
    client_id: str,
    timeout: float = 60.0,
) -> dict[str, Mapping[str, Any] | None]:
    """The connector's offsets as committed in ``topics`` (later topics win), keyed for StoredOffsets.

    Read with ``isolation.level=read_committed`` to the end: records of aborted or still-open
    transactions (a zombie's) are never seen.
    """
    from kconnect.supervisor.stores.backing import OffsetStore
    from kconnect.supervisor.stores.kafka_log import KafkaLog
    from kconnect.supervisor.stores.log import Consume

    found: dict[str, Mapping[str, Any] | None] = {}
    for topic in dict.fromkeys(topics):  # de-duplicated, order kept

        def make(consume: Consume, topic: str = topic) -> KafkaLog:
            return KafkaLog(
                topic,
                consume,
                client_config,
                client_id=client_id,
                consumer_overrides={"isolation.level": "read_committed"},
                read_only=True,
            )

        store = OffsetStore(make)
        store.start(timeout)
        try:
            for partition, offset in store.connector_offsets(connector):
                found[offset_key(connector, partition)] = offset
        finally:
            store.stop()
    return found


def ensure_offsets_topic(admin_config: Mapping[str, str], topic: str, worker_props: Mapping[str, str]) -> None:
    """Create a connector's own offsets topic when missing (compacted, the worker's offset.storage.* sizes)."""
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    admin = AdminClient(dict(admin_config))
    if topic in admin.list_topics(timeout=30).topics:
        return
    partitions = int(worker_props.get("offset.storage.partitions") or 25)
    replication = int(worker_props.get("offset.storage.replication.factor") or 3)
    spec = NewTopic(
        topic, num_partitions=partitions, replication_factor=replication, config={"cleanup.policy": "compact"}
    )
    try:
        admin.create_topics([spec], operation_timeout=30)[topic].result(60)
        logger.info("Created offsets topic %s", topic)
    except KafkaException as e:
        if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


# --- the task loop --------------------------------------------------------------------------------------


class ExactlyOnceSourceTaskRunner(SourceTaskRunner):
    """SourceTaskRunner whose records and offsets go out in producer transactions."""

    def __init__(
        self,
        *,
        settings: ExactlyOnceSettings,
        task_id: int,
        offsets_client_config: Mapping[str, str],
        worker_props: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs["producer_config"] = transactional_producer_config(kwargs["producer_config"], settings)
        super().__init__(**kwargs)
        self.settings = settings
        self.task_id = task_id
        self.offsets_client_config = dict(offsets_client_config)
        self.worker_props = dict(worker_props or {})
        self.transaction_context = WorkerTransactionContext() if settings.boundary == BOUNDARY_CONNECTOR else None
        self.boundaries = TransactionBoundaries(settings.boundary, settings.interval_ms, self.transaction_context)
        self.transaction_open = False
        # last offset per source partition written since the last commit, keyed like StoredOffsets
        self.pending: dict[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]] = {}
        self.delivery_error: str | None = None
        self.failed = False
        self.transactions_committed = 0
        self.transactions_aborted = 0
        self.records_in_transaction = 0

    # startup -------------------------------------------------------------------------------------
    def _prepare(self) -> None:
        # Fence older instances of this task first; their open transaction is aborted by this call,
        # so the read below sees exactly the committed state.
        self._init_transactions()
        self.link.heartbeat(self.stats)
        if self.settings.offsets_topic != self.settings.global_offsets_topic:
            ensure_offsets_topic(self.offsets_client_config, self.settings.offsets_topic, self.worker_props)
        topics = [self.settings.global_offsets_topic, self.settings.offsets_topic]
        stored = read_committed_offsets(
            self.offsets_client_config,
            self.connector,
            [t for t in topics if t],
            client_id=f"connector-consumer-{self.connector}-{self.task_id}-offsets",
        )
        self.reader = StoredOffsets(self.connector, stored)

    def _init_transactions(self) -> None:
        """``init_transactions`` in short attempts with heartbeats between them: while the broker aborts
        a killed predecessor's transaction this can take a while, and the supervisor kills a task
        process that stays silent for 30 s."""
        deadline = time.monotonic() + TRANSACTION_CALL_TIMEOUT_S
        while True:
            try:
                self.producer.init_transactions(min(10.0, max(1.0, deadline - time.monotonic())))
                return
            except KafkaException as e:
                err = e.args[0] if e.args else None
                if not (isinstance(err, KafkaError) and err.retriable()) or time.monotonic() >= deadline:
                    raise
                logger.info("Initialising transactions is taking longer (%s); trying again", err)
                self.link.heartbeat(self.stats)

    def run(self) -> None:
        self._prepare()
        context = SourceTaskContextImpl(self.task_config, self.reader, self.transaction_context)
        self.task.initialize(context)
        self.task.start(self.task_config)
        self.link.send({"type": m.HELLO})
        self.boundaries.start()
        try:
            while not self.link.stop_requested:
                self.link.poll_commands(0.2 if self.link.paused else 0.0)
                if self.link.paused:
                    # Java commits on pause so no transaction hangs open (and times out) meanwhile.
                    if self.transaction_open or self.pending:
                        self._apply(self.boundaries.final())
                    self.producer.poll(0)
                    self.link.heartbeat(self.stats)  # a paused task is alive too (else killed as wedged)
                    continue
                records = self._poll()
                if records:
                    self._send(records)
                elif self.settings.boundary == BOUNDARY_INTERVAL:
                    self._apply(self.boundaries.for_batch())
                self.producer.poll(0)
                self._raise_delivery_error()
                self.link.heartbeat(self.stats)
        except BaseException:
            self.failed = True
            raise
        finally:
            self._shutdown()

    # sending ---------------------------------------------------------------------------------------
    def _send(self, records: list[SourceRecord]) -> None:
        produce = self.producer.produce
        convert = self._convert  # errors.tolerance, retries and the DLQ as in the at-least-once loop
        decide = self.boundaries.for_record
        for record in records:
            converted = convert(record)
            if converted is not None:
                topic, partition, key, value, headers, timestamp = converted
                if topic == self.settings.offsets_topic:
                    # A reader of the offsets topic would block on our own open transaction.
                    raise ConnectError(
                        "Source tasks may not produce to their own offsets topics when exactly-once support is enabled"
                    )
                if topic not in self.topics:
                    self._first_send_to(topic)
                if not self.transaction_open:
                    self.producer.begin_transaction()
                    self.transaction_open = True
                while True:
                    try:
                        produce(
                            topic,
                            value,
                            key,
                            partition=partition,
                            timestamp=timestamp,
                            headers=headers,
                            on_delivery=self._delivered,
                        )
                        break
                    except BufferError:
                        self.producer.poll(0.05)
                self.records_in_transaction += 1
            source_partition = record.source_partition
            if source_partition is not None:
                # Connectors usually reuse one partition dict per source partition: serialise it once
                # (kept by reference, so a recycled id cannot fool the identity check).
                if source_partition is not self._last_partition:
                    self._last_partition = source_partition
                    self._last_key = offset_key(self.connector, source_partition)
                self.pending[self._last_key] = (source_partition, record.source_offset)
            if self.transaction_context is not None:
                self._apply(decide(record))
        self.records_polled += len(records)
        self.batches += 1
        self._apply(self.boundaries.for_batch())

    def _delivered(self, err: Any, _msg: Any = None) -> None:
        if err is not None and self.delivery_error is None:
            self.delivery_error = str(err)

    def _raise_delivery_error(self) -> None:
        if self.delivery_error is not None:
            raise ConnectError(f"Producer failed to deliver a record: {self.delivery_error}")

    # transactions ------------------------------------------------------------------------------------
    def _apply(self, decision: Decision) -> None:
        if decision is Decision.NONE:
            return
        if decision is Decision.ABORT:
            if self.transaction_open:
                logger.info("Aborting transaction as requested by connector")
                self._abort(TRANSACTION_CALL_TIMEOUT_S)
                self.transactions_aborted += 1
                self.records_in_transaction = 0
            else:
                logger.warning("Ignoring request by task to abort transaction as the current transaction is empty")
        self.commit_transaction()

    def _abort(self, timeout: float) -> None:
        # Send what is queued first: librdkafka purges unsent records on abort, and when that purge
        # races its registration of the partitions with the broker's transaction coordinator, the
        # broker can answer the abort with INVALID_TXN_STATE, a fatal producer error. Flushed first,
        # the partitions are registered and the abort is an ordinary one.
        self.producer.flush(timeout)
        self.producer.abort_transaction(timeout)
        self.transaction_open = False

    def commit_transaction(self) -> None:
        """Write the pending offsets into the open transaction and commit it (Java's commitTransaction)."""
        if not self.transaction_open and not self.pending:
            self._task_commit()
            return
        from kconnect.supervisor.stores.formats import encode_offset

        # Records reported to the DLQ (its own, non-transactional producer, as in Java) are acknowledged
        # before the transaction commits the offsets past them: a crash in between must not lose them.
        self.errors.flush_dlq()
        try:
            if not self.transaction_open:  # e.g. just aborted: the offsets still need a transaction
                self.producer.begin_transaction()
                self.transaction_open = True
            for partition, offset in self.pending.values():
                key, value = encode_offset(self.connector, partition, offset)
                while True:
                    try:
                        self.producer.produce(self.settings.offsets_topic, value, key, on_delivery=self._delivered)
                        break
                    except BufferError:
                        self.producer.poll(0.05)
            self.producer.commit_transaction(TRANSACTION_CALL_TIMEOUT_S)
        except KafkaException as e:
            raise self._commit_error(e) from e
        self.transaction_open = False
        self._raise_delivery_error()
        # The offsets are in the topic already: they are not sent to the supervisor (a second,
        # non-transactional writer could put an older offset after a newer one).
        for pending_key, (_partition, offset) in self.pending.items():
            self.reader.update(pending_key, offset)
        self.pending = {}
        self.transactions_committed += 1
        self.records_in_transaction = 0
        self._task_commit()

    def _commit_error(self, e: KafkaException) -> ConnectError:
        err = e.args[0] if e.args else None
        code = err.code() if isinstance(err, KafkaError) else None
        if code in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH):
            return ConnectError(
                f"The task {self.connector}-{self.task_id} was fenced out or its producer transaction expired "
                "before it finished writing records to Kafka. If no newer instance of the task is running, "
                "consider tuning the connector's producer for higher throughput, increasing its "
                "transaction.timeout.ms, lowering transaction.boundary.interval.ms, or using the 'poll' "
                f"transaction boundary. Cause: {e}"
            )
        return ConnectError(f"Failed to flush offsets and/or records for task {self.connector}-{self.task_id}: {e}")

    def _task_commit(self) -> None:
        try:
            self.task.commit()
        except Exception:
            logger.exception("SourceTask.commit() failed; ignoring as Kafka Connect does")

    def stats(self) -> dict[str, Any]:
        out = super().stats()
        out["transactions_committed"] = self.transactions_committed
        out["transactions_aborted"] = self.transactions_aborted
        return out

    def _shutdown(self) -> None:
        try:
            self._finish_transactions()
        finally:
            self.errors.close()

    def _finish_transactions(self) -> None:
        try:
            self.task.stop()
        except Exception:
            logger.exception("SourceTask.stop() raised")
        if self.failed:
            # Java skips the final commit of a failed task; aborting now (rather than leaving the
            # transaction to time out) lets read_committed readers move on at once.
            if self.transaction_open:
                try:
                    self._abort(10.0)
                except KafkaException as e:
                    logger.warning("Could not abort the open transaction of a failed task: %s", e)
            return
        try:
            self._apply(self.boundaries.final())
            if self.transaction_open:
                # connector-defined boundaries and no request: the open transaction is dropped, as
                # Java's closing producer drops it.
                self._abort(10.0)
        except Exception:
            logger.exception("Final transaction commit failed")
            if self.transaction_open:
                with contextlib.suppress(KafkaException):
                    self._abort(10.0)
            raise


def runner_arguments(section: Mapping[str, Any], worker: Any, task_id: int) -> dict[str, Any]:
    """The extra keyword arguments of :class:`ExactlyOnceSourceTaskRunner` for a task's bootstrap section."""
    from kconnect.supervisor.stores.kafka_stores import internal_client_config

    return {
        "settings": ExactlyOnceSettings.from_boot(section),
        "task_id": task_id,
        "offsets_client_config": internal_client_config(worker, "consumer"),
        "worker_props": dict(worker.raw),
    }
