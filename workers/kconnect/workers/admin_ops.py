"""One-shot administrative work done in a child process for the supervisor.

The supervisor imports no plugin code and holds no Kafka client, so anything needing either —
plugin listings and config definitions, a connector's ``alter_offsets`` hook, a sink's consumer
group offsets — runs here, answers once (``{"type": "result", "status", "body"}``) and exits.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from kconnect.workers.control import SupervisorLink

RESULT = "result"


class OpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def run_admin(boot: Mapping[str, Any], link: SupervisorLink) -> None:
    op = boot["op"]
    args: dict[str, Any] = boot.get("args") or {}
    try:
        if args.get("connector_config"):
            args = {**args, "connector_config": _resolved(boot, args["connector_config"])}
        status, body = _OPS[op](boot, args)
    except OpError as e:
        status, body = e.status, {"error_code": e.status, "message": e.message}
    except Exception as e:  # the connector's own hook failing: Kafka Connect answers 500 with its message
        status, body = 500, {"error_code": 500, "message": str(e) or type(e).__name__}
    link.send({"type": RESULT, "status": status, "body": body})


def _resolved(boot: Mapping[str, Any], config: Mapping[str, str]) -> dict[str, str]:
    """The connector config with its placeholders resolved (offsets hooks and clients need the real values)."""
    from kconnect.workers.config_providers import resolve_for_process
    from kconnect.workers.worker_config import WorkerConfig

    return resolve_for_process(WorkerConfig.from_props(boot["worker"], log=False), config, report_ttls=False)


def _registry() -> Any:
    from kconnect.plugins.registry import PluginRegistry

    return PluginRegistry.from_entry_points()


def _plugins(boot: Mapping[str, Any], args: dict[str, Any]) -> tuple[int, Any]:
    return 200, _registry().connector_plugins_json(bool(args.get("connectors_only", True)))


def _plugin_config(boot: Mapping[str, Any], args: dict[str, Any]) -> tuple[int, Any]:
    from kconnect.plugins.registry import PluginKind, connector_type
    from kconnect.workers.connector_config import framework_config_def

    name = args["plugin"]
    version = args.get("version")
    desc = _registry().describe_any(name)
    if desc is None:
        raise OpError(404, f"Unknown plugin {name}.")
    if version not in (None, "", "latest"):
        spec = parse_version_range(version)
        if not spec.contains(desc.version):
            raise OpError(
                400,
                f"Plugin {desc.class_name} not found that matches the version range {spec}, "
                f"available versions: [{desc.version}]",
            )
    cls = desc.plugin_class
    definition = cls.config_def()
    if desc.kind is PluginKind.CONNECTOR:
        ctype = connector_type(cls)
        if ctype in ("source", "sink"):
            # Apache enriches the framework keys with the plugin's own version as the default.
            framework = framework_config_def(ctype, connector_version=str(desc.version))  # type: ignore[arg-type]
            definition = definition.merge(framework)
    return 200, [key.info() for key in definition.config_keys()]


class VersionRange:
    """A Maven version range as Kafka Connect accepts in ``?version=`` (a bare version means exactly it)."""

    def __init__(self, low: str | None, high: str | None, low_inclusive: bool, high_inclusive: bool) -> None:
        self.low, self.high = low, high
        self.low_inclusive, self.high_inclusive = low_inclusive, high_inclusive

    def contains(self, version: str) -> bool:
        v = _version_key(version)
        if self.low is not None:
            lo = _version_key(self.low)
            if v < lo or (v == lo and not self.low_inclusive):
                return False
        if self.high is not None:
            hi = _version_key(self.high)
            if v > hi or (v == hi and not self.high_inclusive):
                return False
        return True

    def __str__(self) -> str:
        opening = "[" if self.low_inclusive else "("
        closing = "]" if self.high_inclusive else ")"
        return f"{opening}{self.low or ''},{self.high or ''}{closing}"


def _version_key(version: str) -> tuple[Any, ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in version.replace("-", ".").split("."))


def parse_version_range(spec: str) -> VersionRange:
    """Parse ``1.0``, ``[1.0]``, ``[1.0,2.0)``, ``(,2.0]``...; anything else is Java's 400."""
    spec = spec.strip()
    invalid = OpError(400, f"Invalid version specification: {spec}")
    if spec[:1] not in ("[", "(") and spec[-1:] not in ("]", ")"):
        if not spec or "," in spec:
            raise invalid
        return VersionRange(spec, spec, True, True)
    if spec[:1] not in ("[", "(") or spec[-1:] not in ("]", ")") or spec.count(",") > 1:
        raise invalid
    inner = spec[1:-1]
    if "," not in inner:
        if spec[0] != "[" or spec[-1] != "]" or not inner:
            raise invalid
        return VersionRange(inner, inner, True, True)
    low, high = (part.strip() or None for part in inner.split(","))
    return VersionRange(low, high, spec[0] == "[", spec[-1] == "]")


