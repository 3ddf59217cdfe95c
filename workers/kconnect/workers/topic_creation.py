"""KIP-158 topic creation for source connectors, as Kafka Connect 4.3 does it.

A source connector opts in by having any ``topic.creation.`` key; the worker must also have
``topic.creation.enable=true`` (the default). The connector then defines the implicit ``default``
group (``topic.creation.default.replication.factor`` and ``.partitions`` are required; its
``include``/``exclude`` are ignored: it takes every topic no other group takes) and optionally more
groups listed in ``topic.creation.groups``, each with ``include``/``exclude`` lists of Java regexes
(full match; exclusion wins), ``replication.factor``/``partitions`` (default: the default group's;
-1 = the broker's default) and any other ``topic.creation.<group>.<topic config>``.

The first time a task produces to a topic, :class:`TopicCreator` checks whether it exists and,
if not, creates it with the settings of the first listed group that matches it. Topics it has
seen are cached, so the per-record cost is one set lookup.

Like Java, ``/connector-plugins/.../config/validate`` does not check these keys (only
``topic.creation.groups``); a connector whose topic-creation settings are invalid fails when it
starts, with the same message Java gives (see :func:`check_topic_creation_config`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kconnect.api.config import NO_DEFAULT, ConfigDef, ConfigKey, ConfigType, Importance, LambdaValidator, Width
from kconnect.api.errors import ConfigError, ConnectError
from kconnect.plugins.transforms._javatext import JavaRegexError, compile_java_regex

logger = logging.getLogger(__name__)

TOPIC_CREATION_PREFIX = "topic.creation."
TOPIC_CREATION_GROUPS = TOPIC_CREATION_PREFIX + "groups"
DEFAULT_GROUP = "default"
DEFAULT_PREFIX = TOPIC_CREATION_PREFIX + DEFAULT_GROUP + "."
INCLUDE = "include"
EXCLUDE = "exclude"
REPLICATION_FACTOR = "replication.factor"
PARTITIONS = "partitions"
_GROUP_KEYS = (INCLUDE, EXCLUDE, REPLICATION_FACTOR, PARTITIONS)
NO_PARTITIONS = -1
NO_REPLICATION_FACTOR = -1
TOPIC_CREATION_CONFIG_GROUP = "Topic Creation"

_INCLUDE_DOC = (
    "A list of regular expression literals used to match the topic names used by the source connector. This list "
    "is used to include topics that should be created using the topic settings defined by this group."
)
_EXCLUDE_DOC = (
    "A list of regular expression literals used to match the topic names used by the source connector. This list "
    "is used to exclude topics from being created with the topic settings defined by this group. Note that "
    "exclusion rules have precedent and override any inclusion rules for the topics."
)
_REPLICATION_FACTOR_DOC = (
    "The replication factor for new topics created for this connector using this group. This value may be -1 to "
    "use the broker'sdefault replication factor, or may be a positive number not larger than the number of brokers "
    "in the Kafka cluster. A value larger than the number of brokers in the Kafka cluster will result in an error "
    "when the new topic is created. For the default group this configuration is required. For any other group "
    "defined in topic.creation.groups this config is optional and if it's missing it gets the value of the default "
    "group"
)
_PARTITIONS_DOC = (
    "The number of partitions new topics created for this connector. This value may be -1 to use the broker's "
    "default number of partitions, or a positive number representing the desired number of partitions. For the "
    "default group this configuration is required. For any other group defined in topic.creation.groups this "
    "config is optional and if it's missing it gets the value of the default group"
)


def uses_topic_creation(props: Mapping[str, str]) -> bool:
    """Java's ``SourceConnectorConfig.usesTopicCreation``: any key under ``topic.creation.``."""
    return any(k.startswith(TOPIC_CREATION_PREFIX) for k in props)


def _java_list(value: Any) -> str:
    return "[" + ", ".join(str(v) for v in value) + "]" if isinstance(value, list) else str(value)


