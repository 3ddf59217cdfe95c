"""Kafka Connect's internal topic formats, byte for byte (pure codec: no I/O, no clients).

Keys are UTF-8 strings; values are what Apache's *internal* converter writes: ``JsonConverter`` with
``schemas.enable=false`` over a Connect ``Struct`` whose schema fixes the field order (compact
Jackson output, e.g. ``{"state":"PAUSED","state.v2":"STOPPED"}``). We build the same Structs and run
them through the project's Java-compatible :class:`JsonConverter`, so number and string rendering
(control characters, doubles, non-ASCII) match Jackson too.

Decoding follows Apache's readers (KafkaConfigBackingStore, KafkaStatusBackingStore, OffsetUtils):
tolerant where they are tolerant (``state.v2`` falls back on ``state``, integers may be any JSON
integer), and a record they would log and skip raises :class:`InvalidRecord` with the reason, so a
store can log it and carry on. Which records exist and who writes them: docs/internal-topics.md.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from kconnect.api.data import (
    BOOLEAN_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    Schema,
    SchemaBuilder,
    Struct,
)
from kconnect.api.errors import DataError
from kconnect.plugins.converters._common import java_class_name
from kconnect.plugins.converters.json import JsonConverter
from kconnect.workers.javafmt import java_hashmap_put_order

__all__ = [
    "CONFIG_KEY_PREFIXES",
    "ConfigRecord",
    "ConnectorConfig",
    "ConnectorStatus",
    "InvalidRecord",
    "LoggerLevel",
    "OffsetRecord",
    "RestartRequest",
    "SessionKey",
    "StatusRecord",
    "StatusValue",
    "TargetState",
    "TaskCommit",
    "TaskConfig",
    "TaskCountRecord",
    "TaskStatus",
    "TopicStatus",
    "decode_config_record",
    "decode_offset_record",
    "decode_status_record",
    "encode_connector_config",
    "encode_connector_status",
    "encode_logger_level",
    "encode_offset",
    "encode_offset_key",
    "encode_restart_request",
    "encode_session_key",
    "encode_target_state",
    "encode_task_commit",
    "encode_task_config",
    "encode_task_count_record",
    "encode_task_status",
    "encode_topic_status",
]


class InvalidRecord(ValueError):
    """A record Apache's readers would log and ignore (bad key or a value of the wrong shape)."""


# --- the internal converter ------------------------------------------------------------------------

_CONVERTER = JsonConverter()
_CONVERTER.configure({"schemas.enable": "false"}, is_key=False)


def _to_bytes(schema: Schema | None, value: Any) -> bytes:
    out = _CONVERTER.from_connect_data("", schema, value)
    assert out is not None  # only tombstones are None, and callers never encode those through here
    return out


def _parse(value: bytes) -> Any:
    try:
        return _CONVERTER.to_connect_data("", value).value
    except DataError as e:
        raise InvalidRecord(f"not valid JSON: {e}") from None


# --- config topic ------------------------------------------------------------------------------------

CONNECTOR_PREFIX: Final = "connector-"
TASK_PREFIX: Final = "task-"
COMMIT_PREFIX: Final = "commit-"
TARGET_STATE_PREFIX: Final = "target-state-"
RESTART_PREFIX: Final = "restart-connector-"
LOGGER_CLUSTER_PREFIX: Final = "logger-cluster-"
TASK_COUNT_PREFIX: Final = "tasks-fencing-"
SESSION_KEY_KEY: Final = "session-key"
CONFIG_KEY_PREFIXES: Final = (
    TARGET_STATE_PREFIX,
    CONNECTOR_PREFIX,
    TASK_PREFIX,
    COMMIT_PREFIX,
    RESTART_PREFIX,
    TASK_COUNT_PREFIX,
    LOGGER_CLUSTER_PREFIX,
)

TargetStateName = Literal["STARTED", "PAUSED", "STOPPED"]
TARGET_STATES: Final = ("STARTED", "PAUSED", "STOPPED")

