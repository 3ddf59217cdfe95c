"""``EnvVarConfigProvider``: environment variables of the process (``${env:DB_PASSWORD}``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from kconnect.api.config_provider import ConfigData, ConfigProvider
from kconnect.api.errors import ConfigError
from kconnect.plugins.config_providers.file import KAFKA_VERSION
from kconnect.plugins.transforms._javatext import JavaRegexError, compile_java_regex

log = logging.getLogger(__name__)

ALLOWLIST_PATTERN_CONFIG = "allowlist.pattern"
ALLOWLIST_PATTERN_CONFIG_DOC = (
    "A pattern / regular expression that needs to match for environment variables to be used by this config provider."
)


class EnvVarConfigProvider(ConfigProvider):
    """Takes no path. ``allowlist.pattern`` (a Java regex matched against the whole name) limits which
    variables can be read; without it every variable can."""

    class_name = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        # Like Java, the environment is captured when the provider is created.
        self._env: dict[str, str] = dict(os.environ if env is None else env)
        self._allowed: dict[str, str] | None = None

    @classmethod
    def version(cls) -> str:
        return KAFKA_VERSION

    def configure(self, configs: Mapping[str, str]) -> None:
        if ALLOWLIST_PATTERN_CONFIG in configs:
            raw = str(configs[ALLOWLIST_PATTERN_CONFIG])
            try:
                pattern = compile_java_regex(raw)
            except (JavaRegexError, ValueError) as e:
                raise ConfigError(ALLOWLIST_PATTERN_CONFIG, raw, f"Invalid regular expression: {e}") from None
        else:
            pattern = compile_java_regex(".*")
            log.info("No pattern for environment variables provided. Using default pattern '(.*)'.")
        self._allowed = {k: v for k, v in self._env.items() if pattern.fullmatch(k)}

    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        if path:
            log.error("Path is not supported for EnvVarConfigProvider, invalid value '%s'", path)
            raise ConfigError(f"Path is not supported for EnvVarConfigProvider, invalid value '{path}'")
        if self._allowed is None:
            raise RuntimeError("The provider has not been configured yet.")
        if keys is None:
            return ConfigData(dict(self._allowed))
        return ConfigData({k: v for k, v in self._allowed.items() if k in keys})
