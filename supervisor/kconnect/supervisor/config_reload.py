"""Restarts of connectors whose config-provider values expire (``config.action.reload=restart``).

A connector or task process that resolved placeholders reports the TTLs its providers gave, per
path. As in Apache's WorkerConfigTransformer, a new report for a path replaces the pending one, so
the restart follows the latest lookup. When a TTL runs out, the connector and its tasks restart and
resolve their values afresh (Java restarts only the connector; its tasks restart only when their
raw configs change, which TTL expiries never cause — so they would keep expired values).

How the restart happens is the master's (``Master.restart_for_config_reload``): standalone restarts the
connector and all its tasks; a distributed worker, like Java's distributed herder, restarts only what it
runs of that connector (each worker running a task of it got its own TTL report from that task).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kconnect.supervisor.herder import ConnectorEntry
    from kconnect.supervisor.master import Master

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    due: float  # monotonic time
    config: dict[str, str]  # the connector config the TTL was reported for


class ConfigReloads:
    def __init__(self, master: Master) -> None:
        self.master = master
        self.pending: dict[str, dict[str, _Pending]] = {}  # connector -> path -> restart

    def schedule(self, entry: ConnectorEntry, ttls: Mapping[str, Any]) -> None:
        now = time.monotonic()
        for path, ttl in ttls.items():
            try:
                ttl_ms = max(0, int(ttl))
            except (TypeError, ValueError):
                logger.warning("Ignoring a bad TTL %r for path %s of connector %s", ttl, path, entry.name)
                continue
            logger.info("Scheduling a restart of connector %s in %d ms", entry.name, ttl_ms)
            self.pending.setdefault(entry.name, {})[str(path)] = _Pending(now + ttl_ms / 1000.0, dict(entry.config))

    def fire_due(self) -> None:
        if not self.pending:
            return
        now = time.monotonic()
        for name in list(self.pending):
            paths = self.pending[name]
            due = [path for path, p in paths.items() if p.due <= now]
            if not due:
                continue
            reported_for = [paths[path].config for path in due]
            for path in due:
                del paths[path]
            if not paths:
                del self.pending[name]
            entry = self.master.herder.connectors.get(name)
            # Deleted or reconfigured since the report: that already restarted it with fresh values. Compared by
            # value: a distributed worker rebuilds its entries from every view of the config topic.
            if entry is None or not any(entry.config == config for config in reported_for):
                continue
            logger.info("Restarting connector %s and its tasks: config provider values expired", name)
            self.master.restart_for_config_reload(name)
