"""``DirectoryConfigProvider``: one value per file of a directory (``${dir:/run/secrets:db-password}``).

Made for mounted secrets (Kubernetes, Docker): each regular file directly in the directory is a key,
its name the key and its whole content (UTF-8) the value.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from kconnect.api.config_provider import ConfigData, ConfigProvider
from kconnect.api.errors import ConfigError
from kconnect.plugins.config_providers._allowed_paths import ALLOWED_PATHS_CONFIG, AllowedPaths
from kconnect.plugins.config_providers.file import KAFKA_VERSION

log = logging.getLogger(__name__)


class DirectoryConfigProvider(ConfigProvider):
    class_name = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"

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
        directory = self._allowed.parse_untrusted_path(path)
        if directory is None:
            log.warning("The path %s is not allowed to be accessed", path)
            return ConfigData({})
        if not os.path.isdir(directory):
            log.warning("The path %s is not a directory", path)
            return ConfigData({})
        try:
            names = os.listdir(directory)
        except OSError as e:
            log.error("Could not list directory %s", directory, exc_info=e)
            raise ConfigError(f"Could not list directory {directory}") from None
        data: dict[str, str] = {}
        for name in names:
            file_path = os.path.join(directory, name)
            # Like Java's Files.isRegularFile: symbolic links are followed; subdirectories are skipped.
            if (keys is None or name in keys) and os.path.isfile(file_path):
                data[name] = _read(file_path, name)
        return ConfigData(data)


def _read(file_path: str, name: str) -> str:
    # Strict UTF-8, as Java 4.3.1 reads the file: bytes that are not UTF-8 fail the lookup.
    try:
        with open(file_path, encoding="utf-8", errors="strict", newline="") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        log.error("Could not read file %s for property %s", file_path, name, exc_info=e)
        raise ConfigError(f"Could not read file {file_path} for property {name}") from None
