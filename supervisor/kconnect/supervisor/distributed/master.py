"""The master loop of a distributed worker.

Same arbiter as standalone (``kconnect.supervisor.master``): one place reaps, every pass makes processes
match the desired set. What differs is where the desired set comes from: the coordinator child grants units
(``spawn``) with a lease deadline, moves the deadline (``set_deadline``), takes units away (``stop_unit``)
or kills everything (``fence``). The master holds no Kafka client: statuses, task configs and offsets
travel to the coordinator, which writes them to the internal topics.

A unit's process is killed by the master when the lease deadline passes (and by its own kernel timer, armed
from the same deadline, if the master is frozen). A unit that fails is restarted by the worker's restart
policy as in standalone; only a unit that the coordinator stopped is reported back as exited.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kconnect.ipc import messages as m
from kconnect.ipc.codec import Message
from kconnect.supervisor import restarts
from kconnect.supervisor.children import (
    ROLE_CONNECTOR,
    ROLE_REST,
    ROLE_SINK_TASK,
    ROLE_SOURCE_TASK,
    Child,
    describe_exit,
    spawn_worker_child,
)
from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.distributed import protocol as p
from kconnect.supervisor.distributed.herder import DistributedHerder
from kconnect.supervisor.herder import PAUSED, RUNNING, TARGET_PAUSED, TARGET_STOPPED
from kconnect.supervisor.lifecycle import summarize
from kconnect.supervisor.master import Master
from kconnect.supervisor.offsets_file import OffsetsFile
from kconnect.workers import exactly_once
from kconnect.workers.logformat import about
from kconnect.workers.worker_config import RestartPolicy

if TYPE_CHECKING:
    from kconnect.supervisor.distributed.operations import DistributedOperations

logger = logging.getLogger(__name__)

Unit = tuple[str, int]
COORDINATOR_RESTART_S = 1.0


def boottime_ms() -> int:
    return time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1_000_000


@dataclass
class UnitRun:
    """A unit granted to this worker (from ``spawn`` until the coordinator hears it exited)."""

    token: list[int]
    deadline: int  # CLOCK_BOOTTIME ms: no process of this unit may live past it
    conn_type: str
    connector_config: dict[str, str]
    task_config: dict[str, str] | None
    offsets: dict[str, Any] | None
    skip: bool = False  # nothing to run (connector deleted meanwhile); held only until stopped
    stopping: bool = False  # the coordinator took it away
    attempts: int = 0
    restart_at: float | None = None
    given_up: bool = False
    restart_requested: bool = False
    held_paused: bool = False  # a connector created PAUSED: not started (no tasks) until resumed, as in Java
    policy: RestartPolicy = field(default_factory=RestartPolicy)


class DistributedMaster(Master):
    herder: DistributedHerder
    ops: DistributedOperations

    def __init__(self, *, worker_id: str, rest_url: str, **kwargs: Any) -> None:
        super().__init__(offsets=OffsetsFile(None), **kwargs)
        self.env["KCONNECT_WORKER_MODE"] = "distributed"  # children parse the worker config as distributed
        self.worker_id = worker_id
        self.rest_url = rest_url
        self.units: dict[Unit, UnitRun] = {}
        self.coordinator: Child | None = None
        self.coordinator_restart_at = 0.0
        self.coordinator_ready = False
        self.leaving = False
        self.write_ids = 0
        self.write_waiters: dict[int, Callable[[int, Any], None]] = {}
        self.reported_topics: dict[int, set[str]] = {}  # task pid -> topics written to the status topic
        from kconnect.workers.worker_config import WorkerConfig

        # parsed once with the distributed definition (defaults, validation) rather than read raw
        self.worker_config = WorkerConfig.from_props(self.worker_props, "distributed", log=False)
        from kconnect.supervisor.distributed.operations import DistributedOperations

        self.ops = DistributedOperations(self)

    # --- the coordinator child -------------------------------------------------------------------
    def _start_coordinator(self) -> None:
        bootstrap: Message = {
            "connector": "",
            "task_id": -1,
            "worker": self.worker_props,
            "worker_id": self.worker_id,
            "rest_url": self.rest_url,
            "log_level": self.log_level,
        }
        child = spawn_worker_child(p.ROLE_COORDINATOR, "", -1, bootstrap, self.env)
        child.on_message = self._on_coordinator_message
        child.on_exit = self._on_coordinator_exit
        self.coordinator = child
        self.coordinator_ready = False
        self._track(child)
        logger.info("Started the coordinator as pid %d", child.pid)

    def _on_coordinator_exit(self, child: Child, status: int) -> None:
        self.coordinator = None
        self.coordinator_ready = False
        # Without a coordinator nobody renews the leases: nothing of this worker may go on running.
        self._fence("the coordinator exited")
        self.units.clear()
        for reply in self.write_waiters.values():
            reply(500, "the coordinator exited before the write completed")
        self.write_waiters.clear()
        if self.stopping_since is None:
            logger.error("The coordinator exited (%s); restarting it", child.failure_trace or describe_exit(status))
            self.coordinator_restart_at = time.monotonic() + COORDINATOR_RESTART_S

    def to_coordinator(self, msg: Message) -> None:
        if self.coordinator is not None:
            self.coordinator.send(msg)

    def write(self, op: str, args: dict[str, Any], done: Callable[[int, Any], None]) -> None:
        """A config/offsets topic write through the coordinator; ``done(status, body)`` when it completed."""
        if self.coordinator is None or not self.coordinator_ready:
            done(409, "the coordinator is not ready")
            return
        self.write_ids += 1
        self.write_waiters[self.write_ids] = done
        self.to_coordinator({"type": p.WRITE, "id": self.write_ids, "op": op, "args": args})

    def _on_coordinator_message(self, child: Child, msg: Message) -> None:
        kind = msg["type"]
        if kind == m.HEARTBEAT:
            return
        if kind == m.FAILED:
            child.failure_trace = msg.get("trace")
        elif kind == p.COORD_READY:
            self.coordinator_ready = True
            logger.info("Worker %s joined the cluster", self.worker_id)
        elif kind == p.COORD_METRICS:
            self.metrics.coordination = dict(msg["metrics"])
        elif kind == p.VIEW:
            self.herder.apply_view(msg)
            self._apply_targets()
            self.ops.retry_deferred()
        elif kind == p.SPAWN:
            self._granted(msg)
        elif kind == p.SET_DEADLINE:
            run = self.units.get((msg["connector"], msg["task"]))
            if run is not None and run.token == list(msg["token"]):
                run.deadline = int(msg["deadline"])
                for c in self._processes((msg["connector"], msg["task"])):
                    c.send({"type": "set_deadline", "deadline": run.deadline})
        elif kind == p.STOP_UNIT:
            self._revoked((msg["connector"], msg["task"]), list(msg["token"]))
        elif kind == p.FENCE:
            self._fence("the coordinator lost its lease")
        elif kind == p.RESTART:
            self._restart_request(msg["connector"], bool(msg["include_tasks"]), bool(msg["only_failed"]))
        elif kind == p.WRITE_DONE:
            done = self.write_waiters.pop(int(msg["id"]), None)
            if done is not None:
                done(int(msg["status"]), msg.get("body"))
        elif kind == p.EXIT:
            level = logging.INFO if self.leaving else logging.ERROR
            logger.log(level, "Coordinator: %s", msg.get("reason"))

    # --- units ---------------------------------------------------------------------------------------
    def _granted(self, msg: Message) -> None:
        unit = (str(msg["connector"]), int(msg["task"]))
        config = dict(msg.get("connector_config") or {})
        self.units[unit] = UnitRun(
            token=list(msg["token"]),
            deadline=int(msg["deadline"]),
            conn_type=str(msg.get("conn_type") or "unknown"),
            connector_config=config,
            task_config=msg.get("task_config"),
            offsets=msg.get("offsets"),
            skip=bool(msg.get("skip")),
            policy=self.policy_for(config) if config else RestartPolicy(),
        )
        logger.info(
            "Granted %s-%s (token %s)",
            unit[0],
            "connector" if unit[1] < 0 else unit[1],
            msg["token"],
            extra=about(unit[0], None if unit[1] < 0 else unit[1]),
        )

    def _processes(self, unit: Unit, include_stopping: bool = True) -> list[Child]:
        return [
            c
            for c in self.children.values()
            if c.role in (ROLE_CONNECTOR, ROLE_SOURCE_TASK, ROLE_SINK_TASK)
            and c.key == unit
            and (include_stopping or not c.stopping)
        ]

    def _revoked(self, unit: Unit, token: list[int]) -> None:
        run = self.units.get(unit)
        if run is None or run.token != token:
            self.to_coordinator({"type": p.UNIT_EXITED, "connector": unit[0], "task": unit[1], "token": token})
            return
        run.stopping = True
        procs = self._processes(unit)
        for c in procs:
            self.stop_child(c)
        self._report_if_gone(unit)

    def _report_if_gone(self, unit: Unit) -> None:
        run = self.units.get(unit)
        if run is None or not run.stopping or self._processes(unit):
            return
        del self.units[unit]
        # The status first: the coordinator ends the revocation on UNIT_EXITED, and a write that waited for it
        # (offsets of a stopped connector) must then see the unit's status no longer RUNNING.
        self._status(unit, "UNASSIGNED", None)
        self.to_coordinator({"type": p.UNIT_EXITED, "connector": unit[0], "task": unit[1], "token": run.token})

    def _fence(self, why: str) -> None:
        procs = [c for c in self.children.values() if c.role in (ROLE_CONNECTOR, ROLE_SOURCE_TASK, ROLE_SINK_TASK)]
        if procs:
            logger.warning("Fencing: killing %d unit process(es) because %s", len(procs), why)
        for c in procs:
            c.stopping = True
            c.kill()
        for run in self.units.values():
            run.stopping = True
        # A unit whose process is already gone (its kernel timer fired first and the restart policy was
        # waiting to start it again) gets no further exit: report it now, or the coordinator would wait
        # for it forever and never re-join after a lost lease (found by the Kafka-outage scenario).
        for unit in list(self.units):
            self._report_if_gone(unit)

    def _status(self, unit: Unit, state: str, trace: str | None) -> None:
        self.to_coordinator(
            {"type": p.UNIT_STATUS, "connector": unit[0], "task": unit[1], "state": state, "trace": trace}
        )

    def _restart_request(self, connector: str, include_tasks: bool, only_failed: bool) -> None:
        for unit, run in self.units.items():
            if unit[0] != connector or run.stopping or (unit[1] >= 0 and not include_tasks):
                continue
            failed = run.given_up or run.restart_at is not None
            if only_failed and not failed:
                continue
            self.restart_unit(unit)

    def restart_unit(self, unit: Unit) -> None:
        run = self.units.get(unit)
        if run is None:
            return
        run.given_up, run.attempts, run.restart_at = False, 0, None
        self._status(unit, "RESTARTING", None)
        for c in self._processes(unit, include_stopping=False):
            self.stop_child(c)

    def restart_for_config_reload(self, name: str) -> None:
        """Config-provider values of ``name`` expired: as Java's distributed herder, restart it only where it
        runs, here: the units of ``name`` this worker holds (its connector and/or tasks) restart and resolve
        their values afresh. Workers running its other tasks got their own TTL reports and do the same."""
        for unit, run in list(self.units.items()):
            if unit[0] == name and not run.stopping and not run.skip:
                self.restart_unit(unit)

    def _apply_targets(self) -> None:
        """Pause/resume running processes to their connector's target state; restart changed configs."""
        for c in list(self.children.values()):
            if c.role not in (ROLE_CONNECTOR, ROLE_SOURCE_TASK, ROLE_SINK_TASK) or c.stopping:
                continue
            entry = self.herder.connectors.get(c.connector)
            run = self.units.get(c.key)
            if entry is None or run is None:
                continue
            if entry.target == TARGET_STOPPED:
                continue  # the coordinator revokes these units
            if c.role == ROLE_CONNECTOR and entry.config != run.connector_config:
                run.connector_config = dict(entry.config)
                self.stop_child(c)  # restarted with the new config by the next reconcile
                continue
            if c.role != ROLE_CONNECTOR:
                configs = entry.task_configs or []
                if c.task_id < len(configs) and configs[c.task_id] != run.task_config:
                    run.task_config = dict(configs[c.task_id])
                    run.connector_config = dict(entry.config)
                    self.stop_child(c)
                    continue
            paused = entry.target == TARGET_PAUSED
            if c.hello and paused != bool(c.stats.get("_paused")):
                c.stats["_paused"] = paused
                c.send({"type": m.PAUSE if paused else m.RESUME})
                self._status(c.key, PAUSED if paused else RUNNING, None)

    # --- the reconcile pass ----------------------------------------------------------------------------
    def _reconcile(self) -> None:
        now = time.monotonic()
        for index, argv in enumerate(self.rest_argv or []):
            if index not in self.rest_children and now >= self.rest_restart_at.get(index, 0.0):
                from kconnect.supervisor.children import spawn_command

                self.rest_children[index] = spawn_command(ROLE_REST, argv, self.env)
                self.children[self.rest_children[index].pid] = self.rest_children[index]
        if self.coordinator is None and now >= self.coordinator_restart_at and not self.leaving:
            self._start_coordinator()
        elif self.coordinator is not None:
            self.to_coordinator({"type": p.PING})
        self.ops.retry_deferred()  # answers the writes whose wait for a rebalance timed out
        boot_now = boottime_ms()
        for unit, run in list(self.units.items()):
            procs = self._processes(unit)
            for c in procs:  # the master's own fence at the lease deadline (the kernel timer is the backstop)
                if boot_now >= run.deadline:
                    logger.warning(
                        "Lease of %s-%d expired: killing pid %d", unit[0], unit[1], c.pid, extra=c.log_subject
                    )
                    c.stopping = True
                    c.kill()
            if procs or run.stopping or run.skip or run.given_up:
                continue
            if boot_now >= run.deadline:
                continue
            if run.restart_at is not None:
                if now < run.restart_at:
                    continue
                run.restart_at = None
            if self._created_paused(unit):
                if not run.held_paused:
                    run.held_paused = True
                    self._status(unit, PAUSED, None)
                continue
            run.held_paused = False
            self._start_unit(unit, run)

    def _created_paused(self, unit: Unit) -> bool:
        """A connector PAUSED before it ever made task configs: like Java, it starts only on resume."""
        entry = self.herder.connectors.get(unit[0])
        return unit[1] < 0 and entry is not None and entry.target == TARGET_PAUSED and not entry.task_configs

    def _start_unit(self, unit: Unit, run: UnitRun) -> None:
        name, task = unit
        entry = self.herder.connectors.get(name)
        if entry is not None:  # the freshest configs this worker has read
            run.connector_config = dict(entry.config)
            if task >= 0 and task < len(entry.task_configs or []):
                run.task_config = dict((entry.task_configs or [])[task])
        bootstrap: Message = {
            "connector": name,
            "task_id": task,
            "worker": self.worker_props,
            "connector_config": run.connector_config,
            "log_level": self.log_level,
            "log_levels": self.ops.bootstrap_levels(),
            "deadline": run.deadline,
        }
        if task < 0:
            role = ROLE_CONNECTOR
        else:
            role = ROLE_SOURCE_TASK if run.conn_type == "source" else ROLE_SINK_TASK
            bootstrap["task_config"] = run.task_config or {}
            if role == ROLE_SOURCE_TASK:
                bootstrap["offsets"] = run.offsets or {}
                eos = exactly_once.task_settings(
                    self.worker_props,
                    run.connector_config,
                    name,
                    task,
                    offset_flush_interval_ms=self.worker_config.offset_flush_interval_ms,
                )
                if eos is not None:  # KIP-618: the task writes records and offsets in transactions
                    bootstrap["exactly_once"] = eos.to_boot()
        placement = (
            self.limits.placement_for(name, task, self.worker_props, run.connector_config) if task >= 0 else None
        )
        child = spawn_worker_child(
            role,
            name,
            task,
            bootstrap,
            self.env,
            preexec_fn=placement.join_in_child if placement else None,
            before_bootstrap=(lambda pid: self.limits.attach(pid, placement)) if placement else None,
        )
        if role == ROLE_CONNECTOR:
            child.deadline = time.monotonic() + self.operation_timeout_s
        self._track(child)
        logger.info("Started %s %s-%d as pid %d", role, name, task, child.pid, extra=child.log_subject)

    # --- unit process messages and exits ------------------------------------------------------------
    def _on_child_message(self, child: Child, msg: Message) -> None:
        self.metrics.on_message(child, msg)
        if child.on_message is not None:
            child.on_message(child, msg)
            return
        kind = msg["type"]
        if kind == m.OFFSETS:
            self.to_coordinator({"type": p.OFFSETS, "offsets": msg["offsets"]})
            self._keep_offsets(child.key, msg["offsets"])
            return
        if kind == m.FAILED:
            child.failure_trace = msg.get("trace")
            return
        if child.stopping:
            return
        entry = self.herder.connectors.get(child.connector)
        if kind == m.HELLO:
            child.hello = True
            paused = entry is not None and entry.target == TARGET_PAUSED
            if paused:
                child.send({"type": m.PAUSE})
            child.stats["_paused"] = paused
            self._status(child.key, PAUSED if paused else RUNNING, None)
        elif kind == m.CONFIG_TTL:
            if entry is not None:
                self.config_reloads.schedule(entry, msg.get("ttls") or {})
        elif kind == m.TASK_CONFIGS:
            child.deadline = None
            self.to_coordinator(
                {"type": p.TASK_CONFIGS, "connector": child.connector, "configs": [dict(c) for c in msg["configs"]]}
            )
        elif kind == m.HEARTBEAT:
            paused = bool(child.stats.get("_paused"))
            child.stats = dict(msg.get("stats") or {})
            child.stats["_paused"] = paused
            self._record_topics(child)

    def _record_topics(self, child: Child) -> None:
        """KIP-558: a topic a task process uses for the first time is written to the status topic, once per process."""
        reported = self.reported_topics.setdefault(child.pid, set())
        for topic in child.stats.get("topics") or ():
            if isinstance(topic, str) and topic not in reported:
                reported.add(topic)
                args = {"name": child.connector, "topic": topic, "task": child.task_id}
                self.write("active_topic", args, lambda _status, _body: None)

    def _keep_offsets(self, unit: Unit, offsets: dict[str, Any]) -> None:
        """A source task restarted in place (restart request, failure, config change) resumes from its own last
        committed offsets, not from those it was granted with: else it would produce its records again."""
        run = self.units.get(unit)
        if run is None:
            return
        kept = dict(run.offsets or {})
        for key, offset in offsets.items():
            if offset is None:
                kept.pop(key, None)
            else:
                kept[key] = offset
        run.offsets = kept

    def _on_exit(self, child: Child, status: int) -> None:
        if child.on_exit is not None:
            child.on_exit(child, status)
            return
        if child.role == ROLE_REST:
            super()._on_exit(child, status)
            return
        self.reported_topics.pop(child.pid, None)
        unit = child.key
        run = self.units.get(unit)
        if run is None:
            return
        if run.stopping:
            self._report_if_gone(unit)
            return
        if child.stopping:
            return  # restarted on purpose (config change, restart request): the next pass starts it again
        trace = child.failure_trace or describe_exit(status)
        if child.role == ROLE_CONNECTOR:
            trace = trace.replace("Task process", "Connector process")
        self._status(unit, "FAILED", trace)
        ran_ms = int((time.monotonic() - child.started_at) * 1000)
        decision = restarts.after_failure(run.policy, run.attempts, ran_ms)
        run.attempts = decision.attempts
        if decision.restart and child.role != ROLE_CONNECTOR:
            run.restart_at = time.monotonic() + decision.delay_ms / 1000.0
        else:
            run.given_up = True
        logger.error(
            "%s %s-%d failed: %s",
            child.role,
            unit[0],
            unit[1],
            trace.splitlines()[-1] if trace else "",
            extra=child.log_subject,
        )

    def _status_summary(self) -> str:
        # systemd's STATUS= line: the units this worker runs (the herder's task slots are standalone's).
        states = []
        for name, task in self.units:
            if task < 0:
                continue
            row = ((self.herder.status_rows.get(name) or {}).get("tasks") or {}).get(str(task))
            states.append(row[0] if row else "UNASSIGNED")
        connectors = sum(1 for _name, task in self.units if task < 0)
        return summarize(states, connectors, len(self.children), self.stopping_since is not None)

    def _expire_deadlines(self) -> None:
        # The coordinator is a long-lived child with its own heartbeat; only unit processes get the checks.
        coordinator = self.coordinator
        if coordinator is not None:
            coordinator.last_heartbeat = time.monotonic()
        super()._expire_deadlines()

    # --- graceful stop: leave the cluster first ------------------------------------------------------
    def _begin_stop(self) -> None:
        self._announce_stop_and_stop_rest()
        self.leaving = True
        if self.coordinator is not None and self.coordinator_ready:
            # The coordinator stops our units (stop_unit), waits for their exits, writes LEAVE and exits.
            # A restart in place (SIGUSR2) returns under the same worker id: LEAVE(restart) parks the units
            # for it (sticky return); a stop moves them at once (LEAVE(shutdown)).
            self.to_coordinator({"type": p.LEAVE, "mode": self._leave_mode()})
            self.coordinator.kill_at = time.monotonic() + 2 * self.shutdown_timeout_s + 5.0
        else:
            for child in list(self.children.values()):
                if child.role != ROLE_REST:
                    self.stop_child(child)

    def _leave_mode(self) -> str:
        return r.LeaveMode.RESTART.value if self.restart_in_place else r.LeaveMode.SHUTDOWN.value

    def _restart_cancelled(self) -> None:
        # Not left yet: the coordinator writes LEAVE(shutdown) instead, so the units move at once.
        self.to_coordinator({"type": p.LEAVE, "mode": self._leave_mode()})

    def _stop_progress(self) -> bool:
        if self.coordinator is None:
            for child in list(self.children.values()):
                if child.role != ROLE_REST and not child.stopping:
                    self.stop_child(child)
        return super()._stop_progress()

    def _cleanup(self) -> None:
        self._release_host_resources()  # no offsets file to save: offsets live in the offsets topic
