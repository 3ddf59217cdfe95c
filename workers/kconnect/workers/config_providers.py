"""Config providers in the worker: which providers exist, and where placeholders get resolved.

Two places resolve placeholders, as in Kafka Connect:

* **worker properties** (Apache's ``AbstractConfig``): the providers declared in the worker file
  resolve placeholders in that same file when it is parsed (:func:`resolve_worker_variables`);
* **connector configs** (Apache's ``WorkerConfigTransformer``): only inside the process that needs
  the values — the connector process, each task process, a validation or admin child
  (:class:`ConnectorConfigResolver`). The supervisor stores and serves the raw configs with their
  placeholders; task configs a connector derives from its resolved config are turned back into
  placeholders (:func:`reverse_transform`) before they leave the connector process.

When a provider reports a TTL and the connector's ``config.action.reload`` is ``restart`` (the
default), the process reports the TTLs to the supervisor (``config_ttl`` message), which restarts
the connector and its tasks when they expire.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kconnect.api.config_provider import ConfigProvider, ConfigTransformer, ConfigTransformerResult, has_variables
from kconnect.api.errors import ConfigError, ConnectError

if TYPE_CHECKING:
    from kconnect.plugins.registry import PluginRegistry
    from kconnect.workers.control import SupervisorLink
    from kconnect.workers.worker_config import WorkerConfig

logger = logging.getLogger(__name__)

CONFIG_PROVIDERS = "config.providers"
CONFIG_RELOAD_ACTION = "config.action.reload"
RELOAD_RESTART = "restart"
RELOAD_NONE = "none"
#: Kafka Connect's message for a value resolved from a provider that failed validation (after 4.3.1).
REDACTED_ERROR = (
    "Invalid value for configuration '{key}': the value resolved from the config provider reference failed validation"
)
#: kconnect's error for a placeholder in a key the supervisor reads (it never resolves placeholders).
SUPERVISOR_KEY_ERROR = (
    "Invalid value for configuration '{key}': config provider placeholders are not supported here; "
    "the supervisor reads this key and never resolves placeholders"
)


def _registry(registry: PluginRegistry | None) -> PluginRegistry:
    if registry is not None:
        return registry
    from kconnect.plugins.registry import default_registry

    return default_registry()


def _params(props: Mapping[str, str], name: str) -> dict[str, str]:
    prefix = f"{CONFIG_PROVIDERS}.{name}.param."
    return {k[len(prefix) :]: v for k, v in props.items() if k.startswith(prefix) and len(k) > len(prefix)}


def _close_all(providers: Mapping[str, ConfigProvider | None]) -> None:
    for name, provider in providers.items():
        if provider is None:
            continue
        try:
            provider.close()
        except Exception:
            logger.warning("Failed to close config provider %s", name, exc_info=True)


# --- worker properties ---------------------------------------------------------------------------


def resolve_worker_variables(props: Mapping[str, str], registry: PluginRegistry | None = None) -> dict[str, str]:
    """The worker properties with their placeholders resolved by the providers they declare.

    Apache's ``AbstractConfig`` rules: ``config.providers`` is split on commas as written; a name
    without ``config.providers.<name>.class`` is skipped; a class that cannot be loaded is a
    ConfigException on that key; the providers are closed afterwards and TTLs are ignored.
    """
    declared = props.get(CONFIG_PROVIDERS)
    if not declared:
        return dict(props)
    providers: dict[str, ConfigProvider | None] = {}
    try:
        for name in declared.split(","):
            class_key = f"{CONFIG_PROVIDERS}.{name}.class"
            if class_key not in props:
                continue
            class_name = props[class_key]
            try:
                cls = _registry(registry).config_provider_class(class_name)
            except ConnectError:
                logger.error("Could not load config provider class %s", class_name)
                raise ConfigError(
                    class_key, class_name, "Could not load config provider class or one of its dependencies"
                ) from None
            provider = cls()
            provider.configure(_params(props, name))
            providers[name] = provider
        if not providers:
            return dict(props)
        return ConfigTransformer(providers).transform(props).data
    finally:
        _close_all(providers)


# --- connector configs ---------------------------------------------------------------------------


class ConnectorConfigResolver:
    """The worker's providers, created on first need in this process (Apache's WorkerConfigTransformer).

    Built from the worker's resolved properties: ``config.providers`` as a trimmed list, each name's
    ``.class`` (a name without one resolves nothing) and ``.param.*`` settings.
    """

    def __init__(self, worker: WorkerConfig, registry: PluginRegistry | None = None) -> None:
        self.worker = worker
        self.registry = registry
        self._providers: dict[str, ConfigProvider | None] | None = None

    def providers(self) -> dict[str, ConfigProvider | None]:
        if self._providers is None:
            created: dict[str, ConfigProvider | None] = {}
            try:
                for name in self.worker.config_providers:
                    class_name = self.worker.raw.get(f"{CONFIG_PROVIDERS}.{name}.class")
                    if class_name is None:
                        created[name] = None
                        continue
                    provider = _registry(self.registry).config_provider_class(class_name)()
                    provider.configure(_params(self.worker.raw, name))
                    created[name] = provider
            except BaseException:
                _close_all(created)
                raise
            self._providers = created
        return self._providers

    def transform(self, config: Mapping[str, str]) -> ConfigTransformerResult:
        """Resolve ``config``; providers are only created when some value has a placeholder."""
        if not any(has_variables(v) for v in config.values() if isinstance(v, str)):
            return ConfigTransformerResult(dict(config), {})
        return ConfigTransformer(self.providers()).transform(config)

    def close(self) -> None:
        if self._providers is not None:
            _close_all(self._providers)
            self._providers = None


@contextmanager
def connector_resolver(
    worker: WorkerConfig, registry: PluginRegistry | None = None
) -> Iterator[ConnectorConfigResolver]:
    resolver = ConnectorConfigResolver(worker, registry)
    try:
        yield resolver
    finally:
        resolver.close()


def reload_action(config: Mapping[str, str]) -> str:
    """``config.action.reload`` of a raw connector config, lower-cased; ``restart`` when unset."""
    value = config.get(CONFIG_RELOAD_ACTION)
    return RELOAD_RESTART if value is None else value.strip().lower()


def resolve_for_process(
    worker: WorkerConfig,
    config: Mapping[str, str],
    link: SupervisorLink | None = None,
    *,
    registry: PluginRegistry | None = None,
    report_ttls: bool = True,
) -> dict[str, str]:
    """Resolve a connector config (or task config) in the process that runs it.

    With ``report_ttls`` and a ``restart`` reload action, the TTLs the providers reported are sent to
    the supervisor so it restarts the connector when they expire.
    """
    with connector_resolver(worker, registry) as resolver:
        result = resolver.transform(config)
    if result.ttls and report_ttls and link is not None and reload_action(config) == RELOAD_RESTART:
        from kconnect.ipc import messages as m

        link.send({"type": m.CONFIG_TTL, "ttls": dict(result.ttls)})
    return result.data


def resolve_task_configs(
    worker: WorkerConfig,
    connector_config: Mapping[str, str],
    task_config: Mapping[str, str],
    link: SupervisorLink | None,
    *,
    registry: PluginRegistry | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """A task process's connector and task configs, resolved with one set of providers.

    As in Java, the connector config's TTLs are reported (they restart the connector); the task
    config's are not.
    """
    with connector_resolver(worker, registry) as resolver:
        connector = resolver.transform(connector_config)
        task = resolver.transform(task_config)
    if connector.ttls and link is not None and reload_action(connector_config) == RELOAD_RESTART:
        from kconnect.ipc import messages as m

        link.send({"type": m.CONFIG_TTL, "ttls": dict(connector.ttls)})
    return connector.data, task.data


def reverse_transform(raw_config: Mapping[str, str], task_configs: list[dict[str, str]]) -> list[dict[str, str]]:
    """Put the connector config's placeholders back into task configs (Apache's ``reverseTransform``).

    Every task-config key that holds a placeholder in the raw connector config gets the raw value
    back, so resolved values never reach the supervisor, the config store or REST.
    """
    with_variables = [k for k, v in raw_config.items() if has_variables(v)]
    out = []
    for config in task_configs:
        restored = dict(config)
        for key in with_variables:
            if key in restored:
                restored[key] = raw_config[key]
        out.append(restored)
    return out


def without_provider_keys(config: Mapping[str, str]) -> dict[str, str]:
    """The config without ``config.providers`` / ``config.providers.*``: only the worker declares providers."""
    return {k: v for k, v in config.items() if k != CONFIG_PROVIDERS and not k.startswith(CONFIG_PROVIDERS + ".")}


def redact_validation(infos: dict[str, Any], raw: Mapping[str, str], resolved: Mapping[str, str]) -> dict[str, Any]:
    """Hide what providers resolved in a ``ConfigInfos`` body (Kafka Connect after 4.3.1).

    For each key whose raw value holds a placeholder that resolved to something else, the shown
    value is the raw placeholder and any errors (which may quote the value) become one generic message.
    """
    redacted = {k for k, v in raw.items() if has_variables(v) and resolved.get(k) != v}
    if not redacted:
        return infos
    configs = []
    for item in infos.get("configs") or []:
        value = item.get("value") or {}
        name = value.get("name")
        if name in redacted:
            value = {**value, "value": raw[name]}
            if value.get("errors"):
                value["errors"] = [REDACTED_ERROR.format(key=name)]
            item = {**item, "value": value}
        configs.append(item)
    error_count = sum(len((c.get("value") or {}).get("errors") or []) for c in configs)
    return {**infos, "configs": configs, "error_count": error_count}


def validate_resolved(
    validate: Callable[[dict[str, str]], dict[str, Any]],
    worker_props: Mapping[str, str],
    config: Mapping[str, str],
    registry: PluginRegistry | None = None,
) -> dict[str, Any]:
    """Validate a connector config on its resolved values and redact them in the answer.

    ``config.providers*`` keys of the connector config are dropped first (Kafka Connect after 4.3.1):
    only the worker declares providers. No TTL is reported: validation schedules no restart.
    """
    from kconnect.workers.worker_config import WorkerConfig

    raw = without_provider_keys(config)
    with connector_resolver(WorkerConfig.from_props(worker_props, log=False), registry) as resolver:
        resolved = resolver.transform(raw).data
    return _refuse_supervisor_placeholders(redact_validation(validate(resolved), raw, resolved), raw)


def _refuse_supervisor_placeholders(infos: dict[str, Any], raw: Mapping[str, str]) -> dict[str, Any]:
    """An error on each key the supervisor itself reads that holds a placeholder.

    The supervisor never resolves connector configs, so ``kconnect.task.restart.*`` (its restart
    policy) must be written out.
    """
    from kconnect.workers.worker_config import RESTART_KEYS

    refused = {k for k in RESTART_KEYS if has_variables(raw.get(k))}
    if not refused:
        return infos
    for item in infos.get("configs") or []:
        value = item.get("value") or {}
        if value.get("name") in refused:
            value["errors"] = [*value.get("errors", []), SUPERVISOR_KEY_ERROR.format(key=value["name"])]
            infos["error_count"] = int(infos.get("error_count", 0)) + 1
    return infos


__all__ = [
    "CONFIG_PROVIDERS",
    "CONFIG_RELOAD_ACTION",
    "REDACTED_ERROR",
    "SUPERVISOR_KEY_ERROR",
    "ConnectorConfigResolver",
    "connector_resolver",
    "redact_validation",
    "reload_action",
    "resolve_for_process",
    "resolve_task_configs",
    "resolve_worker_variables",
    "reverse_transform",
    "validate_resolved",
    "without_provider_keys",
]
