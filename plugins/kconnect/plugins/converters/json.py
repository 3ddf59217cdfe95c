"""JsonConverter: byte-compatible with Apache Kafka's ``org.apache.kafka.connect.json.JsonConverter``.

Writing builds a tree of plain Python values and serialises it with the C-accelerated ``json.dumps``
(compact separators, raw UTF-8), then patches the two places where Python and Jackson differ:

* numbers Python would print differently (doubles outside [1e-3, 1e7), float32 values, NaN/Infinity
  which Jackson quotes, NUMERIC decimals) are emitted as placeholder strings and swapped for Java's
  text afterwards;
* control characters without a short escape: Python writes ``\\u001f``, Jackson ``\\u001F``.

The ``{"schema": ...}`` half of the envelope is serialised once per Schema object and cached.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json as _json
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef, ConfigType, Importance, ValidString, Width
from kconnect.api.converter import NULL_SCHEMA_AND_VALUE, Converter, HeaderConverter, SchemaAndValue
from kconnect.api.data import (
    DATE_NAME,
    DECIMAL_NAME,
    DECIMAL_SCALE_PARAM,
    TIME_NAME,
    TIMESTAMP_NAME,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
    date_to_days,
    days_to_date,
    decimal_from_bytes,
    decimal_to_bytes,
    java_double_to_string,
    millis_to_time,
    millis_to_timestamp,
    time_to_millis,
    timestamp_to_millis,
)
from kconnect.api.errors import DataError
from kconnect.api.records import Headers
from kconnect.plugins.converters._common import (
    converter_config_def,
    decimal_to_float32,
    java_class_name,
    java_decimal_to_string,
    java_float_to_string,
    to_float32,
    with_type,
    wrap,
)

SCHEMAS_ENABLE_CONFIG = "schemas.enable"
SCHEMAS_CACHE_SIZE_CONFIG = "schemas.cache.size"
SCHEMA_CONTENT_CONFIG = "schema.content"
DECIMAL_FORMAT_CONFIG = "decimal.format"
REPLACE_NULL_WITH_DEFAULT_CONFIG = "replace.null.with.default"

_PH = "\ud800"  # placeholder delimiter: a lone surrogate can never reach the UTF-8 output
_PH_RE = re.compile('"\ud800(\\d+)\ud800"')
# A \u00XX escape written by Python (not preceded by an escaped backslash) with lowercase hex.
_LOWER_ESCAPE_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([01][0-9a-f])")
_dumps = _json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False).encode
_WS = " \t\r\n"
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
_LEADING_ZERO_RE = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])(-?)0+(?=\d)')

_TYPE_NAMES = {t: t.value for t in Type}
_TYPES_BY_NAME = {t.value: t for t in Type}


class _Missing:
    pass


_MISSING = _Missing()


def _upper_escape(m: re.Match[str]) -> str:
    return m.group(1) + "\\u00" + m.group(2).upper()


def _serialize(tree: Any, raws: list[str]) -> str:
    text = _dumps(tree)
    if raws:
        if text.count(_PH) != 2 * len(raws):
            raise DataError("Converting Kafka Connect data to byte[] failed: string contains an unpaired surrogate")
        text = _PH_RE.sub(lambda m: raws[int(m.group(1))], text)
    if "\\u00" in text:
        text = _LOWER_ESCAPE_RE.sub(_upper_escape, text)
    if not text.isascii():
        # Jackson escapes characters outside the BMP as a \\uXXXX\\uXXXX surrogate pair.
        text = _ASTRAL_RE.sub(_escape_astral, text)
    return text


def _escape_astral(m: re.Match[str]) -> str:
    code = ord(m.group(0)) - 0x10000
    return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"


def _raw(raws: list[str], text: str) -> str:
    raws.append(text)
    return _PH + str(len(raws) - 1) + _PH


def _double(value: float, raws: list[str]) -> Any:
    if value == 0.0 or 1e-3 <= abs(value) < 1e7:
        return value  # Python's repr is Java's Double.toString here
    if value != value or math.isinf(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")  # Jackson quotes them
    return _raw(raws, java_double_to_string(value))


def _float32(value: float, raws: list[str]) -> Any:
    if value != value or math.isinf(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    return _raw(raws, java_float_to_string(value))


def _b64(value: bytes | bytearray | memoryview) -> str:
    return base64.b64encode(value).decode("ascii")


class JsonConverter(Converter, HeaderConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.json.JsonConverter"

    def __init__(self) -> None:
        self._schemas_enabled = True
        self._numeric_decimals = False
        self._replace_null = True
        self._cache_size = 1000
        self._fixed_schema: Schema | None = None
        self._schema_text_cache: OrderedDict[int, tuple[Schema, str]] = OrderedDict()
        self._connect_schema_cache: OrderedDict[str, Schema | None] = OrderedDict()

    @classmethod
    def config_def(cls) -> ConfigDef:
        d = converter_config_def()
        d.define(
            SCHEMAS_ENABLE_CONFIG,
            ConfigType.BOOLEAN,
            True,
            importance=Importance.HIGH,
            documentation="Include schemas within each of the serialized values and keys.",
            group="Schemas",
            order_in_group=0,
            width=Width.MEDIUM,
            display_name="Enable Schemas",
        )
        d.define(
            SCHEMAS_CACHE_SIZE_CONFIG,
            ConfigType.INT,
            1000,
            importance=Importance.HIGH,
            documentation="The maximum number of schemas that can be cached in this converter instance.",
            group="Schemas",
            order_in_group=1,
            width=Width.MEDIUM,
            display_name="Schema Cache Size",
        )
        d.define(
            SCHEMA_CONTENT_CONFIG,
            ConfigType.STRING,
            None,
            importance=Importance.HIGH,
            documentation="When set, this is used as the schema for all messages, and the schemas within each "
            "of the message will be ignored.Otherwise, the schema will be included in the content of each "
            "message. This configuration applies only 'schemas.enable' is true, and it exclusively affects "
            "the sink connector.",
            group="Schemas",
            order_in_group=2,
            width=Width.MEDIUM,
            display_name="Schema Content",
        )
        d.define(
            DECIMAL_FORMAT_CONFIG,
            ConfigType.STRING,
            "BASE64",
            validator=ValidString(("BASE64", "NUMERIC"), case_insensitive=True),
            importance=Importance.LOW,
            documentation="Controls which format this converter will serialize decimals in. This value is case "
            "insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            group="Serialization",
            order_in_group=0,
            width=Width.MEDIUM,
            display_name="Decimal Format",
        )
        d.define(
            REPLACE_NULL_WITH_DEFAULT_CONFIG,
            ConfigType.BOOLEAN,
            True,
            importance=Importance.LOW,
            documentation="Whether to replace fields that have a default value and that are null to the default "
            "value. When set to true, the default value is used, otherwise null is used.",
            group="Serialization",
            order_in_group=1,
            width=Width.MEDIUM,
            display_name="Replace null with default",
        )
        return d

    # --- configuration -------------------------------------------------------------------
    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        parsed = self.config_def().parse(with_type(configs, is_key))
        self._schemas_enabled = bool(parsed[SCHEMAS_ENABLE_CONFIG])
        self._cache_size = int(parsed[SCHEMAS_CACHE_SIZE_CONFIG])
        self._numeric_decimals = str(parsed[DECIMAL_FORMAT_CONFIG]).upper() == "NUMERIC"
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT_CONFIG])
        self._schema_text_cache.clear()
        self._connect_schema_cache.clear()
        content = parsed[SCHEMA_CONTENT_CONFIG]
        self._fixed_schema = None
        if content:
            node = self._parse(content.encode("utf-8"))
            self._fixed_schema = self.as_connect_schema(node)

    # --- Connect -> bytes ----------------------------------------------------------------
    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is None and value is None:
            return None
        raws: list[str] = []
        payload = self._to_json(schema, value, raws)
        if self._schemas_enabled:
            text = '{"schema":' + self._schema_text(schema) + ',"payload":' + _serialize(payload, raws) + "}"
        else:
            text = _serialize(payload, raws)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise DataError(
                "Converting Kafka Connect data to byte[] failed due to serialization error: " + str(e)
            ) from e

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def _schema_text(self, schema: Schema | None) -> str:
        if schema is None:
            return "null"
        key = id(schema)
        cache = self._schema_text_cache
        hit = cache.get(key)
        if hit is not None and hit[0] is schema:
            return hit[1]
        raws: list[str] = []
        text = _serialize(self.as_json_schema(schema, raws), raws)
        cache[key] = (schema, text)
        if len(cache) > self._cache_size:
            cache.popitem(last=False)
        return text

    def as_json_schema(self, schema: Schema, raws: list[str]) -> dict[str, Any]:
        """Apache's ``asJsonSchema``: the schema as a JSON tree, keys in Jackson's order."""
        t = schema.type
        out: dict[str, Any] = {"type": _TYPE_NAMES[t]}
        if t is Type.ARRAY:
            out["items"] = None if schema.value_schema is None else self.as_json_schema(schema.value_schema, raws)
        elif t is Type.MAP:
            out["keys"] = None if schema.key_schema is None else self.as_json_schema(schema.key_schema, raws)
            out["values"] = None if schema.value_schema is None else self.as_json_schema(schema.value_schema, raws)
        elif t is Type.STRUCT:
            fields = []
            for f in schema.fields:
                fj = self.as_json_schema(f.schema, raws)
                fj.pop("field", None)
                fj["field"] = f.name
                fields.append(fj)
            out["fields"] = fields
        out["optional"] = schema.optional
        if schema.name is not None:
            out["name"] = schema.name
        if schema.version is not None:
            out["version"] = schema.version
        if schema.doc is not None:
            out["doc"] = schema.doc
        if schema.parameters is not None:
            out["parameters"] = dict(schema.parameters)
        if schema.default is not None:
            out["default"] = self._to_json(schema, schema.default, raws)
        return out

    def _to_json(self, schema: Schema | None, value: Any, raws: list[str]) -> Any:
        if value is None:
            if schema is None:
                return None
            if schema.default is not None and self._replace_null:
                return self._to_json(schema, schema.default, raws)
            if schema.optional:
                return None
            raise DataError("Conversion error: null value for field that is required and has no default value")
        if schema is not None:
            t = schema.type
            name = schema.name
            if name is not None and name in _LOGICAL_NAMES:
                return self._logical_to_json(schema, name, value, raws)
        else:
            t = _infer_type(value)
        conv = _TO_JSON.get(t)
        if conv is not None:
            if not isinstance(value, _PY_TYPES[t]) or (value.__class__ is bool and t is not Type.BOOLEAN):
                raise DataError(
                    f"Invalid type for {t.name if schema is not None else 'unknown schema'}: {java_class_name(value)}"
                )
            return conv(value, raws)
        if t is Type.ARRAY:
            if not isinstance(value, list | tuple):
                raise DataError(f"Invalid type for ARRAY: {java_class_name(value)}")
            item = schema.value_schema if schema is not None else None
            return [self._to_json(item, v, raws) for v in value]
        if t is Type.MAP:
            if not isinstance(value, Mapping):
                raise DataError(f"Invalid type for MAP: {java_class_name(value)}")
            if schema is None:
                ks: Schema | None = None
                vs: Schema | None = None
                object_mode = all(isinstance(k, str) for k in value)
            else:
                ks, vs = schema.key_schema, schema.value_schema
                object_mode = ks is not None and ks.type is Type.STRING
            if object_mode:
                return {
                    _as_text(self._to_json(ks, k, raws), raws): self._to_json(vs, v, raws) for k, v in value.items()
                }
            return [[self._to_json(ks, k, raws), self._to_json(vs, v, raws)] for k, v in value.items()]
        # STRUCT
        if not isinstance(value, Struct):
            raise DataError(f"Invalid type for STRUCT: {java_class_name(value)}")
        if schema is None:
            raise DataError("Mismatching schema.")
        if value.schema is not schema and value.schema != schema:
            raise DataError("Mismatching schema.")
        return {f.name: self._to_json(f.schema, v, raws) for f, v in value.items()}

    def _logical_to_json(self, schema: Schema, name: str, value: Any, raws: list[str]) -> Any:
        if name == DECIMAL_NAME:
            if not isinstance(value, Decimal):
                raise DataError(f"Invalid type for Decimal, expected BigDecimal but was {java_class_name(value)}")
            if self._numeric_decimals:
                return _raw(raws, java_decimal_to_string(value))
            scale = _decimal_scale(schema)
            exponent = value.as_tuple().exponent
            if not isinstance(exponent, int) or -exponent != scale:
                shown = -exponent if isinstance(exponent, int) else exponent
                raise DataError(
                    "Decimal value has mismatching scale for given Decimal schema. "
                    f"Schema has scale {scale}, value has scale {shown}."
                )
            return _b64(decimal_to_bytes(value, scale))
        if name == DATE_NAME:
            if isinstance(value, _dt.datetime) or not isinstance(value, _dt.date):
                raise DataError(f"Invalid type for Date, expected Date but was {java_class_name(value)}")
            return date_to_days(value)
        if name == TIME_NAME:
            if not isinstance(value, _dt.time):
                raise DataError(f"Invalid type for Time, expected Date but was {java_class_name(value)}")
            return time_to_millis(value)
        if not isinstance(value, _dt.datetime):
            raise DataError(f"Invalid type for Timestamp, expected Date but was {java_class_name(value)}")
        return timestamp_to_millis(value)

    # --- bytes -> Connect ----------------------------------------------------------------
    def to_connect_data(self, topic: str, value: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if value is None:
            return NULL_SCHEMA_AND_VALUE
        node = self._parse(value)
        if self._schemas_enabled:
            if self._fixed_schema is not None:
                return SchemaAndValue(self._fixed_schema, self._to_connect(self._fixed_schema, node))
            if not (isinstance(node, dict) and len(node) == 2 and "schema" in node and "payload" in node):
                raise DataError(
                    'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain '
                    "additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false "
                    "in your converter configuration."
                )
            schema = self.as_connect_schema(node["schema"])
            return SchemaAndValue(schema, self._to_connect(schema, node["payload"]))
        return SchemaAndValue(None, self._to_connect(None, node))

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)

    @staticmethod
    def _parse(data: bytes | bytearray | memoryview) -> Any:
        raw = bytes(data)
        try:
            text = raw.decode(_json.detect_encoding(raw))
        except (UnicodeDecodeError, LookupError) as e:
            raise DataError(
                "Converting byte[] to Kafka Connect data failed due to serialization error: " + str(e)
            ) from e
        if text.startswith("\ufeff"):
            text = text[1:]
        idx = len(text) - len(text.lstrip(_WS))
        if idx == len(text):
            return _MISSING  # Jackson's readTree gives a MissingNode for empty content
        try:
            node, end = _DECODER.raw_decode(text, idx)
            if end == len(text) or not text[end:].strip(_WS) or not text[end].isdigit():
                return node
            raise ValueError("leading zeros")  # "007": Python stops after the first 0
        except (ValueError, _NonStandard) as e:
            # Jackson is configured with ALLOW_LEADING_ZEROS_FOR_NUMBERS; Python's json is not.
            fixed = _LEADING_ZERO_RE.sub(lambda m: m.group(0) if m.group(0).startswith('"') else m.group(1), text)
            if fixed != text:
                try:
                    return _DECODER.raw_decode(fixed, idx)[0]
                except (ValueError, _NonStandard):
                    pass
            raise DataError(
                "Converting byte[] to Kafka Connect data failed due to serialization error: " + str(e)
            ) from e

    def as_connect_schema(self, node: Any) -> Schema | None:
        """Apache's ``asConnectSchema`` over a parsed JSON tree (cached by its serialised form)."""
        if node is None:
            return None
        key = _json.dumps(node, default=str) if isinstance(node, dict) else None
        if key is not None:
            cached = self._connect_schema_cache.get(key, _MISSING)
            if not isinstance(cached, _Missing):
                return cached
        schema = self._build_schema(node)
        if key is not None:
            self._connect_schema_cache[key] = schema
            if len(self._connect_schema_cache) > self._cache_size:
                self._connect_schema_cache.popitem(last=False)
        return schema

    def _build_schema(self, node: Any) -> Schema:
        type_node = node.get("type") if isinstance(node, dict) else None
        if not isinstance(type_node, str):
            raise DataError("Schema must contain 'type' field")
        t = _TYPES_BY_NAME.get(type_node)
        if t is None:
            raise DataError("Unknown schema type: " + type_node)
        b = SchemaBuilder(t)
        if t is Type.ARRAY:
            items = node.get("items")
            if items is None:
                raise DataError("Array schema did not specify the element type")
            b._value = self.as_connect_schema(items)
        elif t is Type.MAP:
            if "keys" not in node:
                raise DataError("Map schema did not specify the key type")
            if "values" not in node:
                raise DataError("Map schema did not specify the value type")
            b._key = self.as_connect_schema(node["keys"])
            b._value = self.as_connect_schema(node["values"])
        elif t is Type.STRUCT:
            fields = node.get("fields")
            if not isinstance(fields, list):
                raise DataError('Struct schema\'s "fields" argument is not an array.')
            for f in fields:
                fname = f.get("field") if isinstance(f, dict) else None
                if not isinstance(fname, str):
                    raise DataError("Struct schema's field name not specified properly")
                fs = self.as_connect_schema(f)
                assert fs is not None
                b.field(fname, fs)
        if node.get("optional") is True:
            b.optional()
        name = node.get("name")
        if isinstance(name, str):
            b.name(name)
        version = node.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            b.version(wrap(version, 32))
        doc = node.get("doc")
        if isinstance(doc, str):
            b.doc(doc)
        params = node.get("parameters")
        if isinstance(params, dict):
            for k, v in params.items():
                if not isinstance(v, str):
                    raise DataError("Schema parameters must have string values.")
                b.parameter(k, v)
        if "default" in node:
            b.default_value(self._to_connect(b.build(), node["default"]))
        return b.build()

    def _to_connect(self, schema: Schema | None, node: Any) -> Any:
        if schema is not None:
            if node is None or node is _MISSING:
                if schema.default is not None and self._replace_null:
                    return schema.default
                if schema.optional:
                    return None
                raise DataError(f"Invalid null value for required {schema.type.name} field")
            t = schema.type
            name = schema.name
            if name is not None and name in _LOGICAL_NAMES:
                return _logical_to_connect(schema, name, node)
        else:
            if node is None or node is _MISSING:
                return None
            if node is True or node is False:
                return node
            if isinstance(node, int):
                return wrap(node, 64)
            if isinstance(node, Decimal):
                return float(node) or 0.0  # BigDecimal has no negative zero
            if isinstance(node, str):
                return node
            t = Type.ARRAY if isinstance(node, list) else Type.MAP
        reader = _TO_CONNECT.get(t)
        if reader is not None:
            return reader(node)
        if t is Type.ARRAY:
            item = schema.value_schema if schema is not None else None
            elems = node if isinstance(node, list) else (list(node.values()) if isinstance(node, dict) else [])
            return [self._to_connect(item, e) for e in elems]
        if t is Type.MAP:
            ks = schema.key_schema if schema is not None else None
            vs = schema.value_schema if schema is not None else None
            if schema is None or (ks is not None and ks.type is Type.STRING):
                if not isinstance(node, dict):
                    raise DataError(
                        "Maps with string fields should be encoded as JSON objects, but found " + _node_type(node)
                    )
                return {k: self._to_connect(vs, v) for k, v in node.items()}
            if not isinstance(node, list):
                raise DataError(
                    "Maps with non-string fields should be encoded as JSON array of tuples, but found "
                    + _node_type(node)
                )
            result: dict[Any, Any] = {}
            for entry in node:
                if not isinstance(entry, list):
                    raise DataError("Found invalid map entry instead of array tuple: " + _node_type(entry))
                if len(entry) != 2:
                    raise DataError(f"Found invalid map entry, expected length 2 but found :{len(entry)}")
                result[self._to_connect(ks, entry[0])] = self._to_connect(vs, entry[1])
            return result
        # STRUCT
        assert schema is not None
        if not isinstance(node, dict):
            raise DataError("Structs should be encoded as JSON objects, but found " + _node_type(node))
        struct = Struct(schema)
        for f in schema.fields:
            struct.put(f.name, self._to_connect(f.schema, node.get(f.name)))
        return struct


