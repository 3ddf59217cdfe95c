"""Connector interfaces: a connector splits a job into task configs and never moves data itself."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from kconnect.api.config import ConfigDef, ConfigValue

if TYPE_CHECKING:
    from kconnect.api.task import SinkTask, SourceTask, Task


class ConnectorContext(Protocol):
    def request_task_reconfiguration(self) -> None:
        """Ask the runtime to call ``task_configs`` again (e.g. the source's partitions changed)."""

    def raise_error(self, error: BaseException) -> None:
        """Fail the connector from a background thread of the connector."""


class ExactlyOnceSupport(enum.Enum):
    SUPPORTED = "SUPPORTED"
    UNSUPPORTED = "UNSUPPORTED"


class ConnectorTransactionBoundaries(enum.Enum):
    SUPPORTED = "SUPPORTED"
    UNSUPPORTED = "UNSUPPORTED"


class Connector(ABC):
    """Base of every connector.

    A plugin is a name, a config spec and a constructor: ``class_name``/``aliases`` name it,
    ``config_def`` specifies it, and the runtime constructs it with no arguments.
    """

    #: Apache's (or the plugin's own) fully qualified class name, reported by REST listings.
    class_name: ClassVar[str] = ""
    #: Other names accepted in ``connector.class``.
    aliases: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.context: ConnectorContext | None = None

    def initialize(self, context: ConnectorContext) -> None:
        self.context = context

    @classmethod
    def version(cls) -> str:
        return "0.0.0"

    @classmethod
    @abstractmethod
    def config_def(cls) -> ConfigDef: ...

    def validate(self, configs: Mapping[str, str]) -> dict[str, ConfigValue]:
        """Validate the connector's own keys; override to add cross-key checks."""
        return self.config_def().validate_all(configs)

    @abstractmethod
    def start(self, props: Mapping[str, str]) -> None: ...

    @classmethod
    @abstractmethod
    def task_class(cls) -> type[Task]: ...

    @abstractmethod
    def task_configs(self, max_tasks: int) -> list[dict[str, str]]: ...

    @abstractmethod
    def stop(self) -> None: ...

    def alter_offsets(self, connector_config: Mapping[str, str], offsets: Mapping[Any, Any]) -> bool:
        """KIP-875: return True if the connector handled an offsets alteration itself.

        Returning False (the default) means the connector neither supports nor rejects it; raise
        to reject with a message the REST API shows.
        """
        return False


class SourceConnector(Connector):
    @classmethod
    @abstractmethod
    def task_class(cls) -> type[SourceTask]: ...

    def exactly_once_support(self, connector_config: Mapping[str, str]) -> ExactlyOnceSupport | None:
        """KIP-618: whether this connector can provide exactly-once with this config (None: unknown)."""
        return None

    def can_define_transaction_boundaries(self, connector_config: Mapping[str, str]) -> ConnectorTransactionBoundaries:
        return ConnectorTransactionBoundaries.UNSUPPORTED


class SinkConnector(Connector):
    @classmethod
    @abstractmethod
    def task_class(cls) -> type[SinkTask]: ...
