"""SimpleHeaderConverter: ``org.apache.kafka.connect.storage.SimpleHeaderConverter``.

Writing renders values as Apache's ``Values.convertToString``; reading infers a schema and value from
the UTF-8 text as ``Values.parseString`` does (a port of its tokenizer, parser and schema merging).
Dates are formatted and parsed in UTC (Apache uses the JVM's default time zone; workers run in UTC).
"""

from __future__ import annotations

import base64
import datetime as _dt
import logging
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.converter import NULL_SCHEMA_AND_VALUE, HeaderConverter, SchemaAndValue
from kconnect.api.data import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    DATE_NAME,
    DECIMAL_NAME,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    TIME_NAME,
    TIMESTAMP_NAME,
    Schema,
    Struct,
    Type,
    date_schema,
    date_to_days,
    days_to_date,
    decimal_from_bytes,
    decimal_schema,
    decimal_to_bytes,
    java_double_to_string,
    millis_to_time,
    millis_to_timestamp,
    time_schema,
    time_to_millis,
    timestamp_schema,
    timestamp_to_millis,
)
from kconnect.api.errors import DataError
from kconnect.plugins.converters._common import (
    decimal_to_float32,
    java_decimal_to_string,
    java_float_to_string,
    to_float32,
    wrap,
)

log = logging.getLogger(__name__)

_MILLIS_PER_DAY = 86_400_000
_DATE_SCHEMA = date_schema().build()
_TIME_SCHEMA = time_schema().build()
_TIMESTAMP_SCHEMA = timestamp_schema().build()
_JAVA_WS = "".join(chr(i) for i in range(33))
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_DATE_RE = re.compile(r"(\d+)-(\d+)-(\d+)")
_TIME_RE = re.compile(r"(\d+):(\d+):(\d+)\.(\d+)Z")
_TIMESTAMP_RE = re.compile(r"(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)Z")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


class SimpleHeaderConverter(HeaderConverter):
    class_name: ClassVar[str] = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    def configure(self, configs: Mapping[str, Any]) -> None:
        return None

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        if value is None:
            return NULL_SCHEMA_AND_VALUE
        try:
            parsed = parse_string(bytes(value).decode("utf-8", errors="replace"))
        except Exception:
            log.warning(
                "Failed to deserialize value for header '%s' on topic '%s', so using byte array",
                header_key,
                topic,
                exc_info=True,
            )
            return SchemaAndValue(BYTES_SCHEMA, value)
        return parsed if parsed is not None else NULL_SCHEMA_AND_VALUE

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        return convert_to_string(schema, value).encode("utf-8", errors="replace")


# --- Values.convertToString -----------------------------------------------------------------


