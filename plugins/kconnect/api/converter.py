"""Converter and HeaderConverter interfaces (bytes <-> Connect data)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.data import Schema
from kconnect.api.records import Headers


class SchemaAndValue:
    __slots__ = ("schema", "value")

    def __init__(self, schema: Schema | None, value: Any) -> None:
        self.schema = schema
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SchemaAndValue) and (other.schema, other.value) == (self.schema, self.value)

    def __repr__(self) -> str:
        return f"SchemaAndValue(schema={self.schema!r}, value={self.value!r})"

    def __hash__(self) -> int:
        return hash(repr(self))


NULL_SCHEMA_AND_VALUE = SchemaAndValue(None, None)


class Converter(ABC):
    """Converts record keys or values. ``configure`` receives the prefix-stripped settings."""

    #: Apache's class name, listed by ``GET /connector-plugins`` and accepted in configs.
    class_name: ClassVar[str] = ""
    #: Extra names a config may use for this plugin.
    aliases: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def version(cls) -> str:
        return "4.3.1"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    @abstractmethod
    def configure(self, configs: Mapping[str, str], is_key: bool) -> None: ...

    @abstractmethod
    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None: ...

    @abstractmethod
    def to_connect_data(self, topic: str, value: bytes | None, headers: Headers | None = None) -> SchemaAndValue: ...

    def close(self) -> None:
        return None


class HeaderConverter(ABC):
    class_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def version(cls) -> str:
        return "4.3.1"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    @abstractmethod
    def configure(self, configs: Mapping[str, str]) -> None: ...

    @abstractmethod
    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None: ...

    @abstractmethod
    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue: ...

    def close(self) -> None:
        return None
