"""``Cast$Key`` / ``Cast$Value``: cast fields, or the whole key/value, to another primitive type."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.data import (
    DATE_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
    java_double_to_string,
)
from kconnect.api.errors import ConfigError, DataError
from kconnect.api.transforms import Transformation
from kconnect.plugins.converters._common import (
    decimal_to_float32,
    java_decimal_to_string,
    java_float_to_string,
    to_float32,
    wrap,
)
from kconnect.plugins.transforms._util import (
    BOOLEAN,
    HIGH,
    LIST,
    MEDIUM,
    PKG,
    REPLACE_NULL_DOC,
    REPLACE_NULL_WITH_DEFAULT,
    KeyOrValue,
    LRUCache,
    R,
    add_field,
    copy_schema_basics,
    field_value,
    iso_date_string,
    java_class,
    java_list_string,
    java_split,
    logical_millis,
    require_fields,
    require_map,
    require_struct,
)

SPEC_CONFIG = "spec"
_PURPOSE = "cast types"
_INPUT_TYPES = (
    Type.INT8,
    Type.INT16,
    Type.INT32,
    Type.INT64,
    Type.FLOAT32,
    Type.FLOAT64,
    Type.BOOLEAN,
    Type.STRING,
    Type.BYTES,
)
_OUTPUT_TYPES = _INPUT_TYPES[:-1]
_WHOLE_VALUE: str | None = None


def _type_list(types: tuple[Type, ...]) -> str:
    return "[" + ", ".join(t.name for t in types) + "]"


def _valid_output(t: Type) -> Type:
    if t not in _OUTPUT_TYPES:
        raise ConfigError(
            f"Cast transformation does not support casting to {t.name}; supported types are {_type_list(_OUTPUT_TYPES)}"
        )
    return t


def _valid_input(t: Type) -> Type:
    if t not in _INPUT_TYPES:
        raise DataError(
            f"Cast transformation does not support casting from {t.name}; "
            f"supported types are {_type_list(_INPUT_TYPES)}"
        )
    return t


def _type_named(text: str) -> Type:
    try:
        return Type[text.strip().upper()]
    except KeyError:
        # Java: new ConfigException(message, cause), i.e. the (name, value) constructor
        raise ConfigError(
            "Invalid value java.lang.IllegalArgumentException: No enum constant "
            f"org.apache.kafka.connect.data.Schema.Type.{text.strip().upper()} for configuration "
            f"Invalid type found in casting spec: {text.strip()}"
        ) from None


def parse_field_types(mappings: list[str]) -> dict[str | None, Type]:
    casts: dict[str | None, Type] = {}
    whole = False
    for mapping in mappings:
        parts = java_split(mapping, ":")
        if len(parts) > 2:
            raise ConfigError("renames", java_list_string(mappings), "Invalid rename mapping: " + mapping)
        if len(parts) == 1:
            casts[_WHOLE_VALUE] = _valid_output(_type_named(parts[0]))
            whole = True
        elif len(parts) == 2:
            casts[parts[0].strip()] = _valid_output(_type_named(parts[1]))
        else:  # Java: ArrayIndexOutOfBoundsException for a spec like "::"
            raise IndexError("Index 1 out of bounds for length 0")
    if whole and len(mappings) > 1:
        raise ConfigError(
            "Cast transformations that specify a type to cast the entire value to "
            "may only specify a single cast in their spec"
        )
    return casts


def _validate_spec(name: str, value: Any) -> None:
    if not value:
        raise ConfigError("Must specify at least one field to cast.")
    parse_field_types(value)


CONFIG_DEF = (
    ConfigDef()
    .define(
        SPEC_CONFIG,
        LIST,
        validator=_validate_spec,
        importance=HIGH,
        documentation="List of fields and the type to cast them to of the form field1:type,field2:type to cast fields "
        "of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, "
        "float32, float64, boolean, and string. Note that binary fields can only be cast to string.",
    )
    .define(REPLACE_NULL_WITH_DEFAULT, BOOLEAN, True, importance=MEDIUM, documentation=REPLACE_NULL_DOC)
)

# --- Java's numeric conversions -----------------------------------------------------------------

_JAVA_INT = re.compile(r"[+-]?[0-9]+\Z")
_JAVA_FLOAT = re.compile(r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)\Z")


def _double_to_long(d: float) -> int:
    if math.isnan(d):
        return 0
    if math.isinf(d):
        return 2**63 - 1 if d > 0 else -(2**63)
    return max(-(2**63), min(2**63 - 1, int(d)))


def _double_to_int(d: float) -> int:
    if math.isnan(d):
        return 0
    if math.isinf(d):
        return 2**31 - 1 if d > 0 else -(2**31)
    return max(-(2**31), min(2**31 - 1, int(d)))


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _long_value(value: Any) -> int:
    if isinstance(value, float):
        return _double_to_long(value)
    if isinstance(value, Decimal):
        return wrap(int(value), 64)
    return int(value)


def _int_value(value: Any, bits: int) -> int:
    """``Number.byteValue()/shortValue()/intValue()``."""
    if isinstance(value, float):
        return wrap(_double_to_int(value), bits)
    return wrap(int(value), bits)


def _java_trim(text: str) -> str:
    return text.strip("".join(chr(i) for i in range(33)))


def _parse_int(text: str, bits: int) -> int:
    if not _JAVA_INT.match(text):
        raise ValueError(text)
    n = int(text)
    if not -(2 ** (bits - 1)) <= n < 2 ** (bits - 1):
        raise ValueError(text)
    return n


def _parse_float_text(text: str) -> Decimal | float:
    t = _java_trim(text)
    if not _JAVA_FLOAT.match(t):
        raise ValueError(text)
    t = t.rstrip("fFdD")
    if "NaN" in t:
        return math.nan
    if "Infinity" in t:
        return -math.inf if t.startswith("-") else math.inf
    return Decimal(t)


def _cast_to(value: Any, target: Type, schema: Schema | None) -> Any:
    if target in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        bits = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}[target]
        if _number(value):
            return _long_value(value) if bits == 64 else _int_value(value, bits)
        if isinstance(value, bool):
            return 1 if value else 0
        if isinstance(value, str):
            return _parse_int(value, bits)
    elif target in (Type.FLOAT32, Type.FLOAT64):
        single = target is Type.FLOAT32
        if _number(value):
            if isinstance(value, Decimal):
                return decimal_to_float32(value) if single else float(value)
            return to_float32(float(value)) if single else float(value)
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        if isinstance(value, str):
            parsed = _parse_float_text(value)
            if isinstance(parsed, Decimal):
                if single:
                    return decimal_to_float32(parsed) if parsed else (-0.0 if parsed.is_signed() else 0.0)
                return float(parsed)
            return parsed
    elif target is Type.BOOLEAN:
        if _number(value):
            return _long_value(value) != 0
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value.lower() == "true"
    elif target is Type.STRING:
        return _to_string(value, schema)
    raise DataError("Unexpected type in Cast transformation: " + java_class(value))


def _to_string(value: Any, schema: Schema | None) -> str:
    import datetime as _dt

    if isinstance(value, _dt.date | _dt.time):
        return iso_date_string(logical_millis(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if schema is not None and schema.type is Type.FLOAT32:
            return java_float_to_string(value)
        return java_double_to_string(value)
    if isinstance(value, Decimal):
        return java_decimal_to_string(value)
    return str(value)


def _infer_type(value: Any) -> Type | None:
    if isinstance(value, bool):
        return Type.BOOLEAN
    if isinstance(value, int):
        return Type.INT64
    if isinstance(value, float):
        return Type.FLOAT64
    if isinstance(value, str):
        return Type.STRING
    if isinstance(value, bytes | bytearray | memoryview):
        return Type.BYTES
    if isinstance(value, list):
        return Type.ARRAY
    if isinstance(value, dict):
        return Type.MAP
    if isinstance(value, Struct):
        return Type.STRUCT
    return None


def _encode_logical(schema: Schema, value: Any) -> Any:
    if schema.name == DATE_NAME:
        return logical_millis(value) // 86_400_000
    if schema.name in (TIME_NAME, TIMESTAMP_NAME):
        return logical_millis(value)
    return value


def cast_value_to_type(schema: Schema | None, value: Any, target: Type) -> Any:
    if value is None:
        return None
    inferred = schema.type if schema is not None else _infer_type(value)
    if inferred is None:
        raise DataError(
            f"Cast transformation was passed a value of type {java_class(value)} "
            "which is not supported by Connect's data API"
        )
    _valid_input(inferred)
    if schema is not None and schema.name is not None and target is not Type.STRING:
        value = _encode_logical(schema, value)
    try:
        return _cast_to(value, target, schema)
    except (ValueError, InvalidOperation):
        raise DataError(f"Value ({_to_string(value, schema)}) was out of range for requested data type") from None


class _Cast(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return CONFIG_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = CONFIG_DEF.parse(configs)
        self._casts = parse_field_types(parsed[SPEC_CONFIG])
        self._whole = self._casts.get(_WHOLE_VALUE)
        self._cache: LRUCache[Schema, Schema] = LRUCache()
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT])

    def apply(self, record: R) -> R | None:
        if self.operating_value(record) is None:
            return record
        if self.operating_schema(record) is None:
            return self._apply_schemaless(record)
        return self._apply_with_schema(record)

    def _apply_schemaless(self, record: R) -> R:
        value = self.operating_value(record)
        if self._whole is not None:
            return self.new_record(record, None, cast_value_to_type(None, value, self._whole))
        original = require_map(value, _PURPOSE)
        updated = dict(original)
        for name, target in self._casts.items():
            assert name is not None
            updated[name] = cast_value_to_type(None, original.get(name), target)
        return self.new_record(record, None, updated)

    def _apply_with_schema(self, record: R) -> R:
        schema = self.operating_schema(record)
        assert schema is not None
        updated_schema = self._updated_schema(schema)
        if self._whole is not None:
            return self.new_record(
                record, updated_schema, cast_value_to_type(schema, self.operating_value(record), self._whole)
            )
        value = require_struct(self.operating_value(record), _PURPOSE)
        out = Struct(updated_schema)
        for f in value.schema.fields:
            original = field_value(value, f.name, self._replace_null)
            target = self._casts.get(f.name)
            out.put(f.name, cast_value_to_type(f.schema, original, target) if target is not None else original)
        return self.new_record(record, updated_schema, out)

    def _updated_schema(self, schema: Schema) -> Schema:
        cached = self._cache.get(schema)
        if cached is not None:
            return cached
        if self._whole is not None:
            builder = copy_schema_basics(schema, SchemaBuilder(self._whole))
        else:
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            for f in require_fields(schema):
                target = self._casts.get(f.name)
                if target is not None:
                    fb = SchemaBuilder(target)
                    if f.schema.optional:
                        fb.optional()
                    if f.schema.default is not None:
                        fb.default_value(cast_value_to_type(f.schema, f.schema.default, target))
                    add_field(builder, f.name, fb.build())
                else:
                    add_field(builder, f.name, f.schema)
        if schema.optional:
            builder.optional()
        if schema.default is not None:
            builder.default_value(cast_value_to_type(schema, schema.default, builder._type))
        updated = builder.build()
        self._cache.put(schema, updated)
        return updated


class CastKey(_Cast[R]):
    class_name: ClassVar[str] = PKG + "Cast$Key"
    is_key = True


class CastValue(_Cast[R]):
    class_name: ClassVar[str] = PKG + "Cast$Value"
    is_key = False
