"""Helpers shared by the transforms: Apache's ``Requirements``, ``SchemaUtil``, caches and Java renderings."""

from __future__ import annotations

import datetime as _dt
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Generic, TypeVar

from kconnect.api.config import ConfigType, Importance
from kconnect.api.data import Schema, SchemaBuilder, Struct, Type
from kconnect.api.errors import ConfigError, DataError
from kconnect.api.records import ConnectRecord, Headers, SinkRecord, SourceRecord, replace_record

R = TypeVar("R", bound=ConnectRecord)
K = TypeVar("K")
V = TypeVar("V")

PKG = "org.apache.kafka.connect.transforms."
REPLACE_NULL_WITH_DEFAULT = "replace.null.with.default"
REPLACE_NULL_DOC = (
    "Whether to replace fields that have a default value and that are null to the default value. "
    "When set to true, the default value is used, otherwise null is used."
)
BOOLEAN = ConfigType.BOOLEAN
STRING = ConfigType.STRING
LIST = ConfigType.LIST
INT = ConfigType.INT
HIGH = Importance.HIGH
MEDIUM = Importance.MEDIUM
LOW = Importance.LOW


class LRUCache(Generic[K, V]):
    """Apache's ``SynchronizedCache(LRUCache(16))``, keyed by schema equality."""

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        try:
            value = self._items[key]
        except (KeyError, TypeError):
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        try:
            self._items[key] = value
        except TypeError:
            return
        self._items.move_to_end(key)
        if len(self._items) > self._size:
            self._items.popitem(last=False)


# --- Requirements ----------------------------------------------------------------------------


def java_class_name(value: Any) -> str:
    """``value.getClass().getName()`` for the Java class a Connect value would have."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Long"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, bytes | bytearray | memoryview):
        return "[B"
    if isinstance(value, Decimal):
        return "java.math.BigDecimal"
    if isinstance(value, _dt.date | _dt.time):
        return "java.util.Date"
    if isinstance(value, list | tuple):
        return "java.util.ArrayList"
    if isinstance(value, dict):
        return "java.util.HashMap"
    if isinstance(value, Struct):
        return "org.apache.kafka.connect.data.Struct"
    if isinstance(value, SinkRecord):
        return "org.apache.kafka.connect.sink.SinkRecord"
    if isinstance(value, SourceRecord):
        return "org.apache.kafka.connect.source.SourceRecord"
    return type(value).__module__ + "." + type(value).__qualname__


def java_class(value: Any) -> str:
    """``value.getClass()`` as Java prints it (``class java.lang.String``)."""
    return "class " + java_class_name(value)


def require_schema(schema: Schema | None, purpose: str) -> Schema:
    if schema is None:
        raise DataError("Schema required for [" + purpose + "]")
    return schema


def require_map(value: Any, purpose: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DataError(
            f"Only Map objects supported in absence of schema for [{purpose}], found: {java_class_name(value)}"
        )
    return value


def require_map_or_null(value: Any, purpose: str) -> dict[str, Any] | None:
    return None if value is None else require_map(value, purpose)


def require_struct(value: Any, purpose: str) -> Struct:
    if not isinstance(value, Struct):
        raise DataError(f"Only Struct objects supported for [{purpose}], found: {java_class_name(value)}")
    return value


def require_struct_or_null(value: Any, purpose: str) -> Struct | None:
    return None if value is None else require_struct(value, purpose)


def require_sink_record(record: ConnectRecord, purpose: str) -> SinkRecord:
    if not isinstance(record, SinkRecord):
        raise DataError(f"Only SinkRecord supported for [{purpose}], found: {java_class_name(record)}")
    return record


# --- SchemaUtil --------------------------------------------------------------------------------


def builder_for(schema: Schema) -> SchemaBuilder:
    """A builder of the same type (and element schemas), like ``new SchemaBuilder(type)``."""
    b = SchemaBuilder(schema.type)
    if schema.type is Type.ARRAY:
        b._value = schema.value_schema
    return b


def copy_schema_basics(source: Schema, builder: SchemaBuilder | None = None) -> SchemaBuilder:
    """Apache's ``SchemaUtil.copySchemaBasics``: name, version, doc and parameters."""
    b = builder if builder is not None else builder_for(source)
    b._name = source.name
    b._version = source.version
    b._doc = source.doc
    if source.parameters is not None:
        b.parameters(source.parameters)
    return b


