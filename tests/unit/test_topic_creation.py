"""Topic creation groups (KIP-158) and the client override entries of config validation."""

from __future__ import annotations

import pytest

from kconnect.api.errors import ConfigError
from kconnect.workers.override_validation import OverrideParseError, client_override_entries, clients_used
from kconnect.workers.topic_creation import (
    configured_groups,
    find_group,
    topic_creation_groups,
    uses_topic_creation,
)
from kconnect.workers.worker_config import WorkerConfig

BASE = {
    "topic.creation.default.replication.factor": "1",
    "topic.creation.default.partitions": "3",
}


def _groups(**extra: str) -> list[str]:
    return [g.name for g in configured_groups({**BASE, **{k.replace("__", "."): v for k, v in extra.items()}})]


def test_default_group_takes_every_topic_no_listed_group_matches() -> None:
    props = {
        **BASE,
        "topic.creation.groups": "compacted,logs",
        "topic.creation.compacted.include": "compact.*,state",
        "topic.creation.compacted.exclude": "compact-not",
        "topic.creation.compacted.partitions": "2",
        "topic.creation.compacted.cleanup.policy": "compact",
        "topic.creation.logs.include": "log-.*, compact-1",
        "topic.creation.logs.replication.factor": "-1",
        "topic.creation.default.include": "nothing",  # ignored for the default group, as in Java
        "topic.creation.default.compression.type": "gzip",
    }
    groups = configured_groups(props)
    assert [g.name for g in groups] == ["compacted", "logs", "default"]

    def group_of(topic: str) -> str:
        return find_group(groups, topic).name

    assert group_of("compact-1") == "compacted"  # the first listed group that matches wins
    assert group_of("state") == "compacted"
    assert group_of("state-2") == "default"  # Java regexes match the whole name
    assert group_of("compact-not") == "default"  # exclusion wins over inclusion
    assert group_of("log-a") == "logs"
    assert group_of("anything") == "default"
    compacted, logs, default = groups
    assert (compacted.partitions, compacted.replication_factor) == (2, 1)
    assert dict(compacted.configs) == {"cleanup.policy": "compact"}
    assert (logs.partitions, logs.replication_factor) == (3, -1)  # the default group's partitions
    assert dict(logs.configs) == {}
    assert (default.partitions, default.replication_factor) == (3, 1)
    assert dict(default.configs) == {"compression.type": "gzip"}