# Apache's schemas (KafkaConfigBackingStore): the field order is the byte order on the wire.
CONNECTOR_CONFIGURATION_V0: Final = (
    SchemaBuilder.struct().field("properties", SchemaBuilder.map(STRING_SCHEMA, OPTIONAL_STRING_SCHEMA).build()).build()
)
TASK_CONFIGURATION_V0: Final = CONNECTOR_CONFIGURATION_V0
CONNECTOR_TASKS_COMMIT_V0: Final = SchemaBuilder.struct().field("tasks", INT32_SCHEMA).build()
TARGET_STATE_V1: Final = (
    SchemaBuilder.struct().field("state", STRING_SCHEMA).field("state.v2", OPTIONAL_STRING_SCHEMA).build()
)
TASK_COUNT_RECORD_V0: Final = SchemaBuilder.struct().field("task-count", INT32_SCHEMA).build()
SESSION_KEY_V0: Final = (
    SchemaBuilder.struct()
    .field("key", STRING_SCHEMA)
    .field("algorithm", STRING_SCHEMA)
    .field("creation-timestamp", INT64_SCHEMA)
    .build()
)
RESTART_REQUEST_V0: Final = (
    SchemaBuilder.struct().field("include-tasks", BOOLEAN_SCHEMA).field("only-failed", BOOLEAN_SCHEMA).build()
)
LOGGER_LEVEL_V0: Final = SchemaBuilder.struct().field("level", STRING_SCHEMA).build()


@dataclass(frozen=True, slots=True)
class ConnectorConfig:
    """``connector-<name>``; ``properties`` None = tombstone (connector deleted)."""

    connector: str
    properties: Mapping[str, str | None] | None


@dataclass(frozen=True, slots=True)
class TaskConfig:
    """``task-<name>-<n>``: buffered by readers until the connector's next commit record."""

    connector: str
    task: int
    properties: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class TaskCommit:
    """``commit-<name>``: applies the buffered task configs; ``tasks`` = the connector's task count."""

    connector: str
    tasks: int


@dataclass(frozen=True, slots=True)
class TargetState:
    """``target-state-<name>``; ``state`` None = tombstone (written with the connector's deletion)."""

    connector: str
    state: TargetStateName | None


@dataclass(frozen=True, slots=True)
class RestartRequest:
    """``restart-connector-<name>`` (KIP-745)."""

    connector: str
    include_tasks: bool
    only_failed: bool


@dataclass(frozen=True, slots=True)
class LoggerLevel:
    """``logger-cluster-<namespace>``: a cluster-scoped log level (KIP-976)."""

    namespace: str
    level: str


@dataclass(frozen=True, slots=True)
class TaskCountRecord:
    """``tasks-fencing-<name>``: how many task producers to fence (exactly-once source)."""

    connector: str
    task_count: int


@dataclass(frozen=True, slots=True)
class SessionKey:
    """``session-key``: the HMAC key signing internal REST requests."""

    key: bytes
    algorithm: str
    creation_timestamp: int


ConfigRecord = (
    ConnectorConfig
    | TaskConfig
    | TaskCommit
    | TargetState
    | RestartRequest
    | LoggerLevel
    | TaskCountRecord
    | SessionKey
)


def _properties_struct(properties: Mapping[str, str | None]) -> Struct:
    return Struct(CONNECTOR_CONFIGURATION_V0).put("properties", dict(properties))


def encode_connector_config(connector: str, properties: Mapping[str, str | None] | None) -> tuple[str, bytes | None]:
    """The ``connector-<name>`` record; ``properties=None`` gives the tombstone of a deletion.

    Properties are written in the mapping's iteration order, as Java writes its (insertion-ordered)
    request map.
    """
    key = CONNECTOR_PREFIX + connector
    if properties is None:
        return key, None
    return key, _to_bytes(CONNECTOR_CONFIGURATION_V0, _properties_struct(properties))


def encode_task_config(connector: str, task: int, properties: Mapping[str, str | None]) -> tuple[str, bytes]:
    return f"{TASK_PREFIX}{connector}-{task}", _to_bytes(TASK_CONFIGURATION_V0, _properties_struct(properties))


def encode_task_commit(connector: str, tasks: int) -> tuple[str, bytes]:
    return COMMIT_PREFIX + connector, _to_bytes(
        CONNECTOR_TASKS_COMMIT_V0, Struct(CONNECTOR_TASKS_COMMIT_V0).put("tasks", tasks)
    )