def convert_to_string(schema: Schema | None, value: Any) -> str:
    parts: list[str] = []
    _append(parts, value, schema, False)
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _format_millis(millis: int) -> str:
    when = _EPOCH + _dt.timedelta(milliseconds=millis)
    time_part = when.strftime("%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    if millis < _MILLIS_PER_DAY:
        return time_part
    date_part = f"{when.year:04d}-{when.month:02d}-{when.day:02d}"
    if millis % _MILLIS_PER_DAY == 0:
        return date_part
    return date_part + "T" + time_part


def _append(parts: list[str], value: Any, schema: Schema | None, embedded: bool) -> None:
    if value is None:
        parts.append("null")
    elif value is True or value is False:
        parts.append("true" if value else "false")
    elif isinstance(value, int):
        parts.append(str(value))
    elif isinstance(value, float):
        if schema is not None and schema.type is Type.FLOAT32:
            parts.append(java_float_to_string(value))
        else:
            parts.append(java_double_to_string(value))
    elif isinstance(value, Decimal):
        parts.append(java_decimal_to_string(value))
    elif isinstance(value, str):
        parts.append('"' + _escape(value) + '"' if embedded else value)
    elif isinstance(value, bytes | bytearray | memoryview):
        text = base64.b64encode(value).decode("ascii")
        parts.append('"' + text + '"' if embedded else text)
    elif isinstance(value, list | tuple):
        item = schema.value_schema if schema is not None else None
        parts.append("[")
        for i, v in enumerate(value):
            if i:
                parts.append(",")
            _append(parts, v, item, True)
        parts.append("]")
    elif isinstance(value, Mapping):
        ks = schema.key_schema if schema is not None else None
        vs = schema.value_schema if schema is not None else None
        parts.append("{")
        for i, (k, v) in enumerate(value.items()):
            if i:
                parts.append(",")
            _append(parts, k, ks, True)
            parts.append(":")
            _append(parts, v, vs, True)
        parts.append("}")
    elif isinstance(value, Struct):
        parts.append("{")
        for i, f in enumerate(value.schema.fields):
            if i:
                parts.append(",")
            _append(parts, f.name, None, True)
            parts.append(":")
            _append(parts, value.get(f.name), f.schema, True)
        parts.append("}")
    elif isinstance(value, _dt.datetime):
        parts.append(_format_millis(timestamp_to_millis(value)))
    elif isinstance(value, _dt.date):
        parts.append(_format_millis(date_to_days(value) * _MILLIS_PER_DAY))
    elif isinstance(value, _dt.time):
        parts.append(_format_millis(time_to_millis(value)))
    else:
        raise DataError(f"Failed to serialize unexpected value type {type(value).__name__}: {value}")


# --- Values.parseString ---------------------------------------------------------------------


def _trim(text: str) -> str:
    return text.strip(_JAVA_WS)


def _is_blank(text: str | None) -> bool:
    return text is None or _trim(text) == ""


class _Parser:
    __slots__ = ("i", "next_token", "original", "previous_token")

    def __init__(self, original: str) -> None:
        self.original = original
        self.i = 0
        self.next_token: str | None = None
        self.previous_token: str | None = None

    def mark(self) -> int:
        return self.i - (len(self.next_token) if self.next_token is not None else 0)

    def rewind_to(self, position: int) -> None:
        self.i = position
        self.next_token = None
        self.previous_token = None

    def has_next(self) -> bool:
        return self.next_token is not None or self.i < len(self.original)

    def next(self) -> str:
        if self.next_token is not None:
            self.previous_token = self.next_token
            self.next_token = None
        else:
            self.previous_token = self._consume()
        return self.previous_token

    def next_n(self, n: int) -> str | None:
        start = self.mark()
        for _ in range(n):
            if not self.has_next():
                self.rewind_to(start)
                return None
            self.next()
        return self.original[start : self.i]

    def _consume(self) -> str:
        s = self.original
        escaped = False
        start = self.i
        while self.i < len(s):
            c = s[self.i]
            if c == "\\":
                escaped = not escaped
            elif c in ':,{}[]"':
                if not escaped:
                    if start < self.i:
                        return s[start : self.i]
                    self.i += 1
                    return s[start : start + 1]
                escaped = False
            else:
                escaped = False
            self.i += 1
        return s[start : self.i]

    def can_consume(self, expected: str) -> bool:
        if self._is_next(expected):
            self.next_token = None
            return True
        return False

    def _is_next(self, expected: str) -> bool:
        if self.next_token is None:
            if not self.has_next():
                return False
            self.next_token = self._consume()
        while _is_blank(self.next_token) and self.i < len(self.original):
            self.next_token = self._consume()
        return _trim(self.next_token) == expected


def parse_string(value: str | None) -> SchemaAndValue | None:
    """Apache's ``Values.parseString`` (``None`` where Java returns a null SchemaAndValue)."""
    if value is None:
        return NULL_SCHEMA_AND_VALUE
    if value == "":
        return SchemaAndValue(STRING_SCHEMA, value)
    return _ValueParser(_Parser(value)).parse(False)


_TRUE = SchemaAndValue(BOOLEAN_SCHEMA, True)
_FALSE = SchemaAndValue(BOOLEAN_SCHEMA, False)


class _ValueParser:
    def __init__(self, parser: _Parser) -> None:
        self.p = parser

    def _single_token_literal(self, embedded: bool, literal: str) -> bool:
        start = self.p.mark()
        if self.p.can_consume(literal) and (embedded or not self.p.has_next()):
            return True
        self.p.rewind_to(start)
        return False

    def parse(self, embedded: bool) -> SchemaAndValue | None:
        p = self.p
        if not p.has_next():
            return None
        if embedded and p.can_consume('"'):
            return self._quoted_string()
        if self._single_token_literal(embedded, "null"):
            return None
        if self._single_token_literal(embedded, "true"):
            return _TRUE
        if self._single_token_literal(embedded, "false"):
            return _FALSE
        start = p.mark()
        try:
            if p.can_consume("["):
                return self._array()
            if p.can_consume("{"):
                return self._map()
        except DataError:
            p.rewind_to(start)
        token = p.next()
        if _is_blank(token):
            return SchemaAndValue(STRING_SCHEMA, token)
        return self._next_token(embedded, _trim(token))

    def _next_token(self, embedded: bool, token: str) -> SchemaAndValue:
        first = token[0]
        digit = first.isdecimal()
        if digit:
            temporal = self._multi_token_temporal(token)
            if temporal is not None:
                return temporal
        if digit or first in "+-":
            number = _parse_number(token)
            if number is not None:
                return number
        if embedded:
            raise DataError("Failed to parse embedded value")
        return SchemaAndValue(STRING_SCHEMA, self.p.original)

    def _quoted_string(self) -> SchemaAndValue:
        parts: list[str] = []
        while self.p.has_next():
            if self.p.can_consume('"'):
                break
            parts.append(self.p.next())
        content = "".join(parts)
        temporal = _parse_temporal(content)
        return temporal if temporal is not None else SchemaAndValue(STRING_SCHEMA, content)

    def _array(self) -> SchemaAndValue:
        p = self.p
        result: list[Any] = []
        merger = _SchemaMerger()
        while p.has_next():
            if p.can_consume("]"):
                if merger.common is not None:
                    schema = Schema(type=Type.ARRAY, value_schema=merger.common)
                    result = [_convert_to(merger.common, v) for v in result]
                else:
                    schema = Schema(type=Type.ARRAY)
                return SchemaAndValue(schema, result)
            if p.can_consume(","):
                raise DataError("Unable to parse an empty array element: " + p.original)
            element = self.parse(True)
            merger.merge(element)
            result.append(element.value if element is not None else None)
            position = p.mark()
            if p.can_consume("]"):
                p.rewind_to(position)
            elif not p.can_consume(","):
                raise DataError("Array elements missing ',' delimiter")
        if p.previous_token == ",":
            raise DataError("Array is missing element after ',': " + p.original)
        raise DataError("Array is missing terminating ']': " + p.original)

    def _map(self) -> SchemaAndValue:
        p = self.p
        result: dict[Any, Any] = {}
        keys = _SchemaMerger()
        values = _SchemaMerger()
        while p.has_next():
            if p.can_consume("}"):
                if keys.common is not None and values.common is not None:
                    schema = Schema(type=Type.MAP, key_schema=keys.common, value_schema=values.common)
                    result = {_convert_to(keys.common, k): _convert_to(values.common, v) for k, v in result.items()}
                elif keys.common is not None:
                    schema = Schema(type=Type.MAP, key_schema=keys.common)
                    result = {_convert_to(keys.common, k): v for k, v in result.items()}
                else:
                    schema = Schema(type=Type.MAP)
                return SchemaAndValue(schema, result)
            if p.can_consume(","):
                raise DataError("Unable to parse a map entry with no key or value: " + p.original)
            key = self.parse(True)
            if key is None or key.value is None:
                raise DataError("Map entry may not have a null key: " + p.original)
            if not p.can_consume(":"):
                raise DataError(f"Map entry is missing ':' at {p.i} in {p.original}")
            value = self.parse(True)
            try:
                result[key.value] = value.value if value is not None else None
            except TypeError as e:  # an unhashable (list/map) key: Java allows it, Python cannot
                raise DataError("Unsupported map key: " + p.original) from e
            p.can_consume(",")
            keys.merge(key)
            values.merge(value)
        if p.previous_token == ",":
            raise DataError("Map is missing element after ',': " + p.original)
        raise DataError("Map is missing terminating '}': " + p.original)

    def _multi_token_temporal(self, token: str) -> SchemaAndValue | None:
        position = self.p.mark()
        remainder = self.p.next_n(4)
        if remainder is not None:
            temporal = _parse_temporal(token + remainder)
            if temporal is not None:
                return temporal
        self.p.rewind_to(position)
        return _parse_temporal(token)


def _parse_number(token: str) -> SchemaAndValue | None:
    if not _NUMBER_RE.match(token):
        return None  # Java's NumberFormatException
    d = Decimal(token)
    exact = _exact_decimal(d)
    if exact is not None:
        return exact
    exponent = d.as_tuple().exponent
    assert isinstance(exponent, int)
    scale = -exponent
    f = decimal_to_float32(d)
    if not math.isinf(f) and scale != 0:
        return SchemaAndValue(FLOAT32_SCHEMA, f)
    dv = float(d)
    if not math.isinf(dv) and scale != 0:
        return SchemaAndValue(FLOAT64_SCHEMA, dv)
    return SchemaAndValue(decimal_schema(scale).build(), d)


def _exact_decimal(d: Decimal) -> SchemaAndValue | None:
    a = abs(d)
    if a > Decimal("1e19") or (a < 1 and a != 0):
        return None
    if not (d.is_zero() or d == d.to_integral_value()):
        return None
    n = int(d)
    if not -(2**63) <= n < 2**63:
        return None
    if -128 <= n < 128:
        return SchemaAndValue(INT8_SCHEMA, n)
    if -(2**15) <= n < 2**15:
        return SchemaAndValue(INT16_SCHEMA, n)
    if -(2**31) <= n < 2**31:
        return SchemaAndValue(INT32_SCHEMA, n)
    return SchemaAndValue(INT64_SCHEMA, n)


def _lenient_date(y: int, m: int, d: int) -> _dt.date:
    y += (m - 1) // 12
    m = (m - 1) % 12 + 1
    return _dt.date(y, m, 1) + _dt.timedelta(days=d - 1)


def _parse_temporal(token: str) -> SchemaAndValue | None:
    token = token.replace("\\:", ":")
    n = len(token)
    if n == 13:
        m = _TIME_RE.match(token)
        if m is None:
            return None
        h, mi, s, ms = (int(g) for g in m.groups())
        return SchemaAndValue(_TIME_SCHEMA, millis_to_time(((h * 60 + mi) * 60 + s) * 1000 + ms))
    if n == 24:
        m = _TIMESTAMP_RE.match(token)
        if m is None:
            return None
        y, mo, d, h, mi, s, ms = (int(g) for g in m.groups())
        days = date_to_days(_lenient_date(y, mo, d))
        return SchemaAndValue(
            _TIMESTAMP_SCHEMA, millis_to_timestamp(days * _MILLIS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000 + ms)
        )
    if n == 10:
        m = _DATE_RE.match(token)
        if m is None:
            return None
        y, mo, d = (int(g) for g in m.groups())
        return SchemaAndValue(_DATE_SCHEMA, _lenient_date(y, mo, d))
    return None


class _SchemaMerger:
    __slots__ = ("common", "compatible")

    def __init__(self) -> None:
        self.common: Schema | None = None
        self.compatible = True

    def merge(self, latest: SchemaAndValue | None) -> None:
        if latest is not None and latest.schema is not None and self.compatible:
            if self.common is None:
                self.common = latest.schema
            else:
                self.common = _merge_schemas(self.common, latest.schema)
                self.compatible = self.common is not None


_NUMERIC_ORDER = {Type.INT8: 0, Type.INT16: 1, Type.INT32: 2, Type.INT64: 3, Type.FLOAT32: 4, Type.FLOAT64: 5}


def _merge_schemas(previous: Schema, new: Schema) -> Schema | None:
    pt, nt = previous.type, new.type
    if pt is not nt:
        if pt in _NUMERIC_ORDER and nt in _NUMERIC_ORDER:
            return new if _NUMERIC_ORDER[nt] > _NUMERIC_ORDER[pt] else previous
        return None
    if previous.optional == new.optional:
        return previous if previous.optional else new
    if previous != new:
        return None
    return previous


def _as_long(value: Any) -> int:
    if isinstance(value, bool):
        raise DataError(f"Unable to convert {value} (Boolean) to a number")
    if isinstance(value, int):
        return wrap(value, 64)
    if isinstance(value, float):
        if value != value:
            return 0
        if math.isinf(value):
            return 2**63 - 1 if value > 0 else -(2**63)
        return max(-(2**63), min(2**63 - 1, int(value)))
    if isinstance(value, Decimal):
        return wrap(int(value), 64)
    if isinstance(value, str):
        if not _NUMBER_RE.match(value.strip()):
            raise DataError(f"Unable to convert {value} (String) to a number")
        return wrap(int(Decimal(value.strip())), 64)
    raise DataError(f"Unable to convert {value} ({type(value).__name__}) to a number")


def _as_double(value: Any) -> float:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _NUMBER_RE.match(value.strip()):
        return float(Decimal(value.strip()))
    return float(_as_long(value))


def _convert_to(to: Schema, value: Any) -> Any:
    """Apache's ``Values.convertTo(toSchema, null, value)`` for the values the parser produces."""
    if value is None:
        if to.optional:
            return None
        raise DataError("Unable to convert a null value to a schema that requires a value")
    t = to.type
    name = to.name
    if t is Type.BYTES:
        if name == DECIMAL_NAME:
            if isinstance(value, bytes):
                return decimal_from_bytes(value, int((to.parameters or {})["scale"]))
            if isinstance(value, Decimal):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return Decimal(java_double_to_string(float(value)))
            if isinstance(value, str):
                return Decimal(value)
        elif isinstance(value, bytes):
            return value
        elif isinstance(value, Decimal):
            return decimal_to_bytes(value, int((to.parameters or {}).get("scale", "0")))
        raise DataError(f"Unable to convert {value} to {to}")
    if t is Type.STRING:
        return convert_to_string(None, value)
    if t is Type.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            parsed = parse_string(value)
            if parsed is not None and isinstance(parsed.value, bool):
                return parsed.value
        return _as_long(value) != 0
    if t is Type.INT32 and name in (DATE_NAME, TIME_NAME):
        if isinstance(value, _dt.datetime | _dt.time) or (isinstance(value, _dt.date) and name == TIME_NAME):
            if name == DATE_NAME and isinstance(value, _dt.date):
                return value
            if name == TIME_NAME and isinstance(value, _dt.time):
                return value
            raise DataError(f"Unable to convert {value} to {to}")
        if isinstance(value, _dt.date):
            return value
        n = wrap(_as_long(value), 32)
        return days_to_date(n) if name == DATE_NAME else millis_to_time(n)
    if t is Type.INT64 and name == TIMESTAMP_NAME:
        if isinstance(value, _dt.datetime):
            return value
        if isinstance(value, _dt.date | _dt.time):
            raise DataError(f"Unable to convert {value} to {to}")
        return millis_to_timestamp(_as_long(value))
    if t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        if isinstance(value, _dt.date | _dt.time):
            raise DataError(f"Unable to convert {value} to a number")
        bits = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}[t]
        return wrap(_as_long(value), bits)
    if t is Type.FLOAT32:
        return to_float32(_as_double(value))
    if t is Type.FLOAT64:
        return _as_double(value)
    if (t is Type.ARRAY and isinstance(value, list)) or (t is Type.MAP and isinstance(value, dict)):
        return value
    raise DataError(f"Unable to convert {value} to {to}")
