"""Kafka Connect's framework connector configuration (Apache 4.3 ``ConnectorConfig``,
``SinkConnectorConfig``, ``SourceConnectorConfig``): definitions, validation, and a parsed snapshot.

``validate_connector_config`` produces the ``ConfigInfos`` body of
``PUT /connector-plugins/{type}/config/validate``; ``validation_error_message`` the 400 message
returned when creating or updating a connector with an invalid configuration.

Our own connector keys (the ``kconnect.task.restart.*`` overrides) are defined in a group named
``kconnect`` and are reported only when supplied, so Java's key sets stay exactly Java's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from kconnect.api.config import (
    NO_DEFAULT,
    ConfigDef,
    ConfigKey,
    ConfigType,
    ConfigValue,
    Importance,
    LambdaValidator,
    NonEmptyStringWithoutControlChars,
    Range,
    ValidString,
    Width,
    config_infos,
    parse_type,
)
from kconnect.api.errors import ConfigError
from kconnect.workers.task_limits import limit_keys
from kconnect.workers.worker_config import RESTART_KEYS, WorkerConfig, restart_policy_keys

ConnectorType = Literal["source", "sink"]

COMMON_GROUP = "Common"
TRANSFORMS_GROUP = "Transforms"
PREDICATES_GROUP = "Predicates"
ERROR_GROUP = "Error Handling"
TOPIC_CREATION_GROUP = "Topic Creation"
EXACTLY_ONCE_SUPPORT_GROUP = "Exactly Once Support"
OFFSETS_TOPIC_GROUP = "offsets.topic"
KCONNECT_GROUP = "kconnect"

NAME = "name"
CONNECTOR_CLASS = "connector.class"
CONNECTOR_VERSION = "connector.plugin.version"
TASKS_MAX = "tasks.max"
TASKS_MAX_ENFORCE = "tasks.max.enforce"
KEY_CONVERTER = "key.converter"
VALUE_CONVERTER = "value.converter"
HEADER_CONVERTER = "header.converter"
TRANSFORMS = "transforms"
PREDICATES = "predicates"
CONFIG_RELOAD_ACTION = "config.action.reload"
ERRORS_RETRY_TIMEOUT = "errors.retry.timeout"
ERRORS_RETRY_MAX_DELAY = "errors.retry.delay.max.ms"
ERRORS_TOLERANCE = "errors.tolerance"
ERRORS_LOG_ENABLE = "errors.log.enable"
ERRORS_LOG_INCLUDE_MESSAGES = "errors.log.include.messages"
TOPICS = "topics"
TOPICS_REGEX = "topics.regex"
DLQ_TOPIC_NAME = "errors.deadletterqueue.topic.name"
DLQ_TOPIC_REPLICATION_FACTOR = "errors.deadletterqueue.topic.replication.factor"
DLQ_CONTEXT_HEADERS_ENABLE = "errors.deadletterqueue.context.headers.enable"
TOPIC_CREATION_GROUPS = "topic.creation.groups"
EXACTLY_ONCE_SUPPORT = "exactly.once.support"
TRANSACTION_BOUNDARY = "transaction.boundary"
TRANSACTION_BOUNDARY_INTERVAL = "transaction.boundary.interval.ms"
OFFSETS_TOPIC = "offsets.storage.topic"
# Ours: source records that fail go to the DLQ topic too (errors.deadletterqueue.* keys, as for sinks).
SOURCE_DLQ_ENABLE = "kconnect.errors.source.deadletterqueue.enable"

# --- documentation strings (Apache's) ------------------------------------------------------------

_CONVERTER_DOC = (
    "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka."
    " This controls the format of the {what} in messages written to or read from Kafka, and since this is"
    " independent of connectors it allows any connector to work with any serialization format."
    " Examples of common formats include JSON and Avro."
)
KEY_CONVERTER_DOC = _CONVERTER_DOC.format(what="keys")
VALUE_CONVERTER_DOC = _CONVERTER_DOC.format(what="values")
HEADER_CONVERTER_DOC = (
    "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to "
    "Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this "
    "is independent of connectors it allows any connector to work with any serialization format. Examples of common "
    "formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to "
    "strings and deserialize them by inferring the schemas."
)
_DOCS = {
    NAME: "Globally unique name to use for this connector.",
    CONNECTOR_CLASS: "Name or alias of the class for this connector. Must be a subclass of "
    "org.apache.kafka.connect.connector.Connector. If the connector is "
    "org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use "
    '"FileStreamSink" or "FileStreamSinkConnector" to make the configuration a bit shorter',
    CONNECTOR_VERSION: "Version of the connector.",
    TASKS_MAX: "Maximum number of tasks to use for this connector.",
    TASKS_MAX_ENFORCE: "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector. "
    "By default, connectors that generate too many tasks will fail, and existing sets of tasks that exceed the "
    "tasks.max property will also be failed. If this property is set to false, then connectors will be allowed to "
    "generate more than the maximum number of tasks, and existing sets of tasks that exceed the tasks.max property "
    "will be allowed to run. This property is deprecated and will be removed in an upcoming major release.",
    TRANSFORMS: "Aliases for the transformations to be applied to records.",
    PREDICATES: "Aliases for the predicates used by transformations.",
    CONFIG_RELOAD_ACTION: "The action that Connect should take on the connector when changes in external "
    "configuration providers result in a change in the connector's configuration properties. A value of 'none' "
    "indicates that Connect will do nothing. A value of 'restart' indicates that Connect should restart/reload the "
    "connector with the updated configuration properties.The restart may actually be scheduled in the future if the "
    "external configuration provider indicates that a configuration value will expire in the future.",
    ERRORS_RETRY_TIMEOUT: "The maximum duration in milliseconds that a failed operation will be reattempted. The "
    "default is 0, which means no retries will be attempted. Use -1 for infinite retries.",
    ERRORS_RETRY_MAX_DELAY: "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be "
    "added to the delay once this limit is reached to prevent thundering herd issues.",
    ERRORS_TOLERANCE: "Behavior for tolerating errors during connector operation. 'none' is the default value and "
    "signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip "
    "over problematic records.",
    ERRORS_LOG_ENABLE: "If true, write each error and the details of the failed operation and problematic record to "
    "the Connect application log. This is 'false' by default, so that only errors that are not tolerated are "
    "reported.",
    ERRORS_LOG_INCLUDE_MESSAGES: "Whether to include in the log the Connect record that resulted in a failure. For "
    "sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value "
    "(and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source "
    "offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from "
    "being written to log files.",
    TOPICS: "List of topics to consume, separated by commas",
    TOPICS_REGEX: "Regular expression giving topics to consume. Under the hood, the regex is compiled to a "
    "<code>java.util.regex.Pattern</code>. Only one of topics or topics.regex should be specified.",
    DLQ_TOPIC_NAME: "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an "
    "error when processed by this sink connector, or its transformations or converters. The topic name is blank by "
    "default, which means that no messages are to be recorded in the DLQ.",
    DLQ_TOPIC_REPLICATION_FACTOR: "Replication factor used to create the dead letter queue topic when it doesn't "
    "already exist.",
    DLQ_CONTEXT_HEADERS_ENABLE: "If true, add headers containing error context to the messages written to the dead "
    "letter queue. To avoid clashing with headers from the original record, all error context header keys, all error "
    "context header keys will start with <code>__connect.errors.</code>",
    TOPIC_CREATION_GROUPS: "Groups of configurations for topics created by source connectors",
    EXACTLY_ONCE_SUPPORT: 'Permitted values are requested, required. If set to "required", forces a preflight check '
    "for the connector to ensure that it can provide exactly-once semantics with the given configuration. Some "
    "connectors may be capable of providing exactly-once semantics but not signal to Connect that they support this; "
    "in that case, documentation for the connector should be consulted carefully before creating it, and the value "
    'for this property should be set to "requested". Additionally, if the value is set to "required" but the worker '
    "that performs preflight validation does not have exactly-once support enabled for source connectors, requests "
    "to create or validate the connector will fail.",
    TRANSACTION_BOUNDARY: "Permitted values are: poll, interval, connector. If set to 'poll', a new producer "
    "transaction will be started and committed for every batch of records that each task from this connector "
    "provides to Connect. If set to 'connector', relies on connector-defined transaction boundaries; note that not "
    "all connectors are capable of defining their own transaction boundaries, and in that case, attempts to "
    "instantiate a connector with this value will fail. Finally, if set to 'interval', commits transactions only "
    "after a user-defined time interval has passed.",
    TRANSACTION_BOUNDARY_INTERVAL: "If 'transaction.boundary' is set to 'interval', determines the interval for "
    "producer transaction commits by connector tasks. If unset, defaults to the value of the worker-level "
    "'offset.flush.interval.ms' property. It has no effect if a different transaction.boundary is specified.",
    OFFSETS_TOPIC: "The name of a separate offsets topic to use for this connector. If empty or not specified, the "
    "worker\u2019s global offsets topic name will be used. If specified, the offsets topic will be created if it does "
    "not already exist on the Kafka cluster targeted by this connector (which may be different from the one used for "
    "the worker's global offsets topic if the bootstrap.servers property of the connector's producer has been "
    "overridden from the worker's). Only applicable in distributed mode; in standalone mode, setting this property "
    "will have no effect.",
}


def _unique_aliases(name: str, value: Any) -> None:
    if value is None:
        raise ConfigError(name, "null", "entry must be non null")
    if len(set(value)) != len(value):
        raise ConfigError(name, _java_list([str(v) for v in value]), "Duplicate alias provided.")


def _topics_list(name: str, value: Any) -> None:
    # 4.2+ (KIP-1161): ValidList.anyNonDuplicateValues(true, false)
    if len(set(value)) != len(value):
        raise ConfigError(f"Configuration '{name}' values must not be duplicated.")
    if any(v == "" for v in value):
        raise ConfigError(f"Configuration '{name}' values must not be empty.")


def _regex(name: str, value: Any) -> None:
    try:
        re.compile(value)
    except re.error as e:
        raise ConfigError(name, value, f"Invalid regex: {e}") from None


def _non_empty_or_null(name: str, value: Any) -> None:
    # Apache's NonEmptyString accepts null (kconnect.api's NonEmptyString does not)
    if value is not None and value == "":
        raise ConfigError(name, value, "String must be non-empty")


def _at_least_zero_or_null(name: str, value: Any) -> None:
    if value is not None:
        Range.at_least(0)(name, value)


# --- definitions ---------------------------------------------------------------------------------


def _key(
    name: str,
    type_: ConfigType,
    default: Any,
    importance: Importance,
    group: str,
    order: int,
    width: Width,
    display: str,
    validator: Any = None,
    doc: str | None = None,
) -> ConfigKey:
    return ConfigKey(
        name=name,
        type=type_,
        default=default,
        validator=validator,
        importance=importance,
        documentation=_DOCS[name] if doc is None else doc,
        group=group,
        order_in_group=order,
        width=width,
        display_name=display,
    )


def common_config_keys(
    connector_version: str | None = None,
    key_converter: str | None = None,
    value_converter: str | None = None,
    header_converter: str | None = None,
    key_converter_version: str | None = None,
    value_converter_version: str | None = None,
    header_converter_version: str | None = None,
) -> list[ConfigKey]:
    """Apache's ``ConnectorConfig.configDef`` keys, in order; the arguments fill the enriched defaults."""
    S, INT, L, B, LST, C = (
        ConfigType.STRING,
        ConfigType.INT,
        ConfigType.LONG,
        ConfigType.BOOLEAN,
        ConfigType.LIST,
        ConfigType.CLASS,
    )
    H, M, LO = Importance.HIGH, Importance.MEDIUM, Importance.LOW
    G = COMMON_GROUP
    E = ERROR_GROUP
    return [
        _key(NAME, S, NO_DEFAULT, H, G, 1, Width.MEDIUM, "Connector name", NonEmptyStringWithoutControlChars()),
        _key(CONNECTOR_CLASS, S, NO_DEFAULT, H, G, 2, Width.LONG, "Connector class"),
        _key(CONNECTOR_VERSION, S, connector_version, M, G, 3, Width.MEDIUM, "Connector version"),
        _key(TASKS_MAX, INT, 1, H, G, 4, Width.SHORT, "Tasks max", Range.at_least(1)),
        _key(TASKS_MAX_ENFORCE, B, True, LO, G, 5, Width.SHORT, "Enforce tasks max"),
        _key(KEY_CONVERTER, C, key_converter, LO, G, 6, Width.SHORT, "Key converter class", doc=KEY_CONVERTER_DOC),
        _key(
            "key.converter.plugin.version",
            S,
            key_converter_version,
            LO,
            G,
            7,
            Width.SHORT,
            "Key converter version",
            doc="Version of the key converter.",
        ),
        _key(
            VALUE_CONVERTER, C, value_converter, LO, G, 8, Width.SHORT, "Value converter class", doc=VALUE_CONVERTER_DOC
        ),
        _key(
            "value.converter.plugin.version",
            S,
            value_converter_version,
            LO,
            G,
            9,
            Width.SHORT,
            "Value converter version",
            doc="Version of the value converter.",
        ),
        _key(
            HEADER_CONVERTER,
            C,
            header_converter,
            LO,
            G,
            10,
            Width.SHORT,
            "Header converter class",
            doc=HEADER_CONVERTER_DOC,
        ),
        _key(
            "header.converter.plugin.version",
            S,
            header_converter_version,
            LO,
            G,
            11,
            Width.SHORT,
            "Header converter version",
            doc="Version of the header converter.",
        ),
        # Apache keeps counting the Common group's order for transforms and predicates.
        _key(
            TRANSFORMS,
            LST,
            "",
            LO,
            TRANSFORMS_GROUP,
            12,
            Width.LONG,
            "Transforms",
            LambdaValidator(_unique_aliases, "unique transformation aliases"),
        ),
        _key(
            PREDICATES,
            LST,
            "",
            LO,
            PREDICATES_GROUP,
            13,
            Width.LONG,
            "Predicates",
            LambdaValidator(_unique_aliases, "unique predicate aliases"),
        ),
        _key(
            CONFIG_RELOAD_ACTION,
            S,
            "restart",
            LO,
            G,
            14,
            Width.MEDIUM,
            "Reload Action",
            ValidString(("none", "restart")),
        ),
        _key(ERRORS_RETRY_TIMEOUT, L, 0, M, E, 1, Width.MEDIUM, "Retry Timeout for Errors"),
        _key(ERRORS_RETRY_MAX_DELAY, L, 60000, M, E, 2, Width.MEDIUM, "Maximum Delay Between Retries for Errors"),
        _key(ERRORS_TOLERANCE, S, "none", M, E, 3, Width.SHORT, "Error Tolerance", ValidString(("none", "all"))),
        _key(ERRORS_LOG_ENABLE, B, False, M, E, 4, Width.SHORT, "Log Errors"),
        _key(ERRORS_LOG_INCLUDE_MESSAGES, B, False, M, E, 5, Width.SHORT, "Log Error Details"),
    ]


