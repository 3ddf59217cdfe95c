"""Field-level SMTs: ExtractField, Flatten, HoistField, InsertField, MaskField, ReplaceField,
SetSchemaMetadata and ValueToKey (``$Key``/``$Value`` variants as Apache's nested classes)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.data import (
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    Field,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
    millis_to_timestamp,
    timestamp_schema,
)
from kconnect.api.errors import ConfigError, DataError
from kconnect.api.records import ConnectRecord, replace_record
from kconnect.api.transforms import Transformation
from kconnect.plugins.converters._common import to_float32, wrap
from kconnect.plugins.transforms._util import (
    BOOLEAN,
    HIGH,
    INT,
    LIST,
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
    any_non_duplicate_values,
    copy_schema_basics,
    dedup_lists,
    field_value,
    java_class,
    java_list_string,
    java_split,
    non_empty_string,
    require_fields,
    require_map,
    require_map_or_null,
    require_schema,
    require_sink_record,
    require_struct,
    require_struct_or_null,
    with_key,
)

# --- field paths (KIP-821) --------------------------------------------------------------------

FIELD_SYNTAX_VERSION = "field.syntax.version"
FIELD_SYNTAX_DOC = (
    "Defines the version of the syntax to access fields. If set to <code>V1</code>, then the field paths are "
    "limited to access the elements at the root level of the struct or map. If set to <code>V2</code>, the syntax "
    "will support accessing nested elements. To access nested elements, dotted notation is used. If dots are already "
    "included in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. to access "
    'the subfield <code>baz</code> from a field named "foo.bar" in a struct/map the following format can be used to '
    'access its elements: "<code>foo.bar</code>.baz".'
)


def _syntax_version(name: str, value: Any) -> None:
    if value is None or str(value).upper() not in ("V1", "V2"):
        raise ConfigError(name, value, "String must be one of (case insensitive): V1, V2")


def _incomplete_backtick(path: str, at: int) -> ConfigError:
    return ConfigError(
        f"Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {at}"
        " to escape it"
    )


def parse_field_path(path: str, version: str) -> list[str]:
    """Apache's ``SingleFieldPath`` steps."""
    if version.upper() == "V1":
        return [path]
    if path == "":
        return []
    steps: list[str] = []
    idx = 0
    n = len(path)
    while 0 <= idx < n:
        if path[idx] != "`":
            start = idx
            idx = path.find(".", idx)
            if idx >= 0:
                steps.append(path[start:idx])
                idx += 1
            else:
                steps.append(path[start:])
        else:
            backtick_at = idx
            idx += 1
            field: list[str] = []
            start = idx
            while True:
                idx = path.find("`", idx)
                if idx == -1:
                    raise _incomplete_backtick(path, backtick_at)
                escaped = path[idx - 1] == "\\"
                if idx >= n - 1:
                    if escaped:
                        raise _incomplete_backtick(path, backtick_at)
                    field.append(path[start:idx])
                    steps.append("".join(field))
                    idx += 1
                    break
                if path[idx + 1] != ".":
                    idx += 1
                    continue
                if escaped:
                    field.append(path[start : idx - 1] + "`")
                    idx += 1
                    start = idx
                    continue
                field.append(path[start:idx])
                steps.append("".join(field))
                idx += 2
                break
    if path and path[-1] == ".":
        steps.append("")
    return steps


def _no_steps(steps: list[str]) -> None:
    if not steps:  # Java: List.subList(0, -1)
        raise ValueError("fromIndex(0) > toIndex(-1)")


def path_field(steps: list[str], schema: Schema) -> Field | None:
    _no_steps(steps)
    current = schema
    for step in steps[:-1]:
        f = current.field(step) if current.type is Type.STRUCT else None
        if f is None:
            return None
        current = f.schema
    if current.type is not Type.STRUCT:
        raise DataError("Cannot look up fields on non-struct type")
    return current.field(steps[-1])


