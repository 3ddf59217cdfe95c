"""StringConverter: ``org.apache.kafka.connect.storage.StringConverter``."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef, ConfigType, Importance, Width
from kconnect.api.converter import Converter, HeaderConverter, SchemaAndValue
from kconnect.api.data import OPTIONAL_STRING_SCHEMA, Schema, Type, java_to_string
from kconnect.api.errors import ConfigError, DataError
from kconnect.api.records import Headers
from kconnect.plugins.converters._common import converter_config_def, java_float_to_string, with_type

ENCODING_CONFIG = "converter.encoding"


def connect_to_string(schema: Schema | None, value: Any) -> str:
    """Java's ``value.toString()`` for a Connect value."""
    if isinstance(value, float) and schema is not None and schema.type is Type.FLOAT32:
        return java_float_to_string(value)
    return java_to_string(value)


class StringConverter(Converter, HeaderConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.storage.StringConverter"

    def __init__(self) -> None:
        self._codec = "utf-8"
        self._utf16_bom = False

    @classmethod
    def config_def(cls) -> ConfigDef:
        return converter_config_def().define(
            ENCODING_CONFIG,
            ConfigType.STRING,
            "UTF-8",
            importance=Importance.HIGH,
            documentation="The name of the Java character set to use for encoding strings as byte arrays.",
            width=Width.MEDIUM,
            display_name="Encoding",
        )

    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        parsed = self.config_def().parse(with_type(configs, is_key))
        name = str(parsed[ENCODING_CONFIG])
        # Java's "UTF-16" writes a big-endian BOM and reads big-endian unless a BOM says otherwise.
        self._utf16_bom = name.upper().replace("_", "-") in ("UTF-16", "UTF16")
        try:
            self._codec = "utf-16-be" if self._utf16_bom else codecs.lookup(name).name
        except LookupError:
            raise ConfigError(f"Unsupported encoding: {name}") from None

    def _encode(self, text: str) -> bytes:
        data = text.encode(self._codec, errors="replace")
        return b"\xfe\xff" + data if self._utf16_bom else data

    def _decode(self, data: bytes) -> str:
        if self._utf16_bom:
            if data[:2] == b"\xfe\xff":
                return data[2:].decode("utf-16-be", errors="replace")
            if data[:2] == b"\xff\xfe":
                return data[2:].decode("utf-16-le", errors="replace")
        return data.decode(self._codec, errors="replace")

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        try:
            return self._encode(value if isinstance(value, str) else connect_to_string(schema, value))
        except UnicodeEncodeError as e:
            raise DataError("Failed to serialize to a string: " + str(e)) from e

    def to_connect_data(self, topic: str, value: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        return SchemaAndValue(OPTIONAL_STRING_SCHEMA, None if value is None else self._decode(bytes(value)))

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)
