from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from kconnect.api.config import ConfigDef, ConfigType, ConfigValue, Importance
from kconnect.api.errors import ConfigError
from kconnect.workers.connector_config import (
    ConnectorConfig,
    framework_config_def,
    validate_connector_config,
    validation_error_message,
)
from kconnect.workers.worker_config import WorkerConfig, resolve_restart_policy


def _split(text: str) -> list[str]:
    return text.split(", ")


SOURCE_KEYS = _split(
    "name, connector.class, connector.plugin.version, tasks.max, tasks.max.enforce, key.converter, "
    "key.converter.plugin.version, value.converter, value.converter.plugin.version, header.converter, "
    "header.converter.plugin.version, transforms, predicates, config.action.reload, errors.retry.timeout, "
    "errors.retry.delay.max.ms, errors.tolerance, errors.log.enable, errors.log.include.messages, "
    "topic.creation.groups, exactly.once.support, transaction.boundary, transaction.boundary.interval.ms, "
    "offsets.storage.topic, file, topic, batch.size"
)
SINK_KEYS = _split(
    "name, connector.class, connector.plugin.version, tasks.max, tasks.max.enforce, key.converter, "
    "key.converter.plugin.version, value.converter, value.converter.plugin.version, header.converter, "
    "header.converter.plugin.version, transforms, predicates, config.action.reload, errors.retry.timeout, "
    "errors.retry.delay.max.ms, errors.tolerance, errors.log.enable, errors.log.include.messages, topics, "
    "topics.regex, errors.deadletterqueue.topic.name, errors.deadletterqueue.topic.replication.factor, "
    "errors.deadletterqueue.context.headers.enable, file"
)
SOURCE_CLS = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK_CLS = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def file_source_def() -> ConfigDef:
    return (
        ConfigDef()
        .define("file", ConfigType.STRING, None, importance=Importance.HIGH, documentation="Source filename.")
        .define("topic", ConfigType.LIST, importance=Importance.HIGH, documentation="The topic to publish data to")
        .define("batch.size", ConfigType.INT, 2000, importance=Importance.LOW, documentation="batch")
    )


def file_sink_def() -> ConfigDef:
    return ConfigDef().define("file", ConfigType.STRING, None, importance=Importance.HIGH, documentation="file")


def validate(kind: str, props: dict[str, str], connector_result: dict[str, ConfigValue] | None = None) -> Any:
    cdef = file_source_def() if kind == "source" else file_sink_def()
    cls = SOURCE_CLS if kind == "source" else SINK_CLS
    result = connector_result if connector_result is not None else cdef.validate_all(props)
    return validate_connector_config(cls, kind, cdef, result, props)  # type: ignore[arg-type]


def by_name(infos: Any) -> dict[str, Any]:
    return {c["value"]["name"]: c for c in infos["configs"]}


def test_file_source_key_set_and_groups() -> None:
    props = {"name": "src", "connector.class": SOURCE_CLS, "file": "/tmp/in", "topic": "t"}
    infos = validate("source", props)
    assert [c["definition"]["name"] for c in infos["configs"]] == SOURCE_KEYS
    assert len(SOURCE_KEYS) == 27
    assert infos["name"] == SOURCE_CLS
    assert infos["error_count"] == 0
    assert infos["groups"] == [
        "Common",
        "Transforms",
        "Predicates",
        "Error Handling",
        "Topic Creation",
        "Exactly Once Support",
        "offsets.topic",
    ]


def test_file_sink_key_set_and_groups() -> None:
    props = {"name": "sink", "connector.class": SINK_CLS, "file": "/tmp/out", "topics": "t"}
    infos = validate("sink", props)
    assert [c["definition"]["name"] for c in infos["configs"]] == SINK_KEYS
    assert len(SINK_KEYS) == 25
    assert infos["groups"] == ["Common", "Transforms", "Predicates", "Error Handling"]
    assert infos["error_count"] == 0