# --- JSON node helpers (Jackson's JsonNode accessors) ---------------------------------------


class _NonStandard(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonStandard(f"Non-standard token '{name}'")


_DECODER = _json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)


def _node_type(node: Any) -> str:
    if node is None:
        return "NULL"
    if node is True or node is False:
        return "BOOLEAN"
    if isinstance(node, int | Decimal):
        return "NUMBER"
    if isinstance(node, str):
        return "STRING"
    if isinstance(node, list):
        return "ARRAY"
    if isinstance(node, dict):
        return "OBJECT"
    return "MISSING"


def _is_number(node: Any) -> bool:
    return isinstance(node, int | Decimal) and node is not True and node is not False


def _long_value(node: Any) -> int:
    if not _is_number(node):
        return 0
    return wrap(int(node), 64)


def _int_value(node: Any) -> int:
    if not _is_number(node):
        return 0
    if isinstance(node, int) and -(2**63) <= node < 2**63:
        return wrap(node, 32)  # LongNode.intValue() is a plain (int) cast
    return wrap(int(node), 32)


def _double_value(node: Any) -> float:
    return (float(node) or 0.0) if _is_number(node) else 0.0


def _float_value(node: Any) -> float:
    if not _is_number(node):
        return 0.0
    if isinstance(node, Decimal):
        return decimal_to_float32(node) or 0.0
    return to_float32(float(node))


