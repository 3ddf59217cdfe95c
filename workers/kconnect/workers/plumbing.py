"""Builds a task's converters (and, later, transforms) from the worker and connector configs.

Kafka Connect's precedence: a converter class set in the connector config wins, configured with
the connector's ``key.converter.*`` settings; otherwise the worker's class with the worker's
settings. Each converter also gets ``converter.type`` (key, value or header).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kconnect.plugins.registry import PluginRegistry
from kconnect.workers.connector_config import parse_aliases, parse_topics
from kconnect.workers.conversion import Pipeline, Transform
from kconnect.workers.worker_config import WorkerConfig


def _settings(prefix: str, source: Mapping[str, str]) -> dict[str, str]:
    dotted = prefix + "."
    return {k[len(dotted) :]: v for k, v in source.items() if k.startswith(dotted)}


def _converter_source(
    prefix: str, worker: WorkerConfig, connector: Mapping[str, str], worker_class: str
) -> tuple[str, dict[str, str]]:
    if connector.get(prefix):
        return connector[prefix], _settings(prefix, connector)
    return worker_class, _settings(prefix, worker.raw)


def build_transforms(registry: PluginRegistry, connector: Mapping[str, str]) -> list[Transform]:
    """The connector's transformation chain: ``transforms.<alias>.*`` with optional predicates.

    Each transform may name a predicate (``transforms.<alias>.predicate``) and ``negate`` it; the
    transform then applies only to records the predicate accepts (or rejects), as in Kafka Connect.
    """
    predicates: dict[str, Any] = {}
    for alias in parse_aliases(connector.get("predicates")):
        prefix = f"predicates.{alias}."
        cls = registry.predicate_class(connector[prefix + "type"])
        predicate = cls()
        predicate.configure(
            {k[len(prefix) :]: v for k, v in connector.items() if k.startswith(prefix) and k != prefix + "type"}
        )
        predicates[alias] = predicate
    chain: list[Transform] = []
    for alias in parse_aliases(connector.get("transforms")):
        prefix = f"transforms.{alias}."
        own = {k[len(prefix) :]: v for k, v in connector.items() if k.startswith(prefix)}
        transform = registry.transformation_class(own.pop("type"))()
        predicate_alias = own.pop("predicate", None)
        negate = own.pop("negate", "false").strip().lower() == "true"
        transform.configure(own)
        chain.append(_guarded(transform, predicates.get(predicate_alias) if predicate_alias else None, negate))
    return chain


def _guarded(transform: Any, predicate: Any, negate: bool) -> Transform:
    if predicate is None:
        return transform.apply  # type: ignore[no-any-return]

    def apply(record: Any) -> Any:
        return transform.apply(record) if predicate.test(record) != negate else record

    return apply


def build_pipeline(registry: PluginRegistry, worker: WorkerConfig, connector: Mapping[str, str]) -> Pipeline:
    key_name, key_settings = _converter_source("key.converter", worker, connector, worker.key_converter)
    value_name, value_settings = _converter_source("value.converter", worker, connector, worker.value_converter)
    header_name, header_settings = _converter_source("header.converter", worker, connector, worker.header_converter)
    key = registry.converter_class(key_name)()
    key.configure({**key_settings, "converter.type": "key"}, True)
    value = registry.converter_class(value_name)()
    value.configure({**value_settings, "converter.type": "value"}, False)
    header = registry.header_converter_class(header_name)()
    header.configure({**header_settings, "converter.type": "header"})
    return Pipeline(
        key_converter=key,
        value_converter=value,
        header_converter=header,
        transforms=build_transforms(registry, connector),
        transform_classes=transform_class_names(registry, connector),
    )


def transform_class_names(registry: PluginRegistry, connector: Mapping[str, str]) -> list[str]:
    """The class of each transform in the chain, as error reports name it (Apache's class names)."""
    from kconnect.workers.error_handling import plugin_class_name

    return [
        plugin_class_name(registry.transformation_class(connector[f"transforms.{alias}.type"]))
        for alias in parse_aliases(connector.get("transforms"))
    ]


def sink_subscription(connector: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """The sink's ``topics`` list or ``topics.regex`` (validation guarantees exactly one is set)."""
    regex = (connector.get("topics.regex") or "").strip() or None
    return parse_topics(connector.get("topics")), regex