def sink_config_keys() -> list[ConfigKey]:
    H, M = Importance.HIGH, Importance.MEDIUM
    return [
        _key(
            TOPICS,
            ConfigType.LIST,
            "",
            H,
            COMMON_GROUP,
            4,
            Width.LONG,
            "Topics",
            LambdaValidator(_topics_list, "non-duplicate values"),
        ),
        _key(
            TOPICS_REGEX,
            ConfigType.STRING,
            "",
            H,
            COMMON_GROUP,
            4,
            Width.LONG,
            "Topics regex",
            LambdaValidator(_regex, "valid regex"),
        ),
        _key(DLQ_TOPIC_NAME, ConfigType.STRING, "", M, ERROR_GROUP, 6, Width.MEDIUM, "Dead Letter Queue Topic Name"),
        _key(
            DLQ_TOPIC_REPLICATION_FACTOR,
            ConfigType.SHORT,
            3,
            M,
            ERROR_GROUP,
            7,
            Width.MEDIUM,
            "Dead Letter Queue Topic Replication Factor",
        ),
        _key(
            DLQ_CONTEXT_HEADERS_ENABLE,
            ConfigType.BOOLEAN,
            False,
            M,
            ERROR_GROUP,
            8,
            Width.MEDIUM,
            "Enable Error Context Headers",
        ),
    ]