def _binary_value(node: Any) -> bytes | None:
    if not isinstance(node, str):
        return None
    try:
        return base64.b64decode(node, validate=True)
    except (binascii.Error, ValueError) as e:
        raise DataError("Invalid bytes field") from e


_TO_CONNECT: dict[Type, Callable[[Any], Any]] = {
    Type.BOOLEAN: lambda n: n is True,
    Type.INT8: lambda n: wrap(_int_value(n), 8),
    Type.INT16: lambda n: wrap(_int_value(n), 16),
    Type.INT32: _int_value,
    Type.INT64: _long_value,
    Type.FLOAT32: _float_value,
    Type.FLOAT64: _double_value,
    Type.BYTES: _binary_value,
    Type.STRING: lambda n: n if isinstance(n, str) else None,
}

_LOGICAL_NAMES = frozenset((DECIMAL_NAME, DATE_NAME, TIME_NAME, TIMESTAMP_NAME))


def _decimal_scale(schema: Schema) -> int:
    scale = (schema.parameters or {}).get(DECIMAL_SCALE_PARAM)
    if scale is None:
        raise DataError("Invalid Decimal schema: scale parameter not found.")
    try:
        return int(scale)
    except ValueError as e:
        raise DataError("Invalid scale parameter found in Decimal schema: ") from e


