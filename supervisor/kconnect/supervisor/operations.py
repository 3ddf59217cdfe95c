"""Every REST operation of the standalone worker, as the supervisor executes it.

Each operation validates its arguments, changes the herder's state, and leaves the process work
to the master's reconcile pass (start what should run, stop what should not). Operations that
need plugin code or a Kafka client run it in a one-shot child and reply when it answers, so the
supervisor's loop never blocks. Messages and status codes are Kafka Connect 4.3's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kconnect.ipc import messages as m
from kconnect.supervisor.children import ROLE_SINK_TASK, ROLE_SOURCE_TASK, Child
from kconnect.supervisor.herder import (
    FAILED,
    PAUSED,
    RESTARTING,
    RUNNING,
    STOPPED,
    TARGET_PAUSED,
    TARGET_STARTED,
    TARGET_STOPPED,
    HerderError,
    Status,
    TaskSlot,
)
from kconnect.supervisor.loglevels import JAVA_LEVELS, PY_LEVEL, java_level
from kconnect.workers.connector_config import validation_error_message, validation_errors
from kconnect.workers.javafmt import java_map_string
from kconnect.workers.offsets import partition_of_key

if TYPE_CHECKING:
    from kconnect.supervisor.master import Master

ReplyFn = Callable[[int, Any], None]


TIMED_OUT = "Request timed out"
BAD_REQUEST = "org.apache.kafka.connect.runtime.rest.errors.BadRequestException: "
CONNECT_EXCEPTION = "org.apache.kafka.connect.errors.ConnectException: "
JAVA_CONFIG_EXCEPTION = "org.apache.kafka.common.config.ConfigException: "
ALTERED = "The offsets for this connector have been altered successfully"
RESET = "The offsets for this connector have been reset successfully"
ALTERED_EXTERNAL = (
    "The Connect framework-managed offsets for this connector have been altered successfully. However, if this "
    "connector manages offsets externally, they will need to be manually altered in the system that the connector "
    "uses."
)
RESET_EXTERNAL = ALTERED_EXTERNAL.replace("altered", "reset")
NOT_STOPPED = (
    "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the "
    "specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
)


def _bool(value: Any) -> bool:
    return str(value).lower() == "true"


class Operations:
    def __init__(self, master: Master) -> None:
        self.master = master
        self.herder = master.herder
        self.loggers: dict[str, dict[str, Any]] = {}  # set through /admin/loggers: name -> {level, last_modified}

    # --- dispatch ---------------------------------------------------------------------------------
    def dispatch(self, op: str, args: dict[str, Any], reply: ReplyFn) -> None:
        handler = getattr(self, "op_" + op, None)
        if handler is None:
            raise HerderError(404, "HTTP 404 Not Found")
        handler(args, reply)

    # --- Kafka Connect's internal endpoints: distributed mode only (Java's standalone herder throws) ---
    def op_internal_task_configs(self, args: dict[str, Any], reply: ReplyFn) -> None:
        raise HerderError(
            500, "Kafka Connect in standalone mode does not support externally setting task configurations."
        )

    def op_internal_fence(self, args: dict[str, Any], reply: ReplyFn) -> None:
        raise HerderError(500, "Kafka Connect in standalone mode does not support exactly-once source connectors.")

    # --- reads ------------------------------------------------------------------------------------
    def op_server_info(self, args: dict[str, Any], reply: ReplyFn) -> None:
        reply(200, self.herder.server_info())

    def op_health(self, args: dict[str, Any], reply: ReplyFn) -> None:
        # Answered by the master's loop itself: a wedged loop times out here (500 "unhealthy") just as
        # it stops the systemd watchdog pings; a draining worker says so, as STOPPING=1 does.
        if self.master.stopping_since is not None:
            reply(503, {"status": "unhealthy", "message": "Worker is shutting down."})
            return
        reply(200, {"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."})

    # --- metrics (docs/metrics.md): the REST process renders what the book hands over --------------
    def op_metrics(self, args: dict[str, Any], reply: ReplyFn) -> None:
        book = self.master.metrics
        if not book.enabled:
            raise HerderError(404, "Metrics are disabled (kconnect.metrics.enable=false)")
        rest = args.get("rest")
        if isinstance(rest, dict):  # the scraping REST process's own counters, fresher than its last push
            book.push_rest(int(rest["pid"]), rest.get("series") or [])
        reply(200, book.snapshot())

    def op_rest_metrics(self, args: dict[str, Any], reply: ReplyFn) -> None:
        book = self.master.metrics
        if not book.enabled:
            raise HerderError(404, "Metrics are disabled (kconnect.metrics.enable=false)")
        book.push_rest(int(args["pid"]), args.get("series") or [])
        reply(204, None)

    def op_list_connectors(self, args: dict[str, Any], reply: ReplyFn) -> None:
        reply(200, self.herder.list_connectors(list(args.get("expand") or [])))

    def op_connector_info(self, args: dict[str, Any], reply: ReplyFn) -> None:
        reply(200, self.herder.connector_info(args["name"]))

    def op_connector_config(self, args: dict[str, Any], reply: ReplyFn) -> None:
        reply(200, self.herder.connector_config(args["name"]))

    def op_connector_status(self, args: dict[str, Any], reply: ReplyFn) -> None:
        reply(200, self.herder.connector_status(args["name"]))

    def op_connector_tasks(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name = args["name"]
        entry = self.herder._get(name)
        reply(
            200,
            [{"id": {"connector": name, "task": i}, "config": dict(c)} for i, c in enumerate(entry.task_configs or [])],
        )

    def op_tasks_config(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name = args["name"]
        entry = self.herder._get(name)
        reply(200, {f"{name}-{i}": dict(c) for i, c in enumerate(entry.task_configs or [])})

    def op_task_status(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name, task = args["name"], int(args["task"])
        entry = self.herder.connectors.get(name)
        if entry is None or not 0 <= task < len(entry.task_configs or []):
            raise HerderError(404, f"No status found for task {name}-{task}")
        slot = entry.tasks.get(task) or TaskSlot()
        reply(200, {"id": task, **slot.status.render(self.herder.worker_id, entry.version)})

    def op_connector_topics(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self._check_tracking(reset=False)
        name = args["name"]
        entry = self.herder.connectors.get(name)
        topics = sorted(entry.active_topics) if entry is not None else []
        reply(200, {name: {"topics": topics}})

    def op_reset_topics(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self._check_tracking(reset=True)
        entry = self.herder.connectors.get(args["name"])
        if entry is not None:  # Java answers 202 for unknown connectors too
            entry.active_topics.clear()
        reply(202, None)

    def _check_tracking(self, reset: bool) -> None:
        worker = self.master.worker_props
        if worker.get("topic.tracking.enable", "true").lower() == "false":
            raise HerderError(403, "Topic tracking is disabled.")
        if reset and worker.get("topic.tracking.allow.reset", "true").lower() == "false":
            raise HerderError(403, "Topic tracking reset is disabled.")

    # --- create / update / delete -----------------------------------------------------------------
    def op_create_connector(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name, config = args["name"], args["config"]
        self.herder.check_new(name)

        def done(infos: dict[str, Any]) -> None:
            self.herder.check_new(name)
            self.master.add_connector(name, config, infos, args.get("initial_state"))
            if not self._failed_to_start(name, infos, reply):
                self._reply_with_tasks(name, 201, reply)

        self._validated(config, reply, done)

    def op_put_config(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name, config = args["name"], dict(args["config"])
        config["name"] = name

        def done(infos: dict[str, Any]) -> None:
            if name not in self.herder.connectors:
                self.master.add_connector(name, config, infos, None)
                if not self._failed_to_start(name, infos, reply):
                    self._reply_with_tasks(name, 201, reply)
                return
            self._replace_config(name, config, infos)
            if not self._failed_to_start(name, infos, reply):
                self._reply_with_tasks(name, 200, reply)

        self._validated(config, reply, done)

    def op_patch_config(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name = args["name"]
        entry = self.herder._get(name)
        merged = dict(entry.config)
        for key, value in args["patch"].items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if merged.get("name", name) != name:
            raise HerderError(
                400, f"Connector name configuration ({merged['name']}) doesn't match connector name in the URL ({name})"
            )
        merged["name"] = name

        def done(infos: dict[str, Any]) -> None:
            self._replace_config(name, merged, infos)
            if not self._failed_to_start(name, infos, reply):
                self._reply_with_tasks(name, 200, reply)

        self._validated(merged, reply, done)

    def _failed_to_start(self, name: str, infos: dict[str, Any], reply: ReplyFn) -> bool:
        """Invalid topic.creation.* settings: Java's standalone herder answers 500 and keeps the connector,
        which fails (with no version: it was never instantiated). The validating child found the reason
        (``start_failure``); the connector process fails the same way."""
        entry = self.herder.connectors.get(name)
        failure = infos.get("start_failure")
        if not failure or entry is None or entry.target == TARGET_STOPPED:
            return False
        entry.instantiated = False
        reply(500, {"error_code": 500, "message": failure})
        return True

    def _reply_with_tasks(self, name: str, status: int, reply: ReplyFn) -> None:
        """Answer with the ConnectorInfo once the connector generated its task configs, as Java does."""
        snapshot = self.herder.connector_info(name)

        def answer() -> None:
            entry = self.herder.connectors.get(name)
            reply(status, entry.info() if entry is not None else snapshot)

        self.master.when_task_configs(name, answer)

    def _replace_config(self, name: str, config: dict[str, str], infos: dict[str, Any]) -> None:
        entry = self.herder._get(name)
        entry.config = dict(config)
        entry.policy = self.master.policy_for(config)
        entry.type = str(infos.get("connector_type", entry.type))
        entry.version = str(infos.get("connector_version", entry.version))
        entry.instantiated = True
        if entry.status.state == FAILED:
            entry.status = Status()  # a new config starts a failed connector afresh, as in Java
        if infos.get("start_failure") and entry.target != TARGET_STOPPED:
            # As Java: only the connector restarts (and fails); the tasks keep running on their old configs.
            for child in self.master.children_of(name, connector_only=True):
                self.master.stop_child(child)
            return
        # A new config restarts the connector and its tasks (new task configs follow from the connector).
        self.master.stop_connector_processes(name)
        entry.task_configs = None if entry.target != TARGET_STOPPED else []
        entry.tasks = {}

    def op_delete_connector(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self.herder.delete_connector(args["name"])
        self.master.stop_connector_processes(args["name"])
        self.master.fire_task_config_waiters(args["name"])
        reply(204, None)

    def op_validate(self, args: dict[str, Any], reply: ReplyFn) -> None:
        config = args["config"]
        plugin_type = args.get("plugin_type", "")
        connector_class = config.get("connector.class")
        if not connector_class:
            raise HerderError(500, BAD_REQUEST + no_connector_type(config))

        def strip(s: str) -> str:
            return s[: -len("Connector")] if s.endswith("Connector") else s

        if plugin_type and not strip(connector_class).endswith(strip(plugin_type)):
            raise HerderError(
                400, f"Included connector type {connector_class} does not match request type {plugin_type}"
            )

        def done(infos: dict[str, Any] | None, error: str | None) -> None:
            if error is not None or infos is None:
                # Java wraps validation failures of the request itself in a 500 here.
                # (A client override that does not parse fails with Java's ConfigException text.)
                verbatim = error is not None and (error == TIMED_OUT or error.startswith(JAVA_CONFIG_EXCEPTION))
                message = str(error) if verbatim else BAD_REQUEST + str(error)
                reply(500, {"error_code": 500, "message": message})
                return
            reply(
                200,
                {k: v for k, v in infos.items() if k not in ("connector_type", "connector_version", "start_failure")},
            )

        self.master.validate(config, done)

    def _validated(self, config: dict[str, str], reply: ReplyFn, then: Callable[[dict[str, Any]], None]) -> None:
        """Validate ``config`` in a child; on success call ``then(infos)``, else reply 400 as Java does."""
        if not config.get("connector.class"):
            raise HerderError(400, no_connector_type(config))
        for value in config.values():
            if value is None:
                raise HerderError(
                    400,
                    validation_error_message(
                        {
                            "error_count": 1,
                            "configs": [
                                {"value": {"errors": ["Null value can not be supplied as the configuration value."]}}
                            ],
                        }
                    ).replace("{connectorType}", "{connectorType}"),
                )

        def done(infos: dict[str, Any] | None, error: str | None) -> None:
            if error is not None or infos is None:
                if error == TIMED_OUT:
                    reply(500, {"error_code": 500, "message": error})
                else:
                    reply(400, {"error_code": 400, "message": CONNECT_EXCEPTION + str(error)})
                return
            if validation_errors(infos):
                reply(400, {"error_code": 400, "message": validation_error_message(infos)})
                return
            try:
                then(infos)
            except HerderError as e:
                reply(e.code, {"error_code": e.code, "message": e.message})

        self.master.validate(config, done)

    # --- target states ----------------------------------------------------------------------------
    def op_pause(self, args: dict[str, Any], reply: ReplyFn) -> None:
        entry = self._known(args["name"], "Unknown connector {name}")
        if entry.target != TARGET_STOPPED:
            entry.target = TARGET_PAUSED
            for child in self.master.children_of(entry.name):
                child.send({"type": m.PAUSE})
                self._set_state(entry, child, PAUSED)
        else:
            entry.target = TARGET_PAUSED
        reply(202, None)

    def op_resume(self, args: dict[str, Any], reply: ReplyFn) -> None:
        entry = self._known(args["name"], "Unknown connector {name}")
        was = entry.target
        entry.target = TARGET_STARTED
        if was == TARGET_STOPPED or not self.master.children_of(entry.name, connector_only=True):
            entry.status = Status()  # UNASSIGNED until the connector process says hello
        if was == TARGET_STOPPED:
            entry.task_configs = None
        for child in self.master.children_of(entry.name):
            child.send({"type": m.RESUME})
            self._set_state(entry, child, RUNNING)
        reply(202, None)

    def op_stop(self, args: dict[str, Any], reply: ReplyFn) -> None:
        entry = self._known(args["name"], "Unknown connector {name}")
        entry.target = TARGET_STOPPED
        self.master.stop_connector_processes(entry.name)
        entry.task_configs = []
        entry.tasks = {}
        entry.status = Status(STOPPED)
        # Like Java's standalone herder, answer once the connector and its tasks have really stopped,
        # so an offsets request right after /stop finds the connector STOPPED.
        self.master.when_exited(self.master.children_of(entry.name, include_stopping=True), lambda: reply(204, None))

    def _set_state(self, entry: Any, child: Child, state: str) -> None:
        if not child.hello:
            return
        if child.role in (ROLE_SOURCE_TASK, ROLE_SINK_TASK):
            slot = entry.tasks.setdefault(child.task_id, TaskSlot())
            if slot.status.state in (RUNNING, PAUSED):
                slot.status = Status(state)
        elif entry.status.state in (RUNNING, PAUSED):
            entry.status = Status(state)

    def _known(self, name: str, message: str) -> Any:
        entry = self.herder.connectors.get(name)
        if entry is None:
            raise HerderError(404, message.format(name=name))
        return entry

    # --- restarts ----------------------------------------------------------------------------------
    def op_restart_connector(self, args: dict[str, Any], reply: ReplyFn) -> None:
        entry = self._known(args["name"], "Unknown connector: {name}")
        include_tasks, only_failed = _bool(args.get("include_tasks")), _bool(args.get("only_failed"))
        restart_connector = not only_failed or entry.status.state == FAILED
        tasks = [
            i
            for i in range(len(entry.task_configs or []))
            if include_tasks and (not only_failed or (entry.tasks.get(i) or TaskSlot()).status.state == FAILED)
        ]
        if restart_connector and entry.target != TARGET_STOPPED:
            for child in self.master.children_of(entry.name, connector_only=True):
                self.master.stop_child(child)
            entry.status = Status(RESTARTING)
        for task_id in tasks:
            self._restart_task(entry, task_id)
        if not include_tasks and not only_failed:
            reply(204, None)
            return
        reply(202, self.herder.connector_status(entry.name))

    def op_restart_task(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name, task = args["name"], int(args["task"])
        entry = self._known(name, "Unknown connector: {name}")
        if not 0 <= task < len(entry.task_configs or []):
            raise HerderError(404, f"Task {name}-{task} not found")
        self._restart_task(entry, task)
        reply(204, None)

    def _restart_task(self, entry: Any, task_id: int) -> None:
        for child in self.master.children_of(entry.name):
            if child.task_id == task_id and child.role in (ROLE_SOURCE_TASK, ROLE_SINK_TASK):
                self.master.stop_child(child)
        slot = entry.tasks.setdefault(task_id, TaskSlot())
        slot.status = Status(RESTARTING)
        slot.given_up = False
        slot.attempts = 0
        slot.restart_at = None

    # --- offsets (KIP-875) -------------------------------------------------------------------------
    def op_get_offsets(self, args: dict[str, Any], reply: ReplyFn) -> None:
        entry = self.herder._get(args["name"])
        if entry.type == "sink":
            self.master.run_admin("sink_offsets", {"connector_config": entry.config}, reply)
            return
        offsets = []
        for key, offset in sorted(self.master.offsets.for_connector(entry.name).items()):
            if offset is None:
                continue
            offsets.append({"partition": partition_of_key(key)[1], "offset": offset})
        reply(200, {"offsets": offsets})

    def _stopped(self, name: str) -> Any:
        entry = self.herder._get(name)
        if entry.target != TARGET_STOPPED or self.master.children_of(name, include_stopping=True):
            raise HerderError(400, NOT_STOPPED.replace("{name}", name))
        return entry

    def op_alter_offsets(self, args: dict[str, Any], reply: ReplyFn) -> None:
        entry = self._stopped(args["name"])
        offsets = (args.get("body") or {}).get("offsets") if isinstance(args.get("body"), dict) else None
        if not offsets:
            raise HerderError(400, "Partitions / offsets need to be provided for an alter offsets request")
        _check_offsets_shape(offsets)
        self._change_offsets(entry, offsets, reset=False, reply=reply)

    def op_reset_offsets(self, args: dict[str, Any], reply: ReplyFn) -> None:
        entry = self._stopped(args["name"])
        self._change_offsets(entry, None, reset=True, reply=reply)

    def _change_offsets(self, entry: Any, offsets: list[Any] | None, reset: bool, reply: ReplyFn) -> None:
        if entry.type == "sink":
            op = "reset_sink_offsets" if reset else "alter_sink_offsets"
            admin_args: dict[str, Any] = {"connector_config": entry.config, "offsets": offsets}
        else:
            if reset:
                offsets = [{"partition": p, "offset": None} for p in self._source_partitions(entry.name)]
            op = "check_source_offsets"
            admin_args = {"connector_config": entry.config, "offsets": offsets}

        def done(status: int, body: Any) -> None:
            if status != 200:
                reply(status, body)
                return
            if entry.type != "sink":
                from kconnect.workers.offsets import offset_key

                self.master.offsets.update(
                    {offset_key(entry.name, o["partition"]): o.get("offset") for o in offsets or []}
                )
            handled = bool(body.get("connector_handled"))
            message = (RESET if handled else RESET_EXTERNAL) if reset else (ALTERED if handled else ALTERED_EXTERNAL)
            reply(200, {"message": message})

        self.master.run_admin(op, admin_args, done)

    def _source_partitions(self, name: str) -> list[Any]:
        return [partition_of_key(k)[1] for k, v in self.master.offsets.for_connector(name).items() if v is not None]

    # --- plugins -----------------------------------------------------------------------------------
    def op_plugins(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self.master.run_admin("plugins", {"connectors_only": args.get("connectors_only", True)}, reply)

    def op_plugin_config(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self.master.run_admin("plugin_config", {"plugin": args["plugin"], "version": args.get("version")}, reply)

    # --- loggers -----------------------------------------------------------------------------------
    def op_get_loggers(self, args: dict[str, Any], reply: ReplyFn) -> None:
        import logging

        loggers: dict[str, Any] = {name: dict(item) for name, item in self.loggers.items()}
        loggers.setdefault("root", {"level": java_level(logging.getLogger().level), "last_modified": None})
        reply(200, dict(sorted(loggers.items())))

    def op_get_logger(self, args: dict[str, Any], reply: ReplyFn) -> None:
        import logging

        name = args["logger"]
        if name == "root":
            reply(200, {"level": java_level(logging.getLogger().level), "last_modified": None})
        elif name in self.loggers:
            reply(200, dict(self.loggers[name]))
        else:
            raise HerderError(404, f"Logger {name} not found.")

    def op_set_logger(self, args: dict[str, Any], reply: ReplyFn) -> None:
        import logging

        name, level = args["logger"], str(args.get("level") or "").upper()
        if level not in JAVA_LEVELS:
            raise HerderError(404, f"invalid log level '{args.get('level')}'.")
        now = int(time.time() * 1000)
        # The logger and its known descendants; only those whose level actually changes are reported.
        family = [name] + [n for n in self.loggers if name != "root" and n.startswith(name + ".")]
        affected = [n for n in family if self.loggers.get(n, {}).get("level") != level]
        for n in affected:
            self.loggers[n] = {"level": level, "last_modified": now}
        logging.getLogger(None if name == "root" else name).setLevel(PY_LEVEL[level])
        self.master.broadcast_log_level(name, PY_LEVEL[level])
        if args.get("scope") == "cluster":
            reply(204, None)
        else:
            reply(200, sorted(affected))

    def bootstrap_levels(self) -> dict[str, int]:
        return {name: PY_LEVEL[item["level"]] for name, item in self.loggers.items()}


def _check_offsets_shape(offsets: Any) -> None:
    """Java's Jackson binding rejects anything but a list of {partition: map, offset: map|null} objects."""
    ok = isinstance(offsets, list) and all(
        isinstance(o, dict)
        and isinstance(o.get("partition"), dict)
        and (o.get("offset") is None or isinstance(o.get("offset"), dict))
        for o in offsets
    )
    if not ok:
        raise HerderError(
            400, "Each element of 'offsets' must be an object with a 'partition' map and an 'offset' map or null"
        )
    if _has_huge_int(offsets):
        raise HerderError(400, "Offsets and partitions may only hold integers that fit in 64 bits (a Java long)")


def _has_huge_int(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return not -(2**63) <= value < 2**63
    if isinstance(value, dict):
        return any(_has_huge_int(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_huge_int(v) for v in value)
    return False


def no_connector_type(config: dict[str, Any]) -> str:
    return f"Connector config {java_map_string(config)} contains no connector type"


__all__ = ["Operations"]
