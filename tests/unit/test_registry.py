"""PluginRegistry: Kafka Connect's plugin name resolution, listings and error messages."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

from kconnect.api.config import ConfigDef
from kconnect.api.connector import SinkConnector, SourceConnector
from kconnect.api.converter import Converter, HeaderConverter, SchemaAndValue
from kconnect.api.data import Schema
from kconnect.api.records import ConnectRecord, Headers
from kconnect.api.task import SinkTask, SourceTask
from kconnect.api.transforms import Transformation
from kconnect.plugins.file import FileStreamSinkConnector, FileStreamSourceConnector
from kconnect.plugins.registry import (
    AmbiguousPluginError,
    PluginDesc,
    PluginKind,
    PluginLoadError,
    PluginNotFoundError,
    PluginRegistry,
    connector_type,
    pruned_name,
    simple_name,
)

SOURCE_FQCN = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK_FQCN = "org.apache.kafka.connect.file.FileStreamSinkConnector"


# --- tiny plugins --------------------------------------------------------------------------


class _NoopSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        return None

    def stop(self) -> None:
        return None

    def poll(self) -> None:
        return None


class _NoopSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        return None

    def stop(self) -> None:
        return None

    def put(self, records: Sequence[Any]) -> None:
        return None


class _BaseSource(SourceConnector):
    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    def start(self, props: Mapping[str, str]) -> None:
        return None

    @classmethod
    def task_class(cls) -> type[SourceTask]:
        return _NoopSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return []

    def stop(self) -> None:
        return None


class AcmeDupConnectorA(_BaseSource):
    class_name = "com.acme.a.DupConnector"


class AcmeDupConnectorB(_BaseSource):
    class_name = "com.acme.b.DupConnector"


class UnnamedSourceConnector(_BaseSource):
    """Declares no class_name: it is known as module.QualName."""


class AliasedSourceConnector(_BaseSource):
    class_name = "com.acme.FancySourceConnector"
    aliases = ("fancy",)

    @classmethod
    def version(cls) -> str:
        return "1.2.3"


class AcmeSinkConnector(SinkConnector):
    class_name = "com.acme.AcmeSinkConnector"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    def start(self, props: Mapping[str, str]) -> None:
        return None

    @classmethod
    def task_class(cls) -> type[SinkTask]:
        return _NoopSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return []

    def stop(self) -> None:
        return None


class AcmeJsonConverter(Converter):
    class_name = "com.acme.AcmeJsonConverter"

    def configure(self, configs: Mapping[str, str], is_key: bool) -> None:
        return None

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        return None

    def to_connect_data(self, topic: str, value: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        return SchemaAndValue(None, None)


class AcmeDualConverter(AcmeJsonConverter, HeaderConverter):
    """Both a Converter and a HeaderConverter, like Apache's JsonConverter."""

    class_name = "com.acme.AcmeDualConverter"

    def configure(self, configs: Mapping[str, str], is_key: bool = False) -> None:
        return None

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return None

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return SchemaAndValue(None, None)


class UndefinedVersionConverter(AcmeJsonConverter):
    class_name = "com.acme.ZzzConverter"

    @classmethod
    def version(cls) -> str:
        return "undefined"


class AcmeRouter(Transformation[ConnectRecord]):
    class_name = "com.acme.transforms.Router"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    def configure(self, configs: Mapping[str, str]) -> None:
        return None

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return record


def _file_registry() -> PluginRegistry:
    return PluginRegistry.from_classes(connectors=[FileStreamSourceConnector, FileStreamSinkConnector])


# --- name resolution -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (SOURCE_FQCN, FileStreamSourceConnector),
        (SINK_FQCN, FileStreamSinkConnector),
        ("FileStreamSource", FileStreamSourceConnector),
        ("FileStreamSourceConnector", FileStreamSourceConnector),
        ("FileStreamSink", FileStreamSinkConnector),
        ("FileStreamSinkConnector", FileStreamSinkConnector),
        ("  FileStreamSink ", FileStreamSinkConnector),
        ("kconnect.plugins.file.source:FileStreamSourceConnector", FileStreamSourceConnector),
        ("kconnect.plugins.file.sink.FileStreamSinkConnector", FileStreamSinkConnector),
    ],
)
def test_connector_names_resolve(name: str, expected: type[Any]) -> None:
    assert _file_registry().connector_class(name) is expected


