"""REST operations of a distributed worker.

Reads answer from the cluster view (the same on every worker). Writes are config-topic records written
by this worker's coordinator; like Java, writes are refused with 409 while this worker is not a settled
member (joining, or a revocation wave in flight), and reads answer 500 before the worker has read the
config topic. Validation runs in a child of this worker exactly as in standalone mode.

Where Java forwards a request to the leader, this worker writes the record itself: every kconnect worker's
coordinator can append to the config topic, and the config topic's order decides (documented difference).
A request for a unit another worker runs (task restart) is answered by that worker: it is forwarded over
HTTP with Java's ``forward`` parameter (see ``rest/app.py``).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kconnect.supervisor.distributed.herder import REBALANCE_READ, REBALANCE_WRITE, DistributedHerder
from kconnect.supervisor.herder import FAILED, TARGET_PAUSED, TARGET_STARTED, TARGET_STOPPED, HerderError
from kconnect.supervisor.operations import (
    ALTERED,
    ALTERED_EXTERNAL,
    NOT_STOPPED,
    RESET,
    RESET_EXTERNAL,
    Operations,
    _bool,
    _check_offsets_shape,
)
from kconnect.workers.inter_worker_keys import InterWorkerKeys, SignatureError
from kconnect.workers.worker_config import WorkerConfig

if TYPE_CHECKING:
    from kconnect.supervisor.distributed.master import DistributedMaster

ReplyFn = Callable[[int, Any], None]

NO_LEADER = "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."
DEFER_WRITES_S = 15.0  # how long a write waits for a revocation wave before Java's 409
_INITIAL = {None: None, "RUNNING": TARGET_STARTED, "PAUSED": TARGET_PAUSED, "STOPPED": TARGET_STOPPED}


class DistributedOperations(Operations):
    master: DistributedMaster
    herder: DistributedHerder

    def __init__(self, master: DistributedMaster) -> None:
        super().__init__(master)
        self.deferred: list[tuple[float, str, dict[str, Any], ReplyFn]] = []  # writes waiting for a rebalance
        self.inter_worker_keys: InterWorkerKeys | None = None  # from the worker config, on first use

    def dispatch(self, op: str, args: dict[str, Any], reply: ReplyFn) -> None:
        # /metrics answers during a rebalance too: that is when its rebalance series matter most
        # Internal requests too: Java checks their signature first (a worker without a session key yet: 503).
        cluster_free = (
            *("server_info", "health", "plugins", "plugin_config", "validate", "metrics", "rest_metrics"),
            *("internal_task_configs", "internal_fence"),
        )
        if op not in cluster_free and "logger" not in op:
            try:
                self.herder.check_readable()
            except HerderError:
                if not self.herder.ready:  # never joined yet: Java's "rebalance expected" at once
                    raise
                # Joined before and momentarily out of a settled membership: like Java's request queue,
                # the request waits for the rebalance (a GET right after a PATCH met this under load).
                self.deferred.append((time.monotonic() + DEFER_WRITES_S, op, args, reply))
                return
        try:
            super().dispatch(op, args, reply)
        except HerderError as e:
            # Java's herder queues a request behind a rebalance in progress (its tick serves requests only once
            # the rebalance is resolved): a write that meets this worker's revocation wave waits for it to end.
            if e.code != 409 or e.message != REBALANCE_WRITE or not self.herder.view.get("live"):
                raise
            self.deferred.append((time.monotonic() + DEFER_WRITES_S, op, args, reply))

    def retry_deferred(self) -> None:
        """Called on every cluster view and master pass: run the writes that waited for the rebalance."""
        pending, self.deferred = self.deferred, []
        now = time.monotonic()
        for deadline, op, args, reply in pending:
            readable = self.herder.ready and bool(self.herder.view.get("live"))
            if not readable and now < deadline:
                self.deferred.append((deadline, op, args, reply))
                continue
            if self.herder.rebalancing and now < deadline:
                self.deferred.append((deadline, op, args, reply))
                continue
            try:
                if not readable:
                    raise HerderError(500, REBALANCE_READ)
                if self.herder.rebalancing:
                    raise HerderError(409, REBALANCE_WRITE)
                super().dispatch(op, args, reply)
            except HerderError as e:
                if e.code == 409 and e.message == REBALANCE_WRITE and now < deadline:
                    self.deferred.append((deadline, op, args, reply))  # still settling: wait on
                    continue
                reply(e.code, {"error_code": e.code, "message": e.message})
            except Exception as e:  # a bug must not take the supervisor down
                reply(500, {"error_code": 500, "message": str(e)})

    def op_health(self, args: dict[str, Any], reply: ReplyFn) -> None:
        # Java (KIP-1017) answers 503 "starting" until the worker has joined: READY=1 waits for it too.
        if not self.herder.ready:
            reply(503, {"status": "starting", "message": "Worker is still starting up."})
            return
        super().op_health(args, reply)

    # --- where Java answers: the leader, or the worker running a unit ---------------------------------
    def _forward(self, url: str | None, args: dict[str, Any], reply: ReplyFn) -> None:
        if url is None:
            raise HerderError(409, NO_LEADER)
        if args.get("forwarded"):  # arrived with forward=false: two hops taken, so the view moved on
            raise HerderError(409, REBALANCE_WRITE)
        reply(307, {"forward_to": url})  # the REST process forwards the HTTP request

    def _at_leader(self, args: dict[str, Any], reply: ReplyFn) -> bool:
        """True if this worker is the leader and handles the request; else it was forwarded (or refused)."""
        self.herder.check_writable()
        if self.herder.is_leader():
            return True
        self._forward(self.herder.leader_url(), args, reply)
        return False

    def _at_owner(self, unit: tuple[str, int], args: dict[str, Any], reply: ReplyFn) -> bool:
        """Java's restart rule: the worker running the unit acts; the leader forwards to it; others to the leader."""
        if self.herder.owner_of(*unit) == self.herder.worker_id and unit in self.master.units:
            return True
        if self.herder.is_leader():
            owner = self.herder.owner_of(*unit)
            self._forward(self.herder.member_url(owner) if owner else None, args, reply)
        else:
            self._forward(self.herder.leader_url(), args, reply)
        return False

    def _written(self, reply: ReplyFn, then: Callable[[Any], None]) -> Callable[[int, Any], None]:
        def done(status: int, body: Any) -> None:
            if status == 409:
                reply(
                    409,
                    {
                        "error_code": 409,
                        "message": "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
                    },
                )
            elif status != 200:
                reply(500, {"error_code": 500, "message": f"Failed to write to the config topic: {body}"})
            else:
                then(body)

        return done

    # --- create / update / delete -----------------------------------------------------------------
    def op_create_connector(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name, config = args["name"], dict(args["config"])
        if not self._at_leader(args, reply):
            return
        self.herder.check_new(name)
        target = _INITIAL.get((args.get("initial_state") or "").upper() or None)

        def validated(infos: dict[str, Any]) -> None:
            self.herder.check_new(name)
            self.herder.check_writable()
            info = {"name": name, "config": config, "tasks": [], "type": str(infos.get("connector_type", "unknown"))}
            self.master.write(
                "put_connector_config",
                {"name": name, "config": config, "target_state": target},
                self._written(reply, lambda _b: reply(201, info)),
            )

        self._validated(config, reply, validated)

    def op_put_config(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name, config = args["name"], dict(args["config"])
        config["name"] = name
        if not self._at_leader(args, reply):
            return

        def validated(infos: dict[str, Any]) -> None:
            entry = self.herder.connectors.get(name)
            tasks = [{"connector": name, "task": i} for i in range(len(entry.task_configs or []))] if entry else []
            info = {"name": name, "config": config, "tasks": tasks, "type": str(infos.get("connector_type", "unknown"))}
            self.master.write(
                "put_connector_config",
                {"name": name, "config": config, "target_state": None},
                self._written(reply, lambda body: reply(200 if body.get("existed") else 201, info)),
            )

        self._validated(config, reply, validated)

    def op_patch_config(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name = args["name"]
        if not self._at_leader(args, reply):
            return
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
        self.op_put_config({"name": name, "config": merged, "forwarded": args.get("forwarded")}, reply)

    def op_delete_connector(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name = args["name"]
        self.herder._get(name)
        if not self._at_leader(args, reply):
            return
        self.master.write("delete_connector", {"name": name}, self._written(reply, lambda _b: reply(204, None)))

    # --- target states ----------------------------------------------------------------------------
    def _target(self, name: str, state: str, status: int, reply: ReplyFn) -> None:
        self._known(name, "Unknown connector {name}")
        self.master.write(
            "target_state", {"name": name, "state": state}, self._written(reply, lambda _b: reply(status, None))
        )

    def op_pause(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self._target(args["name"], TARGET_PAUSED, 202, reply)

    def op_resume(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self._target(args["name"], TARGET_STARTED, 202, reply)

    def op_stop(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self._known(args["name"], "Unknown connector {name}")
        if not self._at_leader(args, reply):
            return
        self._target(args["name"], TARGET_STOPPED, 204, reply)

    # --- statuses ----------------------------------------------------------------------------------
    def op_task_status(self, args: dict[str, Any], reply: ReplyFn) -> None:
        reply(200, self.herder.task_status(args["name"], int(args["task"])))

    # --- active topics (KIP-558): records of the status topic, so every worker answers the same --------
    def op_reset_topics(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self._check_tracking(reset=True)
        name = args["name"]
        if name not in self.herder.connectors:  # Java answers 202 for unknown connectors too
            reply(202, None)
            return
        self.master.write("reset_topics", {"name": name}, self._written(reply, lambda _b: reply(202, None)))

    # --- restarts ----------------------------------------------------------------------------------
    def op_restart_connector(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name = args["name"]
        self.herder.check_writable()
        self._known(name, "Unknown connector: {name}")
        include_tasks, only_failed = _bool(args.get("include_tasks")), _bool(args.get("only_failed"))
        if not include_tasks and not only_failed:  # a plain restart: the worker running the connector
            if self._at_owner((name, -1), args, reply):
                self.master.restart_unit((name, -1))
                reply(204, None)
            return
        if not self._at_leader(args, reply):  # KIP-745: the leader writes a restart request
            return

        def written(_body: Any) -> None:
            if not include_tasks and not only_failed:
                reply(204, None)
            else:
                reply(202, self._restart_plan(name, include_tasks, only_failed))

        self.master.write(
            "restart",
            {"name": name, "include_tasks": include_tasks, "only_failed": only_failed},
            self._written(reply, written),
        )

    def _restart_plan(self, name: str, include_tasks: bool, only_failed: bool) -> dict[str, Any]:
        """Java's 202 answer (KIP-745): the status with every instance the request restarts as RESTARTING."""
        status = self.herder.connector_status(name)

        def planned(item: dict[str, Any]) -> dict[str, Any]:
            if only_failed and item.get("state") != FAILED:
                return item
            return {**item, "state": "RESTARTING"}

        status["connector"] = planned(status["connector"])
        if include_tasks:
            status["tasks"] = [planned(t) for t in status["tasks"]]
        return status

    def op_restart_task(self, args: dict[str, Any], reply: ReplyFn) -> None:
        name, task = args["name"], int(args["task"])
        entry = self._known(name, "Unknown connector: {name}")
        if not 0 <= task < len(entry.task_configs or []):
            raise HerderError(404, f"Unknown task: {name}-{task}")  # Java's distributed herder wording
        if self._at_owner((name, task), args, reply):
            self.master.restart_unit((name, task))
            reply(204, None)

    # --- offsets (KIP-875) -------------------------------------------------------------------------
    def op_get_offsets(self, args: dict[str, Any], reply: ReplyFn) -> None:
        entry = self.herder._get(args["name"])
        if entry.type == "sink":
            self.master.run_admin("sink_offsets", {"connector_config": entry.config}, reply)
            return
        self.master.write("read_offsets", {"name": entry.name}, self._written(reply, lambda body: reply(200, body)))

    def _stopped(self, name: str) -> Any:
        # Java's rule: the target state is STOPPED and the config topic holds no task configs (a stop
        # writes an empty set). Status rows are not consulted: a row left RUNNING by a worker that was
        # revoked or crashed made offsets changes right after /stop answer 400 where Java answers 200.
        entry = self.herder._get(name)
        if entry.target != TARGET_STOPPED or entry.task_configs:
            raise HerderError(400, NOT_STOPPED.replace("{name}", name))
        return entry

    def op_alter_offsets(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self.herder._get(args["name"])
        if not self._at_leader(args, reply):
            return
        entry = self._stopped(args["name"])
        offsets = (args.get("body") or {}).get("offsets") if isinstance(args.get("body"), dict) else None
        if not offsets:
            raise HerderError(400, "Partitions / offsets need to be provided for an alter offsets request")
        _check_offsets_shape(offsets)
        self._change_offsets(entry, offsets, reset=False, reply=reply)

    def op_reset_offsets(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self.herder._get(args["name"])
        if not self._at_leader(args, reply):
            return
        entry = self._stopped(args["name"])
        self._change_offsets(entry, None, reset=True, reply=reply)

    def _change_offsets(self, entry: Any, offsets: list[Any] | None, reset: bool, reply: ReplyFn) -> None:
        if entry.type == "sink":
            super()._change_offsets(entry, offsets, reset, reply)
            return

        # Source offsets: the connector's alterOffsets hook runs in a child (as in standalone), then the
        # coordinator writes the offsets topic (tombstones for every known partition on a reset).
        def with_partitions(known: Any) -> None:
            if reset:
                changes = [{"partition": o["partition"], "offset": None} for o in (known or {}).get("offsets", [])]
            else:
                changes = list(offsets or [])

            def checked(status: int, body: Any) -> None:
                if status != 200:
                    reply(status, body)
                    return
                handled = bool(body.get("connector_handled"))
                messages = {(True, True): RESET, (True, False): RESET_EXTERNAL, (False, True): ALTERED}
                message = messages.get((reset, handled), ALTERED_EXTERNAL)
                self.master.write(
                    "offsets",
                    {"name": entry.name, "offsets": changes, "reset": False},
                    self._written(reply, lambda _b: reply(200, {"message": message})),
                )

            admin_args = {"connector_config": entry.config, "offsets": changes}
            self.master.run_admin("check_source_offsets", admin_args, checked)

        if reset:
            self.master.write("read_offsets", {"name": entry.name}, self._written(reply, with_partitions))
        else:
            with_partitions(None)

    # --- internal endpoints (KIP-507): signed worker-to-worker requests, executed by the leader ----------
    def _check_signature(self, args: dict[str, Any]) -> None:
        """Java checks the signature on every worker the request reaches, before it looks for the leader."""
        if self.inter_worker_keys is None:
            worker = WorkerConfig.from_props(self.master.worker_props, "distributed", log=False)
            self.inter_worker_keys = InterWorkerKeys.from_values(worker.values)
        current = self.herder.view.get("session_key")
        key = base64.b64decode(current["key"]) if current else None
        body = base64.b64decode(str(args.get("body") or ""))
        try:
            self.inter_worker_keys.verify(body, args.get("signature"), args.get("algorithm"), key)
        except SignatureError as e:
            raise HerderError(e.status, e.message) from None

    def _internal_done(self, reply: ReplyFn) -> Callable[[int, Any], None]:
        def answered(body: Any) -> None:
            status = int(body.get("status") or 500)
            reply(status, None if status == 204 else {"error_code": status, "message": body.get("message")})

        return self._written(reply, answered)

    def op_internal_task_configs(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self._check_signature(args)
        if not self._at_leader(args, reply):
            return
        self.master.write(
            "internal_task_configs", {"name": args["name"], "configs": args["configs"]}, self._internal_done(reply)
        )

    def op_internal_fence(self, args: dict[str, Any], reply: ReplyFn) -> None:
        self._check_signature(args)
        if not self._at_leader(args, reply):
            return
        name = args["name"]
        entry = self.herder.connectors.get(name)
        if entry is None:
            raise HerderError(404, f"Connector {name} not found")
        if entry.type != "source":
            raise HerderError(400, f"Connector {name} is not a source connector")
        self.master.write("fence_zombies", {"name": name}, self._internal_done(reply))