def _group_id(args: Mapping[str, Any]) -> str:
    config: Mapping[str, str] = args["connector_config"]
    return config.get("consumer.override.group.id") or f"connect-{config['name']}"


def _admin(boot: Mapping[str, Any]) -> Any:
    from confluent_kafka.admin import AdminClient

    from kconnect.workers import clients
    from kconnect.workers.worker_config import WorkerConfig

    worker = WorkerConfig.from_props(boot["worker"], log=False)
    return AdminClient(dict(clients.admin_config(worker, boot.get("connector", ""), None)))


def _sink_offsets(boot: Mapping[str, Any], args: dict[str, Any]) -> tuple[int, Any]:
    from confluent_kafka import ConsumerGroupTopicPartitions

    admin = _admin(boot)
    future = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(_group_id(args))])
    result = next(iter(future.values())).result(timeout=30)
    offsets = [
        {"partition": {"kafka_topic": tp.topic, "kafka_partition": tp.partition}, "offset": {"kafka_offset": tp.offset}}
        for tp in sorted(result.topic_partitions or [], key=lambda t: (t.topic, t.partition))
        if tp.offset >= 0
    ]
    return 200, {"offsets": offsets}


def _sink_partition(partition: Mapping[str, Any]) -> tuple[str, int]:
    if not isinstance(partition, Mapping) or "kafka_topic" not in partition or "kafka_partition" not in partition:
        raise OpError(
            400, "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"
        )
    try:
        return str(partition["kafka_topic"]), int(partition["kafka_partition"])
    except (TypeError, ValueError):
        raise OpError(
            400,
            "Failed to parse the following Kafka partition value in the provided offsets: '"
            f"{partition['kafka_partition']}'. Partition values for sink connectors need to be integers.",
        ) from None


ZOMBIE_TASKS = (
    "Failed to alter consumer group offsets for connector {name} either because its tasks haven't stopped "
    "completely yet or the connector was resumed before the request to alter its offsets could be successfully "
    "completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't "
    "eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks."
)


