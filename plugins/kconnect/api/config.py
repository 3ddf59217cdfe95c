"""ConfigDef: typed configuration definitions with Kafka Connect's validation semantics.

``ConfigDef.validate_all`` produces the per-key results that the REST API renders in Kafka
Connect's ``ConfigInfos`` shape (``definition`` + ``value``), and ``ConfigDef.parse`` turns raw
string maps into typed values, raising :class:`~kconnect.api.errors.ConfigError` with Apache's
messages.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kconnect.api.errors import ConfigError


class ConfigType(enum.Enum):
    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    SHORT = "SHORT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"


class Importance(enum.Enum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Width(enum.Enum):
    NONE = "NONE"
    SHORT = "SHORT"
    MEDIUM = "MEDIUM"
    LONG = "LONG"


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT_VALUE"


NO_DEFAULT: Any = _NoDefault()
HIDDEN = "[hidden]"


class Password:
    """A secret: prints as ``[hidden]`` so it never leaks into logs or REST output."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return HIDDEN

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Password) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


class Validator(Protocol):
    def __call__(self, name: str, value: Any) -> None:
        """Raise ConfigError when ``value`` (already parsed) is invalid."""


class Recommender(Protocol):
    def valid_values(self, name: str, parsed: Mapping[str, Any]) -> list[Any]: ...

    def visible(self, name: str, parsed: Mapping[str, Any]) -> bool: ...


# --- validators (messages are Apache's) ---------------------------------------------------


@dataclass(frozen=True)
class Range:
    min: float | None = None
    max: float | None = None

    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            raise ConfigError(name, value, "Value must be non-null")
        if self.min is not None and value < self.min:
            raise ConfigError(name, value, f"Value must be at least {_num(self.min)}")
        if self.max is not None and value > self.max:
            raise ConfigError(name, value, f"Value must be no more than {_num(self.max)}")

    @classmethod
    def at_least(cls, minimum: float) -> Range:
        return cls(min=minimum)

    @classmethod
    def between(cls, minimum: float, maximum: float) -> Range:
        return cls(min=minimum, max=maximum)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class ValidString:
    valid: tuple[str, ...]
    case_insensitive: bool = False

    def __call__(self, name: str, value: Any) -> None:
        ok = str(value).lower() in {v.lower() for v in self.valid} if self.case_insensitive else value in self.valid
        if not ok:
            shown = "[" + ", ".join(self.valid) + "]"
            raise ConfigError(
                name,
                value,
                f"String must be one of{' (case insensitive)' if self.case_insensitive else ''}: {shown[1:-1]}",
            )


class NonEmptyString:
    def __call__(self, name: str, value: Any) -> None:
        # Apache's accepts null: whether a key is required is checked separately.
        if value == "":
            raise ConfigError(name, value, "String must be non-empty")


class NonEmptyStringWithoutControlChars:
    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            return  # Apache: null is accepted here; required-ness is checked separately
        if value == "":
            raise ConfigError(name, value, "String may not be empty")
        bad = [c for c in value if ord(c) < 0x20 or ord(c) == 0x7F]
        if bad:
            codes = ", ".join(str(ord(c)) for c in bad)
            raise ConfigError(
                name, value, f"String may not contain control sequences but had the following ASCII chars: {codes}"
            )


@dataclass(frozen=True)
class LambdaValidator:
    fn: Callable[[str, Any], None]
    description: str = ""

    def __call__(self, name: str, value: Any) -> None:
        self.fn(name, value)


# --- keys and values ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ConfigKey:
    name: str
    type: ConfigType
    default: Any = NO_DEFAULT
    validator: Validator | None = None
    importance: Importance = Importance.MEDIUM
    documentation: str = ""
    group: str | None = None
    order_in_group: int = -1
    width: Width = Width.NONE
    display_name: str | None = None
    dependents: tuple[str, ...] = ()
    recommender: Recommender | None = None
    internal: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def info(self) -> dict[str, Any]:
        """Kafka Connect's ConfigKeyInfo JSON (both ``order`` keys, for old and new clients)."""
        return {
            "name": self.name,
            "type": self.type.value,
            "required": not self.has_default,
            "default_value": render_value(self.type, self.default) if self.has_default else None,
            "importance": self.importance.value,
            "documentation": self.documentation,
            "group": self.group,
            "order_in_group": self.order_in_group,
            "order": self.order_in_group,
            "width": self.width.value,
            "display_name": self.display_name or self.name,
            "dependents": list(self.dependents),
        }


