"""Config providers (KIP-297): values in a configuration that are looked up elsewhere at run time.

A configuration value may hold placeholders ``${provider:path:key}`` or ``${provider:key}``. The
worker declares the providers (``config.providers=file`` and ``config.providers.file.class=...``);
:class:`ConfigTransformer` asks each provider for the keys the placeholders name and substitutes
the answers. A provider may attach a time-to-live to what it returns; the runtime uses it to
restart connectors whose values expire (``config.action.reload=restart``).

The semantics follow Apache Kafka's ``org.apache.kafka.common.config.ConfigTransformer``:

* the placeholder syntax is exactly Java's pattern :data:`DEFAULT_PATTERN` (provider and path are
  the shortest runs before a ``:``; the key is everything up to the closing brace);
* a placeholder naming an unknown provider, or a key the provider did not return, is left as is;
* a replacement is never scanned again for placeholders;
* each provider is asked once per path, with every key wanted from that path.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

#: Java's ``ConfigTransformer.DEFAULT_PATTERN``: ``${provider:[path:]key}``.
DEFAULT_PATTERN = re.compile(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}")
#: The path of a placeholder without one (``${provider:key}``).
EMPTY_PATH = ""


@dataclass(frozen=True)
class ConfigData:
    """What a provider returns for one path: key -> value, and how long the values stay valid.

    ``ttl`` is in milliseconds; None means the values do not expire.
    """

    data: Mapping[str, str]
    ttl: int | None = None


class ConfigProvider(ABC):
    """Looks up configuration values by path and key (Apache's ``ConfigProvider``).

    The runtime creates one instance per declared provider name, calls :meth:`configure` with the
    ``config.providers.<name>.param.*`` settings (prefix stripped), then :meth:`get` once per path
    a configuration refers to, and :meth:`close` when done. Raise
    :class:`~kconnect.api.errors.ConfigError` when a lookup fails for a reason the user must fix.
    """

    class_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def version(cls) -> str:
        return "undefined"

    @abstractmethod
    def configure(self, configs: Mapping[str, str]) -> None: ...

    @abstractmethod
    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        """The data at ``path``: only ``keys`` when given, else everything the path holds."""

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class ConfigVariable:
    """One placeholder found in a value."""

    provider: str
    path: str
    key: str

    @classmethod
    def of(cls, match: re.Match[str]) -> ConfigVariable:
        path = match.group(3)
        return cls(match.group(1), EMPTY_PATH if path is None else path, match.group(4))


@dataclass(frozen=True)
class ConfigTransformerResult:
    """The configuration with placeholders substituted, and the TTL (ms) reported per path."""

    data: dict[str, str]
    ttls: dict[str, int] = field(default_factory=dict)


def variables_in(value: str) -> list[ConfigVariable]:
    """Every placeholder of ``value``, left to right."""
    return [ConfigVariable.of(m) for m in DEFAULT_PATTERN.finditer(value)]


def has_variables(value: str | None) -> bool:
    """Whether ``value`` contains at least one placeholder."""
    return value is not None and DEFAULT_PATTERN.search(value) is not None


class ConfigTransformer:
    """Substitutes placeholders using the given providers (by the names placeholders use)."""

    def __init__(self, providers: Mapping[str, ConfigProvider | None]) -> None:
        self.providers = providers

    def transform(self, configs: Mapping[str, str]) -> ConfigTransformerResult:
        wanted: dict[str, dict[str, set[str]]] = {}
        for value in configs.values():
            for var in variables_in(value):
                wanted.setdefault(var.provider, {}).setdefault(var.path, set()).add(var.key)

        lookups: dict[str, dict[str, Mapping[str, str]]] = {}
        ttls: dict[str, int] = {}
        for provider_name, keys_by_path in wanted.items():
            provider = self.providers.get(provider_name)
            if provider is None:
                continue
            for path, keys in keys_by_path.items():
                answer = provider.get(path, set(keys))
                # Like Java, TTLs are kept per path (the last provider asked wins a shared path).
                if answer.ttl is not None and answer.ttl >= 0:
                    ttls[path] = answer.ttl
                lookups.setdefault(provider_name, {})[path] = answer.data or {}

        data = {key: _replace(lookups, value) for key, value in configs.items()}
        return ConfigTransformerResult(data, ttls)


def _replace(lookups: Mapping[str, Mapping[str, Mapping[str, str]]], value: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        var = ConfigVariable.of(match)
        found = lookups.get(var.provider, {}).get(var.path, {}).get(var.key)
        return match.group(0) if found is None else found

    return DEFAULT_PATTERN.sub(substitute, value)


__all__ = [
    "DEFAULT_PATTERN",
    "EMPTY_PATH",
    "ConfigData",
    "ConfigProvider",
    "ConfigTransformer",
    "ConfigTransformerResult",
    "ConfigVariable",
    "has_variables",
    "variables_in",
]