def _logical_to_connect(schema: Schema, name: str, node: Any) -> Any:
    if name == DECIMAL_NAME:
        if _is_number(node):
            return Decimal(node)
        if isinstance(node, str):
            try:
                data = base64.b64decode(node, validate=True)
                return decimal_from_bytes(data, _decimal_scale(schema))
            except Exception as e:
                raise DataError("Invalid bytes for Decimal field") from e
        raise DataError(
            "Invalid type for Decimal, underlying representation should be numeric or bytes but was " + _node_type(node)
        )
    is_int = isinstance(node, int) and node is not True and node is not False
    if name == DATE_NAME:
        if not (is_int and -(2**31) <= node < 2**31):
            raise DataError(
                "Invalid type for Date, underlying representation should be integer but was " + _node_type(node)
            )
        return days_to_date(node)
    if name == TIME_NAME:
        if not (is_int and -(2**31) <= node < 2**31):
            raise DataError(
                "Invalid type for Time, underlying representation should be integer but was " + _node_type(node)
            )
        if node < 0 or node > 86_400_000:
            raise DataError("Time values must use number of milliseconds greater than 0 and less than 86400000")
        return millis_to_time(node)
    if not is_int:
        raise DataError(
            "Invalid type for Timestamp, underlying representation should be integral but was " + _node_type(node)
        )
    return millis_to_timestamp(wrap(node, 64))


