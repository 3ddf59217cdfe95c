"""The distributed herder: REST reads over the cluster view the coordinator streams to the master.

Connector configs, target states and task configs come from the config topic, statuses from the status
topic (so every worker answers the same), and membership/leadership from the coordination log. The view is
rebuilt into the standalone herder's ``ConnectorEntry`` objects so that the read operations are shared.
"""

from __future__ import annotations

from typing import Any

from kconnect.supervisor.herder import (
    FAILED,
    TARGET_PAUSED,
    TARGET_STOPPED,
    UNASSIGNED,
    ConnectorEntry,
    HerderError,
    StandaloneHerder,
    Status,
    TaskSlot,
)

REBALANCE_WRITE = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
REBALANCE_READ = "Request cannot be completed because a rebalance is expected"


class DistributedHerder(StandaloneHerder):
    def __init__(self, worker_id: str, kafka_cluster_id: str, version: str, commit: str) -> None:
        super().__init__(worker_id, kafka_cluster_id, version, commit)
        self.view: dict[str, Any] = {}
        self.status_rows: dict[str, dict[str, Any]] = {}

    # --- the view ------------------------------------------------------------------------------------
    def apply_view(self, view: dict[str, Any]) -> None:
        self.view = view
        self.status_rows = view.get("statuses") or {}
        entries: dict[str, ConnectorEntry] = {}
        for name, item in (view.get("connectors") or {}).items():
            old = self.connectors.get(name)
            entry = ConnectorEntry(
                name=name,
                config=dict(item["config"]),
                type=str(item.get("type") or "unknown"),
                version=str(item.get("version") or "unknown"),
                target=str(item.get("target") or "STARTED"),
                task_configs=[dict(c) for c in item.get("tasks") or []],
            )
            if old is not None:
                entry.created_at = old.created_at
            # KIP-558: the status topic's topic records are the truth (a reset writes their tombstones).
            entry.active_topics = set(self.status_rows.get(name, {}).get("topics") or ())
            entries[name] = entry
        self.connectors = entries

    @property
    def ready(self) -> bool:
        return bool(self.view)

    @property
    def rebalancing(self) -> bool:
        return bool(self.view.get("rebalancing", True))

    def leader_url(self) -> str | None:
        lead = self.view.get("leader")
        return None if lead is None else str(lead.get("rest_url") or "") or None

    def is_leader(self) -> bool:
        lead = self.view.get("leader")
        return lead is not None and lead.get("worker_id") == self.worker_id

    def owner_of(self, connector: str, task: int) -> str | None:
        owner = (self.view.get("owners") or {}).get(f"{connector}\x00{task}")
        return None if owner is None else str(owner)

    def member_url(self, worker_id: str) -> str | None:
        for m in self.view.get("members") or []:
            if m.get("worker_id") == worker_id:
                return str(m.get("rest_url") or "") or None
        return None

    def check_writable(self) -> None:
        if not self.ready or self.rebalancing:
            raise HerderError(409, REBALANCE_WRITE)

    def check_readable(self) -> None:
        # Java's herder answers only after its first rebalance; until this worker has joined (and read the
        # config topic) a read gets Java's "rebalance expected" answer.
        if not self.ready or not self.view.get("live"):
            raise HerderError(500, REBALANCE_READ)

    # --- statuses (from the status topic) ------------------------------------------------------------
    def _render(self, row: list[Any] | None, default_state: str, version: str) -> dict[str, Any]:
        if row is None:
            return Status(default_state).render(self.worker_id, version) | {"worker_id": self.worker_id}
        state, trace, worker_id, _generation, row_version = row
        out: dict[str, Any] = {"state": state, "worker_id": worker_id}
        if trace is not None:
            out["trace"] = trace
        out["version"] = row_version or version
        return out

    def connector_status(self, name: str) -> dict[str, Any]:
        entry = self.connectors.get(name)
        if entry is None:
            raise HerderError(404, f"No status found for connector {name}")
        rows = self.status_rows.get(name) or {}
        default = "STOPPED" if entry.target == TARGET_STOPPED else UNASSIGNED
        connector = self._render(rows.get("connector"), default, entry.version)
        if entry.target == TARGET_STOPPED and connector["state"] in ("RUNNING", "PAUSED", UNASSIGNED):
            connector["state"] = "STOPPED"
        tasks = []
        for task_id in range(len(entry.task_configs or [])):
            rendered = self._render((rows.get("tasks") or {}).get(str(task_id)), UNASSIGNED, entry.version)
            tasks.append({"id": task_id, **rendered})
        return {"name": name, "connector": connector, "tasks": tasks, "type": entry.type}

    def task_status(self, name: str, task: int) -> dict[str, Any]:
        entry = self.connectors.get(name)
        if entry is None or not 0 <= task < len(entry.task_configs or []):
            raise HerderError(404, f"No status found for task {name}-{task}")
        row = ((self.status_rows.get(name) or {}).get("tasks") or {}).get(str(task))
        return {"id": task, **self._render(row, UNASSIGNED, entry.version)}


def is_paused(target: str) -> bool:
    return target == TARGET_PAUSED


__all__ = ["FAILED", "REBALANCE_READ", "REBALANCE_WRITE", "DistributedHerder", "TaskSlot", "is_paused"]
