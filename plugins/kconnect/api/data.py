"""Kafka Connect's data model: schemas, structs and the logical types.

This mirrors ``org.apache.kafka.connect.data`` closely enough that JsonConverter's envelope
(``{"schema": ..., "payload": ...}``) round-trips byte for byte with Apache's. Python values map
to Connect types as follows:

=========  ============================  ===================================
Type       Python value                  notes
=========  ============================  ===================================
INT8..64   ``int``                       range checked by ``validate_value``
FLOAT32/64 ``float``
BOOLEAN    ``bool``
STRING     ``str``
BYTES      ``bytes``
ARRAY      ``list``
MAP        ``dict``
STRUCT     ``Struct``
Decimal    ``decimal.Decimal``           logical type over BYTES
Date       ``datetime.date``             logical type over INT32 (days)
Time       ``datetime.time``             logical type over INT32 (millis)
Timestamp  ``datetime.datetime`` (UTC)   logical type over INT64 (millis)
=========  ============================  ===================================
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kconnect.api.errors import DataError


class Type(enum.Enum):
    """Connect schema types; the value is the name Apache's JsonConverter writes."""

    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float"
    FLOAT64 = "double"
    BOOLEAN = "boolean"
    STRING = "string"
    BYTES = "bytes"
    ARRAY = "array"
    MAP = "map"
    STRUCT = "struct"

    @property
    def is_primitive(self) -> bool:
        return self not in (Type.ARRAY, Type.MAP, Type.STRUCT)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    index: int
    schema: Schema