def source_config_keys() -> list[ConfigKey]:
    M, LO = Importance.MEDIUM, Importance.LOW
    return [
        _key(
            TOPIC_CREATION_GROUPS,
            ConfigType.LIST,
            "",
            LO,
            TOPIC_CREATION_GROUP,
            1,
            Width.LONG,
            "Topic Creation Groups",
            LambdaValidator(_unique_aliases, "unique topic creation groups"),
        ),
        # Apache's CaseInsensitiveValidString lists the upper-cased values in HashSet order.
        _key(
            EXACTLY_ONCE_SUPPORT,
            ConfigType.STRING,
            "requested",
            M,
            EXACTLY_ONCE_SUPPORT_GROUP,
            2,
            Width.SHORT,
            "Exactly once support",
            ValidString(("REQUIRED", "REQUESTED"), case_insensitive=True),
        ),
        _key(
            TRANSACTION_BOUNDARY,
            ConfigType.STRING,
            "poll",
            M,
            EXACTLY_ONCE_SUPPORT_GROUP,
            3,
            Width.SHORT,
            "Transaction Boundary",
            ValidString(("INTERVAL", "POLL", "CONNECTOR"), case_insensitive=True),
        ),
        _key(
            TRANSACTION_BOUNDARY_INTERVAL,
            ConfigType.LONG,
            None,
            LO,
            EXACTLY_ONCE_SUPPORT_GROUP,
            4,
            Width.SHORT,
            "Transaction boundary interval",
            LambdaValidator(_at_least_zero_or_null, "[0,...]"),
        ),
        _key(
            OFFSETS_TOPIC,
            ConfigType.STRING,
            None,
            LO,
            OFFSETS_TOPIC_GROUP,
            1,
            Width.LONG,
            "Offsets topic",
            LambdaValidator(_non_empty_or_null, "non-empty string"),
        ),
    ]


