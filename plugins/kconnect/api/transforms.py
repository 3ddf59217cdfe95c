"""Single message transforms and predicates (interfaces only; implementations are plugins).

``ConfigProvider`` lives in :mod:`kconnect.api.config_provider`; it is re-exported here for older imports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar, Generic, TypeVar

from kconnect.api.config import ConfigDef
from kconnect.api.config_provider import ConfigProvider
from kconnect.api.records import ConnectRecord

R = TypeVar("R", bound=ConnectRecord)


class Transformation(ABC, Generic[R]):
    class_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def version(cls) -> str:
        return "4.3.1"

    @classmethod
    @abstractmethod
    def config_def(cls) -> ConfigDef: ...

    @abstractmethod
    def configure(self, configs: Mapping[str, str]) -> None: ...

    @abstractmethod
    def apply(self, record: R) -> R | None:
        """Return the transformed record, or None to drop it."""

    def close(self) -> None:
        return None


class Predicate(ABC, Generic[R]):
    class_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def version(cls) -> str:
        return "4.3.1"

    @classmethod
    @abstractmethod
    def config_def(cls) -> ConfigDef: ...

    @abstractmethod
    def configure(self, configs: Mapping[str, str]) -> None: ...

    @abstractmethod
    def test(self, record: R) -> bool: ...

    def close(self) -> None:
        return None


__all__ = ["ConfigProvider", "Predicate", "Transformation"]
