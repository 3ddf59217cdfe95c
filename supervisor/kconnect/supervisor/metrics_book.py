"""What the supervisor remembers for ``/metrics``: per-task history and REST request counters.

The master calls four hooks (a child started, sent a message, exited; a REST process pushed its
counters); :meth:`MetricsBook.snapshot` turns that plus the herder's state into a plain,
JSON-able dict. Rendering (psutil readings and the Prometheus text) happens in the REST process
that serves the scrape (``kconnect.supervisor.metrics_render``), so a scrape costs the
supervisor's loop only the building of that dict.

A task's last reported stats outlive its process: a FAILED task's counters stay visible until a
new process for it starts (its counters begin again at 0) or its connector is deleted.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kconnect.ipc import messages as m
from kconnect.supervisor.children import ROLE_CONNECTOR, ROLE_REST, ROLE_SINK_TASK, ROLE_SOURCE_TASK, Child

if TYPE_CHECKING:
    from kconnect.supervisor.master import Master

# How the per-task limits (kconnect.supervisor.limits) word the trace of a task they killed.
MEMORY_LIMIT_TRACE = "Task process exceeded its memory limit"
TASK_ROLES = (ROLE_SOURCE_TASK, ROLE_SINK_TASK)
STARTUP_ROLES = (ROLE_CONNECTOR, *TASK_ROLES)


def metrics_enabled(worker_props: dict[str, str]) -> bool:
    """``kconnect.metrics.enable`` (default true), read from the worker's properties."""
    return str(worker_props.get("kconnect.metrics.enable", "true")).strip().lower() != "false"


def exit_reason(child: Child, status: int) -> str:
    """The bounded ``reason`` label for why ``child`` ended (docs/metrics.md lists the values)."""
    if child.exit_reason:
        return child.exit_reason
    if (child.failure_trace or "").startswith(MEMORY_LIMIT_TRACE):
        return "memory_limit"  # the supervisor observed the limit kill (kconnect.supervisor.limits)
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            return f"signal:{signal.Signals(signum).name}"
        except ValueError:
            return f"signal:{signum}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    if code == m.EXIT_TASK_FAILED:
        return "exception"
    if code == m.EXIT_OK and child.stopping:
        return "stopped"
    return f"exit:{code}"


@dataclass
class ProcessHistory:
    """One task's (or connector's) processes over time, as the supervisor saw them."""

    created_at: float  # the connector entry's creation time: a re-created connector starts afresh
    starts: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    exits: dict[str, int] = field(default_factory=dict)
    last_exit: tuple[str, float] | None = None
    started_wall: float = 0.0


@dataclass
class Startups:
    attempts: int = 0
    success: int = 0
    failure: int = 0

    def render(self) -> list[int]:
        return [self.attempts, self.success, self.failure]