def framework_config_def(connector_type: ConnectorType, **enriched: str | None) -> ConfigDef:
    """The framework ConfigDef for sources or sinks (Apache's Source/SinkConnectorConfig.configDef())."""
    keys = common_config_keys(**enriched)
    keys += sink_config_keys() if connector_type == "sink" else source_config_keys()
    return ConfigDef(keys)


def kconnect_config_def(supplied: Mapping[str, Any] | None = None) -> ConfigDef:
    """Our ``kconnect.*`` connector keys (group ``kconnect``); only the ``supplied`` ones when given."""
    keys = [
        *restart_policy_keys(group=KCONNECT_GROUP),
        *limit_keys(group=KCONNECT_GROUP, first_order=6),
        ConfigKey(
            name=SOURCE_DLQ_ENABLE,
            type=ConfigType.BOOLEAN,
            default=False,
            importance=Importance.LOW,
            documentation="Source connectors only: send records that fail conversion, transformation or "
            f"production to the dead letter queue topic '{DLQ_TOPIC_NAME}' (with '{DLQ_TOPIC_REPLICATION_FACTOR}' and "
            f"'{DLQ_CONTEXT_HEADERS_ENABLE}' as for sink connectors). Kafka Connect has no DLQ for sources.",
            group=KCONNECT_GROUP,
            order_in_group=10,
            display_name="Source dead letter queue",
        ),
    ]
    if supplied is not None:
        keys = [k for k in keys if k.name in supplied]
    return ConfigDef(keys)