def test_group_without_include_matches_nothing() -> None:
    groups = configured_groups({**BASE, "topic.creation.groups": "empty"})
    assert find_group(groups, "t").name == "default"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"topic.creation.default.partitions": "3"},
            'Missing required configuration "topic.creation.default.replication.factor" which has no default value.',
        ),
        (
            {"topic.creation.default.replication.factor": "1"},
            'Missing required configuration "topic.creation.default.partitions" which has no default value.',
        ),
        (
            {**BASE, "topic.creation.default.partitions": "0"},
            "Invalid value 0 for configuration topic.creation.default.partitions: Number of partitions must be "
            "positive, or -1 to use the broker's default",
        ),
        (
            {**BASE, "topic.creation.default.replication.factor": "-2"},
            "Invalid value -2 for configuration topic.creation.default.replication.factor: Replication factor must "
            "be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's "
            "default",
        ),
        (
            {**BASE, "topic.creation.groups": "g", "topic.creation.g.partitions": "x"},
            "Invalid value x for configuration topic.creation.g.partitions: Not a number of type INT",
        ),
        (
            {**BASE, "topic.creation.groups": "g,g"},
            "Invalid value [g, g] for configuration topic.creation.groups: Duplicate alias provided.",
        ),
    ],
)
def test_invalid_settings_raise_javas_message(props: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as e:
        configured_groups(props)
    assert str(e.value) == message


def test_invalid_group_regex_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^Invalid value \[ok, \[bad\] for configuration topic.creation.g.include: "):
        configured_groups({**BASE, "topic.creation.groups": "g", "topic.creation.g.include": "ok,[bad"})


def test_topic_creation_is_on_only_with_the_worker_switch_and_a_topic_creation_key() -> None:
    assert not uses_topic_creation({"topic": "t"})
    assert uses_topic_creation({"topic.creation.groups": ""})
    assert topic_creation_groups(BASE, topic_creation_enable=False) is None
    assert topic_creation_groups({"topic": "t"}, topic_creation_enable=True) is None
    groups = topic_creation_groups(BASE, topic_creation_enable=True)
    assert groups is not None
    assert [g.name for g in groups] == ["default"]
    # 'default' listed explicitly is the implicit group, not a second one.
    assert _groups(topic__creation__groups="default,a") == ["a", "default"]


# --- client override entries ------------------------------------------------------------------


def _worker(policy: str, allowlist: str = "") -> WorkerConfig:
    return WorkerConfig.from_props(
        {
            "bootstrap.servers": "localhost:9092",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": "/tmp/unused.offsets",
            "connector.client.config.override.policy": policy,
            "connector.client.config.override.allowlist": allowlist,
        },
        log=False,
    )


def _errors(entries: list[dict[str, object]]) -> dict[str, list[str]]:
    return {e["value"]["name"]: e["value"]["errors"] for e in entries}  # type: ignore[index]


def test_policy_none_rejects_every_override_with_javas_message() -> None:
    props = {"name": "c", "producer.override.acks": "1", "producer.override.foo.bar": "x"}
    entries, errors = client_override_entries("source", props, _worker("None"))
    assert errors == 2
    # Java's HashMap order (recorded from Java Kafka Connect 4.3.1).
    assert [e["value"]["name"] for e in entries] == ["producer.override.foo.bar", "producer.override.acks"]
    assert _errors(entries)["producer.override.acks"] == [
        "The 'None' policy does not allow 'acks' to be overridden in the connector configuration."
    ]
    acks = entries[1]["definition"]
    assert acks is not None
    assert (acks["name"], acks["type"], acks["default_value"], acks["importance"]) == (
        "producer.override.acks",
        "STRING",
        "all",
        "LOW",
    )
    assert entries[0]["definition"] is None  # not a producer key


def test_principal_and_allowlist_policies() -> None:
    props = {"producer.override.sasl.mechanism": "PLAIN", "producer.override.acks": "1"}
    principal = _errors(client_override_entries("source", props, _worker("Principal"))[0])
    assert principal["producer.override.sasl.mechanism"] == []
    assert principal["producer.override.acks"] == [
        "The 'Principal' policy does not allow 'acks' to be overridden in the connector configuration."
    ]
    allow = _errors(client_override_entries("source", props, _worker("Allowlist", "acks"))[0])
    assert allow["producer.override.acks"] == []
    assert allow["producer.override.sasl.mechanism"] == [
        "The 'Allowlist' policy does not allow 'sasl.mechanism' to be overridden in the connector configuration."
    ]
    entries, errors = client_override_entries("source", props, _worker("All"))
    assert errors == 0
    assert len(entries) == 2


def test_only_the_clients_a_connector_uses_are_checked() -> None:
    assert clients_used("source", {}) == ["producer"]
    assert clients_used("source", {"topic.creation.default.partitions": "1"}) == ["producer", "admin"]
    assert clients_used("sink", {}) == ["consumer"]
    assert clients_used("sink", {"errors.deadletterqueue.topic.name": "dlq"}) == ["producer", "consumer", "admin"]
    props = {"consumer.override.max.poll.records": "5", "admin.override.retries": "3"}
    entries, errors = client_override_entries("source", props, _worker("None"))
    assert (entries, errors) == ([], 0)


def test_values_are_parsed_by_the_clients_type_and_bad_ones_fail_like_java() -> None:
    entries, _ = client_override_entries("source", {"producer.override.linger.ms": " 5 "}, _worker("All"))
    assert entries[0]["value"]["value"] == "5"
    with pytest.raises(OverrideParseError) as e:
        client_override_entries("source", {"producer.override.linger.ms": "abc"}, _worker("All"))
    assert str(e.value) == (
        "org.apache.kafka.common.config.ConfigException: Invalid value abc for configuration linger.ms: "
        "Not a number of type LONG"
    )


def test_start_failure_only_for_sources_with_topic_creation_on() -> None:
    from kconnect.workers.topic_creation import start_failure

    bad = {"topic.creation.default.partitions": "3"}
    message = 'Missing required configuration "topic.creation.default.replication.factor" which has no default value.'
    assert start_failure("source", bad, {}) == message
    assert start_failure("source", bad, {"topic.creation.enable": "false"}) is None
    assert start_failure("sink", bad, {}) is None
    assert start_failure("source", BASE, {}) is None


@pytest.mark.parametrize(
    "spelling",
    [
        "None",
        "NoneConnectorClientConfigOverridePolicy",
        "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
    ],
)
def test_the_policy_may_be_named_by_class_as_in_java(spelling: str) -> None:
    entries, errors = client_override_entries("source", {"producer.override.acks": "1"}, _worker(spelling))
    assert errors == 1
    assert entries[0]["value"]["errors"] == [
        "The 'None' policy does not allow 'acks' to be overridden in the connector configuration."
    ]
