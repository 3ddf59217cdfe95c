"""Header SMTs: DropHeaders, HeaderFrom ($Key/$Value) and InsertHeader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from kconnect.api.config import ConfigDef
from kconnect.api.data import Schema, SchemaBuilder, Struct
from kconnect.api.errors import ConfigError
from kconnect.api.records import Headers
from kconnect.api.transforms import Transformation
from kconnect.plugins.converters.header import parse_string
from kconnect.plugins.transforms._util import (
    BOOLEAN,
    HIGH,
    LIST,
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
    non_empty_list,
    non_null,
    require_map,
    require_struct,
    valid_string,
    with_headers,
)

# --- DropHeaders --------------------------------------------------------------------------------

_DROP_DEF = ConfigDef().define(
    "headers",
    LIST,
    validator=any_non_duplicate_values(False, False),
    importance=HIGH,
    documentation="The name of the headers to be removed.",
)


class DropHeaders(Transformation[R]):
    class_name: ClassVar[str] = PKG + "DropHeaders"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return _DROP_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        self._headers = set(_DROP_DEF.parse(dedup_lists(configs, "headers"))["headers"])

    def apply(self, record: R) -> R | None:
        return with_headers(record, Headers(h for h in record.headers if h.key not in self._headers))


# --- HeaderFrom ---------------------------------------------------------------------------------

_HEADER_FROM_DEF = (
    ConfigDef()
    .define(
        "fields",
        LIST,
        validator=non_empty_list,
        importance=HIGH,
        documentation="Field names in the record whose values are to be copied or moved to headers.",
    )
    .define(
        "headers",
        LIST,
        validator=non_empty_list,
        importance=HIGH,
        documentation="Header names, in the same order as the field names listed in the fields configuration property.",
    )
    .define(
        "operation",
        STRING,
        validator=valid_string("move", "copy"),
        importance=HIGH,
        documentation="Either <code>move</code> if the fields are to be moved to the headers (removed from the "
        "key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).",
    )
    .define(REPLACE_NULL_WITH_DEFAULT, BOOLEAN, True, importance=MEDIUM, documentation=REPLACE_NULL_DOC)
)


class _HeaderFrom(KeyOrValue, Transformation[R]):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return _HEADER_FROM_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _HEADER_FROM_DEF.parse(configs)
        self._fields: list[str] = parsed["fields"]
        self._headers: list[str] = parsed["headers"]
        if len(self._fields) != len(self._headers):
            raise ConfigError("'fields' config must have the same number of elements as 'headers' config.")
        self._operation: str = parsed["operation"]
        self._replace_null = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        self._cache: LRUCache[Schema, Schema] = LRUCache()

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        schema = self.operating_schema(record)
        headers = record.headers.copy()
        purpose = "header " + self._operation
        if schema is None:
            m = require_map(value, purpose)
            updated = dict(m)
            for name, header in zip(self._fields, self._headers, strict=True):
                if self._operation == "move":
                    updated.pop(name, None)
                headers.add(header, m.get(name), None)
            return with_headers(self.new_record(record, None, updated), headers)
        s = require_struct(value, purpose)
        if self._operation == "move":
            updated_schema = self._move_schema(schema)
            out: Struct = Struct(updated_schema)
            for f in updated_schema.fields:
                out.put(f.name, field_value(s, f.name, self._replace_null))
        else:
            updated_schema, out = schema, s
        for name, header in zip(self._fields, self._headers, strict=True):
            fv = field_value(s, name, self._replace_null) if s.schema.field(name) is not None else None
            found = schema.field(name)
            if found is None:
                raise TypeError(
                    'Cannot invoke "org.apache.kafka.connect.data.Field.schema()" because the return value of '
                    '"org.apache.kafka.connect.data.Schema.field(String)" is null'
                )
            headers.add(header, fv, found.schema)
        return with_headers(self.new_record(record, updated_schema, out), headers)

    def _move_schema(self, schema: Schema) -> Schema:
        cached = self._cache.get(schema)
        if cached is None:
            b = copy_schema_basics(schema, SchemaBuilder.struct())
            for f in schema.fields:
                if f.name not in self._fields:
                    add_field(b, f.name, f.schema)
            cached = b.build()
            self._cache.put(schema, cached)
        return cached


class HeaderFromKey(_HeaderFrom[R]):
    class_name: ClassVar[str] = PKG + "HeaderFrom$Key"
    is_key = True


class HeaderFromValue(_HeaderFrom[R]):
    class_name: ClassVar[str] = PKG + "HeaderFrom$Value"


# --- InsertHeader -------------------------------------------------------------------------------

_INSERT_HEADER_DEF = (
    ConfigDef()
    .define("header", STRING, validator=non_null, importance=HIGH, documentation="The name of the header.")
    .define(
        "value.literal",
        STRING,
        validator=non_null,
        importance=HIGH,
        documentation="The literal value that is to be set as the header value on all records.",
    )
)


class InsertHeader(Transformation[R]):
    class_name: ClassVar[str] = PKG + "InsertHeader"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return _INSERT_HEADER_DEF

    def configure(self, configs: Mapping[str, str]) -> None:
        parsed = _INSERT_HEADER_DEF.parse(configs)
        self._header: str = parsed["header"]
        self._literal = parse_string(parsed["value.literal"])

    def apply(self, record: R) -> R | None:
        headers = record.headers.copy()
        if self._literal is None:
            headers.add(self._header, None, None)
        else:
            headers.add(self._header, self._literal.value, self._literal.schema)
        return with_headers(record, headers)