def field_value(value: Struct, name: str, replace_null_with_default: bool) -> Any:
    return value.get(name) if replace_null_with_default else value.get_without_default(name)


def new_struct(schema: Schema, values: Mapping[str, Any]) -> Struct:
    s = Struct(schema)
    for k, v in values.items():
        s.put(k, v)
    return s


# --- records -----------------------------------------------------------------------------------


def with_key(record: R, schema: Schema | None, key: Any) -> R:
    return replace_record(record, key_schema=schema, key=key, headers=record.headers.copy())


def with_value(record: R, schema: Schema | None, value: Any) -> R:
    return replace_record(record, value_schema=schema, value=value, headers=record.headers.copy())


def with_headers(record: R, headers: Headers) -> R:
    return replace_record(record, headers=headers)


# --- config validators (Apache's messages) ----------------------------------------------------


def java_list_string(values: Any) -> str:
    if isinstance(values, list | tuple):
        return "[" + ", ".join(str(v) for v in values) + "]"
    return "null" if values is None else str(values)


def any_non_duplicate_values(empty_allowed: bool, null_allowed: bool) -> Callable[[str, Any], None]:
    """``ConfigDef.ValidList.anyNonDuplicateValues``."""

    def check(name: str, value: Any) -> None:
        if value is None:
            if null_allowed:
                return
            raise ConfigError(f"Configuration '{name}' values must not be null.")
        if not empty_allowed and not value:
            raise ConfigError(f"Configuration '{name}' must not be empty. Valid values include: any non-empty value")
        # (duplicates never get here: Apache's ConfigDef.parseValue removes them first, see dedup_lists)
        for v in value:
            if v == "":
                raise ConfigError(f"Configuration '{name}' values must not be empty.")

    return check


def non_empty_list(name: str, value: Any) -> None:
    """``NonEmptyListValidator``."""
    if not value:
        raise ConfigError(name, java_list_string(value), "Empty list")


def non_null(name: str, value: Any) -> None:
    """``ConfigDef.NonNullValidator``."""
    if value is None:
        raise ConfigError(name, "null", "entry must be non null")


def non_empty_string(name: str, value: Any) -> None:
    """``ConfigDef.NonEmptyString`` (null passes)."""
    if value is not None and value == "":
        raise ConfigError(name, value, "String must be non-empty")


def valid_string(*valid: str) -> Callable[[str, Any], None]:
    """``ConfigDef.ValidString.in``."""

    def check(name: str, value: Any) -> None:
        if value not in valid:
            raise ConfigError(name, value, "String must be one of: " + ", ".join(valid))

    return check


class KeyOrValue:
    """The ``$Key``/``$Value`` split of Apache's SMTs: which half of the record a transform works on."""

    is_key: bool = False

    def operating_schema(self, record: ConnectRecord) -> Schema | None:
        return record.key_schema if self.is_key else record.value_schema

    def operating_value(self, record: ConnectRecord) -> Any:
        return record.key if self.is_key else record.value

    def new_record(self, record: R, schema: Schema | None, value: Any) -> R:
        return with_key(record, schema, value) if self.is_key else with_value(record, schema, value)


def java_split(text: str, sep: str) -> list[str]:
    """Java's ``String.split`` with a literal one-character separator (trailing empty strings removed)."""
    if sep not in text:
        return [text]
    parts = text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


_MILLIS_PER_DAY = 86_400_000


def logical_millis(value: Any) -> int:
    """Epoch millis of a Connect Date/Time/Timestamp value (a ``java.util.Date``)."""
    from kconnect.api.data import date_to_days, time_to_millis, timestamp_to_millis

    if isinstance(value, _dt.datetime):
        return timestamp_to_millis(value)
    if isinstance(value, _dt.date):
        return date_to_days(value) * _MILLIS_PER_DAY
    if isinstance(value, _dt.time):
        return time_to_millis(value)
    raise DataError("Not a date: " + repr(value))