@dataclass
class ConfigValue:
    name: str
    value: Any = None
    recommended_values: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    visible: bool = True

    def add_error(self, message: str) -> None:
        self.errors.append(message)

    def info(self, type_: ConfigType | None) -> dict[str, Any]:
        rendered = (
            render_value(type_, self.value) if type_ is not None else (None if self.value is None else str(self.value))
        )
        return {
            "name": self.name,
            "value": rendered,
            "recommended_values": [render_value(type_, v) if type_ else str(v) for v in self.recommended_values],
            "errors": list(self.errors),
            "visible": self.visible,
        }


def render_value(type_: ConfigType | None, value: Any) -> str | None:
    """Render a parsed value as Kafka Connect prints it in REST responses."""
    if value is None or value is NO_DEFAULT:
        return None
    if type_ is ConfigType.PASSWORD or isinstance(value, Password):
        return HIDDEN
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, type):
        return getattr(value, "class_name", "") or f"{value.__module__}.{value.__qualname__}"
    return str(value)


_TRUE_FALSE = {"true": True, "false": False}


def parse_type(name: str, value: Any, type_: ConfigType) -> Any:
    """Parse a raw value (normally a string) as Apache's ``ConfigDef.parseType`` does."""
    if value is None:
        return None
    try:
        trimmed = value.strip() if isinstance(value, str) else value
        if type_ is ConfigType.BOOLEAN:
            if isinstance(trimmed, bool):
                return trimmed
            if isinstance(trimmed, str) and trimmed.lower() in _TRUE_FALSE:
                return _TRUE_FALSE[trimmed.lower()]
            raise ConfigError(name, value, "Expected value to be either true or false")
        if type_ is ConfigType.PASSWORD:
            return value if isinstance(value, Password) else Password(str(value))
        if type_ is ConfigType.STRING:
            if not isinstance(trimmed, str):
                raise ConfigError(name, value, "Expected value to be a string, but it was a " + type(value).__name__)
            return trimmed
        if type_ in (ConfigType.INT, ConfigType.SHORT, ConfigType.LONG):
            bits = {ConfigType.INT: 31, ConfigType.SHORT: 15, ConfigType.LONG: 63}[type_]
            label = {
                ConfigType.INT: "32-bit integer",
                ConfigType.SHORT: "16-bit integer",
                ConfigType.LONG: "64-bit integer",
            }[type_]
            if isinstance(trimmed, bool):
                raise ConfigError(name, value, f"Expected value to be a {label}, but it was a Boolean")
            if isinstance(trimmed, int):
                n = trimmed
            elif isinstance(trimmed, str) and re.fullmatch(r"[+-]?\d+", trimmed):
                n = int(trimmed)
            else:
                raise ConfigError(name, value, f"Not a number of type {type_.value}")
            if not -(2**bits) <= n < 2**bits:
                raise ConfigError(name, value, f"Not a number of type {type_.value}")
            return n
        if type_ is ConfigType.DOUBLE:
            if isinstance(trimmed, bool):
                raise ConfigError(name, value, "Expected value to be a double, but it was a Boolean")
            try:
                return float(trimmed)
            except ValueError:
                raise ConfigError(name, value, "Not a number of type DOUBLE") from None
        if type_ is ConfigType.LIST:
            if isinstance(trimmed, list | tuple):
                return list(trimmed)
            if trimmed == "":
                return []
            return [part.strip() for part in str(trimmed).split(",")]
        if type_ is ConfigType.CLASS:
            return trimmed
    except ConfigError:
        raise
    raise ConfigError(name, value, "Unknown type.")