def _await_empty_group(admin: Any, group: str, timeout_s: float) -> None:
    """Wait for the sink's consumer group to have no members.

    Sink tasks use static membership, and a static member does not leave the group when it closes:
    the broker drops it after ``session.timeout.ms``. Kafka only lets offsets of an empty group be
    changed, so an alteration right after ``/stop`` waits (bounded) instead of failing.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            desc = next(iter(admin.describe_consumer_groups([group]).values())).result(timeout=10)
            if not desc.members:
                return
        except Exception as e:  # an unknown group is as empty as it gets
            if "GROUP_ID_NOT_FOUND" in str(e):
                return
            raise
        if time.monotonic() >= deadline:
            return
        time.sleep(0.5)


def _check_partition_errors(result: Any, name: str) -> None:
    for tp in getattr(result, "topic_partitions", None) or []:
        if tp.error is not None:
            raise OpError(500, ZOMBIE_TASKS.format(name=name))


def _session_timeout_s(boot: Mapping[str, Any], args: Mapping[str, Any]) -> float:
    from kconnect.workers import clients
    from kconnect.workers.worker_config import WorkerConfig

    worker = WorkerConfig.from_props(boot["worker"], log=False)
    config: Mapping[str, str] = args["connector_config"]
    consumer = clients.consumer_config(
        worker, config["name"], 0, clients.connector_client_overrides(config, "consumer")
    )
    return int(consumer.config.get("session.timeout.ms", "45000")) / 1000.0 + 2.0


def _alter_sink_offsets(boot: Mapping[str, Any], args: dict[str, Any]) -> tuple[int, Any]:
    from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition

    group = _group_id(args)
    admin = _admin(boot)
    to_set: list[TopicPartition] = []
    to_reset: list[TopicPartition] = []
    for item in args["offsets"]:
        topic, partition = _sink_partition(item.get("partition"))
        offset = item.get("offset")
        if offset is None:
            to_reset.append(TopicPartition(topic, partition))
            continue
        if not isinstance(offset, Mapping) or "kafka_offset" not in offset:
            raise OpError(
                400, "The offset for a sink connector should either be null or contain the key 'kafka_offset'"
            )
        try:
            to_set.append(TopicPartition(topic, partition, int(offset["kafka_offset"])))
        except (TypeError, ValueError):
            raise OpError(
                400,
                "Failed to parse the following Kafka offset value in the provided offsets: '"
                f"{offset['kafka_offset']}'. Offset values for sink connectors need to be integers.",
            ) from None
    name = args["connector_config"]["name"]
    _await_empty_group(admin, group, _session_timeout_s(boot, args))
    try:
        if to_set:
            fut = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, to_set)])
            _check_partition_errors(next(iter(fut.values())).result(timeout=30), name)
        if to_reset:
            _reset_partitions(admin, group, to_reset, keep=to_set)
    except KafkaException:
        raise OpError(500, ZOMBIE_TASKS.format(name=name)) from None
    return 200, {"connector_handled": _connector_hook(args)}


def _reset_partitions(admin: Any, group: str, partitions: list[Any], keep: list[Any]) -> None:
    """Forget committed offsets of some partitions (an ``"offset": null`` in a PATCH).

    Java uses DeleteConsumerGroupOffsets, which librdkafka's admin API does not offer. Deleting the
    whole (empty) group is equivalent when every committed partition is being reset and nothing
    is being set; otherwise we refuse with a clear message rather than approximate.
    """
    from confluent_kafka import ConsumerGroupTopicPartitions

    fut = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
    listed = next(iter(fut.values())).result(timeout=30).topic_partitions or []
    committed = {(tp.topic, tp.partition) for tp in listed if tp.offset >= 0}
    resetting = {(tp.topic, tp.partition) for tp in partitions}
    if keep or not committed <= resetting:
        raise OpError(
            400,
            "kconnect cannot reset the offsets of only some partitions of a sink connector (librdkafka has no "
            "DeleteConsumerGroupOffsets); reset all of them with 'DELETE /connectors/{name}/offsets', or set "
            "explicit offsets instead",
        )
    if committed:
        next(iter(admin.delete_consumer_groups([group]).values())).result(timeout=30)


def _reset_sink_offsets(boot: Mapping[str, Any], args: dict[str, Any]) -> tuple[int, Any]:
    from confluent_kafka import KafkaException

    admin = _admin(boot)
    _await_empty_group(admin, _group_id(args), _session_timeout_s(boot, args))
    try:
        next(iter(admin.delete_consumer_groups([_group_id(args)]).values())).result(timeout=30)
    except KafkaException as e:
        if "GROUP_ID_NOT_FOUND" not in str(e):
            raise
    return 200, {"connector_handled": _connector_hook({**args, "offsets": None})}


def _connector_hook(args: Mapping[str, Any]) -> bool:
    """The connector's own ``alter_offsets`` (KIP-875): it may reject, or say it handled them."""
    config: Mapping[str, str] = args["connector_config"]
    cls = _registry().connector_class(config["connector.class"])
    offsets = args.get("offsets")
    as_map = None if offsets is None else {_freeze(o["partition"]): o.get("offset") for o in offsets}
    return bool(cls().alter_offsets(config, as_map or {}))


def _freeze(partition: Any) -> Any:
    if isinstance(partition, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in partition.items()))
    return partition


def _check_source_offsets(boot: Mapping[str, Any], args: dict[str, Any]) -> tuple[int, Any]:
    """Validate source offsets (primitive values only) and run the connector's hook; the supervisor writes them."""
    for item in args.get("offsets") or []:
        for label in ("partition", "offset"):
            value = item.get(label)
            if label == "partition" and not isinstance(value, Mapping):
                raise OpError(400, "The partition for a source connector offset cannot be null or missing")
            if isinstance(value, Mapping):
                for k, v in value.items():
                    if isinstance(v, Mapping | list):
                        raise OpError(
                            400,
                            f"The {label} for a source connector offset may only contain primitive "
                            f"types as values, but the value for key '{k}' is of type "
                            f"{'java.util.Map' if isinstance(v, Mapping) else 'java.util.List'}",
                        )
    config: Mapping[str, str] = args["connector_config"]
    cls = _registry().connector_class(config["connector.class"])
    offsets = args.get("offsets")
    handled = cls().alter_offsets(
        config, {} if offsets is None else {_freeze(o["partition"]): o.get("offset") for o in offsets}
    )
    return 200, {"connector_handled": bool(handled)}


_OPS = {
    "plugins": _plugins,
    "plugin_config": _plugin_config,
    "sink_offsets": _sink_offsets,
    "alter_sink_offsets": _alter_sink_offsets,
    "reset_sink_offsets": _reset_sink_offsets,
    "check_source_offsets": _check_source_offsets,
}

__all__ = ["RESULT", "run_admin"]
