"""The standalone herder: connector configs, target states and statuses for one worker.

The herder holds *what should run*; the master (``master.py``) makes processes match it. Every
REST operation lands here as ``handle(op, args)`` and either returns a JSON-able body or raises
:class:`HerderError` with Kafka Connect's status code and message. Operations that need connector
code (validation) complete asynchronously through the master.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kconnect.workers.worker_config import RestartPolicy

# Kafka Connect's runtime states (status topic / REST names).
UNASSIGNED = "UNASSIGNED"
RUNNING = "RUNNING"
PAUSED = "PAUSED"
STOPPED = "STOPPED"
FAILED = "FAILED"
RESTARTING = "RESTARTING"

# Target states as stored (``target-state-`` records): STARTED is what REST calls RUNNING.
TARGET_STARTED = "STARTED"
TARGET_PAUSED = "PAUSED"
TARGET_STOPPED = "STOPPED"


class HerderError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Status:
    state: str = UNASSIGNED
    trace: str | None = None

    def render(self, worker_id: str, version: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "worker_id": worker_id}
        if self.trace is not None:
            out["trace"] = self.trace
        out["version"] = version
        return out


@dataclass
class TaskSlot:
    """One task's runtime bookkeeping: status, restart history, process link (owned by master)."""

    status: Status = field(default_factory=Status)
    attempts: int = 0
    restarts: int = 0
    restart_at: float | None = None  # monotonic time of the next automatic restart
    given_up: bool = False  # failed and not restarted automatically (policy off or exhausted)


@dataclass
class ConnectorEntry:
    name: str
    config: dict[str, str]
    type: str  # "source" | "sink" | "unknown"
    version: str
    target: str = TARGET_STARTED
    task_configs: list[dict[str, str]] | None = None
    status: Status = field(default_factory=Status)
    tasks: dict[int, TaskSlot] = field(default_factory=dict)
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    created_at: float = field(default_factory=time.time)
    active_topics: set[str] = field(default_factory=set)  # KIP-558: topics seen in use since the last reset
    instantiated: bool = True  # False: its config cannot start it (Java then reports the connector's version as null)

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "config": dict(self.config),
            "tasks": [{"connector": self.name, "task": i} for i in range(len(self.task_configs or []))],
            "type": self.type,
        }


Reply = Callable[[int, Any], None]


class StandaloneHerder:
    def __init__(self, worker_id: str, kafka_cluster_id: str, version: str, commit: str) -> None:
        self.worker_id = worker_id
        self.kafka_cluster_id = kafka_cluster_id
        self.version = version
        self.commit = commit
        self.connectors: dict[str, ConnectorEntry] = {}

    # --- reads -------------------------------------------------------------------------------
    def _get(self, name: str) -> ConnectorEntry:
        entry = self.connectors.get(name)
        if entry is None:
            raise HerderError(404, f"Connector {name} not found")
        return entry

    def server_info(self) -> dict[str, Any]:
        return {"version": self.version, "commit": self.commit, "kafka_cluster_id": self.kafka_cluster_id}

    def list_connectors(self, expand: list[str]) -> Any:
        if not expand:
            return sorted(self.connectors)
        out: dict[str, Any] = {}
        for name, entry in sorted(self.connectors.items()):
            item: dict[str, Any] = {}
            if "status" in expand:
                item["status"] = self.connector_status(name)
            if "info" in expand:
                item["info"] = entry.info()
            out[name] = item
        return out

    def connector_info(self, name: str) -> dict[str, Any]:
        return self._get(name).info()

    def connector_config(self, name: str) -> dict[str, str]:
        return dict(self._get(name).config)

    def connector_status(self, name: str) -> dict[str, Any]:
        entry = self.connectors.get(name)
        if entry is None:
            raise HerderError(404, f"No status found for connector {name}")
        tasks = []
        for task_id in range(len(entry.task_configs or [])):
            slot = entry.tasks.get(task_id) or TaskSlot()
            rendered = {"id": task_id, **slot.status.render(self.worker_id, entry.version)}
            tasks.append(rendered)
        return {
            "name": name,
            "connector": entry.status.render(self.worker_id, entry.version if entry.instantiated else None),
            "tasks": tasks,
            "type": entry.type,
        }

    # --- writes (the master applies the process side) -------------------------------------------
    def add_connector(self, entry: ConnectorEntry) -> dict[str, Any]:
        if entry.name in self.connectors:
            raise HerderError(409, f"Connector {entry.name} already exists")
        self.connectors[entry.name] = entry
        return entry.info()

    def delete_connector(self, name: str) -> None:
        self._get(name)
        del self.connectors[name]

    def check_new(self, name: str) -> None:
        if name in self.connectors:
            raise HerderError(409, f"Connector {name} already exists")
