"""ByteArrayConverter: ``org.apache.kafka.connect.converters.ByteArrayConverter`` (pass-through)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.converter import Converter, HeaderConverter, SchemaAndValue
from kconnect.api.data import OPTIONAL_BYTES_SCHEMA, Schema, Type
from kconnect.api.errors import DataError
from kconnect.api.records import Headers
from kconnect.plugins.converters._common import converter_config_def, java_class_name


class ByteArrayConverter(Converter, HeaderConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.converters.ByteArrayConverter"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return converter_config_def()

    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        return None  # Apache ignores its configuration

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is not None and schema.type is not Type.BYTES:
            raise DataError("Invalid schema type for ByteArrayConverter: " + schema.type.name)
        if value is None:
            return None
        if isinstance(value, bytes):
            return value
        if isinstance(value, bytearray | memoryview):
            return bytes(value)
        raise DataError("ByteArrayConverter is not compatible with objects of type " + java_class_name(value))

    def to_connect_data(self, topic: str, value: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        return SchemaAndValue(OPTIONAL_BYTES_SCHEMA, value)

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)
