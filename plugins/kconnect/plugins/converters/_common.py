"""Helpers shared by the converters: Java number formatting and the ``converter.type`` config key."""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kconnect.api.config import ConfigDef, ConfigType, Importance, ValidString
from kconnect.api.data import java_double_to_string
from kconnect.api.errors import ConfigError

TYPE_CONFIG = "converter.type"
_TYPES = ("key", "value", "header")

_F32 = struct.Struct(">f")


def converter_config_def() -> ConfigDef:
    """Apache's ``ConverterConfig.newConfigDef()``: just ``converter.type`` (required)."""
    return ConfigDef().define(
        TYPE_CONFIG,
        ConfigType.STRING,
        validator=ValidString(_TYPES),
        importance=Importance.LOW,
        documentation="How this converter will be used.",
    )


def with_type(configs: Mapping[str, Any], is_key: bool | None) -> dict[str, Any]:
    """Add ``converter.type`` as Apache's ``configure(configs, isKey)`` does (header use when ``is_key`` is None)."""
    merged = dict(configs)
    if is_key is not None:
        merged[TYPE_CONFIG] = "key" if is_key else "value"
    else:
        merged.setdefault(TYPE_CONFIG, "header")
    if merged[TYPE_CONFIG] not in _TYPES:
        raise ConfigError(TYPE_CONFIG, merged[TYPE_CONFIG], "String must be one of: key, value, header")
    return merged


def to_float32(value: float) -> float:
    """Round a double to the nearest float32 (Java's ``(float) d``)."""
    try:
        return float(_F32.unpack(_F32.pack(value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def decimal_to_float32(value: Decimal) -> float:
    """Java's ``BigDecimal.floatValue()``: the float32 nearest to the exact decimal (no double rounding)."""
    d = float(value)
    f = to_float32(d)
    if math.isinf(f) or d == f:
        return f
    # Examine f and its float32 neighbours and keep the one closest to the exact value.
    bits = _F32.unpack(_F32.pack(f))[0]
    raw = struct.unpack(">i", _F32.pack(bits))[0]
    best = f
    best_err = abs(Decimal(f) - value)
    for step in (-1, 1):
        n = raw + step if raw >= 0 else raw - step
        try:
            cand = float(_F32.unpack(struct.pack(">i", n))[0])
        except struct.error:
            continue
        if math.isinf(cand) or math.isnan(cand):
            continue
        err = abs(Decimal(cand) - value)
        if err < best_err or (err == best_err and (struct.unpack(">i", _F32.pack(cand))[0] & 1) == 0):
            best, best_err = cand, err
    return best


def java_float_to_string(value: float) -> str:
    """Java's ``Float.toString`` for a float32 value held in a Python float (shortest float32 digits)."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    f = to_float32(value)
    for precision in range(2, 10):  # Java prints at least two significant digits
        text = f"{f:.{precision - 1}e}"
        if to_float32(float(text)) == f:
            break
    return java_double_to_string(float(text))


def java_decimal_to_string(value: Decimal) -> str:
    """Java's ``BigDecimal.toString`` (Python's to-scientific-string is the same algorithm; no ``-0``)."""
    if value.is_zero() and value.is_signed():
        value = value.copy_abs()
    return str(value)


def wrap(value: int, bits: int) -> int:
    """Two's-complement narrowing, as a Java cast from long/BigInteger does."""
    mask = (1 << bits) - 1
    value &= mask
    return value - (1 << bits) if value >> (bits - 1) else value


def java_class_name(value: Any) -> str:
    """A Java-ish class name for error messages."""
    return {
        str: "class java.lang.String",
        int: "class java.lang.Long",
        float: "class java.lang.Double",
        bool: "class java.lang.Boolean",
        bytes: "class [B",
        list: "class java.util.ArrayList",
        dict: "class java.util.HashMap",
        Decimal: "class java.math.BigDecimal",
    }.get(type(value), "class " + type(value).__name__)