# --- validation --------------------------------------------------------------------------------


def _is_blank(value: str | None) -> bool:
    return value is None or value.strip() == ""


def _add_error(results: dict[str, ConfigValue], name: str, value: str | None, message: str) -> None:
    cv = results.get(name)
    if cv is None:
        cv = results[name] = ConfigValue(name, value)
    cv.add_error(message)


def _java_list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def validate_sink_topics(props: Mapping[str, str], results: dict[str, ConfigValue]) -> None:
    """Apache's ``SinkConnectorConfig.validate``: topics vs topics.regex, and the DLQ topic."""
    topics = props.get(TOPICS)
    regex = props.get(TOPICS_REGEX)
    dlq = (props.get(DLQ_TOPIC_NAME) or "").strip()
    has_topics, has_regex = not _is_blank(topics), not _is_blank(regex)
    if has_topics and has_regex:
        msg = f"{TOPICS} and {TOPICS_REGEX} are mutually exclusive options, but both are set."
        _add_error(results, TOPICS, topics, msg)
        _add_error(results, TOPICS_REGEX, regex, msg)
    if not has_topics and not has_regex:
        msg = f"Must configure one of {TOPICS} or {TOPICS_REGEX}"
        _add_error(results, TOPICS, topics, msg)
        _add_error(results, TOPICS_REGEX, regex, msg)
    if dlq:
        if has_topics:
            listed = parse_topics(topics)
            if dlq in listed:
                _add_error(
                    results,
                    TOPICS,
                    topics,
                    f"The DLQ topic '{dlq}' may not be included in the list of topics ('{TOPICS}={_java_list(listed)}')"
                    " consumed by the connector",
                )
        if has_regex and regex is not None:
            try:
                matched = re.fullmatch(regex, dlq) is not None
            except re.error:
                matched = False
            if matched:
                _add_error(
                    results,
                    TOPICS_REGEX,
                    regex,
                    f"The DLQ topic '{dlq}' may not be matched by the regex for the topics ('{TOPICS_REGEX}={regex}')"
                    " consumed by the connector",
                )


def parse_topics(value: str | None) -> list[str]:
    """Apache's ``SinkConnectorConfig.parseTopicsList``: non-empty, de-duplicated, in order."""
    if value is None:
        return []
    return list(dict.fromkeys(t for t in parse_type(TOPICS, value, ConfigType.LIST) if t))


def parse_aliases(value: str | None) -> list[str]:
    """The aliases of a ``transforms`` / ``predicates`` list."""
    return [a.strip() for a in (value or "").split(",") if a.strip()]


