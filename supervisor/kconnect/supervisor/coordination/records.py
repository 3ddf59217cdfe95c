"""Coordination-log records: schemas and canonical compact JSON (sorted keys, integers only, no floats).

Every record carries the envelope of review §6.1: ``v`` (schema version), ``cluster`` (group.id),
``type``, ``worker_id``, ``incarnation`` (per supervisor start), ``epoch`` (absent in CLUSTER and JOIN),
``seq`` (strictly increasing per incarnation over all types) and ``wall_ms`` (diagnostics only; never used
in a decision). The Kafka record key is ``<type>:<worker_id>``.

A unit is ``(connector, task)`` with ``task = -1`` for the connector instance (a string such as ``conn-3``
would be ambiguous: connector names may end in ``-<digits>``). A grant token is ``(era, offset)``: era = LAT
of the CLUSTER record, offset = offset of the ASSIGNMENT that granted the unit (erratum 14), so recreating
the topic never makes tokens go backwards.

Decoding is strict: unknown type, wrong version, missing or extra field, or a wrong type raises
``DecodeError``, and the referee halts on it (erratum 18: a known type that fails to decode halts).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, TypeAlias

from kconnect.supervisor.coordination.params import ProtocolParams

VERSION = 1
CONNECTOR_TASK = -1  # task number of the connector-instance unit

Unit: TypeAlias = tuple[str, int]
Token: TypeAlias = tuple[int, int]


class DecodeError(ValueError):
    """A coordination record that does not match its schema."""


class RecordType(StrEnum):
    CLUSTER = "CLUSTER"
    JOIN = "JOIN"
    HEARTBEAT = "HEARTBEAT"
    LEAVE = "LEAVE"
    ASSIGNMENT = "ASSIGNMENT"
    RELEASE = "RELEASE"
    CHECKPOINT = "CHECKPOINT"
    TASK_CONFIGS = "TASK_CONFIGS"


class LeaveMode(StrEnum):
    SHUTDOWN = "shutdown"
    RESTART = "restart"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What makes a worker part of this cluster; judged against the CLUSTER record (erratum 5, CE-4)."""

    group_id: str
    config_topic: str
    status_topic: str
    offsets_topic: str

    def to_json(self) -> dict[str, str]:
        return {
            "group_id": self.group_id,
            "config_topic": self.config_topic,
            "status_topic": self.status_topic,
            "offsets_topic": self.offsets_topic,
        }

    @classmethod
    def from_json(cls, value: object) -> Fingerprint:
        obj = _obj(value, "fingerprint", ("group_id", "config_topic", "status_topic", "offsets_topic"))
        return cls(*(_str(obj, k) for k in ("group_id", "config_topic", "status_topic", "offsets_topic")))


@dataclass(frozen=True, slots=True)
class Grant:
    unit: Unit
    epoch: int


@dataclass(frozen=True, slots=True)
class Revoke:
    unit: Unit
    epoch: int
    token: Token