# --- Connect value helpers -----------------------------------------------------------------


def _infer_type(value: Any) -> Type:
    """Apache's ``ConnectSchema.schemaType(value.getClass())`` for Python values."""
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
    if isinstance(value, list | tuple):
        return Type.ARRAY
    if isinstance(value, Mapping):
        return Type.MAP
    if isinstance(value, Struct):
        return Type.STRUCT
    raise DataError(f"Java class {java_class_name(value)} does not have corresponding schema type.")


def _as_text(key: Any, raws: list[str]) -> str:
    """Jackson's ``JsonNode.asText()`` for an object-mode map key."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if key is True or key is False:
        return "true" if key else "false"
    return str(key)


_PY_TYPES: dict[Type, Any] = {
    Type.INT8: int,
    Type.INT16: int,
    Type.INT32: int,
    Type.INT64: int,
    Type.FLOAT32: float,
    Type.FLOAT64: float,
    Type.BOOLEAN: bool,
    Type.STRING: str,
    Type.BYTES: bytes | bytearray | memoryview,
}

_TO_JSON: dict[Type, Callable[[Any, list[str]], Any]] = {
    Type.INT8: lambda v, r: v,
    Type.INT16: lambda v, r: v,
    Type.INT32: lambda v, r: v,
    Type.INT64: lambda v, r: v,
    Type.FLOAT32: _float32,
    Type.FLOAT64: _double,
    Type.BOOLEAN: lambda v, r: v,
    Type.STRING: lambda v, r: v,
    Type.BYTES: lambda v, r: _b64(v),
}