def encode_target_state(connector: str, state: TargetStateName | None) -> tuple[str, bytes | None]:
    """``state`` is the legacy field old workers read: STOPPED is written there as PAUSED."""
    key = TARGET_STATE_PREFIX + connector
    if state is None:
        return key, None
    if state not in TARGET_STATES:
        raise ValueError(f"unknown target state {state!r}")
    legacy = "PAUSED" if state == "STOPPED" else state
    value = Struct(TARGET_STATE_V1).put("state", legacy).put("state.v2", state)
    return key, _to_bytes(TARGET_STATE_V1, value)


def encode_restart_request(connector: str, *, include_tasks: bool, only_failed: bool) -> tuple[str, bytes]:
    value = Struct(RESTART_REQUEST_V0).put("include-tasks", include_tasks).put("only-failed", only_failed)
    return RESTART_PREFIX + connector, _to_bytes(RESTART_REQUEST_V0, value)


def encode_logger_level(namespace: str, level: str) -> tuple[str, bytes]:
    return LOGGER_CLUSTER_PREFIX + namespace, _to_bytes(LOGGER_LEVEL_V0, Struct(LOGGER_LEVEL_V0).put("level", level))


def encode_task_count_record(connector: str, task_count: int) -> tuple[str, bytes]:
    value = Struct(TASK_COUNT_RECORD_V0).put("task-count", task_count)
    return TASK_COUNT_PREFIX + connector, _to_bytes(TASK_COUNT_RECORD_V0, value)


def encode_session_key(key: bytes, algorithm: str, creation_timestamp: int) -> tuple[str, bytes]:
    value = (
        Struct(SESSION_KEY_V0)
        .put("key", base64.b64encode(key).decode("ascii"))
        .put("algorithm", algorithm)
        .put("creation-timestamp", creation_timestamp)
    )
    return SESSION_KEY_KEY, _to_bytes(SESSION_KEY_V0, value)


_JAVA_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _java_parse_int(text: str) -> int | None:
    """``Integer.parseInt`` for ASCII input: no whitespace or underscores (Python's int() allows both)."""
    if not _JAVA_INT_RE.match(text):
        return None
    n = int(text)
    return n if _INT32_MIN <= n <= _INT32_MAX else None


def parse_task_key(key: str, prefix: str) -> tuple[str, int] | None:
    """``<prefix><connector>-<n>`` -> (connector, n): the last dash-separated part is the task number."""
    body = key[len(prefix) :]
    name, dash, number = body.rpartition("-")
    if not dash:
        return None
    task = _java_parse_int(number)
    return None if task is None else (name, task)


def _class_name(value: Any) -> str:
    return "null" if value is None else java_class_name(value)


