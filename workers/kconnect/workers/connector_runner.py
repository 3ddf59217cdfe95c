"""The connector process: hosts one Connector instance, so its code never runs in the supervisor."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal, cast

from kconnect.ipc import messages as m
from kconnect.workers.control import SupervisorLink

logger = logging.getLogger(__name__)


class _Context:
    """ConnectorContext: both calls may come from connector threads, so they only set flags."""

    def __init__(self) -> None:
        self.reconfigure = threading.Event()
        self.error: BaseException | None = None

    def request_task_reconfiguration(self) -> None:
        self.reconfigure.set()

    def raise_error(self, error: BaseException) -> None:
        self.error = error


def validate(registry: Any, worker_props: Mapping[str, str], config: Mapping[str, str]) -> dict[str, Any]:
    """ConfigInfos for ``config``: framework keys plus the connector's own validate()."""
    from kconnect.plugins.registry import PluginKind
    from kconnect.workers.connector_config import alias_config_def, validate_connector_config

    class_name = config.get("connector.class", "")
    cls = registry.connector_class(class_name)
    connector = cls()
    own = connector.validate(config)
    from kconnect.plugins.registry import connector_type as type_of
    from kconnect.workers.worker_config import WorkerConfig

    connector_type = type_of(cls)
    if connector_type not in ("source", "sink"):
        raise ValueError(f"{class_name} is neither a source nor a sink connector")
    worker = WorkerConfig.from_props(worker_props, log=False)
    plugin_version, recommended = _recommendations(registry, worker, config, cls)
    result: dict[str, Any] = validate_connector_config(
        class_name,
        cast("Literal['source', 'sink']", connector_type),
        cls.config_def(),
        own,
        config,
        worker=worker,
        plugin_version=plugin_version,
        recommended=recommended,
        aliases=alias_config_def(
            config,
            lambda name: registry.find(PluginKind.TRANSFORMATION, name),
            lambda name: registry.find(PluginKind.PREDICATE, name),
        ),
        extra_checks=_exactly_once_checks(worker, connector, config) if connector_type == "source" else None,
    )
    # Not part of ConfigInfos: the supervisor needs these to record the connector.
    result["connector_type"] = connector_type
    result["connector_version"] = cls.version()
    # Why the connector could not start even though validation passes (Java: a 500 on create/update).
    from kconnect.workers.topic_creation import start_failure

    result["start_failure"] = start_failure(connector_type, config, worker_props)
    return result


def _exactly_once_checks(worker: Any, connector: Any, config: Mapping[str, str]) -> Any:
    """Java's DistributedHerder checks exactly.once.support and transaction.boundary; its standalone herder does not."""
    if worker.mode != "distributed":
        return None
    from kconnect.workers.exactly_once import validate_source_connector

    return lambda results: validate_source_connector(worker.raw, connector, config, results)


def _recommendations(
    registry: Any, worker: Any, config: Mapping[str, str], connector_cls: Any
) -> tuple[Callable[[str], str | None], dict[str, list[str]]]:
    """What Apache's recommenders list: installed converter classes and installed plugin versions."""
    from kconnect.plugins.registry import PluginKind

    def version_of(name: str) -> str | None:
        desc = registry.describe_any(name) if name else None
        return None if desc is None else str(desc.version)

    converters = sorted(d.class_name for d in registry.descriptors(PluginKind.CONVERTER))
    header_converters = sorted(d.class_name for d in registry.descriptors(PluginKind.HEADER_CONVERTER))
    recommended: dict[str, list[str]] = {
        "key.converter": converters,
        "value.converter": converters,
        "header.converter": header_converters,
        "connector.plugin.version": [str(connector_cls.version())],
    }
    for conv in ("key", "value", "header"):
        chosen = config.get(f"{conv}.converter") or getattr(worker, f"{conv}_converter")
        found = version_of(chosen)
        recommended[f"{conv}.converter.plugin.version"] = [found] if found else []
    return version_of, recommended


def run_validation(boot: Mapping[str, Any], link: SupervisorLink) -> None:
    from kconnect.plugins.registry import PluginRegistry
    from kconnect.workers.config_providers import validate_resolved

    registry = PluginRegistry.from_entry_points()
    try:
        infos = validate_resolved(
            lambda config: validate(registry, boot["worker"], config),
            boot["worker"],
            boot["connector_config"],
            registry,
        )
        link.send({"type": m.VALIDATED, "infos": infos})
    except Exception as e:  # unknown class etc.: a 400 with the message, not a crash
        link.send({"type": m.VALIDATED, "error": str(e)})


def run_connector(boot: Mapping[str, Any], link: SupervisorLink) -> None:
    from kconnect.plugins.registry import PluginRegistry
    from kconnect.workers.config_providers import resolve_for_process
    from kconnect.workers.worker_config import WorkerConfig

    registry = PluginRegistry.from_entry_points()
    raw_config: dict[str, str] = boot["connector_config"]
    worker = WorkerConfig.from_props(boot["worker"], log=False)
    config = resolve_for_process(worker, raw_config, link, registry=registry)
    cls = registry.connector_class(config["connector.class"])
    _check_topic_creation(boot, cls, config)
    connector = cls()
    ctx = _Context()
    connector.initialize(ctx)
    connector.start(config)
    max_tasks = int(config.get("tasks.max", "1"))
    try:
        _send_task_configs(link, connector, config, max_tasks, raw_config)
        link.send({"type": m.HELLO})
        while not link.stop_requested:
            link.poll_commands(0.5)
            if ctx.error is not None:
                raise ctx.error
            if ctx.reconfigure.is_set():
                ctx.reconfigure.clear()
                _send_task_configs(link, connector, config, max_tasks, raw_config)
            link.heartbeat({})
    finally:
        connector.stop()


def _check_topic_creation(boot: Mapping[str, Any], cls: Any, config: Mapping[str, str]) -> None:
    """A source connector with invalid topic.creation.* settings fails on start, as in Java."""
    from kconnect.plugins.registry import connector_type
    from kconnect.workers.topic_creation import check_topic_creation_config, uses_topic_creation
    from kconnect.workers.worker_config import WorkerConfig

    if connector_type(cls) == "source" and uses_topic_creation(config):
        worker = WorkerConfig.from_props(boot["worker"], log=False)
        check_topic_creation_config(config, worker.topic_creation_enable)


def _send_task_configs(
    link: SupervisorLink, connector: Any, config: Mapping[str, str], max_tasks: int, raw_config: Mapping[str, str]
) -> None:
    """Task configs as Kafka Connect stores them: the connector's, plus ``task.class`` and, for sinks,
    the subscription (Apache's Worker.connectorTaskConfigs); values resolved from config providers
    are turned back into their placeholders (Apache's AbstractHerder.reverseTransform)."""
    from kconnect.plugins.registry import connector_type, plugin_class_name
    from kconnect.workers.config_providers import reverse_transform

    task_class = plugin_class_name(connector.task_class())
    configs = []
    for c in connector.task_configs(max_tasks):
        task_config = {**dict(c), "task.class": task_class}
        if connector_type(type(connector)) == "sink":
            for key in ("topics", "topics.regex"):
                if config.get(key):
                    task_config[key] = config[key]
        configs.append(task_config)
    link.send({"type": m.TASK_CONFIGS, "configs": reverse_transform(raw_config, configs)})