@dataclass(frozen=True, slots=True)
class ReleaseItem:
    unit: Unit
    token: Token


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """Envelope shared by all record types."""

    TYPE: ClassVar[RecordType]
    cluster: str
    worker_id: str
    incarnation: str
    seq: int
    wall_ms: int = 0

    @property
    def sender_epoch(self) -> int | None:
        return None

    def key(self) -> bytes:
        return f"{self.TYPE}:{self.worker_id}".encode()

    def _body(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        out = {
            "v": VERSION,
            "type": str(self.TYPE),
            "cluster": self.cluster,
            "worker_id": self.worker_id,
            "incarnation": self.incarnation,
            "seq": self.seq,
            "wall_ms": self.wall_ms,
        }
        out.update(self._body())
        return out

    def encode(self) -> bytes:
        return canonical_json(self.to_json())


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochRecord(Record):
    """A record written by an existing member (everything but CLUSTER and JOIN)."""

    epoch: int

    @property
    def sender_epoch(self) -> int | None:
        return self.epoch

    def to_json(self) -> dict[str, Any]:
        out = Record.to_json(self)
        out["epoch"] = self.epoch
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterRecord(Record):
    TYPE: ClassVar[RecordType] = RecordType.CLUSTER
    params: ProtocolParams
    fingerprint: Fingerprint
    protocol: int = VERSION

    def _body(self) -> dict[str, Any]:
        return {"params": self.params.to_json(), "fingerprint": self.fingerprint.to_json(), "protocol": self.protocol}


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinRecord(Record):
    TYPE: ClassVar[RecordType] = RecordType.JOIN
    join_seq: int
    rest_url: str
    fingerprint: Fingerprint
    config_offset: int
    ready: bool
    capabilities: tuple[str, ...] = ()

    def _body(self) -> dict[str, Any]:
        return {
            "join_seq": self.join_seq,
            "rest_url": self.rest_url,
            "fingerprint": self.fingerprint.to_json(),
            "config_offset": self.config_offset,
            "ready": self.ready,
            "capabilities": sorted(self.capabilities),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatRecord(EpochRecord):
    TYPE: ClassVar[RecordType] = RecordType.HEARTBEAT
    applied_upto: int  # offset of the last coordination record the sender applied (read-progress rule)
    config_offset: int
    ready: bool
    can_lead: bool = True

    def _body(self) -> dict[str, Any]:
        return {
            "applied_upto": self.applied_upto,
            "config_offset": self.config_offset,
            "ready": self.ready,
            "can_lead": self.can_lead,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaveRecord(EpochRecord):
    TYPE: ClassVar[RecordType] = RecordType.LEAVE
    mode: LeaveMode

    def _body(self) -> dict[str, Any]:
        return {"mode": str(self.mode)}


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignmentRecord(EpochRecord):
    TYPE: ClassVar[RecordType] = RecordType.ASSIGNMENT
    gen: int
    based_on: int  # offset the leader had applied (diagnostics)
    config_offset: int
    revokes: tuple[Revoke, ...] = ()
    grants: tuple[Grant, ...] = ()

    def __post_init__(self) -> None:
        # Canonical item order (the encoding's): the referee validates items in this order.
        object.__setattr__(self, "revokes", tuple(sorted(self.revokes, key=lambda x: (x.unit, x.epoch, x.token))))
        object.__setattr__(self, "grants", tuple(sorted(self.grants, key=lambda x: (x.unit, x.epoch))))

    def _body(self) -> dict[str, Any]:
        return {
            "gen": self.gen,
            "based_on": self.based_on,
            "config_offset": self.config_offset,
            "revokes": sorted([[r.unit[0], r.unit[1], r.epoch, r.token[0], r.token[1]] for r in self.revokes]),
            "grants": sorted([[g.unit[0], g.unit[1], g.epoch] for g in self.grants]),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRecord(EpochRecord):
    TYPE: ClassVar[RecordType] = RecordType.RELEASE
    items: tuple[ReleaseItem, ...]
    forced: bool = False
    unkillable: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(sorted(self.items, key=lambda x: (x.unit, x.token))))

    def _body(self) -> dict[str, Any]:
        return {
            "items": sorted([[i.unit[0], i.unit[1], i.token[0], i.token[1]] for i in self.items]),
            "forced": self.forced,
            "unkillable": self.unkillable,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointRecord(EpochRecord):
    TYPE: ClassVar[RecordType] = RecordType.CHECKPOINT
    as_of: int  # the offset whose state the snapshot describes
    digest: str
    state: Mapping[str, Any] = field(default_factory=dict)

    def _body(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "digest": self.digest, "state": dict(self.state)}


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskConfigsRecord(EpochRecord):
    TYPE: ClassVar[RecordType] = RecordType.TASK_CONFIGS
    connector: str
    connector_incarnation: str
    token: Token
    configs_hash: str
    configs: tuple[Mapping[str, str], ...] | None = None  # None: too large, fetched from the owner by hash

    def _body(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "connector_incarnation": self.connector_incarnation,
            "token": [self.token[0], self.token[1]],
            "configs_hash": self.configs_hash,
            "configs": None if self.configs is None else [dict(c) for c in self.configs],
        }


def canonical_json(value: object) -> bytes:
    """Sorted keys, no whitespace, UTF-8; floats are refused so encodings never depend on float formatting."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


# --- decoding ---------------------------------------------------------------------------------------------

_ENVELOPE = ("v", "type", "cluster", "worker_id", "incarnation", "seq", "wall_ms")


def _obj(value: object, what: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DecodeError(f"{what}: expected an object")
    if sorted(value) != sorted(keys):
        raise DecodeError(f"{what}: expected keys {sorted(keys)}, got {sorted(value)}")
    return value


def _int(obj: Mapping[str, Any], key: str) -> int:
    v = obj[key]
    if type(v) is not int:
        raise DecodeError(f"{key}: expected an integer, got {v!r}")
    return v


def _str(obj: Mapping[str, Any], key: str) -> str:
    v = obj[key]
    if not isinstance(v, str):
        raise DecodeError(f"{key}: expected a string, got {v!r}")
    return v


def _bool(obj: Mapping[str, Any], key: str) -> bool:
    v = obj[key]
    if not isinstance(v, bool):
        raise DecodeError(f"{key}: expected a boolean, got {v!r}")
    return v


def _tuples(obj: Mapping[str, Any], key: str, shape: str) -> list[tuple[Any, ...]]:
    """Lists of fixed-shape rows; shape is a string of 's' (str) and 'i' (int) letters."""
    v = obj[key]
    if not isinstance(v, list):
        raise DecodeError(f"{key}: expected a list")
    rows = []
    for row in v:
        if not isinstance(row, list) or len(row) != len(shape):
            raise DecodeError(f"{key}: each item must be a list of {len(shape)} values")
        for item, kind in zip(row, shape, strict=True):
            if (kind == "s" and not isinstance(item, str)) or (kind == "i" and type(item) is not int):
                raise DecodeError(f"{key}: bad item {row!r}")
        rows.append(tuple(row))
    return rows


_BODY_KEYS: dict[RecordType, tuple[str, ...]] = {
    RecordType.CLUSTER: ("params", "fingerprint", "protocol"),
    RecordType.JOIN: ("join_seq", "rest_url", "fingerprint", "config_offset", "ready", "capabilities"),
    RecordType.HEARTBEAT: ("epoch", "applied_upto", "config_offset", "ready", "can_lead"),
    RecordType.LEAVE: ("epoch", "mode"),
    RecordType.ASSIGNMENT: ("epoch", "gen", "based_on", "config_offset", "revokes", "grants"),
    RecordType.RELEASE: ("epoch", "items", "forced", "unkillable"),
    RecordType.CHECKPOINT: ("epoch", "as_of", "digest", "state"),
    RecordType.TASK_CONFIGS: ("epoch", "connector", "connector_incarnation", "token", "configs_hash", "configs"),
}


def decode(data: bytes) -> Record:
    """Strictly decode one record value; raises DecodeError on anything unexpected."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise DecodeError(f"not JSON: {e}") from None
    if not isinstance(value, dict):
        raise DecodeError("record value must be a JSON object")
    if value.get("v") != VERSION or type(value.get("v")) is not int:
        raise DecodeError(f"unsupported record version {value.get('v')!r}")
    try:
        rtype = RecordType(str(value.get("type")))
    except ValueError:
        raise DecodeError(f"unknown record type {value.get('type')!r}") from None
    obj = _obj(value, str(rtype), _ENVELOPE + _BODY_KEYS[rtype])
    env: dict[str, Any] = {
        "cluster": _str(obj, "cluster"),
        "worker_id": _str(obj, "worker_id"),
        "incarnation": _str(obj, "incarnation"),
        "seq": _int(obj, "seq"),
        "wall_ms": _int(obj, "wall_ms"),
    }
    try:
        return _decode_body(rtype, obj, env)
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, DecodeError):
            raise
        raise DecodeError(f"{rtype}: {e}") from None


def _decode_body(rtype: RecordType, obj: dict[str, Any], env: dict[str, Any]) -> Record:
    if rtype is RecordType.CLUSTER:
        return ClusterRecord(
            **env,
            params=ProtocolParams.from_json(obj["params"]),
            fingerprint=Fingerprint.from_json(obj["fingerprint"]),
            protocol=_int(obj, "protocol"),
        )
    if rtype is RecordType.JOIN:
        caps = obj["capabilities"]
        if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
            raise DecodeError("capabilities: expected a list of strings")
        return JoinRecord(
            **env,
            join_seq=_int(obj, "join_seq"),
            rest_url=_str(obj, "rest_url"),
            fingerprint=Fingerprint.from_json(obj["fingerprint"]),
            config_offset=_int(obj, "config_offset"),
            ready=_bool(obj, "ready"),
            capabilities=tuple(caps),
        )
    epoch = _int(obj, "epoch")
    if rtype is RecordType.HEARTBEAT:
        return HeartbeatRecord(
            **env,
            epoch=epoch,
            applied_upto=_int(obj, "applied_upto"),
            config_offset=_int(obj, "config_offset"),
            ready=_bool(obj, "ready"),
            can_lead=_bool(obj, "can_lead"),
        )
    if rtype is RecordType.LEAVE:
        return LeaveRecord(**env, epoch=epoch, mode=LeaveMode(_str(obj, "mode")))
    if rtype is RecordType.ASSIGNMENT:
        return AssignmentRecord(
            **env,
            epoch=epoch,
            gen=_int(obj, "gen"),
            based_on=_int(obj, "based_on"),
            config_offset=_int(obj, "config_offset"),
            revokes=tuple(Revoke((c, t), e, (a, o)) for c, t, e, a, o in _tuples(obj, "revokes", "siiii")),
            grants=tuple(Grant((c, t), e) for c, t, e in _tuples(obj, "grants", "sii")),
        )
    if rtype is RecordType.RELEASE:
        return ReleaseRecord(
            **env,
            epoch=epoch,
            items=tuple(ReleaseItem((c, t), (a, o)) for c, t, a, o in _tuples(obj, "items", "siii")),
            forced=_bool(obj, "forced"),
            unkillable=_bool(obj, "unkillable"),
        )
    if rtype is RecordType.CHECKPOINT:
        state = obj["state"]
        if not isinstance(state, dict):
            raise DecodeError("state: expected an object")
        return CheckpointRecord(**env, epoch=epoch, as_of=_int(obj, "as_of"), digest=_str(obj, "digest"), state=state)
    token = obj["token"]
    if not (isinstance(token, list) and len(token) == 2 and all(type(x) is int for x in token)):
        raise DecodeError("token: expected [era, offset]")
    configs = obj["configs"]
    if configs is not None and not (
        isinstance(configs, list)
        and all(
            isinstance(c, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in c.items())
            for c in configs
        )
    ):
        raise DecodeError("configs: expected null or a list of string maps")
    return TaskConfigsRecord(
        **env,
        epoch=epoch,
        connector=_str(obj, "connector"),
        connector_incarnation=_str(obj, "connector_incarnation"),
        token=(token[0], token[1]),
        configs_hash=_str(obj, "configs_hash"),
        configs=None if configs is None else tuple(configs),
    )
