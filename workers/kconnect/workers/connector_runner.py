"""The connector process: hosts one Connector instance, so its code never runs in the supervisor."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
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
    from kconnect.workers.connector_config import validate_connector_config

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
    result: dict[str, Any] = validate_connector_config(
        class_name, cast("Literal['source', 'sink']", connector_type), cls.config_def(), own, config, worker=worker
    )
    # Not part of ConfigInfos: the supervisor needs these to record the connector.
    result["connector_type"] = connector_type
    result["connector_version"] = cls.version()
    return result


def run_validation(boot: Mapping[str, Any], link: SupervisorLink) -> None:
    from kconnect.plugins.registry import PluginRegistry

    registry = PluginRegistry.from_entry_points()
    try:
        infos = validate(registry, boot["worker"], boot["connector_config"])
        link.send({"type": m.VALIDATED, "infos": infos})
    except Exception as e:  # unknown class etc.: a 400 with the message, not a crash
        link.send({"type": m.VALIDATED, "error": str(e)})


def run_connector(boot: Mapping[str, Any], link: SupervisorLink) -> None:
    from kconnect.plugins.registry import PluginRegistry

    registry = PluginRegistry.from_entry_points()
    config: dict[str, str] = boot["connector_config"]
    cls = registry.connector_class(config["connector.class"])
    connector = cls()
    ctx = _Context()
    connector.initialize(ctx)
    connector.start(config)
    max_tasks = int(config.get("tasks.max", "1"))
    try:
        _send_task_configs(link, connector, max_tasks)
        link.send({"type": m.HELLO})
        while not link.stop_requested:
            link.poll_commands(0.5)
            if ctx.error is not None:
                raise ctx.error
            if ctx.reconfigure.is_set():
                ctx.reconfigure.clear()
                _send_task_configs(link, connector, max_tasks)
            link.heartbeat({})
    finally:
        connector.stop()


def _send_task_configs(link: SupervisorLink, connector: Any, max_tasks: int) -> None:
    configs = connector.task_configs(max_tasks)
    link.send({"type": m.TASK_CONFIGS, "configs": [dict(c) for c in configs]})
