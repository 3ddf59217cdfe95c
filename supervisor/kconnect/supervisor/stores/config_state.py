"""Replay of the config topic into immutable snapshots (Apache's ClusterConfigState).

:class:`ConfigReplay` applies decoded config records in log order with Apache's rules:

* a connector config applies at once; its target state defaults to STARTED when none was read;
* task configs are buffered per connector until a ``commit-<name>`` record; the commit applies them only
  if every task ``0..N-1`` is present (else the connector is *inconsistent*: compaction removed some,
  and the leader must regenerate them); the buffer is cleared either way;
* a commit for a connector without a config (deleted, tombstone compacted away) drops everything of it;
* a connector tombstone removes its config, tasks, task count and buffered task configs; a target-state
  tombstone removes the target state (STARTED again if the config is still there);
* ``tasks-fencing-<name>`` records the task count for zombie fencing; a commit after it marks the
  connector as pending fencing again.

Restart requests and cluster logger levels are events, not state: they go to the listener.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kconnect.supervisor.stores.formats import (
    ConfigRecord,
    ConnectorConfig,
    LoggerLevel,
    RestartRequest,
    SessionKey,
    TargetState,
    TargetStateName,
    TaskCommit,
    TaskConfig,
    TaskCountRecord,
)

__all__ = ["ClusterConfigState", "ConfigListener", "ConfigReplay", "TaskId"]

TaskId = tuple[str, int]


def _frozen(d: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class ClusterConfigState:
    """What the config topic says at ``offset`` (the offset of the next record to read)."""

    offset: int = -1
    session_key: SessionKey | None = None
    connector_configs: Mapping[str, Mapping[str, str | None]] = field(default_factory=lambda: _frozen({}))
    target_states: Mapping[str, TargetStateName] = field(default_factory=lambda: _frozen({}))
    task_counts: Mapping[str, int] = field(default_factory=lambda: _frozen({}))
    task_configs: Mapping[TaskId, Mapping[str, str | None]] = field(default_factory=lambda: _frozen({}))
    task_count_records: Mapping[str, int] = field(default_factory=lambda: _frozen({}))
    task_config_generations: Mapping[str, int] = field(default_factory=lambda: _frozen({}))
    pending_fencing: frozenset[str] = frozenset()
    inconsistent: frozenset[str] = frozenset()

    def connectors(self) -> list[str]:
        return sorted(self.connector_configs)

    def contains(self, connector: str) -> bool:
        return connector in self.connector_configs

    def target_state(self, connector: str) -> TargetStateName | None:
        return self.target_states.get(connector)

    def task_count(self, connector: str) -> int:
        return self.task_counts.get(connector, 0)

    def tasks(self, connector: str) -> list[TaskId]:
        """The committed task ids of ``connector`` (none while it is inconsistent)."""
        if connector in self.inconsistent:
            return []
        return [(connector, i) for i in range(self.task_count(connector))]

    def task_config(self, task: TaskId) -> Mapping[str, str | None] | None:
        return self.task_configs.get(task)


class ConfigListener:
    """Callbacks of a started store (Apache's ConfigBackingStore.UpdateListener); all no-ops here."""

    def on_connector_config_update(self, connector: str) -> None: ...
    def on_connector_config_remove(self, connector: str) -> None: ...
    def on_target_state_change(self, connector: str) -> None: ...
    def on_task_config_update(self, tasks: list[TaskId]) -> None: ...
    def on_session_key_update(self, key: SessionKey) -> None: ...
    def on_restart_request(self, request: RestartRequest) -> None: ...
    def on_logger_level(self, namespace: str, level: str) -> None: ...


class ConfigReplay:
    """Mutable replay state; :meth:`snapshot` hands out immutable views. Not thread-safe by design:
    the owning process applies records and takes snapshots from one thread."""

    def __init__(self, listener: ConfigListener | None = None) -> None:
        self.listener = listener or ConfigListener()
        # Before the first read-to-end completes, Java applies records silently (no callbacks).
        self.started = False
        self.offset = -1
        self.session_key: SessionKey | None = None
        self.connector_configs: dict[str, Mapping[str, str | None]] = {}
        self.target_states: dict[str, TargetStateName] = {}
        self.task_counts: dict[str, int] = {}
        self.task_configs: dict[TaskId, Mapping[str, str | None]] = {}
        self.deferred: dict[str, dict[int, Mapping[str, str | None]]] = {}
        self.task_count_records: dict[str, int] = {}
        self.task_config_generations: dict[str, int] = {}
        self.pending_fencing: set[str] = set()
        self.inconsistent: set[str] = set()

    def snapshot(self) -> ClusterConfigState:
        return ClusterConfigState(
            offset=self.offset,
            session_key=self.session_key,
            connector_configs=_frozen({k: _frozen(v) for k, v in self.connector_configs.items()}),
            target_states=_frozen(self.target_states),
            task_counts=_frozen(self.task_counts),
            task_configs=_frozen({k: _frozen(v) for k, v in self.task_configs.items()}),
            task_count_records=_frozen(self.task_count_records),
            task_config_generations=_frozen(self.task_config_generations),
            pending_fencing=frozenset(self.pending_fencing),
            inconsistent=frozenset(self.inconsistent),
        )

    def apply(self, offset: int, record: ConfigRecord) -> None:
        """Apply the record read at ``offset``."""
        self.offset = offset + 1
        match record:
            case TargetState():
                self._target_state(record)
            case ConnectorConfig():
                self._connector_config(record)
            case TaskConfig():
                self.deferred.setdefault(record.connector, {})[record.task] = dict(record.properties)
            case TaskCommit():
                self._task_commit(record)
            case TaskCountRecord():
                self.task_count_records[record.connector] = record.task_count
                self.pending_fencing.discard(record.connector)
            case SessionKey():
                self.session_key = record
                if self.started:
                    self.listener.on_session_key_update(record)
            case RestartRequest():
                if self.started:
                    self.listener.on_restart_request(record)
            case LoggerLevel():
                # Levels written before this worker started are history, not orders (Java ignores them too).
                if self.started:
                    self.listener.on_logger_level(record.namespace, record.level)

    def skip(self, offset: int) -> None:
        """A record that could not be decoded still moves the position."""
        self.offset = offset + 1

    # --- one method per record type ------------------------------------------------------------------
    def _target_state(self, r: TargetState) -> None:
        if r.state is None:
            self.target_states.pop(r.connector, None)
            if r.connector in self.connector_configs:
                self.target_states[r.connector] = "STARTED"
            return  # removal is announced by the connector tombstone, not here
        previous = self.target_states.get(r.connector)
        self.target_states[r.connector] = r.state
        if self.started and previous != r.state and r.connector in self.connector_configs:
            self.listener.on_target_state_change(r.connector)

    def _connector_config(self, r: ConnectorConfig) -> None:
        if r.properties is None:
            self._remove_connector(r.connector)
            if self.started:
                self.listener.on_connector_config_remove(r.connector)
            return
        self.connector_configs[r.connector] = dict(r.properties)
        self.target_states.setdefault(r.connector, "STARTED")
        if self.started:
            self.listener.on_connector_config_update(r.connector)

    def _task_commit(self, r: TaskCommit) -> None:
        name = r.connector
        if name not in self.connector_configs:
            self._remove_connector(name)  # deleted earlier and compacted away: ignore its task configs
            return
        deferred = self.deferred.get(name)
        ids = set(deferred or ())
        updated: list[TaskId] = []
        if not all(i in ids for i in range(r.tasks)):
            self.inconsistent.add(name)
        else:
            if deferred is not None:
                for i, props in deferred.items():
                    self.task_configs[(name, i)] = props
                    updated.append((name, i))
                generation = self.task_config_generations.get(name)
                self.task_config_generations[name] = 0 if generation is None else generation + 1
            self.inconsistent.discard(name)
        if deferred is not None:
            deferred.clear()
        self.task_counts[name] = r.tasks
        self.pending_fencing.add(name)
        if self.started:
            self.listener.on_task_config_update(sorted(updated))

    def _remove_connector(self, name: str) -> None:
        self.connector_configs.pop(name, None)
        self.task_counts.pop(name, None)
        for task in [t for t in self.task_configs if t[0] == name]:
            del self.task_configs[task]
        self.deferred.pop(name, None)
