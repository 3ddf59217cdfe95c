"""``FileConfigProvider``: values from a Java properties file (``${file:/etc/kafka/secrets.properties:key}``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from kconnect.api.config_provider import ConfigData, ConfigProvider
from kconnect.api.errors import ConfigError
from kconnect.plugins.config_providers._allowed_paths import ALLOWED_PATHS_CONFIG, AllowedPaths

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.3.1"


class FileConfigProvider(ConfigProvider):
    """The path is a properties file (Java's ``Properties.load`` syntax, read as UTF-8); keys are its keys.

    Every lookup reads the file again, so a connector restarted after the file changed sees the new values.
    """

    class_name = "org.apache.kafka.common.config.provider.FileConfigProvider"

    def __init__(self) -> None:
        self._allowed: AllowedPaths | None = None

    @classmethod
    def version(cls) -> str:
        return KAFKA_VERSION

    def configure(self, configs: Mapping[str, str]) -> None:
        self._allowed = AllowedPaths(configs.get(ALLOWED_PATHS_CONFIG))

    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        if self._allowed is None:
            raise RuntimeError("The provider has not been configured yet.")
        if not path:
            return ConfigData({})
        file_path = self._allowed.parse_untrusted_path(path)
        if file_path is None:
            log.warning("The path %s is not allowed to be accessed", path)
            return ConfigData({})
        props = read_properties_file(file_path, path)
        if keys is None:
            return ConfigData(props)
        return ConfigData({k: props[k] for k in keys if k in props})


def read_properties_file(file_path: str, shown_path: str) -> dict[str, str]:
    """Parse a properties file as Java's ``Properties.load(Reader)`` over a strict UTF-8 reader."""
    from kconnect.workers.worker_config import parse_properties

    try:
        with open(file_path, encoding="utf-8", errors="strict", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        log.error("Could not read properties from file %s", shown_path, exc_info=e)
        raise ConfigError(f"Could not read properties from file {shown_path}") from None
    return parse_properties(text)