def alias_config_def(
    props: Mapping[str, str],
    find_transformation: Callable[[str], Any | None],
    find_predicate: Callable[[str], Any | None],
) -> ConfigDef:
    """The keys Kafka Connect adds per ``transforms``/``predicates`` alias (``ConnectorConfig.enrich``).

    Each alias gets a ``type`` key in a group ``Transforms: <alias>`` (or ``Predicates: <alias>``),
    transforms also ``negate`` and ``predicate``, followed by the plugin's own keys under the
    alias's prefix. An unknown type fails validation on the ``type`` key, as in Java.
    """
    keys: list[ConfigKey] = []

    def type_key(prefix: str, group: str, doc: str, display: str, find: Callable[[str], Any | None]) -> ConfigKey:
        def exists(name: str, value: Any) -> None:
            if value is not None and find(str(value)) is None:
                raise ConfigError(name, value, f"Class {value} could not be found.")

        return ConfigKey(
            name=prefix + "type",
            type=ConfigType.CLASS,
            importance=Importance.HIGH,
            documentation=doc,
            group=group,
            order_in_group=0,
            width=Width.LONG,
            display_name=display,
            validator=LambdaValidator(exists),
        )

    def embed(prefix: str, group: str, plugin: Any | None, start: int) -> None:
        if plugin is None:
            return
        for i, key in enumerate(plugin.config_def().config_keys(), start=start):
            keys.append(
                ConfigKey(
                    name=prefix + key.name,
                    type=key.type,
                    default=key.default,
                    validator=key.validator,
                    importance=key.importance,
                    documentation=key.documentation,
                    group=group,
                    order_in_group=i,
                    width=key.width,
                    display_name=key.display_name or key.name,
                )
            )

    for alias in parse_aliases(props.get(TRANSFORMS)):
        prefix, group = f"{TRANSFORMS}.{alias}.", f"{TRANSFORMS_GROUP}: {alias}"
        keys.append(
            type_key(
                prefix,
                group,
                f"Class for the '{alias}' transformation.",
                f"Transformation type for {alias}",
                find_transformation,
            )
        )
        keys.append(
            ConfigKey(
                name=prefix + "negate",
                type=ConfigType.BOOLEAN,
                default=False,
                importance=Importance.MEDIUM,
                group=group,
                order_in_group=1,
                documentation="Whether the configured predicate should be negated.",
                display_name="Negate",
            )
        )
        keys.append(
            ConfigKey(
                name=prefix + "predicate",
                type=ConfigType.STRING,
                default=None,
                importance=Importance.MEDIUM,
                group=group,
                order_in_group=2,
                documentation="The alias of a predicate used to determine whether to apply this transformation.",
                display_name="Predicate",
            )
        )
        kind = props.get(prefix + "type")
        embed(prefix, group, find_transformation(kind) if kind else None, 3)
    for alias in parse_aliases(props.get(PREDICATES)):
        prefix, group = f"{PREDICATES}.{alias}.", f"{PREDICATES_GROUP}: {alias}"
        keys.append(
            type_key(
                prefix, group, f"Class for the '{alias}' predicate.", f"Predicate type for {alias}", find_predicate
            )
        )
        kind = props.get(prefix + "type")
        embed(prefix, group, find_predicate(kind) if kind else None, 1)
    return ConfigDef(keys)


def _merge_defs(framework: ConfigDef, *others: ConfigDef) -> ConfigDef:
    """Keys in order of first appearance; a later definition of the same name replaces the earlier one."""
    keys: dict[str, ConfigKey] = {k.name: k for k in framework.config_keys()}
    for other in others:
        for k in other.config_keys():
            keys[k.name] = k
    return ConfigDef(list(keys.values()))


