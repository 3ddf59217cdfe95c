"""Apache's predicates: ``TopicNameMatches``, ``HasHeaderKey`` and ``RecordIsTombstone``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.errors import ConfigError
from kconnect.api.transforms import Predicate
from kconnect.plugins.transforms._javatext import JavaRegexError, compile_java_regex
from kconnect.plugins.transforms._util import MEDIUM, STRING, R, non_empty_string

_PKG = "org.apache.kafka.connect.transforms.predicates."


def _pattern_validator(name: str, value: Any) -> None:
    non_empty_string(name, value)
    try:
        compile_java_regex(str(value))
    except JavaRegexError as e:
        raise ConfigError(name, value, "Invalid regex: " + str(e)) from None


_TOPIC_DEF = ConfigDef().define(
    "pattern",
    STRING,
    validator=_pattern_validator,
    importance=MEDIUM,
    documentation="A Java regular expression for matching against the name of a record's topic.",
)


class TopicNameMatches(Predicate[R]):
    class_name: ClassVar[str] = _PKG + "TopicNameMatches"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return _TOPIC_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        self._pattern: re.Pattern[str] = compile_java_regex(_TOPIC_DEF.parse(configs)["pattern"])

    def test(self, record: R) -> bool:
        return record.topic is not None and self._pattern.fullmatch(record.topic) is not None

    def __str__(self) -> str:
        return f"TopicNameMatches{{pattern={self._pattern.pattern}}}"


_HEADER_DEF = ConfigDef().define(
    "name", STRING, validator=non_empty_string, importance=MEDIUM, documentation="The header name."
)


class HasHeaderKey(Predicate[R]):
    class_name: ClassVar[str] = _PKG + "HasHeaderKey"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return _HEADER_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        self._name: str = _HEADER_DEF.parse(configs)["name"]

    def test(self, record: R) -> bool:
        return record.headers.last_with_name(self._name) is not None

    def __str__(self) -> str:
        return f"HasHeaderKey{{name='{self._name}'}}"


class RecordIsTombstone(Predicate[R]):
    class_name: ClassVar[str] = _PKG + "RecordIsTombstone"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    def configure(self, configs: Mapping[str, str]) -> None:
        return None

    def test(self, record: R) -> bool:
        return record.value is None

    def __str__(self) -> str:
        return "RecordIsTombstone{}"