def test_explicit_alias_and_default_class_name() -> None:
    reg = PluginRegistry.from_classes(connectors=[AliasedSourceConnector, UnnamedSourceConnector])
    assert reg.connector_class("fancy") is AliasedSourceConnector
    assert reg.connector_class("FancySource") is AliasedSourceConnector
    assert reg.connector_class("com.acme.FancySourceConnector") is AliasedSourceConnector
    unnamed = f"{UnnamedSourceConnector.__module__}.UnnamedSourceConnector"
    assert reg.describe(PluginKind.CONNECTOR, "UnnamedSource").class_name == unnamed
    assert reg.connector_class(unnamed) is UnnamedSourceConnector
    assert reg.connector_class("UnnamedSourceConnector") is UnnamedSourceConnector


def test_dotted_path_of_unregistered_class_is_found_but_not_listed() -> None:
    reg = PluginRegistry.from_classes(connectors=[FileStreamSinkConnector])
    assert reg.connector_class("kconnect.plugins.file.source:FileStreamSourceConnector") is FileStreamSourceConnector
    desc = reg.describe(PluginKind.CONNECTOR, "kconnect.plugins.file.source.FileStreamSourceConnector")
    assert (desc.class_name, desc.type, desc.version) == (SOURCE_FQCN, "source", "4.3.1")
    assert [d["class"] for d in reg.connector_plugins_json()] == [SINK_FQCN]


def test_dotted_path_to_wrong_kind_or_missing_is_not_found() -> None:
    reg = _file_registry()
    with pytest.raises(PluginNotFoundError):
        reg.converter_class("kconnect.plugins.file.source:FileStreamSourceConnector")
    with pytest.raises(PluginNotFoundError):
        reg.connector_class("kconnect.plugins.file.source:NoSuchClass")
    with pytest.raises(PluginNotFoundError):
        reg.connector_class("no_such_module_xyz.Thing")
    with pytest.raises(PluginNotFoundError):
        reg.connector_class("kconnect.api.connector:Connector")  # abstract
    no_dotted = PluginRegistry.from_classes(connectors=[FileStreamSinkConnector], allow_dotted_paths=False)
    with pytest.raises(PluginNotFoundError):
        no_dotted.connector_class("kconnect.plugins.file.source:FileStreamSourceConnector")


def test_unknown_connector_message_is_apaches() -> None:
    with pytest.raises(PluginNotFoundError) as info:
        _file_registry().connector_class("NoSuchConnector")
    assert str(info.value) == (
        "Failed to find any class that implements Connector and which name matches NoSuchConnector, "
        "available connectors are: "
        "PluginDesc{klass=class org.apache.kafka.connect.file.FileStreamSinkConnector, "
        "name='org.apache.kafka.connect.file.FileStreamSinkConnector', version='4.3.1', encodedVersion=4.3.1, "
        "type=sink, typeName='sink', location='classpath'}, "
        "PluginDesc{klass=class org.apache.kafka.connect.file.FileStreamSourceConnector, "
        "name='org.apache.kafka.connect.file.FileStreamSourceConnector', version='4.3.1', encodedVersion=4.3.1, "
        "type=source, typeName='source', location='classpath'}"
    )
    assert info.value.kind is PluginKind.CONNECTOR
    assert info.value.name == "NoSuchConnector"


def test_unknown_converter_message() -> None:
    reg = PluginRegistry.from_classes(converters=[AcmeJsonConverter])
    with pytest.raises(
        PluginNotFoundError,
        match=r"^Failed to find any class that implements Converter and which name "
        r"matches Avro, available converters are: PluginDesc\{klass=class com.acme.AcmeJsonConverter",
    ):
        reg.converter_class("Avro")