def _check_partitions(name: str, value: Any) -> None:
    if value is not None and value != NO_PARTITIONS and value < 1:
        raise ConfigError(name, value, "Number of partitions must be positive, or -1 to use the broker's default")


def _check_replication_factor(name: str, value: Any) -> None:
    if value is not None and value != NO_REPLICATION_FACTOR and value < 1:
        raise ConfigError(
            name,
            value,
            "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, "
            "or -1 to use the broker's default",
        )


def _check_regexes(name: str, value: Any) -> None:
    for pattern in value or ():
        try:
            compile_java_regex(pattern)
        except JavaRegexError as e:
            raise ConfigError(name, _java_list(value), f"Syntax error in regular expression: {e}") from None


def _not_null(name: str, value: Any) -> None:
    if value is None:
        raise ConfigError(name, "null", "entry must be non null")


def group_config_keys(
    group: str, replication_factor: Any = NO_DEFAULT, partitions: Any = NO_DEFAULT
) -> list[ConfigKey]:
    """The four keys of one group (Java's ``TopicCreationConfig``), prefixed ``topic.creation.<group>.``.

    The ``default`` group requires ``replication.factor`` and ``partitions`` and includes ``.*``;
    other groups take the default group's values and include nothing unless told.
    """
    prefix = f"{TOPIC_CREATION_PREFIX}{group}."
    is_default = group == DEFAULT_GROUP
    config_group = group if is_default else f"{TOPIC_CREATION_CONFIG_GROUP}: {group}"
    regex = LambdaValidator(_not_null if is_default else _check_regexes, "regexes")
    low, long_ = Importance.LOW, Width.LONG
    return [
        ConfigKey(
            name=prefix + INCLUDE,
            type=ConfigType.LIST,
            default=".*" if is_default else "",
            validator=regex,
            importance=low,
            documentation=_INCLUDE_DOC,
            group=config_group,
            order_in_group=1,
            width=long_,
            display_name=f"Inclusion Topic Pattern for {config_group}",
        ),
        ConfigKey(
            name=prefix + EXCLUDE,
            type=ConfigType.LIST,
            default="",
            validator=regex,
            importance=low,
            documentation=_EXCLUDE_DOC,
            group=config_group,
            order_in_group=2,
            width=long_,
            display_name=f"Exclusion Topic Pattern for {config_group}",
        ),
        ConfigKey(
            name=prefix + REPLICATION_FACTOR,
            type=ConfigType.SHORT,
            default=replication_factor,
            validator=LambdaValidator(_check_replication_factor, "replication factor"),
            importance=low,
            documentation=_REPLICATION_FACTOR_DOC,
            group=config_group,
            order_in_group=3,
            width=long_,
            display_name=f"Replication Factor for Topics in {config_group}",
        ),
        ConfigKey(
            name=prefix + PARTITIONS,
            type=ConfigType.INT,
            default=partitions,
            validator=LambdaValidator(_check_partitions, "partitions"),
            importance=low,
            documentation=_PARTITIONS_DOC,
            group=config_group,
            order_in_group=4,
            width=long_,
            display_name=f"Partition Count for Topics in {config_group}",
        ),
    ]


def extra_groups(props: Mapping[str, str]) -> list[str]:
    """The groups of ``topic.creation.groups`` besides ``default``, de-duplicated, in order."""
    listed = [g.strip() for g in (props.get(TOPIC_CREATION_GROUPS) or "").split(",") if g.strip()]
    if len(set(listed)) != len(listed):
        raise ConfigError(TOPIC_CREATION_GROUPS, _java_list(listed), "Duplicate alias provided.")
    return [g for g in listed if g != DEFAULT_GROUP]


@dataclass(frozen=True)
class TopicCreationGroup:
    """One group's settings; :meth:`matches` is Java's ``TopicCreationGroup.matches``."""

    name: str
    include: re.Pattern[str]
    exclude: re.Pattern[str]
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)

    def matches(self, topic: str) -> bool:
        return self.exclude.fullmatch(topic) is None and self.include.fullmatch(topic) is not None