@dataclass(frozen=True, slots=True, eq=True)
class Schema:
    """An immutable Connect schema. Build complex ones with :class:`SchemaBuilder`."""

    type: Type
    optional: bool = False
    default: Any = None
    name: str | None = None
    version: int | None = None
    doc: str | None = None
    parameters: Mapping[str, str] | None = None
    fields: tuple[Field, ...] = ()
    key_schema: Schema | None = None
    value_schema: Schema | None = None
    _field_index: Mapping[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.fields and not self._field_index:
            object.__setattr__(self, "_field_index", {f.name: f for f in self.fields})

    def __hash__(self) -> int:
        return hash((self.type, self.optional, self.name, self.version, tuple(f.name for f in self.fields)))

    def field(self, name: str) -> Field | None:
        if self.type is not Type.STRUCT:
            raise DataError("Cannot look up fields on non-struct type")
        return self._field_index.get(name)


class SchemaBuilder:
    """Fluent builder like Apache's; ``build()`` returns an immutable :class:`Schema`."""

    def __init__(self, type_: Type) -> None:
        self._type = type_
        self._optional = False
        self._default: Any = None
        self._name: str | None = None
        self._version: int | None = None
        self._doc: str | None = None
        self._parameters: dict[str, str] | None = None
        self._fields: list[Field] = []
        self._key: Schema | None = None
        self._value: Schema | None = None

    # --- factories -------------------------------------------------------------------------
    @classmethod
    def int8(cls) -> SchemaBuilder:
        return cls(Type.INT8)

    @classmethod
    def int16(cls) -> SchemaBuilder:
        return cls(Type.INT16)

    @classmethod
    def int32(cls) -> SchemaBuilder:
        return cls(Type.INT32)

    @classmethod
    def int64(cls) -> SchemaBuilder:
        return cls(Type.INT64)

    @classmethod
    def float32(cls) -> SchemaBuilder:
        return cls(Type.FLOAT32)

    @classmethod
    def float64(cls) -> SchemaBuilder:
        return cls(Type.FLOAT64)

    @classmethod
    def boolean(cls) -> SchemaBuilder:
        return cls(Type.BOOLEAN)

    @classmethod
    def string(cls) -> SchemaBuilder:
        return cls(Type.STRING)

    @classmethod
    def bytes(cls) -> SchemaBuilder:
        return cls(Type.BYTES)

    @classmethod
    def struct(cls) -> SchemaBuilder:
        return cls(Type.STRUCT)

    @classmethod
    def array(cls, value_schema: Schema) -> SchemaBuilder:
        b = cls(Type.ARRAY)
        b._value = value_schema
        return b

    @classmethod
    def map(cls, key_schema: Schema, value_schema: Schema) -> SchemaBuilder:
        b = cls(Type.MAP)
        b._key = key_schema
        b._value = value_schema
        return b

    # --- modifiers -------------------------------------------------------------------------
    def optional(self) -> SchemaBuilder:
        self._optional = True
        return self

    def required(self) -> SchemaBuilder:
        self._optional = False
        return self

    def default_value(self, value: Any) -> SchemaBuilder:
        self._default = value
        return self

    def name(self, name: str) -> SchemaBuilder:
        self._name = name
        return self

    def version(self, version: int) -> SchemaBuilder:
        self._version = version
        return self

    def doc(self, doc: str) -> SchemaBuilder:
        self._doc = doc
        return self

    def parameter(self, key: str, value: str) -> SchemaBuilder:
        if self._parameters is None:
            self._parameters = {}
        self._parameters[key] = value
        return self

    def parameters(self, params: Mapping[str, str]) -> SchemaBuilder:
        for k, v in params.items():
            self.parameter(k, v)
        return self

    def field(self, name: str, schema: Schema) -> SchemaBuilder:
        if self._type is not Type.STRUCT:
            raise DataError("Cannot create fields on type " + self._type.name)
        if any(f.name == name for f in self._fields):
            raise DataError("Cannot create field because of field name duplication " + name)
        self._fields.append(Field(name, len(self._fields), schema))
        return self

    def build(self) -> Schema:
        return Schema(
            type=self._type,
            optional=self._optional,
            default=self._default,
            name=self._name,
            version=self._version,
            doc=self._doc,
            parameters=dict(self._parameters) if self._parameters is not None else None,
            fields=tuple(self._fields),
            key_schema=self._key,
            value_schema=self._value,
        )


def _primitive(t: Type, optional: bool) -> Schema:
    return Schema(type=t, optional=optional)


INT8_SCHEMA = _primitive(Type.INT8, False)
INT16_SCHEMA = _primitive(Type.INT16, False)
INT32_SCHEMA = _primitive(Type.INT32, False)
INT64_SCHEMA = _primitive(Type.INT64, False)
FLOAT32_SCHEMA = _primitive(Type.FLOAT32, False)
FLOAT64_SCHEMA = _primitive(Type.FLOAT64, False)
BOOLEAN_SCHEMA = _primitive(Type.BOOLEAN, False)
STRING_SCHEMA = _primitive(Type.STRING, False)
BYTES_SCHEMA = _primitive(Type.BYTES, False)
OPTIONAL_INT8_SCHEMA = _primitive(Type.INT8, True)
OPTIONAL_INT16_SCHEMA = _primitive(Type.INT16, True)
OPTIONAL_INT32_SCHEMA = _primitive(Type.INT32, True)
OPTIONAL_INT64_SCHEMA = _primitive(Type.INT64, True)
OPTIONAL_FLOAT32_SCHEMA = _primitive(Type.FLOAT32, True)
OPTIONAL_FLOAT64_SCHEMA = _primitive(Type.FLOAT64, True)
OPTIONAL_BOOLEAN_SCHEMA = _primitive(Type.BOOLEAN, True)
OPTIONAL_STRING_SCHEMA = _primitive(Type.STRING, True)
OPTIONAL_BYTES_SCHEMA = _primitive(Type.BYTES, True)

# --- logical types (names are Apache's, they travel on the wire) ---------------------------
DECIMAL_NAME = "org.apache.kafka.connect.data.Decimal"
DECIMAL_SCALE_PARAM = "scale"
DATE_NAME = "org.apache.kafka.connect.data.Date"
TIME_NAME = "org.apache.kafka.connect.data.Time"
TIMESTAMP_NAME = "org.apache.kafka.connect.data.Timestamp"

_EPOCH_DATE = _dt.date(1970, 1, 1)
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


def decimal_schema(scale: int) -> SchemaBuilder:
    return SchemaBuilder.bytes().name(DECIMAL_NAME).parameter(DECIMAL_SCALE_PARAM, str(scale)).version(1)


def date_schema() -> SchemaBuilder:
    return SchemaBuilder.int32().name(DATE_NAME).version(1)


def time_schema() -> SchemaBuilder:
    return SchemaBuilder.int32().name(TIME_NAME).version(1)


def timestamp_schema() -> SchemaBuilder:
    return SchemaBuilder.int64().name(TIMESTAMP_NAME).version(1)


def decimal_to_bytes(value: decimal.Decimal, scale: int) -> bytes:
    """Unscaled two's-complement big-endian bytes, as Java's ``BigInteger.toByteArray``."""
    unscaled = int(value.scaleb(scale).to_integral_exact())
    length = max(1, (unscaled.bit_length() + 8) // 8)
    return unscaled.to_bytes(length, "big", signed=True)


def decimal_from_bytes(data: bytes, scale: int) -> decimal.Decimal:
    unscaled = int.from_bytes(data, "big", signed=True)
    return decimal.Decimal(unscaled).scaleb(-scale)


def date_to_days(value: _dt.date) -> int:
    return (value - _EPOCH_DATE).days


def days_to_date(days: int) -> _dt.date:
    return _EPOCH_DATE + _dt.timedelta(days=days)


def time_to_millis(value: _dt.time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


def millis_to_time(millis: int) -> _dt.time:
    if not 0 <= millis < 86_400_000:
        raise DataError("Time values must be between 00:00:00 and 24:00:00")
    secs, ms = divmod(millis, 1000)
    mins, s = divmod(secs, 60)
    h, m = divmod(mins, 60)
    return _dt.time(h, m, s, ms * 1000)


def timestamp_to_millis(value: _dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def millis_to_timestamp(millis: int) -> _dt.datetime:
    return _EPOCH + _dt.timedelta(milliseconds=millis)


class Struct:
    """A record value with a STRUCT schema; fields are set by name and validated on ``validate``."""

    __slots__ = ("_schema", "_values")

    def __init__(self, schema: Schema) -> None:
        if schema.type is not Type.STRUCT:
            raise DataError("Not a struct schema: " + repr(schema))
        self._schema = schema
        self._values: list[Any] = [None] * len(schema.fields)

    @property
    def schema(self) -> Schema:
        return self._schema

    def _field(self, name: str) -> Field:
        f = self._schema.field(name)
        if f is None:
            raise DataError(name + " is not a valid field name")
        return f

    def put(self, name: str, value: Any) -> Struct:
        f = self._field(name)
        validate_value(f.schema, value, f.name)
        self._values[f.index] = value
        return self

    def get(self, name: str) -> Any:
        f = self._field(name)
        v = self._values[f.index]
        if v is None and f.schema.default is not None:
            return f.schema.default
        return v

    def get_without_default(self, name: str) -> Any:
        return self._values[self._field(name).index]

    def items(self) -> Iterator[tuple[Field, Any]]:
        for f in self._schema.fields:
            yield f, self._values[f.index]

    def validate(self) -> None:
        for f in self._schema.fields:
            validate_value(f.schema, self._values[f.index], f.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Struct) and other._schema == self._schema and other._values == self._values

    def __hash__(self) -> int:
        return hash(tuple(repr(v) for v in self._values))

    def __repr__(self) -> str:
        # Java's Struct.toString(): Struct{name=value,name2=value2}, null fields left out.
        parts = [f"{f.name}={java_to_string(v)}" for f, v in self.items() if v is not None]
        return "Struct{" + ",".join(parts) + "}"


_INT_RANGES = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}


def validate_value(schema: Schema, value: Any, field_name: str | None = None) -> None:
    """Raise :class:`DataError` when ``value`` does not fit ``schema`` (Apache's ConnectSchema.validateValue)."""
    where = f' for field: "{field_name}"' if field_name else ""
    if value is None:
        if not schema.optional and schema.default is None:
            # Java: 'Invalid value: null used for required field: "f", schema type: STRING'
            named = f': "{field_name}"' if field_name else ""
            raise DataError(f"Invalid value: null used for required field{named}, schema type: {schema.type.name}")
        return
    name = schema.name
    if name == DECIMAL_NAME:
        ok = isinstance(value, decimal.Decimal)
    elif name == DATE_NAME:
        ok = isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)
    elif name == TIME_NAME:
        ok = isinstance(value, _dt.time)
    elif name == TIMESTAMP_NAME:
        ok = isinstance(value, _dt.datetime)
    elif schema.type in _INT_RANGES:
        lo, hi = _INT_RANGES[schema.type]
        ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    elif schema.type in (Type.FLOAT32, Type.FLOAT64):
        ok = isinstance(value, float)
    elif schema.type is Type.BOOLEAN:
        ok = isinstance(value, bool)
    elif schema.type is Type.STRING:
        ok = isinstance(value, str)
    elif schema.type is Type.BYTES:
        ok = isinstance(value, bytes | bytearray | memoryview)
    elif schema.type is Type.ARRAY:
        ok = isinstance(value, list)
        if ok and schema.value_schema is not None:
            for item in value:
                validate_value(schema.value_schema, item, field_name)
    elif schema.type is Type.MAP:
        ok = isinstance(value, dict)
        if ok and schema.key_schema is not None and schema.value_schema is not None:
            for k, v in value.items():
                validate_value(schema.key_schema, k, field_name)
                validate_value(schema.value_schema, v, field_name)
    else:  # STRUCT
        ok = isinstance(value, Struct) and value.schema == schema
    if not ok:
        raise DataError(f"Invalid Java object for schema with type {schema.type.name}: {type(value).__name__}{where}")


def java_to_string(value: Any) -> str:
    """Render a Connect value the way Java's ``String.valueOf`` would.

    FileStreamSink writes exactly this, so it must match Apache's output: maps as ``{k=v, k2=v2}``,
    lists as ``[a, b]``, structs as ``Struct{f=v}``, ``null``, ``true``/``false``, and doubles in
    Java's ``Double.toString`` form.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return java_double_to_string(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_to_string(k)}={java_to_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_to_string(v) for v in value) + "]"
    if isinstance(value, bytes | bytearray):
        # Java prints byte[] as an identity hash ("[B@1b6d3586"); nothing stable to match, so we
        # print the bytes as Java's ByteBuffer would not either. Documented difference.
        return "[B@" + format(id(value) & 0xFFFFFFFF, "x")
    if isinstance(value, _dt.date | _dt.time):
        return _java_date_to_string(value)
    return str(value)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _java_date_to_string(value: _dt.date | _dt.time) -> str:
    """``java.util.Date.toString()`` (what Connect's Date/Time/Timestamp values are), in a UTC JVM."""
    if isinstance(value, _dt.datetime):
        moment = value.astimezone(_dt.UTC) if value.tzinfo is not None else value
    elif isinstance(value, _dt.date):
        moment = _dt.datetime(value.year, value.month, value.day)
    else:
        moment = _dt.datetime.combine(_EPOCH_DATE, value.replace(tzinfo=None))
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC {moment.year}"
    )


def java_double_to_string(value: float) -> str:
    """Java's ``Double.toString``: shortest repr, ``E`` notation outside [1e-3, 1e7)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if str(value).startswith("-") else "0.0"
    mag = abs(value)
    if 1e-3 <= mag < 1e7:
        s = repr(value)
        if "e" in s:  # repr can still use exponent for some values in range
            s = format(value, "f")
        return s if "." in s else s + ".0"
    # Scientific: shortest digits, mantissa with at least one fractional digit.
    digits, exp = _shortest_digits(mag)
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return ("-" if value < 0 else "") + mantissa + "E" + str(exp)


def _shortest_digits(mag: float) -> tuple[str, int]:
    s = repr(mag)
    mant, _, e = s.partition("e")
    exp = int(e) if e else 0
    int_part, _, frac = mant.partition(".")
    digits = (int_part + frac).lstrip("0")
    # position of decimal point relative to first significant digit
    lead_zeros = len(int_part + frac) - len((int_part + frac).lstrip("0"))
    point = len(int_part) - lead_zeros - 1 + exp
    digits = digits.rstrip("0") or "0"
    if len(digits) == 1:
        # Java prints at least two digits and picks the two-digit decimal closest to the value
        # (Double.MIN_VALUE is "4.9E-324", not "5.0E-324").
        two = format(mag, ".1e")
        digits, point = (two[0] + two[2]).rstrip("0") or "0", int(two.partition("e")[2])
    return digits, point