def test_ambiguous_alias() -> None:
    reg = PluginRegistry.from_classes(connectors=[AcmeDupConnectorA, AcmeDupConnectorB])
    assert reg.connector_class("com.acme.a.DupConnector") is AcmeDupConnectorA
    assert reg.connector_class("com.acme.b.DupConnector") is AcmeDupConnectorB
    for alias in ("Dup", "DupConnector"):
        with pytest.raises(
            AmbiguousPluginError,
            match=f"^More than one connector matches alias {alias}. Please use "
            "full package and class name instead. Classes found: PluginDesc",
        ):
            reg.connector_class(alias)


def test_alias_helpers() -> None:
    assert simple_name("org.apache.kafka.connect.transforms.Cast$Value") == "Value"
    assert pruned_name("org.apache.kafka.connect.json.JsonConverter", "Converter") == "Json"
    assert pruned_name("a.Converter", "Converter") == "Converter"  # nothing left: keep the simple name
    assert pruned_name("x.FileStreamSourceConnector", "Connector") == "FileStreamSource"
    assert connector_type(FileStreamSourceConnector) == "source"
    assert connector_type(FileStreamSinkConnector) == "sink"
    assert connector_type(AcmeJsonConverter) == "unknown"


def test_dual_converter_keeps_its_converter_alias_as_header_converter() -> None:
    reg = PluginRegistry.from_classes(converters=[AcmeDualConverter], header_converters=[AcmeDualConverter])
    for name in ("AcmeDual", "AcmeDualConverter", "com.acme.AcmeDualConverter"):
        assert reg.converter_class(name) is AcmeDualConverter
        assert reg.header_converter_class(name) is AcmeDualConverter


def test_other_kinds_resolve_by_pruned_name() -> None:
    reg = PluginRegistry.from_classes(converters=[AcmeJsonConverter], transformations=[AcmeRouter])
    assert reg.converter_class("AcmeJson") is AcmeJsonConverter
    assert reg.converter_class("AcmeJsonConverter") is AcmeJsonConverter
    assert reg.transformation_class("Router") is AcmeRouter
    with pytest.raises(PluginNotFoundError, match="implements Transformation"):
        reg.transformation_class("AcmeJson")
    assert reg.find(PluginKind.PREDICATE, "Router") is None
    desc = reg.describe_any("Router")
    assert desc is not None
    assert desc.type == "transformation"


# --- listings --------------------------------------------------------------------------------


def _mixed_registry() -> PluginRegistry:
    return PluginRegistry.from_classes(
        connectors=[FileStreamSourceConnector, AliasedSourceConnector, FileStreamSinkConnector, AcmeSinkConnector],
        converters=[UndefinedVersionConverter, AcmeDualConverter, AcmeJsonConverter],
        header_converters=[AcmeDualConverter],
        transformations=[AcmeRouter],
    )


def test_connector_plugins_listing_shape_and_order() -> None:
    reg = _mixed_registry()
    assert reg.connector_plugins_json() == [
        {"class": "com.acme.AcmeSinkConnector", "type": "sink", "version": "0.0.0"},
        {"class": SINK_FQCN, "type": "sink", "version": "4.3.1"},
        {"class": "com.acme.FancySourceConnector", "type": "source", "version": "1.2.3"},
        {"class": SOURCE_FQCN, "type": "source", "version": "4.3.1"},
    ]
    everything = reg.connector_plugins_json(connectors_only=False)
    assert [(d["class"], d["type"]) for d in everything[4:]] == [
        ("com.acme.transforms.Router", "transformation"),
        ("com.acme.AcmeDualConverter", "converter"),
        ("com.acme.AcmeJsonConverter", "converter"),
        ("com.acme.ZzzConverter", "converter"),
        ("com.acme.AcmeDualConverter", "header_converter"),
    ]
    assert everything[7] == {"class": "com.acme.ZzzConverter", "type": "converter"}  # undefined version left out
    assert all(set(d) <= {"class", "type", "version"} for d in everything)


def test_plugin_desc_fields() -> None:
    desc = _file_registry().describe(PluginKind.CONNECTOR, "FileStreamSource")
    assert isinstance(desc, PluginDesc)
    assert (desc.class_name, desc.type, desc.version, desc.location) == (SOURCE_FQCN, "source", "4.3.1", "classpath")
    assert desc.plugin_class is FileStreamSourceConnector
    assert desc.to_json() == {"class": SOURCE_FQCN, "type": "source", "version": "4.3.1"}