class ConfigDef:
    """An ordered set of :class:`ConfigKey` definitions."""

    def __init__(self, keys: Sequence[ConfigKey] = ()) -> None:
        self._keys: dict[str, ConfigKey] = {}
        for k in keys:
            self.add(k)

    def add(self, key: ConfigKey) -> ConfigDef:
        if key.name in self._keys:
            raise ConfigError(f"Configuration {key.name} is defined twice.")
        self._keys[key.name] = key
        return self

    def define(self, name: str, type_: ConfigType, default: Any = NO_DEFAULT, **kwargs: Any) -> ConfigDef:
        return self.add(ConfigKey(name=name, type=type_, default=default, **kwargs))

    def merge(self, other: ConfigDef) -> ConfigDef:
        """A new ConfigDef with our keys first, then ``other``'s keys that we lack."""
        merged = ConfigDef(list(self._keys.values()))
        for k in other.config_keys():
            if k.name not in merged._keys:
                merged.add(k)
        return merged

    def config_keys(self) -> list[ConfigKey]:
        return list(self._keys.values())

    def names(self) -> list[str]:
        return list(self._keys)

    def get(self, name: str) -> ConfigKey | None:
        return self._keys.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._keys

    def groups(self) -> list[str]:
        seen: list[str] = []
        for k in self._keys.values():
            if k.group is not None and k.group not in seen:
                seen.append(k.group)
        return seen

    def parse(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Parse and validate every defined key, raising on the first problem (Apache's ``parse``)."""
        values: dict[str, Any] = {}
        for key in self._keys.values():
            if key.name in props:
                value = parse_type(key.name, props[key.name], key.type)
            elif key.has_default:
                value = parse_type(key.name, key.default, key.type)
            else:
                raise ConfigError(f'Missing required configuration "{key.name}" which has no default value.')
            if key.validator is not None:
                key.validator(key.name, value)
            values[key.name] = value
        return values

    def validate_all(self, props: Mapping[str, Any]) -> dict[str, ConfigValue]:
        """Validate every defined key and collect all errors (Apache's ``validateAll``)."""
        parsed: dict[str, Any] = {}
        results: dict[str, ConfigValue] = {}
        for key in self._keys.values():
            cv = ConfigValue(key.name)
            results[key.name] = cv
            # As Apache's ConfigDef.validate: a value that failed to parse (or is missing) is null, and
            # the validator still runs on it, so e.g. a Range adds "Value must be non-null".
            value: Any = None
            if key.name in props:
                raw = props[key.name]
                if raw is None:
                    cv.add_error("Null value can not be supplied as the configuration value.")
                else:
                    try:
                        value = parse_type(key.name, raw, key.type)
                        cv.value = value
                    except ConfigError as e:
                        cv.add_error(str(e))  # Java reports the value of an unparsable setting as null
            elif key.has_default:
                value = parse_type(key.name, key.default, key.type)
                cv.value = value
            else:
                cv.add_error(f'Missing required configuration "{key.name}" which has no default value.')
            parsed[key.name] = value
            if key.validator is not None:
                try:
                    key.validator(key.name, value)
                except ConfigError as e:
                    cv.add_error(str(e))
        for key in self._keys.values():
            if key.recommender is not None:
                cv = results[key.name]
                try:
                    cv.recommended_values = key.recommender.valid_values(key.name, parsed)
                    cv.visible = key.recommender.visible(key.name, parsed)
                except ConfigError as e:
                    cv.add_error(str(e))
        return results


def config_infos(
    name: str, definition: ConfigDef, values: Mapping[str, ConfigValue], extra: Sequence[ConfigValue] = ()
) -> dict[str, Any]:
    """Render Kafka Connect's ``ConfigInfos`` validation response."""
    configs: list[dict[str, Any]] = []
    error_count = 0
    for key in definition.config_keys():
        cv = values.get(key.name, ConfigValue(key.name))
        error_count += len(cv.errors)
        configs.append({"definition": key.info(), "value": cv.info(key.type)})
    for cv in extra:
        error_count += len(cv.errors)
        configs.append({"definition": None, "value": cv.info(None)})
    return {"name": name, "error_count": error_count, "groups": definition.groups(), "configs": configs}
