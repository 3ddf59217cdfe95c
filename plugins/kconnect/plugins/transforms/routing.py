"""Topic routing and filtering: Filter, RegexRouter and TimestampRouter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.errors import ConfigError, DataError
from kconnect.api.records import replace_record
from kconnect.api.transforms import Transformation
from kconnect.plugins.transforms._javatext import JavaDateFormat, JavaRegexError, compile_java_regex, java_replace_first
from kconnect.plugins.transforms._util import HIGH, PKG, STRING, R, java_record_string


class Filter(Transformation[R]):
    class_name: ClassVar[str] = PKG + "Filter"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    def configure(self, configs: Mapping[str, str]) -> None:
        return None

    def apply(self, record: R) -> R | None:
        return None


def regex_validator(name: str, value: object) -> None:
    """Apache's ``RegexValidator`` (the detail after "Invalid regex: " is Python's, not Java's)."""
    try:
        compile_java_regex(str(value))
    except JavaRegexError as e:
        raise ConfigError(name, value, "Invalid regex: " + str(e)) from None


_REGEX_DEF = (
    ConfigDef()
    .define(
        "regex",
        STRING,
        validator=regex_validator,
        importance=HIGH,
        documentation="Regular expression to use for matching.",
    )
    .define("replacement", STRING, importance=HIGH, documentation="Replacement string.")
)


class RegexRouter(Transformation[R]):
    class_name: ClassVar[str] = PKG + "RegexRouter"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return _REGEX_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _REGEX_DEF.parse(configs)
        self._regex: re.Pattern[str] = compile_java_regex(parsed["regex"])
        self._replacement: str = parsed["replacement"]

    def apply(self, record: R) -> R | None:
        if self._regex.fullmatch(record.topic) is None:
            return record
        topic = java_replace_first(self._regex, record.topic, self._replacement)
        return replace_record(record, topic=topic, headers=record.headers.copy())


_TS_ROUTER_DEF = (
    ConfigDef()
    .define(
        "topic.format",
        STRING,
        "${topic}-${timestamp}",
        importance=HIGH,
        documentation="Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as "
        "placeholders for the topic and timestamp, respectively.",
    )
    .define(
        "timestamp.format",
        STRING,
        "yyyyMMdd",
        importance=HIGH,
        documentation="Format string for the timestamp that is compatible with "
        "<code>java.text.SimpleDateFormat</code>.",
    )
)


class TimestampRouter(Transformation[R]):
    class_name: ClassVar[str] = PKG + "TimestampRouter"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return _TS_ROUTER_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _TS_ROUTER_DEF.parse(configs)
        self._topic_format: str = parsed["topic.format"]
        self._pattern: str = parsed["timestamp.format"]
        self._format: JavaDateFormat | None = None

    def apply(self, record: R) -> R | None:
        if record.timestamp is None:
            raise DataError("Timestamp missing on record: " + java_record_string(record))
        if self._format is None:  # Java builds the SimpleDateFormat lazily (a ThreadLocal initial value)
            self._format = JavaDateFormat(self._pattern)
        formatted = self._format.format(record.timestamp)
        topic = self._topic_format.replace("${topic}", record.topic).replace("${timestamp}", formatted)
        return replace_record(record, topic=topic, headers=record.headers.copy())