def test_name_definition_matches_apache() -> None:
    infos = validate("sink", {"name": "local-file-sink", "connector.class": SINK_CLS, "topics": "t"})
    name = by_name(infos)["name"]
    assert name["definition"] == {
        "name": "name",
        "type": "STRING",
        "required": True,
        "default_value": None,
        "importance": "HIGH",
        "documentation": "Globally unique name to use for this connector.",
        "group": "Common",
        "order_in_group": 1,
        "order": 1,
        "width": "MEDIUM",
        "display_name": "Connector name",
        "dependents": [],
    }
    assert name["value"] == {
        "name": "name",
        "value": "local-file-sink",
        "recommended_values": [],
        "errors": [],
        "visible": True,
    }
    tasks = by_name(infos)["tasks.max"]["definition"]
    assert (tasks["default_value"], tasks["order_in_group"], tasks["display_name"]) == ("1", 4, "Tasks max")
    assert by_name(infos)["transforms"]["definition"]["order_in_group"] == 12
    assert by_name(infos)["errors.deadletterqueue.topic.replication.factor"]["value"]["value"] == "3"


def test_sink_topics_missing() -> None:
    infos = validate("sink", {"name": "s", "connector.class": SINK_CLS})
    configs = by_name(infos)
    assert configs["topics"]["value"]["errors"] == ["Must configure one of topics or topics.regex"]
    assert configs["topics.regex"]["value"]["errors"] == ["Must configure one of topics or topics.regex"]
    assert infos["error_count"] == 2
    assert validation_error_message(infos) == (
        "Connector configuration is invalid and contains the following 2 error(s):\n"
        "Must configure one of topics or topics.regex\n"
        "Must configure one of topics or topics.regex\n"
        "You can also find the above list of errors at the endpoint "
        "`/connector-plugins/{connectorType}/config/validate`"
    )


def test_sink_topics_and_regex_exclusive() -> None:
    infos = validate("sink", {"name": "s", "connector.class": SINK_CLS, "topics": "a", "topics.regex": "a.*"})
    msg = "topics and topics.regex are mutually exclusive options, but both are set."
    assert by_name(infos)["topics"]["value"]["errors"] == [msg]
    assert by_name(infos)["topics.regex"]["value"]["errors"] == [msg]


def test_sink_dlq_topic_clash() -> None:
    infos = validate(
        "sink",
        {"name": "s", "connector.class": SINK_CLS, "topics": "a, dlq", "errors.deadletterqueue.topic.name": "dlq"},
    )
    assert by_name(infos)["topics"]["value"]["errors"] == [
        "The DLQ topic 'dlq' may not be included in the list of topics ('topics=[a, dlq]') consumed by the connector"
    ]
    infos = validate(
        "sink",
        {"name": "s", "connector.class": SINK_CLS, "topics.regex": "d.*", "errors.deadletterqueue.topic.name": "dlq"},
    )
    assert by_name(infos)["topics.regex"]["value"]["errors"] == [
        "The DLQ topic 'dlq' may not be matched by the regex for the topics ('topics.regex=d.*') consumed by the "
        "connector"
    ]


def test_common_validators() -> None:
    infos = validate(
        "source",
        {
            "name": "a\x07b",
            "connector.class": SOURCE_CLS,
            "tasks.max": "0",
            "topic": "t",
            "errors.tolerance": "some",
            "transforms": "x,x",
            "exactly.once.support": "maybe",
        },
    )
    c = by_name(infos)
    assert c["name"]["value"]["errors"] == [
        "Invalid value a\x07b for configuration name: String may not contain control sequences but had the "
        "following ASCII chars: 7"
    ]
    assert c["tasks.max"]["value"]["errors"] == [
        "Invalid value 0 for configuration tasks.max: Value must be at least 1"
    ]
    assert c["errors.tolerance"]["value"]["errors"] == [
        "Invalid value some for configuration errors.tolerance: String must be one of: none, all"
    ]
    assert c["transforms"]["value"]["errors"] == [
        "Invalid value [x, x] for configuration transforms: Duplicate alias provided."
    ]
    assert c["exactly.once.support"]["value"]["errors"] == [
        "Invalid value maybe for configuration exactly.once.support: String must be one of (case insensitive): "
        "REQUIRED, REQUESTED"
    ]