def iso_date_string(millis: int) -> str:
    """``Values.dateFormatFor(date).format(date)``: ISO time, date or timestamp (UTC)."""
    when = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(milliseconds=millis)
    time_part = f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}.{when.microsecond // 1000:03d}Z"
    if millis < _MILLIS_PER_DAY:
        return time_part
    date_part = f"{when.year:04d}-{when.month:02d}-{when.day:02d}"
    if millis % _MILLIS_PER_DAY == 0:
        return date_part
    return date_part + "T" + time_part


def java_schema_string(schema: Schema | None) -> str:
    """``ConnectSchema.toString()``."""
    if schema is None:
        return "null"
    return f"Schema{{{schema.name}:{schema.type.name}}}" if schema.name is not None else f"Schema{{{schema.type.name}}}"


def java_record_string(record: ConnectRecord) -> str:
    """``SourceRecord.toString()`` / ``SinkRecord.toString()``."""
    from kconnect.api.data import java_to_string

    if len(record.headers):
        items = ", ".join(
            f"ConnectHeader(key={h.key}, value={java_to_string(h.value)}, schema={java_schema_string(h.schema)})"
            for h in record.headers
        )
        headers = f"ConnectHeaders(headers=[{items}])"
    else:
        headers = "ConnectHeaders(headers=)"
    base = (
        f"ConnectRecord{{topic='{record.topic}', kafkaPartition={java_to_string(record.kafka_partition)}, "
        f"key={java_to_string(record.key)}, keySchema={java_schema_string(record.key_schema)}, "
        f"value={java_to_string(record.value)}, valueSchema={java_schema_string(record.value_schema)}, "
        f"timestamp={java_to_string(record.timestamp)}, headers={headers}}}"
    )
    if isinstance(record, SinkRecord):
        topic = record.original_topic if record.original_topic is not None else record.topic
        partition = (
            record.original_kafka_partition if record.original_kafka_partition is not None else record.kafka_partition
        )
        offset = record.original_kafka_offset if record.original_kafka_offset is not None else record.kafka_offset
        timestamp_type = {"CreateTime": "CreateTime", "LogAppendTime": "LogAppendTime"}.get(
            record.timestamp_type, record.timestamp_type
        )
        return (
            f"SinkRecord{{kafkaOffset={record.kafka_offset}, timestampType={timestamp_type}, originalTopic={topic}, "
            f"originalKafkaPartition={java_to_string(partition)}, originalKafkaOffset={offset}}} {base}"
        )
    if isinstance(record, SourceRecord):
        return (
            f"SourceRecord{{sourcePartition={java_to_string(_plain(record.source_partition))}, "
            f"sourceOffset={java_to_string(_plain(record.source_offset))}}} {base}"
        )
    return base


def _plain(value: Mapping[str, Any] | None) -> Any:
    return None if value is None else dict(value)


def dedup_lists(configs: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """Apache's ``ConfigDef.parseValue`` drops duplicate entries of ``ValidList`` settings (with a warning)."""
    out = dict(configs)
    for name in names:
        raw = out.get(name)
        if isinstance(raw, str):
            items = [] if raw.strip() == "" else [p.strip() for p in raw.strip().split(",")]
            out[name] = list(dict.fromkeys(items))
    return out


def add_field(builder: SchemaBuilder, name: str, schema: Schema) -> SchemaBuilder:
    """``SchemaBuilder.field`` with Apache's empty-name check (``SchemaBuilderException``, a DataException)."""
    if not name:
        raise DataError("fieldName cannot be null.")
    return builder.field(name, schema)


def require_fields(schema: Schema) -> tuple[Any, ...]:
    """``Schema.fields()``, which throws for a non-struct schema."""
    if schema.type is not Type.STRUCT:
        raise DataError("Cannot list fields on non-struct type")
    return schema.fields