class MetricsBook:
    def __init__(self, master: Master) -> None:
        self.master = master
        self.enabled = metrics_enabled(master.worker_props)
        self.start_time = time.time()
        self.tasks: dict[tuple[str, int], ProcessHistory] = {}
        self.connectors: dict[str, ProcessHistory] = {}
        self.startups = {ROLE_CONNECTOR: Startups(), "task": Startups()}
        self.rest_restarts = 0
        # REST request counters: cumulative per REST process pid; a gone process's are folded into
        # ``rest_retired`` so totals never go backwards and dead pids do not pile up.
        self.rest_by_pid: dict[int, dict[tuple[str, str, str], list[Any]]] = {}
        self.rest_retired: dict[tuple[str, str, str], list[Any]] = {}
        # distributed mode: the coordinator's last rebalance/protocol facts (None in standalone mode)
        self.coordination: dict[str, Any] | None = None

    # --- hooks called by the master -----------------------------------------------------------
    def _history(self, child: Child) -> ProcessHistory | None:
        entry = self.master.herder.connectors.get(child.connector)
        if entry is None:
            return None
        book = self.tasks if child.role in TASK_ROLES else self.connectors if child.role == ROLE_CONNECTOR else None
        if book is None:
            return None
        key: Any = (child.connector, child.task_id) if child.role in TASK_ROLES else child.connector
        history = book.get(key)
        if history is None or history.created_at != entry.created_at:
            history = book[key] = ProcessHistory(created_at=entry.created_at)
        return history

    def on_start(self, child: Child) -> None:
        if child.role in STARTUP_ROLES:
            self.startups["task" if child.role in TASK_ROLES else ROLE_CONNECTOR].attempts += 1
        history = self._history(child)
        if history is not None:
            history.starts += 1
            history.stats = {}  # a new process counts from 0
            history.started_wall = time.time()

    def on_message(self, child: Child, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == m.HEARTBEAT and child.role in TASK_ROLES and not child.stopping:
            history = self._history(child)
            if history is not None:
                history.stats = msg.get("stats") or {}
        elif kind == m.HELLO and child.role in STARTUP_ROLES and not child.hello:
            self.startups["task" if child.role in TASK_ROLES else ROLE_CONNECTOR].success += 1

    def on_exit(self, child: Child, status: int) -> None:
        if child.role == ROLE_REST:
            if self.master.stopping_since is None:
                self.rest_restarts += 1
            return
        if child.role not in STARTUP_ROLES:
            return
        if not child.hello and not child.stopping:
            self.startups["task" if child.role in TASK_ROLES else ROLE_CONNECTOR].failure += 1
        history = self._history(child)
        if history is not None:
            reason = exit_reason(child, status)
            history.exits[reason] = history.exits.get(reason, 0) + 1
            history.last_exit = (reason, time.time())

    def push_rest(self, pid: int, series: Iterable[list[Any]]) -> None:
        """Replace REST process ``pid``'s cumulative counters with the ones it just sent."""
        counters: dict[tuple[str, str, str], list[Any]] = {}
        for item in series:
            method, route, code, count, total, buckets = item
            counters[(str(method), str(route), str(code))] = [int(count), float(total), [int(b) for b in buckets]]
        self.rest_by_pid[int(pid)] = counters

    # --- the snapshot the REST process renders --------------------------------------------------
    def _rest_series(self) -> list[list[Any]]:
        for pid in list(self.rest_by_pid):
            if not _alive(pid):
                _merge(self.rest_retired, self.rest_by_pid.pop(pid))
        merged: dict[tuple[str, str, str], list[Any]] = {}
        _merge(merged, self.rest_retired)
        for counters in self.rest_by_pid.values():
            _merge(merged, counters)
        return [[*key, *value] for key, value in sorted(merged.items())]

    def snapshot(self) -> dict[str, Any]:
        master = self.master
        herder = master.herder
        live: dict[tuple[str, int], Child] = {}
        connector_pids: dict[str, int] = {}
        for child in master.children.values():
            if child.role in TASK_ROLES and (child.key not in live or live[child.key].stopping):
                live[child.key] = child
            elif child.role == ROLE_CONNECTOR and not child.stopping:
                connector_pids[child.connector] = child.pid
        # Forget what belongs to deleted connectors or to tasks a connector no longer has.
        for key, history in list(self.tasks.items()):
            entry = herder.connectors.get(key[0])
            if entry is None or entry.created_at != history.created_at or key[1] >= len(entry.task_configs or []):
                del self.tasks[key]
        for name, history in list(self.connectors.items()):
            entry = herder.connectors.get(name)
            if entry is None or entry.created_at != history.created_at:
                del self.connectors[name]
        connectors = []
        tasks = []
        # Distributed mode: like Java, a worker has series only for the units it runs, with their states from
        # the status topic (the herder's slots are a standalone worker's own bookkeeping).
        owner_of = getattr(herder, "owner_of", None)

        def here(name: str, task: int) -> bool:
            return owner_of is None or owner_of(name, task) == herder.worker_id

        for name, entry in sorted(herder.connectors.items()):
            shared = herder.connector_status(name) if owner_of is not None else None
            chistory = self.connectors.get(name)
            if here(name, -1):
                connectors.append(
                    {
                        "name": name,
                        "state": (entry.status.state if shared is None else shared["connector"]["state"]).lower(),
                        "pid": connector_pids.get(name),
                        "exits": dict(chistory.exits) if chistory else {},
                    }
                )
            for task_id in range(len(entry.task_configs or [])):
                if not here(name, task_id):
                    continue
                slot = entry.tasks.get(task_id)
                task_history = self.tasks.get((name, task_id))
                task_child = live.get((name, task_id))
                tasks.append(
                    {
                        "connector": name,
                        "task": task_id,
                        "type": entry.type,
                        "state": (
                            shared["tasks"][task_id]["state"]
                            if shared is not None
                            else slot.status.state
                            if slot
                            else "UNASSIGNED"
                        ).lower(),
                        "pid": task_child.pid if task_child else None,
                        "start_time": task_history.started_wall if task_history and task_child else None,
                        "restarts": max(0, task_history.starts - 1) if task_history else 0,
                        "exits": dict(task_history.exits) if task_history else {},
                        "last_exit": list(task_history.last_exit) if task_history and task_history.last_exit else None,
                        "stats": task_history.stats if task_history else {},
                    }
                )
        return {
            "worker": herder.worker_id,
            "start_time": self.start_time,
            "supervisor_pid": os.getpid(),
            "rest_pids": [c.pid for c in master.rest_children.values()],
            "rest_restarts": self.rest_restarts,
            "startups": {role: s.render() for role, s in self.startups.items()},
            "connectors": connectors,
            "tasks": tasks,
            "rest": self._rest_series(),
            "coordination": self.coordination,
        }


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _merge(into: dict[tuple[str, str, str], list[Any]], counters: dict[tuple[str, str, str], list[Any]]) -> None:
    for key, (count, total, buckets) in counters.items():
        have = into.get(key)
        if have is None:
            into[key] = [count, total, list(buckets)]
        else:
            have[0] += count
            have[1] += total
            have[2] = [a + b for a, b in zip(have[2], buckets, strict=False)]


__all__ = ["MetricsBook", "exit_reason", "metrics_enabled"]
