"""Apache Kafka's built-in config providers (``org.apache.kafka.common.config.provider``), re-implemented.

* ``FileConfigProvider``: ``${file:/path/to/file.properties:key}`` reads a Java properties file;
* ``DirectoryConfigProvider``: ``${dir:/path/to/dir:name}`` reads the file ``name`` in a directory;
* ``EnvVarConfigProvider``: ``${env:NAME}`` reads an environment variable of the process.

The file-based ones honour ``allowed.paths`` (KIP-993), the environment one ``allowlist.pattern``.
"""

from kconnect.plugins.config_providers.directory import DirectoryConfigProvider
from kconnect.plugins.config_providers.env import EnvVarConfigProvider
from kconnect.plugins.config_providers.file import FileConfigProvider

__all__ = ["DirectoryConfigProvider", "EnvVarConfigProvider", "FileConfigProvider"]
