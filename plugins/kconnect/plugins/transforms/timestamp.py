"""``TimestampConverter$Key`` / ``$Value``: convert between epoch numbers, formatted strings and Connect's
Date/Time/Timestamp, with ``SimpleDateFormat`` patterns (UTC) as Apache's."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.data import (
    DATE_NAME,
    INT64_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    TIME_NAME,
    TIMESTAMP_NAME,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
    date_schema,
    days_to_date,
    millis_to_time,
    millis_to_timestamp,
    time_schema,
    timestamp_schema,
)
from kconnect.api.errors import ConfigError, ConnectError, DataError
from kconnect.api.transforms import Transformation
from kconnect.plugins.transforms._javatext import JavaDateFormat
from kconnect.plugins.transforms._util import (
    BOOLEAN,
    HIGH,
    LOW,
    MEDIUM,
    PKG,
    REPLACE_NULL_DOC,
    REPLACE_NULL_WITH_DEFAULT,
    STRING,
    KeyOrValue,
    LRUCache,
    R,
    add_field,
    copy_schema_basics,
    field_value,
    java_class,
    java_schema_string,
    logical_millis,
    require_map,
    require_struct_or_null,
    valid_string,
)

_PURPOSE = "converting timestamp formats"
TYPE_STRING, TYPE_UNIX, TYPE_DATE, TYPE_TIME, TYPE_TIMESTAMP = "string", "unix", "Date", "Time", "Timestamp"
_MILLIS_PER_DAY = 86_400_000

CONFIG_DEF = (
    ConfigDef()
    .define(
        "field",
        STRING,
        "",
        importance=HIGH,
        documentation="The field containing the timestamp, or empty if the entire value is a timestamp",
    )
    .define(
        "target.type",
        STRING,
        validator=valid_string(TYPE_STRING, TYPE_UNIX, TYPE_DATE, TYPE_TIME, TYPE_TIMESTAMP),
        importance=HIGH,
        documentation="The desired timestamp representation: string, unix, Date, Time, or Timestamp",
    )
    .define(
        "format",
        STRING,
        "",
        importance=MEDIUM,
        documentation="A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when "
        "type=string or used to parse the input if the input is a string.",
    )
    .define(
        "unix.precision",
        STRING,
        "milliseconds",
        validator=valid_string("nanoseconds", "microseconds", "milliseconds", "seconds"),
        importance=LOW,
        documentation="The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or "
        "nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long."
        "Note: This SMT will cause precision loss during conversions from, and to, values with sub-millisecond "
        "components.",
    )
    .define(REPLACE_NULL_WITH_DEFAULT, BOOLEAN, True, importance=MEDIUM, documentation=REPLACE_NULL_DOC)
)

_SCHEMAS: dict[str, tuple[Schema, Schema]] = {
    TYPE_STRING: (STRING_SCHEMA, OPTIONAL_STRING_SCHEMA),
    TYPE_UNIX: (INT64_SCHEMA, OPTIONAL_INT64_SCHEMA),
    TYPE_DATE: (date_schema().build(), date_schema().optional().build()),
    TYPE_TIME: (time_schema().build(), time_schema().optional().build()),
    TYPE_TIMESTAMP: (timestamp_schema().build(), timestamp_schema().optional().build()),
}


def _floor_div(a: int, b: int) -> int:
    return a // b


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _saturate(n: int) -> int:
    return max(-(2**63), min(2**63 - 1, n))


class _TimestampConverter(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return CONFIG_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = CONFIG_DEF.parse(configs)
        self._field: str = parsed["field"]
        self._type: str = parsed["target.type"]
        pattern: str = parsed["format"]
        self._precision: str = parsed["unix.precision"]
        self._cache: LRUCache[Schema, Schema] = LRUCache()
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        blank = pattern.strip() == ""
        if self._type == TYPE_STRING and blank:
            raise ConfigError("TimestampConverter requires format option to be specified when using string timestamps")
        self._format: JavaDateFormat | None = None
        if not blank:
            try:
                self._format = JavaDateFormat(pattern)
            except ValueError as e:
                raise ConfigError(
                    f"Invalid value java.lang.IllegalArgumentException: {e} for configuration "
                    "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: "
                    + pattern
                ) from None

    # -- translators: to and from epoch millis (Java: java.util.Date) ---------------------------
    def _to_raw(self, kind: str, value: Any) -> int:
        if kind == TYPE_STRING:
            if not isinstance(value, str):
                raise DataError("Expected string timestamp to be a String, but found " + java_class(value))
            if self._format is None:
                raise TypeError(
                    'Cannot invoke "java.text.SimpleDateFormat.parse(String)" because "config.format" is null'
                )
            try:
                return self._format.parse(value)
            except (ValueError, OverflowError):
                raise DataError(
                    f"Could not parse timestamp: value ({value}) does not match pattern ({self._format.to_pattern()})"
                ) from None
        if kind == TYPE_UNIX:
            if not isinstance(value, int) or isinstance(value, bool):
                raise DataError("Expected Unix timestamp to be a Long, but found " + java_class(value))
            if self._precision == "seconds":
                return _saturate(value * 1000)
            if self._precision == "microseconds":
                return _trunc_div(value, 1000)
            if self._precision == "nanoseconds":
                return _trunc_div(value, 1_000_000)
            return value
        if not isinstance(value, _dt.date | _dt.time):
            raise DataError(f"Expected {kind} to be a java.util.Date, but found " + java_class(value))
        return logical_millis(value)

    def _to_type(self, millis: int) -> Any:
        t = self._type
        if t == TYPE_STRING:
            assert self._format is not None
            return self._format.format(millis)
        if t == TYPE_UNIX:
            if self._precision == "seconds":
                return _trunc_div(millis, 1000)
            if self._precision == "microseconds":
                return _saturate(millis * 1000)
            if self._precision == "nanoseconds":
                return _saturate(millis * 1_000_000)
            return millis
        if t == TYPE_DATE:
            return days_to_date(_floor_div(millis, _MILLIS_PER_DAY))
        if t == TYPE_TIME:
            return millis_to_time(millis % _MILLIS_PER_DAY)
        return millis_to_timestamp(millis)

    def _convert(self, value: Any, kind: str | None = None) -> Any:
        if value is None:
            return None
        if kind is None:
            kind = _infer(value)
        return self._to_type(self._to_raw(kind, value))

    # -- apply ----------------------------------------------------------------------------------
    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        if schema is None:
            raw = self.operating_value(record)
            if raw is None or self._field == "":
                return self.new_record(record, None, self._convert(raw))
            m = require_map(raw, _PURPOSE)
            updated = dict(m)
            updated[self._field] = self._convert(m.get(self._field))
            return self.new_record(record, None, updated)
        if self._field == "":
            value = self.operating_value(record)
            updated_schema = _SCHEMAS[self._type][1 if schema.optional else 0]
            return self.new_record(record, updated_schema, self._convert(value, _kind_from_schema(schema)))
        s = require_struct_or_null(self.operating_value(record), _PURPOSE)
        cached = self._cache.get(schema)
        if cached is None:
            b = copy_schema_basics(schema, SchemaBuilder.struct())
            for f in schema.fields:
                if f.name == self._field:
                    add_field(b, f.name, _SCHEMAS[self._type][1 if f.schema.optional else 0])
                else:
                    add_field(b, f.name, f.schema)
            if schema.optional:
                b.optional()
            if schema.default is not None:
                b.default_value(self._apply_struct(schema.default, b.build()))
            cached = b.build()
            self._cache.put(schema, cached)
        return self.new_record(record, cached, self._apply_struct(s, cached))

    def _apply_struct(self, value: Struct | None, updated_schema: Schema) -> Struct | None:
        if value is None:
            return None
        out = Struct(updated_schema)
        for f in value.schema.fields:
            v = field_value(value, f.name, self._replace_null)
            if f.name == self._field:
                v = self._convert(v, _kind_from_schema(f.schema))
            out.put(f.name, v)
        return out


def _kind_from_schema(schema: Schema) -> str:
    if schema.name == TIMESTAMP_NAME:
        return TYPE_TIMESTAMP
    if schema.name == DATE_NAME:
        return TYPE_DATE
    if schema.name == TIME_NAME:
        return TYPE_TIME
    if schema.type is Type.STRING:
        return TYPE_STRING
    if schema.type is Type.INT64:
        return TYPE_UNIX
    raise ConnectError(f"Schema {java_schema_string(schema)} does not correspond to a known timestamp type format")


def _infer(value: Any) -> str:
    if isinstance(value, _dt.date | _dt.time):
        return TYPE_TIMESTAMP
    if isinstance(value, int) and not isinstance(value, bool):
        return TYPE_UNIX
    if isinstance(value, str):
        return TYPE_STRING
    raise DataError(f"TimestampConverter does not support {java_class(value)} objects as timestamps")


class TimestampConverterKey(_TimestampConverter[R]):
    class_name: ClassVar[str] = PKG + "TimestampConverter$Key"
    is_key = True


class TimestampConverterValue(_TimestampConverter[R]):
    class_name: ClassVar[str] = PKG + "TimestampConverter$Value"