def validate_connector_config(
    connector_cls_name: str,
    connector_type: ConnectorType,
    connector_config_def: ConfigDef,
    connector_validate_result: Mapping[str, ConfigValue],
    props: Mapping[str, str],
    *,
    worker: WorkerConfig | None = None,
    plugin_version: Callable[[str], str | None] | None = None,
    recommended: Mapping[str, list[str]] | None = None,
    aliases: ConfigDef | None = None,
    extra_checks: Callable[[dict[str, ConfigValue]], None] | None = None,
) -> dict[str, Any]:
    """Validate ``props`` for a connector and render Kafka Connect's ``ConfigInfos`` JSON.

    ``extra_checks(results)`` may add errors to the framework keys' results before they are
    rendered (the distributed herder's exactly-once checks).

    ``recommended`` gives the recommended values Apache's recommenders would list (installed
    converter classes, installed plugin versions) per framework key.

    ``connector_validate_result`` is what the connector's ``validate(props)`` returned. ``worker``
    and ``plugin_version`` (class name -> installed version) fill the enriched defaults Apache shows
    for converters and ``*.plugin.version``.
    """
    enriched: dict[str, str | None] = {}
    version = plugin_version or (lambda _cls: None)
    enriched["connector_version"] = version(props.get(CONNECTOR_CLASS, "") or connector_cls_name)
    for conv in ("key", "value", "header"):
        conn_cls = props.get(f"{conv}.converter")
        worker_cls = getattr(worker, f"{conv}_converter") if worker is not None else None
        if conn_cls is None and worker_cls is None:
            continue
        enriched[f"{conv}_converter"] = worker_cls
        if conn_cls is not None:
            enriched[f"{conv}_converter_version"] = version(conn_cls)
        else:
            worker_version = getattr(worker, f"{conv}_converter_version") if worker is not None else None
            enriched[f"{conv}_converter_version"] = worker_version or version(worker_cls or "")

    framework = framework_config_def(connector_type, **enriched)
    results: dict[str, ConfigValue] = dict(framework.validate_all(props))
    for name, values in (recommended or {}).items():
        if name in results:
            results[name].recommended_values = list(values)
    if connector_type == "sink":
        validate_sink_topics(props, results)
    if extra_checks is not None:
        extra_checks(results)
    definitions = [kconnect_config_def(props)]
    kc = definitions[0]
    if aliases is not None and aliases.config_keys():
        results.update(aliases.validate_all(props))
        definitions.insert(0, aliases)
    if kc.config_keys():
        results.update(kc.validate_all(props))
        _check_restart_bounds(props, results)
        _check_source_dlq(connector_type, props, results)
    definitions.append(connector_config_def)
    definition = _merge_defs(framework, *definitions)

    extras: list[ConfigValue] = []
    for name, cv in connector_validate_result.items():
        if name in definition:
            results[name] = cv
        else:
            extras.append(cv)
    infos = config_infos(connector_cls_name, definition, results)
    # Apache lists values without a definition first.
    infos["configs"] = [{"definition": None, "value": cv.info(None)} for cv in extras] + infos["configs"]
    infos["error_count"] += sum(len(cv.errors) for cv in extras)
    # Then the client override entries, checked by the worker's override policy (Java's order).
    from kconnect.workers.override_validation import client_override_entries

    overrides, override_errors = client_override_entries(connector_type, props, worker)
    infos["configs"] += overrides
    infos["error_count"] += override_errors
    return infos


def source_dlq_enabled(props: Mapping[str, str]) -> bool:
    return str(props.get(SOURCE_DLQ_ENABLE, "false")).strip().lower() == "true"


def source_dlq_config_def() -> ConfigDef:
    """The DLQ keys a source connector reads when ``kconnect.errors.source.deadletterqueue.enable=true``."""
    dlq_keys = (DLQ_TOPIC_NAME, DLQ_TOPIC_REPLICATION_FACTOR, DLQ_CONTEXT_HEADERS_ENABLE)
    return ConfigDef([k for k in sink_config_keys() if k.name in dlq_keys])


def _check_source_dlq(connector_type: str, props: Mapping[str, str], results: dict[str, ConfigValue]) -> None:
    cv = results.get(SOURCE_DLQ_ENABLE)
    if cv is None or cv.errors or cv.value is not True:
        return
    if connector_type != "source":
        cv.add_error(f"Invalid value true for configuration {SOURCE_DLQ_ENABLE}: only source connectors accept it")
    elif _is_blank(props.get(DLQ_TOPIC_NAME)):
        cv.add_error(f"Invalid value true for configuration {SOURCE_DLQ_ENABLE}: {DLQ_TOPIC_NAME} must name a topic")
    else:
        # Java's source definition has no DLQ keys, so their problems are reported on ours.
        for err in _parse_errors(source_dlq_config_def(), props).values():
            cv.add_error(err)


def _parse_errors(definition: ConfigDef, props: Mapping[str, str]) -> dict[str, str]:
    return {name: cv.errors[0] for name, cv in definition.validate_all(props).items() if cv.errors}


def _check_restart_bounds(props: Mapping[str, str], results: dict[str, ConfigValue]) -> None:
    from kconnect.workers.worker_config import RESTART_INITIAL_BACKOFF_MS, RESTART_MAX_BACKOFF_MS

    lo, hi = results.get(RESTART_INITIAL_BACKOFF_MS), results.get(RESTART_MAX_BACKOFF_MS)
    if lo is None or hi is None or lo.errors or hi.errors:
        return
    if isinstance(lo.value, int) and isinstance(hi.value, int) and hi.value < lo.value:
        hi.add_error(
            f"Invalid value {hi.value} for configuration {RESTART_MAX_BACKOFF_MS}: Value must be at least the value "
            f"of {RESTART_INITIAL_BACKOFF_MS} ({lo.value})"
        )


def validation_errors(infos: Mapping[str, Any]) -> list[str]:
    """All error messages of a ``ConfigInfos`` body, in order."""
    return [msg for c in infos["configs"] for msg in c["value"]["errors"]] if infos.get("configs") else []


def validation_error_message(infos: Mapping[str, Any]) -> str:
    """Apache's 400 message for a create/update with an invalid configuration."""
    errors = validation_errors(infos)
    lines = [f"Connector configuration is invalid and contains the following {infos['error_count']} error(s):"]
    lines.extend(errors)
    return (
        "\n".join(lines)
        + "\nYou can also find the above list of errors at the endpoint "
        + "`/connector-plugins/{connectorType}/config/validate`"
    )