def _map_value(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRecord(f"{what} is in the wrong format: {_class_name(value)}")
    return value


def _properties(value: dict[str, Any], what: str) -> dict[str, str | None]:
    props = value.get("properties")
    if not isinstance(props, dict):
        raise InvalidRecord(f"{what}: 'properties' field should be a Map but is {_class_name(props)}")
    return props


def _int_field(value: dict[str, Any], field: str, what: str) -> int:
    v = value.get(field)
    if type(v) is not int:  # Java's intValue(): Integer or Long, nothing else
        raise InvalidRecord(f"{what}: '{field}' field should be an integer but is {_class_name(v)}")
    return v


def decode_config_record(key: str, value: bytes | None) -> ConfigRecord:
    """Decode one config-topic record as Apache's reader does; :class:`InvalidRecord` if it would skip it."""
    parsed = None if value is None else _parse(value)
    if key.startswith(TARGET_STATE_PREFIX):
        connector = key[len(TARGET_STATE_PREFIX) :]
        if parsed is None:
            return TargetState(connector, None)
        m = _map_value(parsed, f"target state for connector '{connector}'")
        state = m.get("state.v2")
        if not isinstance(state, str):
            state = m.get("state")  # written by a worker older than 3.5: no STOPPED
            if not isinstance(state, str):
                raise InvalidRecord(
                    f"Invalid data for target state for connector '{connector}': 'state' field should be a String "
                    f"but is {_class_name(state)}"
                )
        if state not in TARGET_STATES:
            raise InvalidRecord(f"Invalid target state for connector '{connector}': {state}")
        return TargetState(connector, state)  # type: ignore[arg-type]  # checked just above
    if key.startswith(CONNECTOR_PREFIX):
        connector = key[len(CONNECTOR_PREFIX) :]
        if parsed is None:
            return ConnectorConfig(connector, None)
        what = f"configuration for connector '{connector}'"
        return ConnectorConfig(connector, _properties(_map_value(parsed, what), what))
    if key.startswith(TASK_PREFIX):
        task_id = parse_task_key(key, TASK_PREFIX)
        if task_id is None:
            raise InvalidRecord(f"{key} couldn't be parsed as a task config key")
        what = f"task configuration for task {task_id[0]}-{task_id[1]}"
        if parsed is None:
            raise InvalidRecord(f"{what} is unexpectedly null")
        return TaskConfig(task_id[0], task_id[1], _properties(_map_value(parsed, what), what))
    if key.startswith(COMMIT_PREFIX):
        connector = key[len(COMMIT_PREFIX) :]
        what = f"connector tasks configuration commit for connector '{connector}'"
        return TaskCommit(connector, _int_field(_map_value(parsed, what), "tasks", what))
    if key.startswith(RESTART_PREFIX):
        connector = key[len(RESTART_PREFIX) :]
        m = _map_value(parsed, f"restart request for connector '{connector}'")
        # Java defaults a missing or non-boolean flag to false (with a warning) rather than skipping.
        include, only_failed = m.get("include-tasks"), m.get("only-failed")
        return RestartRequest(
            connector,
            include_tasks=include if isinstance(include, bool) else False,
            only_failed=only_failed if isinstance(only_failed, bool) else False,
        )
    if key.startswith(TASK_COUNT_PREFIX):
        connector = key[len(TASK_COUNT_PREFIX) :]
        what = f"task count record for connector '{connector}'"
        return TaskCountRecord(connector, _int_field(_map_value(parsed, what), "task-count", what))
    if key == SESSION_KEY_KEY:
        m = _map_value(parsed, "session key")
        encoded, algorithm, created = m.get("key"), m.get("algorithm"), m.get("creation-timestamp")
        if not isinstance(encoded, str):
            raise InvalidRecord(f"session key 'key' field should be a String but is {_class_name(encoded)}")
        if not isinstance(algorithm, str):
            raise InvalidRecord(f"session key 'algorithm' field should be a String but is {_class_name(algorithm)}")
        if type(created) is not int:
            raise InvalidRecord(f"session key 'creation-timestamp' should be a long but is {_class_name(created)}")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as e:
            raise InvalidRecord(f"session key 'key' field is not base64: {e}") from None
        return SessionKey(raw, algorithm, created)
    if key.startswith(LOGGER_CLUSTER_PREFIX):
        namespace = key[len(LOGGER_CLUSTER_PREFIX) :]
        m = _map_value(parsed, f"logging level for namespace {namespace}")
        level = m.get("level")
        if not isinstance(level, str):
            raise InvalidRecord(f"logging level for namespace {namespace}: 'level' should be a String")
        return LoggerLevel(namespace, level)
    raise InvalidRecord(f"Discarding config update record with invalid key: {key}")


# --- status topic ------------------------------------------------------------------------------------

CONNECTOR_STATUS_PREFIX: Final = "status-connector-"
TASK_STATUS_PREFIX: Final = "status-task-"
TOPIC_STATUS_PREFIX: Final = "status-topic-"
TOPIC_STATUS_SEPARATOR: Final = ":connector-"
STATUS_STATES: Final = ("UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING", "STOPPED")

STATUS_SCHEMA_V0: Final = (
    SchemaBuilder.struct()
    .field("state", STRING_SCHEMA)
    .field("trace", OPTIONAL_STRING_SCHEMA)
    .field("worker_id", STRING_SCHEMA)
    .field("generation", INT32_SCHEMA)
    .field("version", OPTIONAL_STRING_SCHEMA)
    .build()
)
TOPIC_STATUS_VALUE_SCHEMA_V0: Final = (
    SchemaBuilder.struct()
    .field("name", STRING_SCHEMA)
    .field("connector", STRING_SCHEMA)
    .field("task", INT32_SCHEMA)
    .field("discoverTimestamp", INT64_SCHEMA)
    .build()
)
TOPIC_STATUS_SCHEMA_V0: Final = SchemaBuilder.map(STRING_SCHEMA, TOPIC_STATUS_VALUE_SCHEMA_V0).build()


@dataclass(frozen=True, slots=True)
class StatusValue:
    """The value of a connector or task status record (``version``: plugin version, Java 4.1+)."""

    state: str
    trace: str | None
    worker_id: str
    generation: int
    version: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectorStatus:
    """``status-connector-<name>``; ``status`` None = tombstone (DESTROYED)."""

    connector: str
    status: StatusValue | None


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """``status-task-<name>-<n>``; ``status`` None = tombstone (DESTROYED)."""

    connector: str
    task: int
    status: StatusValue | None


@dataclass(frozen=True, slots=True)
class TopicStatus:
    """``status-topic-<topic>:connector-<name>`` (active topics, KIP-558); tombstone = reset."""

    topic: str
    connector: str
    task: int | None = None
    discover_timestamp: int | None = None

    @property
    def is_tombstone(self) -> bool:
        return self.task is None


StatusRecord = ConnectorStatus | TaskStatus | TopicStatus


def _encode_status(status: StatusValue) -> bytes:
    if status.state not in STATUS_STATES:
        raise ValueError(f"unknown status state {status.state!r} (DESTROYED is written as a tombstone)")
    value = (
        Struct(STATUS_SCHEMA_V0)
        .put("state", status.state)
        .put("trace", status.trace)
        .put("worker_id", status.worker_id)
        .put("generation", status.generation)
        .put("version", status.version)
    )
    return _to_bytes(STATUS_SCHEMA_V0, value)


def encode_connector_status(connector: str, status: StatusValue | None) -> tuple[str, bytes | None]:
    return CONNECTOR_STATUS_PREFIX + connector, None if status is None else _encode_status(status)


def encode_task_status(connector: str, task: int, status: StatusValue | None) -> tuple[str, bytes | None]:
    return f"{TASK_STATUS_PREFIX}{connector}-{task}", None if status is None else _encode_status(status)


def encode_topic_status(
    topic: str, connector: str, task: int | None = None, discover_timestamp: int | None = None
) -> tuple[str, bytes | None]:
    """The active-topic record; without ``task`` it is the tombstone ``PUT .../topics/reset`` writes."""
    key = TOPIC_STATUS_PREFIX + topic + TOPIC_STATUS_SEPARATOR + connector
    if task is None:
        return key, None
    if discover_timestamp is None:
        raise ValueError("discover_timestamp is required with task")
    inner = (
        Struct(TOPIC_STATUS_VALUE_SCHEMA_V0)
        .put("name", topic)
        .put("connector", connector)
        .put("task", task)
        .put("discoverTimestamp", discover_timestamp)
    )
    return key, _to_bytes(TOPIC_STATUS_SCHEMA_V0, {"topic": inner})


def _decode_status(value: bytes, what: str) -> StatusValue:
    m = _parse(value)
    if not isinstance(m, dict):
        raise InvalidRecord(f"Invalid {what} status type {_class_name(m)}")
    state, trace, worker, generation, version = (
        m.get("state"),
        m.get("trace"),
        m.get("worker_id"),
        m.get("generation"),
        m.get("version"),
    )
    if state not in STATUS_STATES:
        raise InvalidRecord(f"Failed to deserialize {what} status: unknown state {state!r}")
    if trace is not None and not isinstance(trace, str):
        raise InvalidRecord(f"Failed to deserialize {what} status: trace is {_class_name(trace)}")
    if worker is not None and not isinstance(worker, str):
        raise InvalidRecord(f"Failed to deserialize {what} status: worker_id is {_class_name(worker)}")
    if type(generation) is not int:
        raise InvalidRecord(f"Failed to deserialize {what} status: generation is {_class_name(generation)}")
    if version is not None and not isinstance(version, str):
        version = None
    # Java keeps the low 32 bits (Long.intValue()).
    generation = ((generation + 2**31) % 2**32) - 2**31
    return StatusValue(state, trace, worker or "", generation, version)


def decode_status_record(key: str, value: bytes | None) -> StatusRecord:
    """Decode one status-topic record as Apache's reader does; :class:`InvalidRecord` if it would skip it."""
    if key.startswith(CONNECTOR_STATUS_PREFIX):
        connector = key[len(CONNECTOR_STATUS_PREFIX) :]
        if not connector:
            raise InvalidRecord(f"Discarding record with invalid connector status key {key}")
        return ConnectorStatus(connector, None if value is None else _decode_status(value, "connector"))
    if key.startswith(TASK_STATUS_PREFIX):
        # Java splits the whole key on '-' and needs at least four parts: status, task, name..., n.
        task_id = parse_task_key(key, TASK_STATUS_PREFIX)
        if task_id is None or key.count("-") < 3:
            raise InvalidRecord(f"Discarding record with invalid task status key {key}")
        return TaskStatus(task_id[0], task_id[1], None if value is None else _decode_status(value, "task"))
    if key.startswith(TOPIC_STATUS_PREFIX):
        colon = key.find(":")
        if colon < len(TOPIC_STATUS_PREFIX):
            raise InvalidRecord(f"Discarding record with invalid topic status key {key}")
        topic = key[len(TOPIC_STATUS_PREFIX) : colon]
        connector = key[colon + len(TOPIC_STATUS_SEPARATOR) :]
        if not topic or not connector:
            raise InvalidRecord(f"Discarding record with invalid topic status key {key}")
        if value is None:
            return TopicStatus(topic, connector)
        m = _parse(value)
        inner = m.get("topic") if isinstance(m, dict) else None
        if not isinstance(inner, dict):
            raise InvalidRecord(f"Invalid topic status value {m}")
        task, ts = inner.get("task"), inner.get("discoverTimestamp")
        if type(task) is not int or type(ts) is not int:
            raise InvalidRecord(f"Failed to parse topic status with key {key}")
        # Java files the entry under the key's topic and connector.
        return TopicStatus(topic, connector, task, ts)
    raise InvalidRecord(f"Discarding record with invalid key {key}")


# --- offsets topic -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OffsetRecord:
    """``["<connector>",{partition}]`` -> ``{offset}``; ``offset`` None = tombstone (offset reset)."""

    connector: str
    partition: Mapping[str, Any]
    offset: Mapping[str, Any] | None


def _java_map(m: Mapping[str, Any]) -> dict[str, Any]:
    """The map in ``HashMap`` iteration order: how a Java worker writes a partition or offset map it
    parsed or built, so the same logical key gives the same bytes (compaction compares bytes)."""
    return {k: m[k] for k in java_hashmap_put_order(list(m))}


def encode_offset_key(connector: str, partition: Mapping[str, Any]) -> bytes:
    """The key bytes: ``["<connector>",{partition}]``, the partition map in Java's HashMap order."""
    return _to_bytes(None, [connector, _java_map(partition)])


def encode_offset(
    connector: str, partition: Mapping[str, Any], offset: Mapping[str, Any] | None
) -> tuple[bytes, bytes | None]:
    return encode_offset_key(connector, partition), None if offset is None else _to_bytes(None, _java_map(offset))


def decode_offset_record(key: bytes, value: bytes | None) -> OffsetRecord:
    """OffsetUtils' rules: the key must be a 2-element list of (string, map); else the record is skipped."""
    parsed = _parse(key)
    if not isinstance(parsed, list) or len(parsed) != 2:
        raise InvalidRecord(f"Ignoring offset partition key with an unexpected format: {key!r}")
    connector, partition = parsed
    if not isinstance(connector, str):
        raise InvalidRecord(f"Ignoring offset partition key with an unexpected connector name: {key!r}")
    if not isinstance(partition, dict):
        raise InvalidRecord(f"Ignoring offset partition key with an unexpected partition format: {key!r}")
    if value is None:
        return OffsetRecord(connector, partition, None)
    offset = _parse(value)
    if not isinstance(offset, dict):
        raise InvalidRecord(f"Ignoring offset value that is not a map: {value!r}")
    return OffsetRecord(connector, partition, offset)