def _joined(patterns: list[str]) -> re.Pattern[str]:
    # Java compiles String.join("|", list): an empty list is the empty pattern (matches only "").
    return compile_java_regex("|".join(patterns))


def configured_groups(props: Mapping[str, str]) -> list[TopicCreationGroup]:
    """The connector's groups, the listed ones first (in order) and ``default`` last.

    Raises :class:`ConfigError` with Java's message for the first invalid setting (Java's
    ``SourceConnectorConfig`` constructor does the same when the connector starts).
    """
    defaults = ConfigDef(group_config_keys(DEFAULT_GROUP)).parse(props)
    rf, partitions = defaults[DEFAULT_PREFIX + REPLICATION_FACTOR], defaults[DEFAULT_PREFIX + PARTITIONS]
    groups: list[TopicCreationGroup] = []
    for name in extra_groups(props):
        parsed = ConfigDef(group_config_keys(name, rf, partitions)).parse(props)
        groups.append(_group(name, parsed, props))
    # The default group's include/exclude are ignored: it is the fall-back for every other topic.
    groups.append(
        TopicCreationGroup(
            name=DEFAULT_GROUP,
            include=_joined([".*"]),
            exclude=_joined([]),
            partitions=partitions,
            replication_factor=rf,
            configs=_other_configs(DEFAULT_GROUP, props),
        )
    )
    return groups


def _group(name: str, parsed: Mapping[str, Any], props: Mapping[str, str]) -> TopicCreationGroup:
    prefix = f"{TOPIC_CREATION_PREFIX}{name}."
    return TopicCreationGroup(
        name=name,
        include=_joined(parsed[prefix + INCLUDE]),
        exclude=_joined(parsed[prefix + EXCLUDE]),
        partitions=parsed[prefix + PARTITIONS],
        replication_factor=parsed[prefix + REPLICATION_FACTOR],
        configs=_other_configs(name, props),
    )


def _other_configs(group: str, props: Mapping[str, str]) -> dict[str, str]:
    """Every other ``topic.creation.<group>.<key>``: a topic config passed to CreateTopics as is."""
    prefix = f"{TOPIC_CREATION_PREFIX}{group}."
    return {
        k[len(prefix) :]: v for k, v in props.items() if k.startswith(prefix) and k[len(prefix) :] not in _GROUP_KEYS
    }


def find_group(groups: list[TopicCreationGroup], topic: str) -> TopicCreationGroup:
    """The first listed group matching ``topic``; the default group (last) otherwise."""
    for group in groups[:-1]:
        if group.matches(topic):
            return group
    return groups[-1]


def check_topic_creation_config(props: Mapping[str, str], topic_creation_enable: bool) -> None:
    """Fail (as Java's connector start does) when topic creation is on and its settings are invalid."""
    if topic_creation_enable and uses_topic_creation(props):
        configured_groups(props)


def topic_creation_groups(props: Mapping[str, str], topic_creation_enable: bool) -> list[TopicCreationGroup] | None:
    """The groups a source task creates topics with, or ``None`` when topic creation is off."""
    if not topic_creation_enable or not uses_topic_creation(props):
        return None
    return configured_groups(props)