# --- parsed snapshot ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectorConfig:
    """A parsed, immutable connector configuration (framework keys only; the raw map has the rest)."""

    connector_type: ConnectorType
    name: str
    connector_class: str
    tasks_max: int
    tasks_max_enforce: bool
    connector_version: str | None
    key_converter: str | None  # None: inherit the worker's
    value_converter: str | None
    header_converter: str | None
    transforms: tuple[str, ...]
    predicates: tuple[str, ...]
    config_action_reload: str
    errors_retry_timeout_ms: int
    errors_retry_delay_max_ms: int
    errors_tolerance: str
    errors_log_enable: bool
    errors_log_include_messages: bool
    # sinks
    topics: tuple[str, ...] = ()
    topics_regex: str | None = None
    dlq_topic_name: str = ""
    dlq_topic_replication_factor: int = 3
    dlq_context_headers_enable: bool = False
    # sources
    topic_creation_groups: tuple[str, ...] = ()
    exactly_once_support: str = "requested"
    transaction_boundary: str = "poll"
    transaction_boundary_interval_ms: int | None = None
    offsets_storage_topic: str | None = None
    raw: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @classmethod
    def from_props(cls, props: Mapping[str, str], connector_type: ConnectorType) -> ConnectorConfig:
        """Parse ``props``; raises :class:`ConfigError` with Apache's message for the first problem."""
        raw = {str(k): str(v) for k, v in props.items()}
        v = framework_config_def(connector_type).parse(raw)
        kconnect_config_def(raw).parse(raw)  # the restart overrides must be valid too
        common: dict[str, Any] = {
            "connector_type": connector_type,
            "name": v[NAME],
            "connector_class": v[CONNECTOR_CLASS],
            "tasks_max": v[TASKS_MAX],
            "tasks_max_enforce": v[TASKS_MAX_ENFORCE],
            "connector_version": v[CONNECTOR_VERSION],
            "key_converter": v[KEY_CONVERTER],
            "value_converter": v[VALUE_CONVERTER],
            "header_converter": v[HEADER_CONVERTER],
            "transforms": tuple(v[TRANSFORMS]),
            "predicates": tuple(v[PREDICATES]),
            "config_action_reload": v[CONFIG_RELOAD_ACTION],
            "errors_retry_timeout_ms": v[ERRORS_RETRY_TIMEOUT],
            "errors_retry_delay_max_ms": v[ERRORS_RETRY_MAX_DELAY],
            "errors_tolerance": v[ERRORS_TOLERANCE],
            "errors_log_enable": v[ERRORS_LOG_ENABLE],
            "errors_log_include_messages": v[ERRORS_LOG_INCLUDE_MESSAGES],
            "raw": MappingProxyType(raw),
        }
        if connector_type == "sink":
            results: dict[str, ConfigValue] = {}
            validate_sink_topics(raw, results)
            for cv in results.values():
                if cv.errors:
                    raise ConfigError(cv.name, cv.value, cv.errors[0])
            regex = v[TOPICS_REGEX]
            return cls(
                **common,
                topics=tuple(parse_topics(raw.get(TOPICS))),
                topics_regex=None if _is_blank(regex) else regex,
                dlq_topic_name=v[DLQ_TOPIC_NAME].strip(),
                dlq_topic_replication_factor=v[DLQ_TOPIC_REPLICATION_FACTOR],
                dlq_context_headers_enable=v[DLQ_CONTEXT_HEADERS_ENABLE],
            )
        return cls(
            **common,
            topic_creation_groups=tuple(v[TOPIC_CREATION_GROUPS]),
            exactly_once_support=v[EXACTLY_ONCE_SUPPORT].strip().lower(),
            transaction_boundary=v[TRANSACTION_BOUNDARY].strip().lower(),
            transaction_boundary_interval_ms=v[TRANSACTION_BOUNDARY_INTERVAL],
            offsets_storage_topic=v[OFFSETS_TOPIC],
        )

    @property
    def tolerate_all(self) -> bool:
        return self.errors_tolerance == "all"

    def restart_overrides(self) -> dict[str, str]:
        """The connector's ``kconnect.task.restart.*`` settings (for ``resolve_restart_policy``)."""
        return {k: self.raw[k] for k in RESTART_KEYS if k in self.raw}

    def originals_with_prefix(self, prefix: str, strip: bool = True) -> dict[str, str]:
        return {(k[len(prefix) :] if strip else k): v for k, v in self.raw.items() if k.startswith(prefix)}
