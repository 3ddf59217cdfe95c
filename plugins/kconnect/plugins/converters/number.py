"""Apache's fixed-width number converters and BooleanConverter (big-endian, like Kafka's serializers)."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.converter import Converter, HeaderConverter, SchemaAndValue
from kconnect.api.data import (
    OPTIONAL_BOOLEAN_SCHEMA,
    OPTIONAL_FLOAT32_SCHEMA,
    OPTIONAL_FLOAT64_SCHEMA,
    OPTIONAL_INT16_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    Schema,
    Type,
)
from kconnect.api.errors import DataError
from kconnect.api.records import Headers
from kconnect.plugins.converters._common import converter_config_def, java_class_name, with_type


class _NumberConverter(Converter, HeaderConverter):
    type_name: ClassVar[str] = ""
    java_type: ClassVar[str] = ""
    schema: ClassVar[Schema]
    fmt: ClassVar[struct.Struct]

    @classmethod
    def config_def(cls) -> ConfigDef:
        return converter_config_def()

    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        self.config_def().parse(with_type(configs, is_key))

    def _check(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise DataError(f"Failed to serialize to {self.type_name} (was {java_class_name(value)}): ")

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        try:
            return self.fmt.pack(self._check(value))
        except struct.error as e:
            raise DataError(f"Failed to serialize to {self.type_name} (was {java_class_name(value)}): ") from e

    def to_connect_data(self, topic: str, value: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue(self.schema, None)
        if len(value) != self.fmt.size:
            raise DataError(
                f"Failed to deserialize {self.type_name}: Size of data received by "
                f"{self.java_type}Deserializer is not {self.fmt.size}"
            )
        return SchemaAndValue(self.schema, self.fmt.unpack(value)[0])

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)


class ShortConverter(_NumberConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.converters.ShortConverter"
    type_name = "short"
    java_type = "Short"
    schema = OPTIONAL_INT16_SCHEMA
    fmt = struct.Struct(">h")


class IntegerConverter(_NumberConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.converters.IntegerConverter"
    type_name = "integer"
    java_type = "Integer"
    schema = OPTIONAL_INT32_SCHEMA
    fmt = struct.Struct(">i")


class LongConverter(_NumberConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.converters.LongConverter"
    type_name = "long"
    java_type = "Long"
    schema = OPTIONAL_INT64_SCHEMA
    fmt = struct.Struct(">q")


class _FloatingConverter(_NumberConverter):
    def _check(self, value: Any) -> Any:
        if isinstance(value, float):
            return value
        raise DataError(f"Failed to serialize to {self.type_name} (was {java_class_name(value)}): ")

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        data = super().from_connect_data(topic, schema, value, headers)
        if data is not None and value != value:
            # Java's floatToIntBits/doubleToLongBits collapse every NaN to the canonical one.
            return b"\x7f\xc0\x00\x00" if self.fmt.size == 4 else b"\x7f\xf8" + bytes(6)
        return data


class FloatConverter(_FloatingConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.converters.FloatConverter"
    type_name = "float"
    java_type = "Float"
    schema = OPTIONAL_FLOAT32_SCHEMA
    fmt = struct.Struct(">f")


class DoubleConverter(_FloatingConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.converters.DoubleConverter"
    type_name = "double"
    java_type = "Double"
    schema = OPTIONAL_FLOAT64_SCHEMA
    fmt = struct.Struct(">d")


class BooleanConverter(Converter, HeaderConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.converters.BooleanConverter"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return converter_config_def()

    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        self.config_def().parse(with_type(configs, is_key))

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is not None and schema.type is not Type.BOOLEAN:
            raise DataError("Invalid schema type for BooleanConverter: " + schema.type.name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise DataError("BooleanConverter is not compatible with objects of type " + java_class_name(value))
        return b"\x01" if value else b"\x00"

    def to_connect_data(self, topic: str, value: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue(OPTIONAL_BOOLEAN_SCHEMA, None)
        if len(value) != 1:
            raise DataError("Failed to deserialize boolean: Size of data received by BooleanDeserializer is not 1")
        if value[0] not in (0, 1):
            raise DataError("Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer")
        return SchemaAndValue(OPTIONAL_BOOLEAN_SCHEMA, value[0] == 1)

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)