class TopicCreator:
    """Creates the topics a source task produces to, the first time it sees each (Java's
    ``AbstractWorkerSourceTask.maybeCreateTopic`` with ``TopicAdmin``)."""

    # Describe + create stay below the supervisor's heartbeat timeout (30 s): the task loop does not
    # heartbeat while it waits, and a clear failure beats being killed as hung.
    def __init__(self, admin_config: Mapping[str, str], groups: list[TopicCreationGroup], timeout_s: float = 12.0):
        from confluent_kafka.admin import AdminClient

        self.groups = groups
        self.timeout_s = timeout_s
        self.known: set[str] = set()
        self._admin = AdminClient(dict(admin_config))

    def ensure(self, topic: str) -> None:
        """Create ``topic`` with its group's settings unless it exists; raises ConnectError on failure."""
        if topic in self.known:
            return
        logger.info("The task will send records to topic '%s' for the first time. Checking whether topic exists", topic)
        if self._exists(topic):
            logger.info("Topic '%s' already exists.", topic)
            self.known.add(topic)
            return
        group = find_group(self.groups, topic)
        logger.info("Creating topic '%s' with the settings of topic creation group '%s'", topic, group.name)
        outcome = self._create(topic, group)
        if outcome is None:
            logger.warning("Request to create new topic '%s' failed", topic)
            raise ConnectError(
                f"Task failed to create new topic {topic} (group {group.name}). Ensure that the task is authorized "
                "to create topics or that the topic exists and restart the task"
            )
        logger.info("%s topic '%s' using creation group %s", outcome, topic, group.name)
        self.known.add(topic)

    def _exists(self, topic: str) -> bool:
        from confluent_kafka import KafkaError, KafkaException, TopicCollection

        future = self._admin.describe_topics(TopicCollection([topic]), request_timeout=self.timeout_s)[topic]
        try:
            future.result(timeout=self.timeout_s)
            return True
        except KafkaException as e:
            err = e.args[0] if e.args else None
            if isinstance(err, KafkaError) and err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                return False
            if isinstance(err, KafkaError) and err.code() in (
                KafkaError.TOPIC_AUTHORIZATION_FAILED,
                KafkaError.CLUSTER_AUTHORIZATION_FAILED,
            ):
                raise ConnectError(f"Not authorized to describe topic(s) '{topic}'") from e
            raise ConnectError(f"Error while attempting to describe topics '{topic}': {err}") from e

    def _create(self, topic: str, group: TopicCreationGroup) -> str | None:
        """'Created' or 'Found existing'; None when not authorized (Java then fails the task)."""
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.cimpl import NewTopic

        new = NewTopic(
            topic,
            num_partitions=group.partitions,
            replication_factor=group.replication_factor,
            config=dict(group.configs),
        )
        future = self._admin.create_topics([new], request_timeout=self.timeout_s)[topic]
        try:
            future.result(timeout=self.timeout_s)
            return "Created"
        except KafkaException as e:
            err = e.args[0] if e.args else None
            code = err.code() if isinstance(err, KafkaError) else None
            if code == KafkaError.TOPIC_ALREADY_EXISTS:
                return "Found existing"
            if code in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.CLUSTER_AUTHORIZATION_FAILED):
                return None
            if code == KafkaError.INVALID_CONFIG:
                raise ConnectError(f"Unable to create topic(s) '{topic}': {err.str() if err else e}") from e
            raise ConnectError(f"Error while attempting to create/find topic(s) '{topic}': {err}") from e


def source_topic_creator(
    worker: Any, connector_props: Mapping[str, str], name: str, task_id: int
) -> TopicCreator | None:
    """The task's :class:`TopicCreator` (admin client with the connector's ``admin.override.*``), or None."""
    groups = topic_creation_groups(connector_props, worker.topic_creation_enable)
    if groups is None:
        return None
    from kconnect.workers import clients

    admin = clients.admin_config(worker, name, task_id, clients.connector_client_overrides(connector_props, "admin"))
    return TopicCreator(admin, groups)


def start_failure(connector_type: str, props: Mapping[str, str], worker_props: Mapping[str, str]) -> str | None:
    """Java's message when a source connector cannot start because of its topic-creation settings.

    Java's standalone herder builds the connector's config while answering the create/update
    request, so that request fails with this message (500) and the stored connector is FAILED.
    """
    enabled = str(worker_props.get("topic.creation.enable", "true")).strip().lower() != "false"
    if connector_type != "source":
        return None
    try:
        check_topic_creation_config(props, enabled)
    except ConfigError as e:
        return str(e)
    return None
