"""The coordinator: the child process of a distributed worker that owns every Kafka client of the mode.

It reads and writes the internal topics (config, status, offsets: ``kconnect.supervisor.stores``), reads and
appends the coordination log, and drives the sans-IO member core (``coordination/member.py``) with real
time (CLOCK_BOOTTIME) and real records. The master learns from it which units run here (``spawn``), when
their leases move (``set_deadline``), which must stop (``stop_unit``) and when to kill everything
(``fence``); it receives a view of the cluster for REST reads. One thread: every loop pass polls the
supervisor link, the coordination log and the stores, then lets the core decide.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from kconnect.ipc.codec import Message, PeerClosed
from kconnect.supervisor.coordination import member as mc
from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.params import from_worker_properties
from kconnect.supervisor.distributed import hbprobe
from kconnect.supervisor.distributed import protocol as p
from kconnect.supervisor.distributed.coordlog import CoordinationLog, CoordinationLogError
from kconnect.supervisor.distributed.fencing import ZombieFencer
from kconnect.supervisor.distributed.internal_writes import InternalWrites
from kconnect.supervisor.distributed.rebalance_stats import RebalanceStats
from kconnect.supervisor.distributed.session_keys import SessionKeyRotation, key_view
from kconnect.supervisor.stores.config_state import ClusterConfigState, ConfigListener
from kconnect.supervisor.stores.formats import RestartRequest, StatusValue
from kconnect.supervisor.stores.kafka_stores import (
    client_id_base,
    create_internal_topics,
    internal_client_config,
    open_internal_stores,
)
from kconnect.supervisor.stores.log import StoreError
from kconnect.supervisor.stores.topics import coordination_topic_name
from kconnect.workers.control import SupervisorLink
from kconnect.workers.inter_worker_keys import InterWorkerKeys
from kconnect.workers.offsets import offset_key, partition_of_key
from kconnect.workers.worker_config import WorkerConfig

logger = logging.getLogger("kconnect.coordinator")

TASK_CONFIGS_RETRY_S = 5.0  # backoff before a failed task-config write is tried again
LOOP_S = 0.02  # longest wait in one pass (coordination log poll)
VIEW_EVERY_S = 0.1  # at most this often a new cluster view goes to the master
METRICS_EVERY_S = 1.0  # rebalance/protocol metrics to the master (and at once when a rebalance starts or ends)


def boottime_ms() -> int:
    """CLOCK_BOOTTIME in ms: keeps counting through suspend, never steps (the core's local clock)."""
    return time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1_000_000


def coordination_client_id(base: str, worker_id: str) -> str:
    """``<group.id>[-<client.id>]-coordination-<worker id>``: distinct per worker, so broker-side quotas and
    metrics can name one worker's coordination clients (docs/distributed-scenarios.md uses a fetch quota)."""
    return f"{base}coordination-{re.sub(r'[^A-Za-z0-9._-]', '-', worker_id)}"


def wanted_units(snap: ClusterConfigState) -> list[r.Unit]:
    """Connector instances and committed tasks of every connector that is not STOPPED."""
    units: list[r.Unit] = []
    for name in snap.connectors():
        if snap.target_state(name) == "STOPPED":
            continue
        units.append((name, r.CONNECTOR_TASK))
        units.extend(snap.tasks(name))
    return units


class _Listener(ConfigListener):
    def __init__(self) -> None:
        self.restarts: list[RestartRequest] = []

    def on_restart_request(self, request: RestartRequest) -> None:
        self.restarts.append(request)


class _PluginInfo:
    """Connector type and version by class name (plugin code loads here, never in the supervisor)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, str]] = {}
        self._registry: Any = None

    def of(self, config: Mapping[str, str | None]) -> tuple[str, str]:
        cls_name = str(config.get("connector.class") or "")
        if cls_name not in self._cache:
            try:
                from kconnect.plugins.registry import PluginRegistry, connector_type

                if self._registry is None:
                    self._registry = PluginRegistry.from_entry_points()
                cls = self._registry.connector_class(cls_name)
                self._cache[cls_name] = (connector_type(cls), str(cls.version()))
            except Exception as e:  # an unknown class: the connector process reports the failure
                logger.warning("Cannot load connector class %s: %s", cls_name, e)
                self._cache[cls_name] = ("unknown", "unknown")
        return self._cache[cls_name]


class Coordinator:
    def __init__(self, boot: Mapping[str, Any], link: SupervisorLink) -> None:
        self.link = link
        self.props: dict[str, str] = dict(boot["worker"])
        self.worker = WorkerConfig.from_props(self.props, "distributed", log=False)
        self.worker_id: str = boot["worker_id"]
        self.profile = from_worker_properties(self.props)
        self.listener = _Listener()
        self.plugins = _PluginInfo()
        created = create_internal_topics(self.worker)
        if created:
            logger.info("Created internal topics %s", ", ".join(created))
        self.stores = open_internal_stores(self.worker, self.listener)
        # Statuses and task offset commits are written in the background: this thread also heartbeats,
        # and a broker stall longer than the lease margin must not fence the worker (config writes, which
        # REST requests wait for, still wait).
        self.stores.status.wait_for_writes = False
        self.stores.start()
        fingerprint = r.Fingerprint(
            group_id=str(self.worker.group_id),
            config_topic=str(self.worker.get("config.storage.topic")),
            status_topic=str(self.worker.get("status.storage.topic")),
            offsets_topic=str(self.worker.get("offset.storage.topic")),
        )
        self.log = CoordinationLog(
            coordination_topic_name(self.worker),
            internal_client_config(self.worker, "producer"),
            coordination_client_id(client_id_base(self.worker), self.worker_id),
            self.profile.protocol.lease_ms,
        )
        incarnation = uuid.uuid4().hex
        self.hb_probe = hbprobe.HeartbeatProbe(incarnation)
        self.core = mc.MemberCore(
            worker_id=self.worker_id,
            incarnation=incarnation,
            profile=self.profile,
            fingerprint=fingerprint,
            rest_url=str(boot.get("rest_url") or ""),
        )
        self.snap = self.stores.config.snapshot()
        self.core.set_wanted(wanted_units(self.snap), max(self.snap.offset, 0))
        self.view_dirty = True
        self.view_sent_at = 0.0
        self.leaving = False
        # A frozen supervisor cannot stop or renew its units: past this silence the coordinator exits, so the
        # lease runs out (the units die by their own deadlines) and the cluster moves them.
        self.master_silence_ms = max(2_000, self.profile.protocol.lease_ms // 2)
        self.master_heard_at = boottime_ms()
        # exactly-once sources: fencing of old task generations, and task spawns waiting for it
        self.fencer = ZombieFencer(self.props, internal_client_config(self.worker, "producer"))
        self.waiting_for_fencing: list[mc.Spawn] = []
        self.keeping_lease = False  # inside _keep_lease (it must not re-enter itself)
        self.task_configs_retry: dict[str, tuple[list[dict[str, str]], float]] = {}  # connector -> (configs, due)
        self.pending_failure: CoordinationLogError | None = None
        self.rebalance = RebalanceStats()
        self.metrics_sent_at = 0.0
        # KIP-507: the leader distributes the session key; internal REST requests write through this worker
        self.session_keys = SessionKeyRotation(InterWorkerKeys.from_values(self.worker.values), self._put_session_key)
        self.internal = InternalWrites(
            self.stores.config, internal_client_config(self.worker, "producer"), self.props, self._record_task_count
        )

    # --- start-up ----------------------------------------------------------------------------------
    def start(self) -> None:
        # Anchored bootstrap (docs/coordination-protocol.md): replay from the CLUSTER record at the log start,
        # or from a CHECKPOINT once retention has deleted the start; an empty log gets a CLUSTER record.
        low, high = self.log.bounds(30.0)
        backlog = self.log.read_for_bootstrap(low, high, self.profile.protocol.checkpoint_interval_ms, 60.0)
        logger.info(
            "Coordination topic %s holds offsets %d..%d; replaying %d record(s) from offset %s",
            self.log.topic,
            low,
            high,
            len(backlog),
            backlog[0][0] if backlog else high,
        )
        commands = self.core.bootstrap_from(low, high, boottime_ms())
        if commands:
            logger.info("Coordination topic %s is empty: writing its CLUSTER record", self.log.topic)
        self._run(commands)
        for offset, lat, value in backlog:
            self._feed(offset, lat, value, run=False)
        if not self.core.confirmed:
            logger.info("Waiting for a CHECKPOINT to confirm the replayed coordination state before joining")
        self._run(self.core.start(boottime_ms()))
        # From now on a config-topic write that waits for the broker keeps the lease alive meanwhile.
        self.stores.config.log.while_waiting = self._keep_lease

    def _keep_lease(self) -> None:
        """Runs while a config-topic write (a REST request, task configs, a session key) waits for the broker:
        this thread also heartbeats, and a slow config topic must not cost the lease. Only the coordination
        log and the core are served here; master messages and the stores wait for the write to finish."""
        if self.keeping_lease or self.pending_failure is not None:
            return
        self.keeping_lease = True
        try:
            for offset, lat, value in self.log.poll(0):
                self._feed(offset, lat, value)
            self.log.serve_deliveries()
            self.stores.status.serve_writes()
            self.stores.offsets.serve_writes()
            self._run(self.core.tick(boottime_ms()))
        except CoordinationLogError as e:
            self.pending_failure = e  # raised by the main loop: the write must not swallow a divergence
        finally:
            self.keeping_lease = False

    # --- the loop ----------------------------------------------------------------------------------
    def run(self) -> None:
        self.start()
        self.link.send({"type": p.COORD_READY, "worker_id": self.worker_id})
        while True:
            if self.pending_failure is not None:
                raise self.pending_failure
            if not self._read_master():
                logger.info("The supervisor is gone; the coordinator stops")
                return
            if boottime_ms() - self.master_heard_at > self.master_silence_ms:
                logger.error("The supervisor sent nothing for %d ms; the coordinator stops", self.master_silence_ms)
                return
            for offset, lat, value in self.log.poll(LOOP_S):
                self._feed(offset, lat, value)
            self.log.serve_deliveries()
            self._poll_stores()
            self._retry_task_configs()
            if self.fencer.enabled:
                self._exactly_once_tick()
            self.session_keys.tick(self._is_leader(), self.snap.session_key)
            for reply in self.internal.tick(self._refreshed_snapshot):
                self.link.send({"type": p.WRITE_DONE, **reply})
            self._run(self.core.tick(boottime_ms()))
            if self.core.exited:
                self.link.send({"type": p.EXIT, "reason": self.core.exited})
                return
            if self.core.left:
                self.log.flush(5.0)
                self.link.send({"type": p.EXIT, "reason": "left the cluster"})
                return
            self._send_view()
            self._send_metrics()

    def _feed(self, offset: int, lat: int, value: bytes, run: bool = True) -> None:
        try:
            record = r.decode(value)
        except r.DecodeError as e:
            # Review erratum 18: a record that does not decode halts the referee; fence and stop.
            self.core.exited = f"undecodable coordination record at offset {offset}: {e}"
            self._run([mc.FenceAll(), mc.Exit(self.core.exited)])
            return
        self.hb_probe.read_back(lat, record)
        before = self._view_signature()
        self.rebalance.records_read += 1
        commands = self.core.on_record(offset, lat, record, boottime_ms())
        if run:
            self._run(commands)
        if self._view_signature() != before:
            self.view_dirty = True

    def _view_signature(self) -> tuple[Any, ...]:
        """What the view shows of the referee state (a heartbeat alone changes none of it)."""
        state = self.core.state
        lead = ref.leader(state)
        live = tuple(m.epoch for m in ref.live_members(state))
        return (id(state.owned), id(state.revoking), state.gen, live, None if lead is None else lead.epoch)

    def _poll_stores(self, written: bool = False) -> None:
        # A write reads the topic to its end itself, so after one the snapshot is refreshed unconditionally.
        if self.stores.config.poll(0) or written:
            snap = self.stores.config.snapshot()
            if snap != self.snap:
                self.snap = snap
                self.core.set_wanted(wanted_units(snap), max(snap.offset, 0))
                self.view_dirty = True
        self.stores.status.serve_writes()
        self.stores.offsets.serve_writes()
        if self.stores.status.poll(0):
            self.view_dirty = True
        self.stores.offsets.log.poll(0)
        while self.listener.restarts:
            req = self.listener.restarts.pop(0)
            self.link.send(
                {
                    "type": p.RESTART,
                    "connector": req.connector,
                    "include_tasks": req.include_tasks,
                    "only_failed": req.only_failed,
                }
            )

    # --- commands of the core -----------------------------------------------------------------------
    def _run(self, commands: list[mc.Command]) -> None:
        self.rebalance.on_commands(commands)
        for cmd in commands:
            if isinstance(cmd, mc.Produce):
                self.hb_probe.produced(cmd.record)
                self.log.append(cmd.record, self._delivered)
            elif isinstance(cmd, mc.Spawn):
                self._spawn(cmd)
            elif isinstance(cmd, mc.SetDeadline):
                self.link.send({**self._unit(cmd.unit, cmd.token), "type": p.SET_DEADLINE, "deadline": cmd.deadline})
            elif isinstance(cmd, mc.Stop):
                self.link.send({**self._unit(cmd.unit, cmd.token), "type": p.STOP_UNIT})
            elif isinstance(cmd, mc.FenceAll):
                logger.warning("Lease lost or epoch ended: fencing every unit of this worker")
                self.link.send({"type": p.FENCE})
            elif isinstance(cmd, mc.Exit):
                logger.error("Coordinator exits: %s", cmd.reason)
            if not isinstance(cmd, mc.Produce | mc.SetDeadline):
                self.view_dirty = True

    @staticmethod
    def _unit(unit: r.Unit, token: r.Token) -> dict[str, Any]:
        return {"connector": unit[0], "task": unit[1], "token": [token[0], token[1]]}

    def _delivered(self, seq: int, ok: bool) -> None:
        self._run(self.core.on_delivery(seq, ok, boottime_ms()))

    def _spawn(self, cmd: mc.Spawn) -> None:
        name, task = cmd.unit
        config = self.snap.connector_configs.get(name)
        if config is None:  # deleted meanwhile: the core revokes it soon; nothing to run
            self.link.send({**self._unit(cmd.unit, cmd.token), "type": p.SPAWN, "deadline": cmd.deadline, "skip": True})
            return
        conn_type, _version = self.plugins.of(config)
        msg: Message = {
            **self._unit(cmd.unit, cmd.token),
            "type": p.SPAWN,
            "deadline": cmd.deadline,
            "conn_type": conn_type,
            "connector_config": dict(config),
        }
        if task >= 0 and conn_type == "source" and self.fencer.blocks(self.snap, name):
            logger.info("Task %s-%d waits for the fencing of the previous generation of its tasks", name, task)
            self.waiting_for_fencing.append(cmd)
            return
        if task >= 0:
            msg["task_config"] = dict(self.snap.task_config((name, task)) or {})
            if conn_type == "source":
                self.stores.offsets.read_to_end(5.0)  # the previous owner's last flush
                msg["offsets"] = {
                    offset_key(name, part): dict(off) for part, off in self.stores.offsets.connector_offsets(name)
                }
        self.link.send(msg)

    def _exactly_once_tick(self) -> None:
        """Fence old task generations of the source connectors run here; start tasks that waited for it."""
        owned = [
            name
            for name in sorted(self.snap.pending_fencing)
            if self.snap.contains(name)
            and self._owns((name, r.CONNECTOR_TASK))
            and self.plugins.of(self.snap.connector_configs[name])[0] == "source"
        ]
        self.fencer.tick(self.snap, owned, self._record_task_count)
        if self.waiting_for_fencing:
            waiting, self.waiting_for_fencing = self.waiting_for_fencing, []
            for cmd in waiting:
                if not self._owns(cmd.unit):
                    continue  # taken away meanwhile: nothing to start
                if self.fencer.blocks(self.snap, cmd.unit[0]):
                    self.waiting_for_fencing.append(cmd)
                else:
                    self._spawn(cmd)

    def _is_leader(self) -> bool:
        lead = ref.leader(self.core.state)
        return lead is not None and self.core.epoch is not None and lead.epoch == self.core.epoch and self.core.live()

    def _put_session_key(self, key: bytes, algorithm: str, created_ms: int) -> None:
        self.stores.config.put_session_key(key, algorithm, created_ms)
        self._poll_stores(written=True)

    def _refreshed_snapshot(self) -> ClusterConfigState:
        self.stores.config.refresh()
        self._poll_stores(written=True)
        return self.snap

    def _record_task_count(self, connector: str, task_count: int) -> None:
        self.stores.config.put_task_count_record(connector, task_count)
        self._poll_stores(written=True)

    # --- the master ---------------------------------------------------------------------------------
    def _read_master(self) -> bool:
        try:
            while True:
                msg = self.link.channel.recv(0.0)
                if msg is None:
                    return True
                self.master_heard_at = boottime_ms()
                self._on_master(msg)
        except (PeerClosed, ConnectionError, OSError):
            return False

    def _on_master(self, msg: Message) -> None:
        kind = msg["type"]
        now = boottime_ms()
        if kind == p.UNIT_EXITED:
            token = msg["token"]
            self._run(self.core.on_child_exit((msg["connector"], msg["task"]), (token[0], token[1]), now))
        elif kind == p.UNIT_STATUS:
            self._write_status(msg["connector"], int(msg["task"]), msg["state"], msg.get("trace"))
        elif kind == p.TASK_CONFIGS:
            self._task_configs(msg["connector"], [dict(c) for c in msg["configs"]])
        elif kind == p.OFFSETS:
            self._offsets(msg["offsets"])
        elif kind == p.WRITE and msg["op"] == "fence_zombies":  # answered when the fencing is done
            self.internal.fence(int(msg["id"]), str((msg.get("args") or {}).get("name", "")), self._refreshed_snapshot)
        elif kind == p.WRITE:
            try:
                body = self._write(msg["op"], msg.get("args") or {})
                self.link.send({"type": p.WRITE_DONE, "id": msg["id"], "status": 200, "body": body})
            except Exception as e:
                logger.exception("Config write %s failed", msg["op"])
                self.link.send({"type": p.WRITE_DONE, "id": msg["id"], "status": 500, "body": str(e)})
        elif kind == "set_log_level":  # PUT /admin/loggers reaches the coordinator too
            logging.getLogger(msg.get("logger") or None).setLevel(msg["level"])
        elif kind == p.LEAVE:
            # shutdown (SIGTERM): the units move at once; restart (SIGUSR2, same worker id back within
            # restart.park.ms): they stay parked for this worker. A later shutdown overrides a restart that
            # has not written its LEAVE yet.
            mode = r.LeaveMode(msg.get("mode") or r.LeaveMode.SHUTDOWN)
            if self.core.left or self.core.leaving is mode:
                return
            self.leaving = True
            logger.info("Leaving the cluster (%s): stopping this worker's units first", mode.value)
            self._run(self.core.leave(mode, now))

    def _write_status(self, connector: str, task: int, state: str, trace: str | None) -> None:
        if not self._may_report((connector, task)):
            # A fenced worker (lease run out: frozen, cut off from the log) reports the deaths of units that
            # already run elsewhere; its UNASSIGNED/FAILED would overwrite the new owner's RUNNING (found by
            # the frozen-leader scenario). The unit's status belongs to whoever holds it now.
            logger.info("Not reporting %s of %s-%d: this worker no longer holds it", state, connector, task)
            return
        config = self.snap.connector_configs.get(connector)
        version = self.plugins.of(config)[1] if config is not None else None
        value = StatusValue(state, trace, self.worker_id, self.core.state.gen, version)
        safe = state == "UNASSIGNED"  # Apache's onShutdown: putSafe, never over another worker's newer status
        if task < 0:
            self.stores.status.put_connector(connector, value, safe=safe)
        else:
            self.stores.status.put_task((connector, task), value, safe=safe)

    def _may_report(self, unit: r.Unit) -> bool:
        """This worker's epoch is LIVE under a valid lease and owns the unit or is being revoked it."""
        epoch = self.core.epoch
        if epoch is None or not self.core.live() or boottime_ms() >= self.core.lease_deadline:
            return False
        holder = ref.may_run(self.core.state, unit)
        return holder is not None and holder[0] == epoch

    def _owns(self, unit: r.Unit) -> bool:
        if self.core.epoch is None or not self.core.live():
            return False
        return unit in ref.units_of(self.core.state, self.core.epoch)

    def _task_configs(self, connector: str, configs: list[dict[str, str]]) -> None:
        """The connector instance runs here: persist its task configs (task-/commit- records) if they changed."""
        if not self._owns((connector, r.CONNECTOR_TASK)) or not self.snap.contains(connector):
            return  # a connector that moved away (or was deleted) must not write task configs
        current = [dict(self.snap.task_config((connector, i)) or {}) for i in range(self.snap.task_count(connector))]
        if current == configs and connector not in self.snap.inconsistent:
            return
        logger.info("Writing %d task config(s) of connector %s", len(configs), connector)
        try:
            self.stores.config.put_task_configs(connector, configs)
        except StoreError as e:
            # As Java's herder (reconfigureConnectorTasksWithRetry): a failed write is retried with a backoff
            # while this worker still runs the connector, never a reason to give up the whole worker.
            logger.error(
                "Writing the task configs of connector %s failed (retrying in %.0f s): %s",
                connector,
                TASK_CONFIGS_RETRY_S,
                e,
            )
            self.task_configs_retry[connector] = (configs, time.monotonic() + TASK_CONFIGS_RETRY_S)
            return
        self.task_configs_retry.pop(connector, None)
        self._poll_stores(written=True)

    def _retry_task_configs(self) -> None:
        now = time.monotonic()
        for connector, (configs, due) in list(self.task_configs_retry.items()):
            if now >= due:
                del self.task_configs_retry[connector]
                self._task_configs(connector, configs)

    def _offsets(self, offsets: Mapping[str, Mapping[str, Any] | None]) -> None:
        by_connector: dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any] | None]]] = {}
        for key, value in offsets.items():
            try:
                connector, partition = partition_of_key(key)
            except ValueError:
                continue
            by_connector.setdefault(connector, []).append((partition, value))
        for connector, items in by_connector.items():
            self.stores.offsets.put_offsets(connector, items, wait=False)

    def _write(self, op: str, args: Mapping[str, Any]) -> Any:
        config = self.stores.config
        name = str(args.get("name", ""))
        if op == "put_connector_config":
            existed = config.contains(name)
            config.put_connector_config(name, args["config"], args.get("target_state"))
            out: Any = {"existed": existed}
        elif op == "delete_connector":
            if not config.contains(name):
                out = {"existed": False}
            else:
                config.remove_connector_config(name)
                out = {"existed": True}
        elif op == "target_state":
            state = args["state"]
            config.put_target_state(name, state)
            if state == "STOPPED":
                config.put_task_configs(name, [])  # Java's stop: no tasks until resumed
            config.refresh()
            out = None
        elif op == "restart":
            config.put_restart_request(
                name, include_tasks=bool(args.get("include_tasks")), only_failed=bool(args.get("only_failed"))
            )
            out = None
        elif op == "offsets":
            self.stores.offsets.read_to_end()
            if args.get("reset"):
                items = [(part, None) for part, _off in self.stores.offsets.connector_offsets(name)]
            else:
                items = [(o["partition"], o.get("offset")) for o in args.get("offsets") or []]
            self.stores.offsets.put_offsets(name, items)
            self.stores.offsets.read_to_end()
            out = None
        elif op == "active_topic":  # KIP-558: a task of this worker used a topic (status topic record)
            self.stores.status.put_topic(str(args["topic"]), name, int(args["task"]), int(time.time() * 1000))
            out = None
        elif op == "reset_topics":  # KIP-558 reset: tombstones for every topic record of the connector
            for topic in sorted(self.stores.status.get_topics(name)):
                self.stores.status.delete_topic(topic, name)
            out = None
        elif op == "internal_task_configs":  # POST /connectors/{c}/tasks reached the leader
            out = self.internal.put_task_configs(self._refreshed_snapshot(), name, args.get("configs") or [])
        elif op == "read_offsets":
            self.stores.offsets.read_to_end()
            pairs = sorted(self.stores.offsets.connector_offsets(name), key=lambda po: str(sorted(po[0].items())))
            out = {"offsets": [{"partition": dict(part), "offset": dict(off)} for part, off in pairs]}
        else:
            raise ValueError(f"unknown write {op}")
        self._poll_stores(written=True)
        self._send_view(force=True)
        return out

    # --- metrics -------------------------------------------------------------------------------------
    def _send_metrics(self) -> None:
        now = time.monotonic()
        changed = self.rebalance.observe(self.core, boottime_ms(), time.time())
        if not changed and now - self.metrics_sent_at < METRICS_EVERY_S:
            return
        if boottime_ms() - self.master_heard_at > 1_000:
            return  # a frozen master reads nothing (the next message has it all)
        self.metrics_sent_at = now
        self.link.send({"type": p.COORD_METRICS, "metrics": self.rebalance.message(self.core, boottime_ms())})

    # --- the view ------------------------------------------------------------------------------------
    def _send_view(self, force: bool = False) -> None:
        now = time.monotonic()
        if not (self.view_dirty or force) or (not force and now - self.view_sent_at < VIEW_EVERY_S):
            return
        if boottime_ms() - self.master_heard_at > 1_000:
            return  # a frozen master reads nothing: do not fill its socket (the next view has it all)
        self.view_dirty = False
        self.view_sent_at = now
        self.link.send(self._view())

    def _view(self) -> Message:
        snap, state = self.snap, self.core.state
        connectors: dict[str, Any] = {}
        for name in snap.connectors():
            config = dict(snap.connector_configs[name])
            conn_type, version = self.plugins.of(config)
            connectors[name] = {
                "config": config,
                "target": snap.target_state(name) or "STARTED",
                "type": conn_type,
                "version": version,
                "tasks": [dict(snap.task_config(t) or {}) for t in snap.tasks(name)],
            }
        status = self.stores.status

        def row(v: StatusValue | None) -> list[Any] | None:
            return None if v is None else [v.state, v.trace, v.worker_id, v.generation, v.version]

        statuses = {
            name: {
                "connector": row(status.get(name)),
                "tasks": {str(t): row(v) for t, v in status.get_all(name).items()},
                "topics": sorted(status.get_topics(name)),
            }
            for name in snap.connectors()
        }
        members = ref.live_members(state)
        lead = ref.leader(state)
        owners = {
            f"{u[0]}\x00{u[1]}": state.members[o.epoch].worker_id
            for u, o in state.owned.items()
            if o.epoch in state.members
        }
        live = self.core.live()
        return {
            "type": p.VIEW,
            "worker_id": self.worker_id,
            "live": live,
            "generation": state.gen,
            "rebalancing": (not live) or bool(state.revoking),
            "leader": None if lead is None else {"worker_id": lead.worker_id, "rest_url": lead.rest_url},
            "members": [{"worker_id": m.worker_id, "rest_url": m.rest_url, "epoch": m.epoch} for m in members],
            "config_offset": snap.offset,
            "connectors": connectors,
            "statuses": statuses,
            "owners": owners,
            "session_key": key_view(snap.session_key),
        }

    def close(self) -> None:
        self.internal.close()
        self.fencer.close()
        self.log.close()
        self.stores.stop()


def run_coordinator(boot: Mapping[str, Any], link: SupervisorLink) -> None:
    coordinator = Coordinator(boot, link)
    try:
        coordinator.run()
    finally:
        coordinator.close()