def test_missing_name_and_empty_name() -> None:
    c = by_name(validate("sink", {"connector.class": SINK_CLS, "topics": "t"}))
    assert c["name"]["value"]["errors"] == ['Missing required configuration "name" which has no default value.']
    c = by_name(validate("sink", {"name": "", "connector.class": SINK_CLS, "topics": "t"}))
    assert c["name"]["value"]["errors"] == ["Invalid value  for configuration name: String may not be empty"]


def test_connector_values_and_extras() -> None:
    props = {"name": "s", "connector.class": SINK_CLS, "topics": "t"}
    result = file_sink_def().validate_all(props)
    result["file"].add_error("bad file")
    extra = ConfigValue("undeclared", "v", errors=["nope"])
    result["undeclared"] = extra
    infos = validate("sink", props, result)
    assert infos["configs"][0] == {
        "definition": None,
        "value": {"name": "undeclared", "value": "v", "recommended_values": [], "errors": ["nope"], "visible": True},
    }
    assert by_name(infos)["file"]["value"]["errors"] == ["bad file"]
    assert infos["error_count"] == 2


def test_kconnect_keys_only_when_supplied() -> None:
    props = {"name": "s", "connector.class": SINK_CLS, "topics": "t", "kconnect.task.restart.max.attempts": "x"}
    infos = validate("sink", props)
    names = [c["definition"]["name"] for c in infos["configs"]]
    assert names == [*SINK_KEYS[:-1], "kconnect.task.restart.max.attempts", "file"]
    assert infos["groups"] == ["Common", "Transforms", "Predicates", "Error Handling", "kconnect"]
    assert by_name(infos)["kconnect.task.restart.max.attempts"]["value"]["errors"] == [
        "Invalid value x for configuration kconnect.task.restart.max.attempts: Not a number of type INT",
        # Apache's ConfigDef runs the validator on the (null) unparsable value too.
        "Invalid value null for configuration kconnect.task.restart.max.attempts: Value must be non-null",
    ]


def test_enriched_defaults_from_worker() -> None:
    worker = WorkerConfig.from_props(
        {"bootstrap.servers": "b:1", "key.converter": "K", "value.converter": "V", "offset.storage.file.filename": "f"},
        log=False,
    )
    props = {"name": "s", "connector.class": SINK_CLS, "topics": "t", "value.converter": "X"}
    cdef = file_sink_def()
    infos = validate_connector_config(
        SINK_CLS,
        "sink",
        cdef,
        cdef.validate_all(props),
        props,
        worker=worker,
        plugin_version=lambda cls: {"X": "9.9", SINK_CLS: "4.3.1"}.get(cls),
    )
    c = by_name(infos)
    assert c["key.converter"]["definition"]["default_value"] == "K"
    assert c["key.converter"]["value"]["value"] == "K"
    assert c["value.converter"]["value"]["value"] == "X"
    assert c["value.converter.plugin.version"]["definition"]["default_value"] == "9.9"
    assert c["connector.plugin.version"]["value"]["value"] == "4.3.1"
    assert c["header.converter"]["value"]["value"] == "org.apache.kafka.connect.storage.SimpleHeaderConverter"


# --- ConnectorConfig snapshot ----------------------------------------------------------------------------


def test_sink_snapshot() -> None:
    cfg = ConnectorConfig.from_props(
        {
            "name": "s",
            "connector.class": "FileStreamSink",
            "topics": "a, b",
            "tasks.max": "3",
            "transforms": "r, m",
            "errors.tolerance": "all",
            "kconnect.task.restart.enable": "false",
        },
        "sink",
    )
    assert (cfg.name, cfg.connector_class, cfg.tasks_max) == ("s", "FileStreamSink", 3)
    assert cfg.topics == ("a", "b")
    assert cfg.topics_regex is None
    assert cfg.transforms == ("r", "m")
    assert cfg.tolerate_all
    assert cfg.key_converter is None
    assert cfg.header_converter is None
    assert cfg.restart_overrides() == {"kconnect.task.restart.enable": "false"}
    worker = WorkerConfig.from_props(
        {"bootstrap.servers": "b:1", "key.converter": "K", "value.converter": "V", "offset.storage.file.filename": "f"},
        log=False,
    )
    assert resolve_restart_policy(worker, cfg.raw).enabled is False