def path_value_struct(steps: list[str], struct: Struct, with_default: bool) -> Any:
    _no_steps(steps)
    current = struct
    for step in steps[:-1]:
        if current.schema.field(step) is None:
            return None
        sub = require_struct_or_null(current.get(step), "nested field access")
        if sub is None:
            return None
        current = sub
    last = steps[-1]
    if current.schema.field(last) is None:
        return None
    return current.get(last) if with_default else current.get_without_default(last)


def path_value_map(steps: list[str], value: dict[str, Any]) -> Any:
    _no_steps(steps)
    current = value
    for step in steps[:-1]:
        sub = require_map_or_null(current.get(step), "nested field access")
        if sub is None:
            return None
        current = sub
    return current.get(steps[-1])


# --- ExtractField -------------------------------------------------------------------------------

_EXTRACT_DEF = (
    ConfigDef()
    .define("field", STRING, importance=MEDIUM, documentation="Field name to extract.")
    .define(REPLACE_NULL_WITH_DEFAULT, BOOLEAN, True, importance=MEDIUM, documentation=REPLACE_NULL_DOC)
    .define(
        FIELD_SYNTAX_VERSION, STRING, "V1", validator=_syntax_version, importance=HIGH, documentation=FIELD_SYNTAX_DOC
    )
)


class _ExtractField(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return _EXTRACT_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _EXTRACT_DEF.parse(configs)
        self._original = parsed["field"]
        self._steps = parse_field_path(parsed["field"], parsed[FIELD_SYNTAX_VERSION])
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT])

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            m = require_map_or_null(value, "field extraction")
            return self.new_record(record, None, None if m is None else path_value_map(self._steps, m))
        s = require_struct_or_null(value, "field extraction")
        f = path_field(self._steps, schema)
        if f is None:
            raise ValueError("Unknown field: " + self._original)
        return self.new_record(
            record, f.schema, None if s is None else path_value_struct(self._steps, s, self._replace_null)
        )


class ExtractFieldKey(_ExtractField[R]):
    class_name: ClassVar[str] = PKG + "ExtractField$Key"
    is_key = True


class ExtractFieldValue(_ExtractField[R]):
    class_name: ClassVar[str] = PKG + "ExtractField$Value"


# --- Flatten ------------------------------------------------------------------------------------

_FLATTEN_DEF = ConfigDef().define(
    "delimiter",
    STRING,
    ".",
    importance=MEDIUM,
    documentation="Delimiter to insert between field names from the input record when generating field names for "
    "the output record",
)
_PRIMITIVE_OR_ARRAY = (
    Type.INT8,
    Type.INT16,
    Type.INT32,
    Type.INT64,
    Type.FLOAT32,
    Type.FLOAT64,
    Type.BOOLEAN,
    Type.STRING,
    Type.BYTES,
    Type.ARRAY,
)


