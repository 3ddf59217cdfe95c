"""Config, status and offset stores over an :class:`AppendLog` (Apache's Kafka*BackingStore classes).

Each store is built with a factory that receives the store's consume callback and returns the log
(``lambda consume: KafkaLog(topic, consume, ...)`` in production, ``MemoryLog`` in unit tests), so the
same code runs against Kafka and against the in-memory twin. Records are encoded and decoded with
:mod:`kconnect.supervisor.stores.formats`; records Apache would skip are logged and skipped.

The write sequences are Java's, because other workers (kconnect or Java) read them:

* connector config: optional ``target-state-<c>`` then ``connector-<c>``, flushed together, then read to end;
* task configs: read to end, every ``task-<c>-<i>``, flush, read to end, then ``commit-<c>``, read to end;
* deletion: tombstones for ``connector-<c>`` and ``target-state-<c>``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kconnect.api.errors import ConfigError
from kconnect.supervisor.stores import formats
from kconnect.supervisor.stores.config_state import ClusterConfigState, ConfigListener, ConfigReplay, TaskId
from kconnect.supervisor.stores.formats import InvalidRecord, StatusValue, TargetStateName
from kconnect.supervisor.stores.log import AppendLog, Consume, LogRecord, StoreError
from kconnect.workers.offsets import canonical_offset_key

__all__ = ["ConfigStore", "LogFactory", "OffsetStore", "StatusStore", "StoreError", "TopicStatusEntry"]

logger = logging.getLogger(__name__)

LogFactory = Callable[[Consume], AppendLog]

# Apache's READ_WRITE_TOTAL_TIMEOUT_MS: one config write, including reading it back.
WRITE_TIMEOUT_S = 30.0


def _text_key(rec: LogRecord) -> str | None:
    if rec.key is None:
        return None
    try:
        return rec.key.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --- config --------------------------------------------------------------------------------------------


class ConfigStore:
    """The config topic: connector and task configs, target states, session key, restart requests..."""

    def __init__(self, log_factory: LogFactory, listener: ConfigListener | None = None) -> None:
        self._replay = ConfigReplay(listener)
        self.log = log_factory(self._consume)
        self.topic = self.log.topic

    # lifecycle
    def start(self, timeout: float = WRITE_TIMEOUT_S) -> None:
        """Read the topic to its end (no callbacks for history), then refuse a multi-partition topic."""
        self.log.start(timeout)
        partitions = self.log.partition_count()
        if partitions > 1:
            raise ConfigError(
                f"Topic '{self.topic}' supplied via the 'config.storage.topic' property is required to have a single "
                "partition in order to guarantee consistency of connector configurations, but found "
                f"{partitions} partitions."
            )
        self._replay.started = True

    def stop(self) -> None:
        self.log.stop()

    def set_listener(self, listener: ConfigListener) -> None:
        self._replay.listener = listener

    # reads
    def snapshot(self) -> ClusterConfigState:
        return self._replay.snapshot()

    def contains(self, connector: str) -> bool:
        return connector in self._replay.connector_configs

    def refresh(self, timeout: float = WRITE_TIMEOUT_S) -> None:
        """Read to the end of the topic (Apache's ``refresh``)."""
        self.log.read_to_end(timeout)

    def poll(self, timeout: float = 0.0) -> int:
        return self.log.poll(timeout)

    # writes (leader only, except target states and logger levels)
    def put_connector_config(
        self, connector: str, properties: Mapping[str, str | None], target_state: TargetStateName | None = None
    ) -> None:
        records: list[tuple[str, bytes | None]] = []
        if target_state is not None:
            records.append(formats.encode_target_state(connector, target_state))
        records.append(formats.encode_connector_config(connector, properties))
        self._write(records)
        self.log.read_to_end(WRITE_TIMEOUT_S)

    def remove_connector_config(self, connector: str) -> None:
        self._write([formats.encode_connector_config(connector, None), formats.encode_target_state(connector, None)])
        self.log.read_to_end(WRITE_TIMEOUT_S)

    def put_task_configs(self, connector: str, configs: Sequence[Mapping[str, str | None]]) -> None:
        self.log.read_to_end(WRITE_TIMEOUT_S)  # we should be the only writer, but catch up first
        self._write([formats.encode_task_config(connector, i, c) for i, c in enumerate(configs)])
        if configs:
            self.log.read_to_end(WRITE_TIMEOUT_S)
        self._write([formats.encode_task_commit(connector, len(configs))])
        self.log.read_to_end(WRITE_TIMEOUT_S)

    def put_target_state(self, connector: str, state: TargetStateName) -> None:
        self._write([formats.encode_target_state(connector, state)])

    def put_task_count_record(self, connector: str, task_count: int) -> None:
        self._write([formats.encode_task_count_record(connector, task_count)])
        self.log.read_to_end(WRITE_TIMEOUT_S)

    def put_session_key(self, key: bytes, algorithm: str, creation_timestamp: int) -> None:
        self._write([formats.encode_session_key(key, algorithm, creation_timestamp)])
        self.log.read_to_end(WRITE_TIMEOUT_S)

    def put_restart_request(self, connector: str, *, include_tasks: bool, only_failed: bool) -> None:
        self._write([formats.encode_restart_request(connector, include_tasks=include_tasks, only_failed=only_failed)])
        self.log.read_to_end(WRITE_TIMEOUT_S)

    def put_logger_level(self, namespace: str, level: str) -> None:
        self._write([formats.encode_logger_level(namespace, level)])

    def _write(self, records: Iterable[tuple[str, bytes | None]]) -> None:
        for key, value in records:
            self.log.send(key.encode("utf-8"), value)
        self.log.flush(WRITE_TIMEOUT_S)

    def _consume(self, rec: LogRecord) -> None:
        key = _text_key(rec)
        if key is None:
            logger.error("Discarding config update record without a UTF-8 key at offset %d", rec.offset)
            self._replay.skip(rec.offset)
            return
        try:
            record = formats.decode_config_record(key, rec.value)
        except InvalidRecord as e:
            logger.error("Ignoring config topic record %s at offset %d: %s", key, rec.offset, e)
            self._replay.skip(rec.offset)
            return
        self._replay.apply(rec.offset, record)


# --- status --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicStatusEntry:
    topic: str
    connector: str
    task: int
    discover_timestamp: int


class StatusStore:
    """The status topic: the latest status of every connector and task, and active topics."""

    def __init__(self, log_factory: LogFactory, *, wait_for_writes: bool = True) -> None:
        # A distributed coordinator does not wait for status writes (as Java's KafkaStatusBackingStore
        # does not): its thread also heartbeats, and a broker stall must not cost the worker its lease.
        self.wait_for_writes = wait_for_writes
        self.connectors: dict[str, StatusValue] = {}
        self.tasks: dict[TaskId, StatusValue] = {}
        self.topics: dict[str, dict[str, TopicStatusEntry]] = {}  # connector -> topic -> entry
        self.log = log_factory(self._consume)
        self.topic = self.log.topic

    def start(self, timeout: float = WRITE_TIMEOUT_S) -> None:
        self.log.start(timeout)

    def stop(self) -> None:
        self.log.stop()

    def read_to_end(self, timeout: float = WRITE_TIMEOUT_S) -> None:
        self.log.read_to_end(timeout)

    def poll(self, timeout: float = 0.0) -> int:
        return self.log.poll(timeout)

    # reads
    def get(self, connector: str) -> StatusValue | None:
        return self.connectors.get(connector)

    def get_task(self, task: TaskId) -> StatusValue | None:
        return self.tasks.get(task)

    def get_all(self, connector: str) -> dict[int, StatusValue]:
        return {t[1]: s for t, s in sorted(self.tasks.items()) if t[0] == connector}

    def get_topics(self, connector: str) -> dict[str, TopicStatusEntry]:
        return dict(self.topics.get(connector, {}))

    # writes
    def put_connector(self, connector: str, status: StatusValue | None, *, safe: bool = False) -> bool:
        """Write (``None`` = DESTROYED tombstone); with ``safe``, only if no other worker wrote a newer
        generation (Apache's ``putSafe``). Returns whether it was written."""
        if safe and not self._can_write_safely(self.connectors.get(connector), status):
            return False
        self._write(*formats.encode_connector_status(connector, status))
        return True

    def put_task(self, task: TaskId, status: StatusValue | None, *, safe: bool = False) -> bool:
        if safe and not self._can_write_safely(self.tasks.get(task), status):
            return False
        self._write(*formats.encode_task_status(task[0], task[1], status))
        return True

    def put_topic(self, topic: str, connector: str, task: int, discover_timestamp: int) -> None:
        self._write(*formats.encode_topic_status(topic, connector, task, discover_timestamp))

    def delete_topic(self, topic: str, connector: str) -> None:
        self._write(*formats.encode_topic_status(topic, connector))

    @staticmethod
    def _can_write_safely(current: StatusValue | None, new: StatusValue | None) -> bool:
        if current is None or new is None:
            return True
        return current.worker_id == new.worker_id or current.generation <= new.generation

    def _write(self, key: str, value: bytes | None) -> None:
        self.log.send(key.encode("utf-8"), value)
        if self.wait_for_writes:
            self.log.flush(WRITE_TIMEOUT_S)

    def serve_writes(self) -> None:
        """Background writes: serve their delivery reports; a write the producer gave up on is logged."""
        for error in self.log.serve_writes():
            logger.error("A status write to %s failed: %s", self.topic, error)

    def _consume(self, rec: LogRecord) -> None:
        key = _text_key(rec)
        if key is None:
            logger.warning("Discarding status record without a UTF-8 key at offset %d", rec.offset)
            return
        try:
            record = formats.decode_status_record(key, rec.value)
        except InvalidRecord as e:
            logger.warning("Ignoring status record %s: %s", key, e)
            return
        if isinstance(record, formats.ConnectorStatus):
            if record.status is None:
                self.connectors.pop(record.connector, None)
            else:
                self.connectors[record.connector] = record.status
        elif isinstance(record, formats.TaskStatus):
            task = (record.connector, record.task)
            if record.status is None:
                self.tasks.pop(task, None)
                return
            current = self.tasks.get(task)
            # Apache: an UNASSIGNED from a worker that had not yet read a newer RUNNING is stale.
            if (
                record.status.state == "UNASSIGNED"
                and current is not None
                and current.state == "RUNNING"
                and current.generation >= record.status.generation
            ):
                return
            self.tasks[task] = record.status
        else:
            if record.task is None or record.discover_timestamp is None:
                self.topics.get(record.connector, {}).pop(record.topic, None)
            else:
                entry = TopicStatusEntry(record.topic, record.connector, record.task, record.discover_timestamp)
                self.topics.setdefault(record.connector, {})[record.topic] = entry


# --- offsets -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Holder:
    """Which raw key holds a source partition's current offset (see OffsetStore)."""

    raw_key: bytes
    topic_partition: int
    timestamp: int
    connector: str
    partition: Mapping[str, Any]
    offset: Mapping[str, Any] | None  # None: reset (tombstone)


class OffsetStore:
    """The offsets topic: raw key bytes -> value bytes (Apache's KafkaOffsetBackingStore), with decoded views.

    The decoded views match a source partition whatever order its map's keys were written in: Java writes
    a partition map in its own iteration order, so one partition can sit in the topic under several byte
    forms. Each partition's canonical form (``canonical_offset_key``) points at the raw key of its latest
    write. Records of one raw key in one topic partition are ordered by the log; between different raw keys
    (or one key a producer with another partitioner put elsewhere) the later record timestamp wins. Writes
    for a known partition reuse the raw key that holds it (the same topic partition, so compaction and
    Java's exact-bytes lookups keep working); a reset tombstones every raw key the partition was seen under.
    """

    def __init__(self, log_factory: LogFactory) -> None:
        self.data: dict[bytes, bytes] = {}
        self.partitions: dict[str, list[Mapping[str, Any]]] = {}  # connector -> known source partitions
        self._holders: dict[str, _Holder] = {}  # canonical key -> latest write
        self._raw_keys: dict[str, set[bytes]] = {}  # canonical key -> raw keys with a value in ``data``
        self.log = log_factory(self._consume)
        self.topic = self.log.topic

    def start(self, timeout: float = WRITE_TIMEOUT_S) -> None:
        self.log.start(timeout)

    def stop(self) -> None:
        self.log.stop()

    def read_to_end(self, timeout: float = WRITE_TIMEOUT_S) -> None:
        self.log.read_to_end(timeout)

    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes | None]:
        return {k: self.data.get(k) for k in keys}

    def set(self, values: Mapping[bytes, bytes | None], timeout: float = WRITE_TIMEOUT_S, *, wait: bool = True) -> None:
        """Write offsets; ``wait=False`` returns at once (``serve_writes`` completes them), as Java's
        asynchronous offset commits do: a task's periodic commit must not stall the coordinator's thread."""
        for k, v in values.items():
            self.log.send(k, v)
        if wait:
            self.log.flush(timeout)

    def serve_writes(self) -> None:
        for error in self.log.serve_writes():
            logger.error("An offset write to %s failed (the task's next commit writes it again): %s", self.topic, error)

    # decoded views
    def offset(self, connector: str, partition: Mapping[str, Any]) -> Mapping[str, Any] | None:
        holder = self._holders.get(canonical_offset_key(connector, partition))
        return None if holder is None else holder.offset

    def connector_offsets(self, connector: str) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
        """Every (partition, offset) of ``connector`` that is not reset, as read from the topic."""
        return [
            (h.partition, h.offset) for h in self._holders.values() if h.connector == connector and h.offset is not None
        ]

    def put_offsets(
        self,
        connector: str,
        offsets: Iterable[tuple[Mapping[str, Any], Mapping[str, Any] | None]],
        *,
        wait: bool = True,
    ) -> None:
        writes: dict[bytes, bytes | None] = {}
        for partition, offset in offsets:
            canonical = canonical_offset_key(connector, partition)
            new_key, value = formats.encode_offset(connector, partition, offset)
            holder = self._holders.get(canonical)
            if offset is None:
                for raw_key in sorted(self._raw_keys.get(canonical, set()) | {new_key}):
                    writes[raw_key] = None
            else:
                writes[holder.raw_key if holder is not None else new_key] = value
        self.set(writes, wait=wait)

    def _consume(self, rec: LogRecord) -> None:
        if rec.key is None:
            logger.warning("Ignoring offset partition key with an unexpected null value")
            return
        if rec.value is None:
            self.data.pop(rec.key, None)
        else:
            self.data[rec.key] = rec.value
        try:
            decoded = formats.decode_offset_record(rec.key, rec.value)
        except InvalidRecord as e:
            logger.warning("%s", e)
            return
        canonical = canonical_offset_key(decoded.connector, decoded.partition)
        raw_keys = self._raw_keys.setdefault(canonical, set())
        if decoded.offset is None:
            raw_keys.discard(rec.key)
        else:
            raw_keys.add(rec.key)
        holder = self._holders.get(canonical)
        same_log = holder is not None and (holder.raw_key, holder.topic_partition) == (rec.key, rec.partition)
        if holder is not None and not same_log and rec.timestamp < holder.timestamp:
            return  # an older write (another byte form, or a producer with another partitioner) replayed late
        self._holders[canonical] = _Holder(
            rec.key, rec.partition, rec.timestamp, decoded.connector, decoded.partition, decoded.offset
        )
        known = self.partitions.setdefault(decoded.connector, [])
        if decoded.offset is None:
            known[:] = [p for p in known if p != decoded.partition]
        elif decoded.partition not in known:
            known.append(decoded.partition)
