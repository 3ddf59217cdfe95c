"""Client override entries of config validation (Java's ``AbstractHerder.validateClientOverrides``).

For each Kafka client a connector uses — the producer for sources (and sinks with a DLQ topic),
the admin client for sources using topic creation (and sinks with a DLQ topic), the consumer for
sinks — every supplied ``<client>.override.<key>`` gets an entry after the connector's own,
checked by the worker's ``connector.client.config.override.policy``: ``All`` allows anything,
``None`` nothing, ``Principal`` only ``sasl.jaas.config``, ``sasl.mechanism`` and
``security.protocol``, ``Allowlist`` the keys of ``connector.client.config.override.allowlist``.
A forbidden key carries Java's message, so create/update answers 400 as Java does.

Entries for keys the client knows carry the client's definition, prefixed (the definitions are
generated from the kafka-clients jar by tests/golden/java/DumpClientConfigDefs.java into
client_config_defs.json); unknown keys have ``"definition": null``. Within a client, entries follow
the iteration order of Java's ``HashMap`` of the unprefixed keys, as Java's output does.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from kconnect.api.config import ConfigType, parse_type, render_value
from kconnect.api.errors import ConfigError
from kconnect.workers.clients import override_policy_violations
from kconnect.workers.javafmt import java_hashmap_order, java_hashmap_put_order
from kconnect.workers.topic_creation import uses_topic_creation
from kconnect.workers.worker_config import WorkerConfig

Client = Literal["producer", "consumer", "admin"]
PREFIXES: dict[Client, str] = {
    "producer": "producer.override.",
    "consumer": "consumer.override.",
    "admin": "admin.override.",
}
_DEFS_FILE = Path(__file__).with_name("client_config_defs.json")


@functools.cache
def client_definitions() -> dict[str, dict[str, dict[str, Any]]]:
    """Java's ProducerConfig/ConsumerConfig/AdminClientConfig keys as ConfigKeyInfo JSON, per client."""
    data: dict[str, dict[str, dict[str, Any]]] = json.loads(_DEFS_FILE.read_text(encoding="utf-8"))
    return data


def clients_used(connector_type: str, props: Mapping[str, str]) -> list[Client]:
    """The clients Java validates overrides for, in the order Java merges their entries."""
    has_dlq = bool((props.get("errors.deadletterqueue.topic.name") or "").strip())
    if connector_type == "source":
        return ["producer", "admin"] if uses_topic_creation(props) else ["producer"]
    return ["producer", "consumer", "admin"] if has_dlq else ["consumer"]


class OverrideParseError(ValueError):
    """A supplied override value does not parse as its client key's type (Java answers 500)."""


def client_override_entries(
    connector_type: str, props: Mapping[str, str], worker: WorkerConfig | None
) -> tuple[list[dict[str, Any]], int]:
    """``(ConfigInfo entries, error count)`` for the supplied client overrides."""
    entries: list[dict[str, Any]] = []
    errors = 0
    definitions = client_definitions()
    # Java walks the connector's props as a HashMap, then re-hashes each client's stripped keys.
    in_java_order = [(k, props[k]) for k in java_hashmap_order(list(props))]
    for client in clients_used(connector_type, props):
        prefix = PREFIXES[client]
        supplied = {k[len(prefix) :]: v for k, v in in_java_order if k.startswith(prefix)}
        if not supplied:
            continue
        violations = override_policy_violations(worker, supplied) if worker is not None else {}
        for key in java_hashmap_put_order(list(supplied)):
            definition = definitions.get(client, {}).get(key)
            value: Any = supplied[key]
            rendered: str | None = value
            if definition is not None:
                type_ = ConfigType(definition["type"])
                try:
                    parsed = parse_type(key, value, type_)
                except ConfigError as e:
                    raise OverrideParseError(f"org.apache.kafka.common.config.ConfigException: {e}") from None
                rendered = render_value(type_, parsed)
            messages = [violations[key]] if key in violations else []
            errors += 1 if messages else 0
            entries.append(
                {
                    "definition": None if definition is None else _key_info(prefix + key, definition),
                    "value": {
                        "name": prefix + key,
                        "value": rendered,
                        "recommended_values": [],
                        "errors": messages,
                        "visible": True,
                    },
                }
            )
    return entries, errors


def _key_info(name: str, definition: Mapping[str, Any]) -> dict[str, Any]:
    # Same shape as ConfigKey.info(): "order" next to "order_in_group" (see tests/golden/differences.py).
    info: dict[str, Any] = {"name": name}
    for k, v in definition.items():
        info[k] = v
        if k == "order_in_group":
            info["order"] = v
    return info