def test_snapshot_errors() -> None:
    with pytest.raises(ConfigError, match=re.escape("Configuration 'topics' values must not be duplicated.")):
        ConnectorConfig.from_props({"name": "s", "connector.class": "X", "topics": "a,b,a"}, "sink")
    with pytest.raises(ConfigError, match=re.escape("Must configure one of topics or topics.regex")):
        ConnectorConfig.from_props({"name": "s", "connector.class": "X"}, "sink")
    with pytest.raises(ConfigError, match=re.escape("tasks.max: Value must be at least 1")):
        ConnectorConfig.from_props({"name": "s", "connector.class": "X", "tasks.max": "0"}, "source")
    with pytest.raises(ConfigError, match=re.escape('Missing required configuration "connector.class"')):
        ConnectorConfig.from_props({"name": "s"}, "source")


def test_source_snapshot() -> None:
    cfg = ConnectorConfig.from_props(
        {
            "name": "s",
            "connector.class": "X",
            "exactly.once.support": "REQUIRED",
            "transaction.boundary": "Interval",
            "transaction.boundary.interval.ms": "100",
        },
        "source",
    )
    assert (cfg.exactly_once_support, cfg.transaction_boundary, cfg.transaction_boundary_interval_ms) == (
        "required",
        "interval",
        100,
    )
    assert cfg.offsets_storage_topic is None


def test_framework_def_is_stable() -> None:
    assert framework_config_def("sink").names() == SINK_KEYS[:-1]
    assert framework_config_def("source").names() == SOURCE_KEYS[:-3]


def test_transform_and_predicate_aliases_get_their_keys_and_unknown_types_fail() -> None:
    from kconnect.api import ConfigDef as Def
    from kconnect.api import ConfigType as T
    from kconnect.api import Predicate, Transformation
    from kconnect.workers.connector_config import alias_config_def

    class Upper(Transformation[Any]):
        @classmethod
        def config_def(cls) -> Def:
            return Def().define("field", T.STRING)

        def configure(self, configs: Mapping[str, str]) -> None: ...

        def apply(self, record: Any) -> Any:
            return record

    class Always(Predicate[Any]):
        @classmethod
        def config_def(cls) -> Def:
            return Def()

        def configure(self, configs: Mapping[str, str]) -> None: ...

        def test(self, record: Any) -> bool:
            return True

    props = {
        "name": "s",
        "connector.class": SINK_CLS,
        "topics": "t",
        "transforms": "up,bad",
        "transforms.up.type": "Upper",
        "transforms.up.predicate": "p",
        "transforms.bad.type": "com.example.Nope",
        "predicates": "p",
        "predicates.p.type": "Always",
    }
    aliases = alias_config_def(props, {"Upper": Upper}.get, {"Always": Always}.get)
    cdef = file_sink_def()
    infos = validate_connector_config(SINK_CLS, "sink", cdef, cdef.validate_all(props), props, aliases=aliases)
    keys = by_name(infos)
    assert keys["transforms.up.type"]["definition"]["group"] == "Transforms: up"
    assert keys["transforms.up.field"]["value"]["errors"] == [
        'Missing required configuration "transforms.up.field" which has no default value.'
    ]
    assert keys["transforms.bad.type"]["value"]["errors"] == [
        "Invalid value com.example.Nope for configuration transforms.bad.type: "
        "Class com.example.Nope could not be found."
    ]
    assert keys["predicates.p.type"]["value"]["errors"] == []
    assert "Predicates: p" in infos["groups"]
    assert infos["error_count"] == 2
