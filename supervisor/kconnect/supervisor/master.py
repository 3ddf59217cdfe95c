"""The supervisor's master loop (standalone mode).

Shaped after gunicorn's arbiter: signal handlers only enqueue; one place reaps; every pass
rebuilds the desired set of children from the herder's state and starts or stops processes to
match. The master never holds a Kafka client and starts no threads, so forking is always safe;
records never pass through it, only control messages.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import selectors
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

from kconnect.ipc import messages as m
from kconnect.ipc.codec import FrameError, FrameReader, Message, encode
from kconnect.supervisor import restarts
from kconnect.supervisor.children import (
    ROLE_ADMIN,
    ROLE_CONNECTOR,
    ROLE_REST,
    ROLE_SINK_TASK,
    ROLE_SOURCE_TASK,
    ROLE_VALIDATE,
    Child,
    describe_exit,
    spawn_command,
    spawn_worker_child,
)
from kconnect.supervisor.config_reload import ConfigReloads
from kconnect.supervisor.herder import (
    FAILED,
    PAUSED,
    RUNNING,
    TARGET_PAUSED,
    TARGET_STARTED,
    TARGET_STOPPED,
    UNASSIGNED,
    ConnectorEntry,
    HerderError,
    StandaloneHerder,
    Status,
    TaskSlot,
)
from kconnect.supervisor.lifecycle import ProbeTarget, ServiceLifecycle, summarize
from kconnect.supervisor.limits import TaskLimiter
from kconnect.supervisor.metrics_book import MetricsBook
from kconnect.supervisor.offsets_file import OffsetsFile
from kconnect.supervisor.operations import Operations
from kconnect.supervisor.reexec import RestartInPlace
from kconnect.supervisor.sdnotify import strip_systemd_env
from kconnect.workers.logformat import about
from kconnect.workers.worker_config import RestartPolicy

logger = logging.getLogger(__name__)

TICK_S = 0.25
VALIDATION_TIMEOUT_S = 90.0
# Admin operations (plugin listings, offsets) wait on Kafka, not connector code: Java's REST timeout.
REST_REQUEST_TIMEOUT_S = 90.0
# A child that sent nothing for this long is considered wedged and killed (its heartbeat is 1 s).
HEARTBEAT_TIMEOUT_S = 30.0

ReplyFn = Callable[[int, Any], None]


class Master:
    def __init__(
        self,
        *,
        worker_props: dict[str, str],
        herder: StandaloneHerder,
        offsets: OffsetsFile,
        policy_for: Callable[[dict[str, str]], RestartPolicy],
        shutdown_timeout_ms: int,
        rest_argv: list[list[str]] | None,  # one command line per REST server process
        control_path: str,
        log_level: str = "INFO",
        operation_timeout_s: float = VALIDATION_TIMEOUT_S,
        probe_target: ProbeTarget | None = None,  # the REST listener whose /health gates READY=1
    ) -> None:
        self.operation_timeout_s = operation_timeout_s
        self.worker_props = worker_props
        self.herder = herder
        self.offsets = offsets
        self.policy_for = policy_for
        self.shutdown_timeout_s = shutdown_timeout_ms / 1000.0
        self.rest_argv = rest_argv
        self.control_path = control_path
        self.log_level = log_level
        self.children: dict[int, Child] = {}
        self.selector = selectors.DefaultSelector()
        self.signals: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.stopping_since: float | None = None
        self.restart_in_place = False  # SIGUSR2: after the graceful stop, run() raises RestartInPlace
        self.exit_code = 0
        self.rest_children: dict[int, Child] = {}  # index in rest_argv -> its running process
        self.rest_restart_at: dict[int, float] = {}
        self._wake_r, self._wake_w = os.pipe()
        self.ops = Operations(self)
        self.config_reloads = ConfigReloads(self)
        self.metrics = MetricsBook(self)
        self.exit_waiters: list[tuple[set[int], Callable[[], None]]] = []
        self.task_config_waiters: dict[str, list[Callable[[], None]]] = {}
        self.env = dict(os.environ)
        self.env["KCONNECT_CONTROL_SOCKET"] = control_path
        self.env["PYTHONUNBUFFERED"] = "1"
        self.limits = TaskLimiter.detect(worker_props)
        # systemd notifications: READY/WATCHDOG/STOPPING come from this process only.
        self.lifecycle = ServiceLifecycle(probe_target=probe_target)
        strip_systemd_env(self.env)

    # --- setup -------------------------------------------------------------------------------
    def install_signals(self) -> None:
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        signal.set_wakeup_fd(self._wake_w)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP, signal.SIGUSR2):
            signal.signal(sig, self._enqueue_signal)
        self.selector.register(self._wake_r, selectors.EVENT_READ, self._drain_wakeup)

    def _enqueue_signal(self, signum: int, _frame: Any) -> None:
        self.signals.put(signum)  # nothing else here: no logging, no I/O (gunicorn's rule)

    def _drain_wakeup(self, _fd: Any) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 512):
                pass

    def open_control_socket(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.control_path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self.control_path)
        os.chmod(self.control_path, 0o600)
        server.listen(64)
        server.setblocking(False)
        self.selector.register(server, selectors.EVENT_READ, self._accept_control)

    # --- main loop ---------------------------------------------------------------------------
    def run(self) -> int:
        while True:
            for key, _events in self.selector.select(TICK_S):
                try:
                    key.data(key.fileobj)
                except Exception:
                    # Nothing a child or a client sends may take the supervisor down: log and go on.
                    logger.exception("Error while handling an event; the supervisor carries on")
            self._handle_signals()
            self._reap()
            self.limits.check()
            self.lifecycle.tick(self.selector, bool(self.rest_children), self._status_summary)
            if self.stopping_since is not None:
                if self._stop_progress():
                    break
                continue
            self._expire_deadlines()
            self.config_reloads.fire_due()
            self._reconcile()
        self._cleanup()
        if self.restart_in_place:
            raise RestartInPlace  # cli.main re-executes once the callers' finally blocks have run
        return self.exit_code

    def _handle_signals(self) -> None:
        while True:
            try:
                signum = self.signals.get_nowait()
            except queue.Empty:
                return
            if signum == signal.SIGUSR2:
                self._restart_signal()
            elif signum in (signal.SIGTERM, signal.SIGINT) and self.stopping_since is None:
                logger.info("Received %s: stopping gracefully", signal.Signals(signum).name)
                self._begin_stop()
            elif signum in (signal.SIGTERM, signal.SIGINT) and self.restart_in_place:
                logger.info("Received %s during a restart in place: stopping instead", signal.Signals(signum).name)
                self.restart_in_place = False
                self.lifecycle.begin_stop(len(self.children))  # STOPPING=1 after the RELOADING=1
                self._restart_cancelled()
            elif signum in (signal.SIGTERM, signal.SIGINT):
                logger.info("Second stop signal: killing remaining processes now")
                for child in list(self.children.values()):
                    child.kill()
            # SIGCHLD needs nothing here: _reap runs every pass. SIGHUP: reserved for reload.

    def _restart_signal(self) -> None:
        """SIGUSR2: restart in place - the graceful stop of SIGTERM, then a re-exec (reexec.py)."""
        if self.stopping_since is not None:
            logger.info("Received SIGUSR2 while stopping: ignored")
            return
        logger.info("Received SIGUSR2: restarting in place (graceful stop, then re-exec)")
        self.restart_in_place = True
        self._begin_stop()

    def _restart_cancelled(self) -> None:
        """A stop signal arrived during a restart's drain: the drain goes on, no re-exec follows."""

    # --- the one place that reaps ---------------------------------------------------------------
    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.pop(pid, None)
            if child is None:
                continue
            child.proc.returncode = os.waitstatus_to_exitcode(status)
            limit_cause = self.limits.exit_cause(pid, status)  # observed here, never self-reported
            self.limits.release(pid)
            if child.sock is not None:
                # Deliver anything the child wrote before dying (its FAILED trace, final offsets).
                self._read_child(child, drain=True)
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.unregister(child.sock)
                child.sock.close()
            if limit_cause is not None:
                child.failure_trace = limit_cause
            self.metrics.on_exit(child, status)
            try:
                self._on_exit(child, status)
            except Exception:
                logger.exception("Error while handling the exit of %s pid %d", child.role, pid, extra=child.log_subject)
            for pids, callback in list(self.exit_waiters):
                pids.discard(pid)
                if not pids:
                    self.exit_waiters.remove((pids, callback))
                    callback()

    def _on_exit(self, child: Child, status: int) -> None:
        if child.on_exit is not None:
            child.on_exit(child, status)
            return
        if child.role == ROLE_REST:
            index = next((i for i, c in self.rest_children.items() if c is child), -1)
            self.rest_children.pop(index, None)
            if self.stopping_since is None:
                logger.error("REST server exited (%s); restarting it", describe_exit(status))
                self.rest_restart_at[index] = time.monotonic() + 1.0
            return
        entry = self.herder.connectors.get(child.connector)
        if entry is None or child.stopping:
            if entry is not None and child.role in (ROLE_SOURCE_TASK, ROLE_SINK_TASK):
                slot = entry.tasks.get(child.task_id)
                if slot is not None and slot.status.state != FAILED:
                    slot.status = Status(UNASSIGNED)
            return
        trace = child.failure_trace or describe_exit(status)
        ran_ms = int((time.monotonic() - child.started_at) * 1000)
        if child.role == ROLE_CONNECTOR:
            entry.status = Status(FAILED, trace.replace("Task process", "Connector process"))
            self.fire_task_config_waiters(entry.name)
            logger.error("Connector %s failed: %s", entry.name, entry.status.trace, extra=child.log_subject)
            return
        slot = entry.tasks.setdefault(child.task_id, TaskSlot())
        slot.status = Status(FAILED, trace)
        decision = restarts.after_failure(entry.policy, slot.attempts, ran_ms)
        slot.attempts = decision.attempts
        if decision.restart:
            slot.restart_at = time.monotonic() + decision.delay_ms / 1000.0
            logger.warning(
                "Task %s-%d failed (%s); restarting in %d ms (attempt %d)",
                entry.name,
                child.task_id,
                trace.splitlines()[-1] if trace else "",
                decision.delay_ms,
                decision.attempts,
                extra=child.log_subject,
            )
        else:
            slot.given_up = True
            slot.restart_at = None
            logger.error(
                "Task %s-%d failed and will not be restarted automatically",
                entry.name,
                child.task_id,
                extra=child.log_subject,
            )

    # --- child messages -----------------------------------------------------------------------
    def _read_child(self, child: Child, drain: bool = False) -> None:
        assert child.sock is not None
        while True:
            try:
                data = child.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                if not drain:
                    with contextlib.suppress(KeyError, ValueError):
                        self.selector.unregister(child.sock)
                return
            child.last_heartbeat = time.monotonic()
            try:
                for msg in child.reader.feed(data):
                    self._on_child_message(child, msg)
            except FrameError:
                logger.exception("Bad frame from %s pid %d; killing it", child.role, child.pid, extra=child.log_subject)
                child.kill()
                return

    def _on_child_message(self, child: Child, msg: Message) -> None:
        self.metrics.on_message(child, msg)
        if child.on_message is not None:
            child.on_message(child, msg)
            return
        kind = msg["type"]
        entry = self.herder.connectors.get(child.connector)
        if kind == m.OFFSETS:
            # Persist even if the connector was deleted meanwhile: these records reached Kafka.
            self.offsets.update(msg["offsets"])
            return
        if kind == m.FAILED:
            child.failure_trace = msg.get("trace")
            return
        if entry is None or child.stopping:
            return
        if kind == m.HELLO:
            child.hello = True
            state = PAUSED if entry.target == TARGET_PAUSED else RUNNING
            if child.role == ROLE_CONNECTOR:
                entry.status = Status(state)
            else:
                slot = entry.tasks.setdefault(child.task_id, TaskSlot())
                slot.status = Status(state)
                if entry.target == TARGET_PAUSED:
                    child.send({"type": m.PAUSE})
        elif kind == m.TASK_CONFIGS:
            child.deadline = None
            configs = [dict(c) for c in msg["configs"]]
            if configs != entry.task_configs:
                logger.info(
                    "Connector %s generated %d task config(s)", entry.name, len(configs), extra=about(entry.name)
                )
                entry.task_configs = configs
                # Tasks with changed configs restart; surplus tasks stop (Kafka Connect's rule).
                for other in self.children.values():
                    if other.connector == entry.name and other.role in (ROLE_SOURCE_TASK, ROLE_SINK_TASK):
                        self.stop_child(other)
                entry.tasks = {i: entry.tasks.get(i, TaskSlot()) for i in range(len(configs))}
            self.fire_task_config_waiters(entry.name)
        elif kind == m.CONFIG_TTL:
            self.config_reloads.schedule(entry, msg.get("ttls") or {})
        elif kind == m.HEARTBEAT:
            child.stats = msg.get("stats") or {}
            entry.active_topics.update(child.stats.get("topics") or ())

    def restart_for_config_reload(self, name: str) -> None:
        """Config-provider values of ``name`` expired (config_reload): restart it and its tasks."""
        self.ops.op_restart_connector({"name": name, "include_tasks": "true"}, lambda _s, _b: None)

    # --- control socket (REST processes) ------------------------------------------------------
    def _accept_control(self, server: socket.socket) -> None:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            return
        conn.setblocking(False)
        reader = FrameReader()
        self.selector.register(conn, selectors.EVENT_READ, lambda c: self._read_control(c, reader))

    def _read_control(self, conn: socket.socket, reader: FrameReader) -> None:
        try:
            data = conn.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(conn)
            conn.close()
            return
        try:
            for msg in reader.feed(data):
                self._on_request(conn, msg)
        except FrameError:
            self.selector.unregister(conn)
            conn.close()

    def _on_request(self, conn: socket.socket, msg: Message) -> None:
        request_id = msg.get("id")

        def reply(status: int, body: Any) -> None:
            frame = encode({"type": m.REPLY, "id": request_id, "status": status, "body": body})
            with contextlib.suppress(OSError):
                conn.setblocking(True)
                conn.sendall(frame)
                conn.setblocking(False)

        try:
            # Arguments travel as JSON text: JSON can carry what a REST client sent (integers beyond
            # 64 bits, lone surrogates), msgpack cannot.
            args = json.loads(msg["args_json"]) if "args_json" in msg else msg.get("args") or {}
            self.dispatch(msg.get("op", ""), args, reply)
        except HerderError as e:
            reply(e.code, {"error_code": e.code, "message": e.message})
        except Exception as e:  # a bug must not take the supervisor down
            logger.exception("Request %s failed", msg.get("op"))
            reply(500, {"error_code": 500, "message": str(e)})

    def dispatch(self, op: str, args: dict[str, Any], reply: ReplyFn) -> None:
        self.ops.dispatch(op, args, reply)

    # --- connector creation (validation runs in a child with a deadline) ----------------------
    def run_oneshot(
        self,
        role: str,
        bootstrap: Message,
        timeout_s: float,
        answer_type: str,
        on_answer: Callable[[Message], None],
        on_failure: Callable[[str], None],
    ) -> None:
        """Run connector code or a Kafka client call in a short-lived child, under a deadline.

        Exactly one of ``on_answer`` (the child's ``answer_type`` message) or ``on_failure`` (the
        child died first: "Request timed out" past the deadline, else the cause) is called.
        """
        child = spawn_worker_child(role, bootstrap.get("connector", ""), -1, bootstrap, self.env)
        child.deadline = time.monotonic() + timeout_s
        answered = False

        def on_message(c: Child, msg: Message) -> None:
            nonlocal answered
            if msg["type"] == answer_type and not answered:
                answered = True
                try:
                    on_answer(msg)
                except Exception as e:
                    logger.exception("Handling the answer of a %s child failed", role)
                    on_failure(f"{type(e).__name__}: {e}")

        def on_exit(c: Child, status: int) -> None:
            nonlocal answered
            if not answered:
                answered = True
                on_failure("Request timed out" if c.timed_out else (c.failure_trace or describe_exit(status)))

        child.on_message = on_message
        child.on_exit = on_exit
        self._track(child)

    def validate(self, config: dict[str, str], done: Callable[[dict[str, Any] | None, str | None], None]) -> None:
        """Validate a connector config in a child (connector code never runs here)."""
        if not config.get("connector.class"):
            done(None, "Connector config contains no connector type")
            return
        bootstrap = {
            "connector": config.get("name", ""),
            "task_id": -1,
            "worker": self.worker_props,
            "connector_config": config,
            "log_level": self.log_level,
        }
        self.run_oneshot(
            ROLE_VALIDATE,
            bootstrap,
            self.operation_timeout_s,
            m.VALIDATED,
            lambda msg: done(msg.get("infos"), msg.get("error")),
            lambda cause: done(None, cause.replace("Task process", "Validation")),
        )

    def add_connector(
        self, name: str, config: dict[str, str], infos: dict[str, Any], initial_state: str | None
    ) -> dict[str, Any]:
        target = {
            None: TARGET_STARTED,
            "RUNNING": TARGET_STARTED,
            "PAUSED": TARGET_PAUSED,
            "STOPPED": TARGET_STOPPED,
        }.get((initial_state or "").upper() or None, TARGET_STARTED)
        entry = ConnectorEntry(
            name=name,
            config=dict(config),
            type=str(infos.get("connector_type", "unknown")),
            version=str(infos.get("connector_version", "unknown")),
            target=target,
            policy=self.policy_for(config),
        )
        if target == TARGET_STOPPED:
            entry.status = Status("STOPPED")
        elif target == TARGET_PAUSED:
            entry.status = Status(PAUSED)
        return self.herder.add_connector(entry)

    # --- reconciliation: make processes match the herder ----------------------------------------
    def _reconcile(self) -> None:
        now = time.monotonic()
        for index, argv in enumerate(self.rest_argv or []):
            if index not in self.rest_children and now >= self.rest_restart_at.get(index, 0.0):
                self.rest_children[index] = spawn_command(ROLE_REST, argv, self.env)
                self.children[self.rest_children[index].pid] = self.rest_children[index]
                self.metrics.on_start(self.rest_children[index])
        running: dict[tuple[str, int], Child] = {}
        connectors_running: set[str] = set()
        for child in self.children.values():
            # A stopping child still owns its key: its replacement starts only after it exited,
            # so two processes never run the same task at once.
            if child.role == ROLE_CONNECTOR:
                connectors_running.add(child.connector)
            elif child.role in (ROLE_SOURCE_TASK, ROLE_SINK_TASK):
                running[child.key] = child
        for entry in self.herder.connectors.values():
            if entry.target == TARGET_STOPPED:
                continue
            if entry.target == TARGET_PAUSED and entry.task_configs is None and entry.name not in connectors_running:
                continue  # created PAUSED: like Java, the connector starts (and makes tasks) only on resume
            if entry.name not in connectors_running and entry.status.state != FAILED:
                self._start_connector(entry)
                if entry.status.state == "RESTARTING":
                    entry.status = Status(UNASSIGNED)
            for task_id, task_config in enumerate(entry.task_configs or []):
                if (entry.name, task_id) in running:
                    continue
                slot = entry.tasks.setdefault(task_id, TaskSlot())
                if slot.given_up or (slot.restart_at is not None and now < slot.restart_at):
                    continue
                if slot.restart_at is not None:
                    slot.restarts += 1
                    slot.restart_at = None
                self._start_task(entry, task_id, task_config)

    def _start_connector(self, entry: ConnectorEntry) -> None:
        child = spawn_worker_child(
            ROLE_CONNECTOR,
            entry.name,
            -1,
            {
                "connector": entry.name,
                "task_id": -1,
                "worker": self.worker_props,
                "connector_config": entry.config,
                "log_level": self.log_level,
                "log_levels": self.ops.bootstrap_levels(),
            },
            self.env,
        )
        # Connector code gets Kafka Connect's 90 s to start and produce task configs.
        child.deadline = time.monotonic() + self.operation_timeout_s
        self._track(child)

    def _start_task(self, entry: ConnectorEntry, task_id: int, task_config: dict[str, str]) -> None:
        role = ROLE_SOURCE_TASK if entry.type == "source" else ROLE_SINK_TASK
        bootstrap: Message = {
            "connector": entry.name,
            "task_id": task_id,
            "worker": self.worker_props,
            "connector_config": entry.config,
            "task_config": task_config,
            "log_level": self.log_level,
            "log_levels": self.ops.bootstrap_levels(),
        }
        if role == ROLE_SOURCE_TASK:
            bootstrap["offsets"] = self.offsets.for_connector(entry.name)
        placement = self.limits.placement_for(entry.name, task_id, self.worker_props, entry.config)
        child = spawn_worker_child(
            role,
            entry.name,
            task_id,
            bootstrap,
            self.env,
            preexec_fn=placement.join_in_child if placement else None,
            before_bootstrap=(lambda pid: self.limits.attach(pid, placement)) if placement else None,
        )
        self._track(child)
        logger.info("Started task %s-%d as pid %d", entry.name, task_id, child.pid, extra=child.log_subject)

    def _track(self, child: Child) -> None:
        self.children[child.pid] = child
        self.metrics.on_start(child)
        if child.sock is not None:
            self.selector.register(child.sock, selectors.EVENT_READ, lambda s, c=child: self._read_child(c))

    def stop_child(self, child: Child) -> None:
        if child.stopping:
            return
        child.stopping = True
        child.kill_at = time.monotonic() + self.shutdown_timeout_s
        if not child.send({"type": m.STOP}):
            child.signal(signal.SIGTERM)

    def stop_connector_processes(self, name: str) -> None:
        for child in list(self.children.values()):
            if child.connector == name and child.role != ROLE_VALIDATE:
                self.stop_child(child)

    def _expire_deadlines(self) -> None:
        now = time.monotonic()
        for child in list(self.children.values()):
            if child.kill_at is not None and now >= child.kill_at:
                logger.warning(
                    "%s pid %d did not stop in time; killing it", child.role, child.pid, extra=child.log_subject
                )
                child.kill()
                child.kill_at = None
            elif child.deadline is not None and now >= child.deadline:
                if child.role == ROLE_CONNECTOR:
                    limit = f"{self.operation_timeout_s:.0f} s"
                    child.failure_trace = f"Connector process did not start and produce task configs within {limit}"
                    child.exit_reason = "startup_timeout"
                child.kill()
                child.timed_out = True
                child.deadline = None  # killed once; on_exit reports the timeout
            elif (
                child.sock is not None
                and child.role in (ROLE_SOURCE_TASK, ROLE_SINK_TASK, ROLE_CONNECTOR)
                and now - child.last_heartbeat > HEARTBEAT_TIMEOUT_S
            ):
                logger.error(
                    "%s pid %d sent no heartbeat for %.0f s; killing it",
                    child.role,
                    child.pid,
                    now - child.last_heartbeat,
                    extra=child.log_subject,
                )
                child.failure_trace = f"Task process stopped responding (no heartbeat for {HEARTBEAT_TIMEOUT_S:.0f} s)"
                child.exit_reason = "heartbeat_timeout"
                child.kill()
                child.last_heartbeat = now

    def children_of(self, name: str, connector_only: bool = False, include_stopping: bool = False) -> list[Child]:
        """Connector and task processes of connector ``name`` (by default only those not stopping)."""
        roles = (ROLE_CONNECTOR,) if connector_only else (ROLE_CONNECTOR, ROLE_SOURCE_TASK, ROLE_SINK_TASK)
        return [
            c
            for c in self.children.values()
            if c.connector == name and c.role in roles and (include_stopping or not c.stopping)
        ]

    def run_admin(self, op: str, args: dict[str, Any], reply: ReplyFn) -> None:
        """Run a one-shot admin operation in a child (plugin code or a Kafka client); reply with its result."""
        bootstrap = {
            "connector": "",
            "task_id": -1,
            "worker": self.worker_props,
            "op": op,
            "args": args,
            "log_level": self.log_level,
        }
        self.run_oneshot(
            ROLE_ADMIN,
            bootstrap,
            REST_REQUEST_TIMEOUT_S,
            "result",
            lambda msg: reply(int(msg["status"]), msg.get("body")),
            lambda cause: reply(500, {"error_code": 500, "message": cause}),
        )

    def when_task_configs(self, name: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` once connector ``name`` has produced task configs (or failed, or is not
        meant to run): Java's standalone herder answers create and update requests only then."""
        entry = self.herder.connectors.get(name)
        if entry is None or entry.target != TARGET_STARTED or entry.task_configs is not None:
            callback()
        else:
            self.task_config_waiters.setdefault(name, []).append(callback)

    def fire_task_config_waiters(self, name: str) -> None:
        for callback in self.task_config_waiters.pop(name, []):
            callback()

    def when_exited(self, children: list[Child], callback: Callable[[], None]) -> None:
        """Call ``callback`` once all ``children`` have been reaped (at once if there are none)."""
        pids = {c.pid for c in children if c.pid in self.children}
        if not pids:
            callback()
        else:
            self.exit_waiters.append((pids, callback))

    def broadcast_log_level(self, logger_name: str, level: int) -> None:
        for child in self.children.values():
            if child.role != ROLE_REST:
                child.send(
                    {"type": "set_log_level", "logger": None if logger_name == "root" else logger_name, "level": level}
                )

    # --- graceful vs quick stop -----------------------------------------------------------------
    def _status_summary(self) -> str:
        states = [slot.status.state for e in self.herder.connectors.values() for slot in e.tasks.values()]
        return summarize(states, len(self.herder.connectors), len(self.children), self.stopping_since is not None)

    def _begin_stop(self) -> None:
        self._announce_stop_and_stop_rest()
        for child in list(self.children.values()):
            if child.role != ROLE_REST:
                self.stop_child(child)

    def _announce_stop_and_stop_rest(self) -> None:
        """The part of a graceful stop every mode shares: tell systemd, stop serving REST."""
        self.stopping_since = time.monotonic()
        self.lifecycle.begin_stop(len(self.children), restarting=self.restart_in_place)
        for child in list(self.children.values()):
            if child.role == ROLE_REST:
                child.signal(signal.SIGTERM)
                child.stopping = True
                child.kill_at = time.monotonic() + self.shutdown_timeout_s

    def _stop_progress(self) -> bool:
        """Graceful stop: tasks drain and commit; past the timeout the rest is killed."""
        if not self.children:
            return True
        now = time.monotonic()
        for child in list(self.children.values()):
            if child.kill_at is not None and now >= child.kill_at:
                logger.warning(
                    "%s pid %d did not stop within the graceful timeout; killing it",
                    child.role,
                    child.pid,
                    extra=child.log_subject,
                )
                child.kill()
                child.kill_at = None
        return False

    def _cleanup(self) -> None:
        self._release_host_resources()
        self.offsets.save()  # standalone's offsets file (distributed mode keeps offsets in Kafka)

    def _release_host_resources(self) -> None:
        self.limits.close()
        self.lifecycle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.control_path)