# --- entry points ----------------------------------------------------------------------------


def _eps(entries: Mapping[str, list[tuple[str, str]]]) -> tuple[Any, list[str]]:
    calls: list[str] = []

    def entry_points(group: str) -> Iterable[importlib.metadata.EntryPoint]:
        calls.append(group)
        return [importlib.metadata.EntryPoint(name, value, group) for name, value in entries.get(group, [])]

    return entry_points, calls


def test_entry_point_names_resolve_and_loading_is_lazy_and_cached() -> None:
    eps, calls = _eps(
        {
            "kconnect.connectors": [
                ("my-file-source", "kconnect.plugins.file.source:FileStreamSourceConnector"),
                ("FileStreamSink", "kconnect.plugins.file.sink:FileStreamSinkConnector"),
                ("other-name", "kconnect.plugins.file.sink:FileStreamSinkConnector"),
            ]
        }
    )
    reg = PluginRegistry(entry_points=eps)
    assert calls == []
    assert reg.connector_class("my-file-source") is FileStreamSourceConnector
    assert reg.connector_class("other-name") is FileStreamSinkConnector
    assert reg.connector_class(SINK_FQCN) is FileStreamSinkConnector
    assert calls == ["kconnect.connectors"]
    # the same class under two entry points is listed once, with both names
    assert [d["class"] for d in reg.connector_plugins_json()] == [SINK_FQCN, SOURCE_FQCN]
    sink = reg.describe(PluginKind.CONNECTOR, "FileStreamSink")
    assert sink.names == ("FileStreamSink", "other-name")
    assert calls == ["kconnect.connectors"]
    with pytest.raises(PluginNotFoundError):
        reg.converter_class("Json")
    assert calls == ["kconnect.connectors", "kconnect.converters"]


def test_broken_entry_points_are_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    eps, _ = _eps(
        {
            "kconnect.connectors": [
                ("Broken", "no_such_module_for_kconnect_tests:Thing"),
                ("NotAConnector", "kconnect.api.data:Struct"),
                ("Abstract", "kconnect.api.connector:SourceConnector"),
                ("FileStreamSource", "kconnect.plugins.file.source:FileStreamSourceConnector"),
            ],
        }
    )
    with caplog.at_level(logging.WARNING, logger="kconnect.plugins.registry"):
        reg = PluginRegistry(entry_points=eps)
        assert reg.connector_class("FileStreamSource") is FileStreamSourceConnector
    assert [d["class"] for d in reg.connector_plugins_json()] == [SOURCE_FQCN]
    text = caplog.text
    assert "no_such_module_for_kconnect_tests" in text
    assert "does not extend Connector" in text
    assert "is abstract" in text
    with pytest.raises(PluginNotFoundError):
        reg.connector_class("Broken")


def test_strict_registry_raises_on_broken_plugin() -> None:
    eps, _ = _eps({"kconnect.connectors": [("Broken", "no_such_module_for_kconnect_tests:Thing")]})
    reg = PluginRegistry(entry_points=eps, strict=True)
    with pytest.raises(PluginLoadError, match="no_such_module_for_kconnect_tests"):
        reg.connector_class("Anything")


def test_installed_entry_points_provide_filestream_connectors() -> None:
    eps = importlib.metadata.entry_points(group="kconnect.connectors")
    assert {ep.name for ep in eps} >= {"FileStreamSource", "FileStreamSink"}, (
        "kconnect is not installed: run pip install -e '.[test]' --no-deps"
    )
    reg = PluginRegistry.from_entry_points()
    assert reg.connector_class("FileStreamSource") is FileStreamSourceConnector
    assert reg.connector_class(SINK_FQCN) is FileStreamSinkConnector
    listed = reg.connector_plugins_json()
    assert {"class": SOURCE_FQCN, "type": "source", "version": "4.3.1"} in listed
    assert {"class": SINK_FQCN, "type": "sink", "version": "4.3.1"} in listed
    reg.load_all()  # converters may be missing or broken while being written: never fatal