class _Flatten(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return _FLATTEN_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        self._delimiter: str = _FLATTEN_DEF.parse(configs)["delimiter"]
        self._cache: LRUCache[Schema, Schema] = LRUCache()

    def _name(self, prefix: str, name: str) -> str:
        return name if not prefix else prefix + self._delimiter + name

    def apply(self, record: R) -> R | None:
        if self.operating_value(record) is None:
            return record
        if self.operating_schema(record) is None:
            out: dict[str, Any] = {}
            self._flatten_map(require_map(self.operating_value(record), "flattening"), "", out)
            return self.new_record(record, None, out)
        return self._apply_with_schema(record)

    def _flatten_map(self, value: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
        for key, v in value.items():
            name = self._name(prefix, key)
            if v is None:
                out[name] = None
                continue
            if isinstance(v, dict):
                self._flatten_map(require_map(v, "flattening"), name, out)
            elif isinstance(v, Struct):
                raise DataError(
                    f"Flatten transformation does not support {java_class(v)} for record without schemas "
                    f"(for field {name})."
                )
            elif isinstance(v, bool | int | float | str | bytes | bytearray | list):
                out[name] = v
            else:
                raise DataError(
                    f"Flatten transformation was passed a value of type {java_class(v)} "
                    "which is not supported by Connect's data API"
                )

    def _apply_with_schema(self, record: R) -> R:
        value = require_struct_or_null(self.operating_value(record), "flattening")
        schema = self.operating_schema(record)
        assert schema is not None
        updated = self._cache.get(schema)
        if updated is None:
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            default = schema.default if isinstance(schema.default, Struct) else None
            self._build_schema(schema, "", builder, schema.optional, default)
            updated = builder.build()
            self._cache.put(schema, updated)
        if value is None:
            return self.new_record(record, updated, None)
        out = Struct(updated)
        self._build_value(value, "", out)
        return self.new_record(record, updated, out)

    def _build_schema(
        self, schema: Schema, prefix: str, builder: SchemaBuilder, optional: bool, parent_default: Struct | None
    ) -> None:
        for f in schema.fields:
            name = self._name(prefix, f.name)
            field_optional = optional or f.schema.optional
            default: Any = None
            if f.schema.default is not None:
                default = f.schema.default
            elif parent_default is not None:
                default = parent_default.get(f.name)
            if f.schema.type in _PRIMITIVE_OR_ARRAY:
                fb = copy_schema_basics(f.schema)
                if field_optional:
                    fb.optional()
                if default is not None:
                    fb.default_value(default)
                add_field(builder, name, fb.build())
            elif f.schema.type is Type.STRUCT:
                self._build_schema(f.schema, name, builder, field_optional, default)
            else:
                raise DataError(
                    f"Flatten transformation does not support {f.schema.type.name} for record with schemas "
                    f"(for field {name})."
                )

    def _build_value(self, value: Struct | None, prefix: str, out: Struct) -> None:
        if value is None:
            return
        for f in value.schema.fields:
            name = self._name(prefix, f.name)
            if f.schema.type in _PRIMITIVE_OR_ARRAY:
                out.put(name, value.get(f.name))
            elif f.schema.type is Type.STRUCT:
                self._build_value(value.get_without_default(f.name), name, out)  # Java's getStruct()
            else:
                raise DataError(
                    f"Flatten transformation does not support {f.schema.type.name} for record with schemas "
                    f"(for field {name})."
                )


class FlattenKey(_Flatten[R]):
    class_name: ClassVar[str] = PKG + "Flatten$Key"
    is_key = True


class FlattenValue(_Flatten[R]):
    class_name: ClassVar[str] = PKG + "Flatten$Value"


# --- HoistField ---------------------------------------------------------------------------------

_HOIST_DEF = ConfigDef().define(
    "field",
    STRING,
    importance=MEDIUM,
    documentation="Field name for the single field that will be created in the resulting Struct or Map.",
)


class _HoistField(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return _HOIST_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        self._field: str = _HOIST_DEF.parse(configs)["field"]
        self._cache: LRUCache[Schema, Schema] = LRUCache()

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            return self.new_record(record, None, {self._field: value})
        updated = self._cache.get(schema)
        if updated is None:
            updated = add_field(SchemaBuilder.struct(), self._field, schema).build()
            self._cache.put(schema, updated)
        return self.new_record(record, updated, Struct(updated).put(self._field, value))


class HoistFieldKey(_HoistField[R]):
    class_name: ClassVar[str] = PKG + "HoistField$Key"
    is_key = True


class HoistFieldValue(_HoistField[R]):
    class_name: ClassVar[str] = PKG + "HoistField$Value"


# --- InsertField --------------------------------------------------------------------------------

_OPTIONALITY_DOC = (
    "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."
)
_INSERT_DEF = (
    ConfigDef()
    .define(
        "topic.field", STRING, None, importance=MEDIUM, documentation="Field name for Kafka topic. " + _OPTIONALITY_DOC
    )
    .define(
        "partition.field",
        STRING,
        None,
        importance=MEDIUM,
        documentation="Field name for Kafka partition. " + _OPTIONALITY_DOC,
    )
    .define(
        "offset.field",
        STRING,
        None,
        importance=MEDIUM,
        documentation="Field name for Kafka offset - only applicable to sink connectors.<br/>" + _OPTIONALITY_DOC,
    )
    .define(
        "timestamp.field",
        STRING,
        None,
        importance=MEDIUM,
        documentation="Field name for record timestamp. " + _OPTIONALITY_DOC,
    )
    .define(
        "static.field",
        STRING,
        None,
        importance=MEDIUM,
        documentation="Field name for static data field. " + _OPTIONALITY_DOC,
    )
    .define(
        "static.value", STRING, None, importance=MEDIUM, documentation="Static field value, if field name configured."
    )
    .define(REPLACE_NULL_WITH_DEFAULT, BOOLEAN, True, importance=MEDIUM, documentation=REPLACE_NULL_DOC)
)
_OPTIONAL_TIMESTAMP = timestamp_schema().optional().build()
_TIMESTAMP = timestamp_schema().build()


@dataclasses.dataclass(frozen=True)
class _Spec:
    name: str
    optional: bool

    @classmethod
    def parse(cls, spec: str | None) -> _Spec | None:
        if spec is None:
            return None
        if spec.endswith("?"):
            return cls(spec[:-1], True)
        if spec.endswith("!"):
            return cls(spec[:-1], False)
        return cls(spec, True)

    def __str__(self) -> str:
        # Java prints the InsertionSpec object (no toString): an identity hash we cannot reproduce.
        return f"org.apache.kafka.connect.transforms.InsertField$InsertionSpec@{id(self) & 0xFFFFFFFF:x}"


class _InsertField(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return _INSERT_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _INSERT_DEF.parse(configs)
        self._topic = _Spec.parse(parsed["topic.field"])
        self._partition = _Spec.parse(parsed["partition.field"])
        self._offset = _Spec.parse(parsed["offset.field"])
        self._timestamp = _Spec.parse(parsed["timestamp.field"])
        self._static = _Spec.parse(parsed["static.field"])
        self._static_value: str | None = parsed["static.value"]
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        if all(s is None for s in (self._topic, self._partition, self._offset, self._timestamp, self._static)):
            raise ConfigError("No field insertion configured")
        if self._static is not None and self._static_value is None:
            raise ConfigError("static.value", None, f"No value specified for static field: {self._static}")
        self._cache: LRUCache[Schema, Schema] = LRUCache()

    def apply(self, record: R) -> R | None:
        if self.operating_value(record) is None:
            return record
        if self.operating_schema(record) is None:
            return self._apply_schemaless(record)
        return self._apply_with_schema(record)

    def _inserts(self, record: ConnectRecord, as_timestamp: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self._topic is not None:
            out[self._topic.name] = record.topic
        if self._partition is not None and record.kafka_partition is not None:
            out[self._partition.name] = record.kafka_partition
        if self._offset is not None:
            out[self._offset.name] = require_sink_record(record, "field insertion").kafka_offset
        if self._timestamp is not None and record.timestamp is not None:
            out[self._timestamp.name] = millis_to_timestamp(record.timestamp) if as_timestamp else record.timestamp
        if self._static is not None and self._static_value is not None:
            out[self._static.name] = self._static_value
        return out

    def _apply_schemaless(self, record: R) -> R:
        updated = dict(require_map(self.operating_value(record), "field insertion"))
        updated.update(self._inserts(record, False))
        return self.new_record(record, None, updated)

    def _apply_with_schema(self, record: R) -> R:
        value = require_struct(self.operating_value(record), "field insertion")
        updated_schema = self._cache.get(value.schema)
        if updated_schema is None:
            updated_schema = self._updated_schema(value.schema)
            self._cache.put(value.schema, updated_schema)
        out = Struct(updated_schema)
        for f in value.schema.fields:
            out.put(f.name, field_value(value, f.name, self._replace_null))
        for name, v in self._inserts(record, True).items():
            out.put(name, v)
        return self.new_record(record, updated_schema, out)

    def _updated_schema(self, schema: Schema) -> Schema:
        b = copy_schema_basics(schema, SchemaBuilder.struct())
        for f in schema.fields:
            add_field(b, f.name, f.schema)
        if self._topic is not None:
            add_field(b, self._topic.name, OPTIONAL_STRING_SCHEMA if self._topic.optional else STRING_SCHEMA)
        if self._partition is not None:
            add_field(b, self._partition.name, OPTIONAL_INT32_SCHEMA if self._partition.optional else INT32_SCHEMA)
        if self._offset is not None:
            add_field(b, self._offset.name, OPTIONAL_INT64_SCHEMA if self._offset.optional else INT64_SCHEMA)
        if self._timestamp is not None:
            add_field(b, self._timestamp.name, _OPTIONAL_TIMESTAMP if self._timestamp.optional else _TIMESTAMP)
        if self._static is not None:
            add_field(b, self._static.name, OPTIONAL_STRING_SCHEMA if self._static.optional else STRING_SCHEMA)
        return b.build()


class InsertFieldKey(_InsertField[R]):
    class_name: ClassVar[str] = PKG + "InsertField$Key"
    is_key = True


class InsertFieldValue(_InsertField[R]):
    class_name: ClassVar[str] = PKG + "InsertField$Value"


# --- MaskField ----------------------------------------------------------------------------------

_MASK_DEF = (
    ConfigDef()
    .define(
        "fields",
        LIST,
        validator=any_non_duplicate_values(False, False),
        importance=HIGH,
        documentation="Names of fields to mask.",
    )
    .define(
        "replacement",
        STRING,
        None,
        validator=non_empty_string,
        importance=LOW,
        documentation="Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty "
        "string values only).",
    )
    .define(REPLACE_NULL_WITH_DEFAULT, BOOLEAN, True, importance=MEDIUM, documentation=REPLACE_NULL_DOC)
)
_EPOCH_DATE = _dt.date(1970, 1, 1)


def _java_number(text: str) -> Decimal:
    """``new BigDecimal(text)``."""
    import re

    if not re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", text):
        raise InvalidOperation(text)
    return Decimal(text)


class _MaskField(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return _MASK_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _MASK_DEF.parse(dedup_lists(configs, "fields"))
        self._fields = set(parsed["fields"])
        self._replacement: str | None = parsed["replacement"]
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT])

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        if schema is None:
            value = require_map(self.operating_value(record), "mask fields")
            updated = dict(value)
            for name in self._fields:
                updated[name] = self._masked(value.get(name), None)
            return self.new_record(record, None, updated)
        s = require_struct(self.operating_value(record), "mask fields")
        out = Struct(s.schema)
        for f in s.schema.fields:
            v = field_value(s, f.name, self._replace_null)
            out.put(f.name, self._masked(v, f.schema) if f.name in self._fields else v)
        return self.new_record(record, schema, out)

    def _masked(self, value: Any, schema: Schema | None) -> Any:
        if value is None:
            return None
        if self._replacement is None:
            return _mask_with_null(value)
        return _mask_with_replacement(value, self._replacement, schema)


def _mask_with_null(value: Any) -> Any:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, Decimal):
        return Decimal(0)
    if isinstance(value, str):
        return ""
    if isinstance(value, _dt.datetime):
        return millis_to_timestamp(0)
    if isinstance(value, _dt.date):
        return _EPOCH_DATE
    if isinstance(value, _dt.time):
        return _dt.time(0)
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    raise DataError("Cannot mask value of type: " + java_class(value))


def _mask_with_replacement(value: Any, replacement: str, schema: Schema | None) -> Any:
    if isinstance(value, str):
        return replacement
    number = _number_kind(value, schema)
    if number is None:
        raise DataError(f"Cannot mask value of type {java_class(value)} with custom replacement.")
    try:
        if number == "decimal":
            return _java_number(replacement)
        parsed = _java_number(replacement) if number != "bigint" else None
    except InvalidOperation:
        if number == "decimal":
            raise DataError(f"Unable to convert {replacement} (class java.lang.String) to number") from None
        raise DataError(f"Unable to convert {replacement} (class java.lang.String) to a number") from None
    assert parsed is not None
    if number in ("float32", "float64"):
        d = float(parsed)
        return to_float32(d) if number == "float32" else d
    bits = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}[number]
    return wrap(int(parsed), 64) if bits == 64 else wrap(wrap(int(parsed), 64), bits)


def _number_kind(value: Any, schema: Schema | None) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return "decimal"
    if isinstance(value, int):
        if schema is not None and schema.type in (Type.INT8, Type.INT16, Type.INT32):
            return schema.type.name.lower()
        return "int64"
    if isinstance(value, float):
        return "float32" if schema is not None and schema.type is Type.FLOAT32 else "float64"
    return None


class MaskFieldKey(_MaskField[R]):
    class_name: ClassVar[str] = PKG + "MaskField$Key"
    is_key = True


class MaskFieldValue(_MaskField[R]):
    class_name: ClassVar[str] = PKG + "MaskField$Value"


# --- ReplaceField -------------------------------------------------------------------------------


def parse_rename_mappings(mappings: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for mapping in mappings:
        parts = java_split(mapping, ":")
        if len(parts) != 2:
            raise ConfigError("renames", java_list_string(mappings), "Invalid rename mapping: " + mapping)
        out[parts[0]] = parts[1]
    return out


def _validate_renames(name: str, value: Any) -> None:
    parse_rename_mappings(value)


_REPLACE_DEF = (
    ConfigDef()
    .define(
        "exclude",
        LIST,
        "",
        validator=any_non_duplicate_values(True, False),
        importance=MEDIUM,
        documentation="Fields to exclude. This takes precedence over the fields to include.",
    )
    .define(
        "include",
        LIST,
        "",
        validator=any_non_duplicate_values(True, False),
        importance=MEDIUM,
        documentation="Fields to include. If specified, only these fields will be used.",
    )
    .define(
        "renames",
        LIST,
        "",
        validator=_validate_renames,
        importance=MEDIUM,
        documentation="Field rename mappings.",
    )
    .define(REPLACE_NULL_WITH_DEFAULT, BOOLEAN, True, importance=MEDIUM, documentation=REPLACE_NULL_DOC)
)


class _ReplaceField(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return _REPLACE_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _REPLACE_DEF.parse(dedup_lists(configs, "exclude", "include"))
        self._exclude = set(parsed["exclude"])
        self._include = set(parsed["include"])
        self._renames = parse_rename_mappings(parsed["renames"])
        self._reverse = {v: k for k, v in self._renames.items()}
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        self._cache: LRUCache[Schema, Schema] = LRUCache()

    def _keep(self, name: str) -> bool:
        return name not in self._exclude and (not self._include or name in self._include)

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        if value is None:
            return record
        if self.operating_schema(record) is None:
            m = require_map(value, "field replacement")
            return self.new_record(record, None, {self._renames.get(k, k): v for k, v in m.items() if self._keep(k)})
        s = require_struct(value, "field replacement")
        updated = self._cache.get(s.schema)
        if updated is None:
            b = copy_schema_basics(s.schema, SchemaBuilder.struct())
            for f in s.schema.fields:
                if self._keep(f.name):
                    add_field(b, self._renames.get(f.name, f.name), f.schema)
            updated = b.build()
            self._cache.put(s.schema, updated)
        out = Struct(updated)
        for f in updated.fields:
            out.put(f.name, field_value(s, self._reverse.get(f.name, f.name), self._replace_null))
        return self.new_record(record, updated, out)


class ReplaceFieldKey(_ReplaceField[R]):
    class_name: ClassVar[str] = PKG + "ReplaceField$Key"
    is_key = True


class ReplaceFieldValue(_ReplaceField[R]):
    class_name: ClassVar[str] = PKG + "ReplaceField$Value"


# --- SetSchemaMetadata --------------------------------------------------------------------------

_SSM_DEF = (
    ConfigDef()
    .define("schema.name", STRING, None, importance=HIGH, documentation="Schema name to set.")
    .define("schema.version", INT, None, importance=HIGH, documentation="Schema version to set.")
    .define(REPLACE_NULL_WITH_DEFAULT, BOOLEAN, True, importance=MEDIUM, documentation=REPLACE_NULL_DOC)
)


class _SetSchemaMetadata(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return _SSM_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _SSM_DEF.parse(configs)
        self._name: str | None = parsed["schema.name"]
        self._version: int | None = parsed["schema.version"]
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        if self._name is None and self._version is None:
            raise ConfigError("Neither schema name nor version configured")

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        schema = self.operating_schema(record)
        if value is None and schema is None:
            return record
        schema = require_schema(schema, "updating schema metadata")
        is_map = schema.type is Type.MAP
        require_fields(schema)  # Apache passes schema.fields() to the ConnectSchema constructor
        updated = Schema(
            type=schema.type,
            optional=schema.optional,
            default=schema.default,
            name=self._name if self._name is not None else schema.name,
            version=self._version if self._version is not None else schema.version,
            doc=schema.doc,
            parameters=schema.parameters,
            fields=schema.fields,
            key_schema=schema.key_schema if is_map else None,
            value_schema=schema.value_schema if is_map or schema.type is Type.ARRAY else None,
        )
        if isinstance(value, Struct):
            s = Struct(updated)
            for f in updated.fields:
                s.put(f.name, field_value(value, f.name, self._replace_null))
            value = s
        return self.new_record(record, updated, value)


class SetSchemaMetadataKey(_SetSchemaMetadata[R]):
    class_name: ClassVar[str] = PKG + "SetSchemaMetadata$Key"
    is_key = True


class SetSchemaMetadataValue(_SetSchemaMetadata[R]):
    class_name: ClassVar[str] = PKG + "SetSchemaMetadata$Value"


# --- ValueToKey ---------------------------------------------------------------------------------

_V2K_DEF = (
    ConfigDef()
    .define(
        "fields",
        LIST,
        validator=any_non_duplicate_values(False, False),
        importance=HIGH,
        documentation="Field names on the record value to extract as the record key.",
    )
    .define(REPLACE_NULL_WITH_DEFAULT, BOOLEAN, True, importance=MEDIUM, documentation=REPLACE_NULL_DOC)
)


class ValueToKey(Transformation[R]):
    class_name: ClassVar[str] = PKG + "ValueToKey"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return _V2K_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _V2K_DEF.parse(dedup_lists(configs, "fields"))
        self._fields: list[str] = parsed["fields"]
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        self._cache: LRUCache[Schema, Schema] = LRUCache()

    def apply(self, record: R) -> R | None:
        if record.value_schema is None:
            value = require_map(record.value, "copying fields from value to key")
            return with_key(record, None, {f: value.get(f) for f in self._fields})
        s = require_struct(record.value, "copying fields from value to key")
        key_schema = self._cache.get(s.schema)
        if key_schema is None:
            b = SchemaBuilder.struct()
            for name in self._fields:
                f = s.schema.field(name)
                if f is None:
                    raise DataError("Field does not exist: " + name)
                add_field(b, name, f.schema)
            key_schema = b.build()
            self._cache.put(s.schema, key_schema)
        key = Struct(key_schema)
        for name in self._fields:
            key.put(name, field_value(s, name, self._replace_null))
        return replace_record(
            record, key_schema=key_schema, key=key, value_schema=s.schema, headers=record.headers.copy()
        )
