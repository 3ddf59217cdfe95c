"""Creating and verifying distributed mode's internal topics (Apache's TopicAdmin, plus our coordination topic).

Four topics, each named by a worker setting:

=============================  ==========================  =======================================================
setting                        partitions                  settings forced at creation and verified when it exists
=============================  ==========================  =======================================================
``config.storage.topic``       always 1                    ``cleanup.policy=compact``; 1 partition
``offset.storage.topic``       ``offset.storage.partitions``  ``cleanup.policy=compact``
``status.storage.topic``       ``status.storage.partitions``  ``cleanup.policy=compact``
coordination (see below)       always 1                    ``cleanup.policy=delete``, ``message.timestamp.type=
                                                           LogAppendTime``, ``unclean.leader.election.enable=false``,
                                                           ``min.insync.replicas`` >= min(2, replication factor)
=============================  ==========================  =======================================================

Replication factors come from ``config.storage.replication.factor`` (also used for the coordination
topic: both are the cluster's single-partition control logs), ``offset.storage.replication.factor`` and
``status.storage.replication.factor``; ``-1`` (and partitions ``-1``) leave the choice to the broker.
Other topic settings can be given as ``config.storage.<setting>`` etc. (Java) and
``kconnect.coordination.storage.<setting>``; the forced ones win, with a warning, as in Java.

The coordination topic is named by ``kconnect.coordination.storage.topic``; by default
``<config.storage.topic>-coordination``. Derived from the config topic rather than from ``group.id``
because (a) the config topic is already a valid, cluster-unique topic name, while a ``group.id`` may
contain characters a topic name may not, and (b) deployments that grant ACLs on a topic-name prefix
for the Connect cluster's internal topics then cover the coordination topic too.

An existing topic is verified and a misconfigured one is refused with a :class:`ConfigError` naming the
worker setting to change; Java's message where Java has one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kconnect.api.errors import ConfigError
from kconnect.workers.worker_config import (
    COORDINATION_STORAGE_PREFIX,
    COORDINATION_STORAGE_TOPIC,
    WorkerConfig,
)

__all__ = [
    "TopicSpec",
    "coordination_topic_name",
    "ensure_internal_topics",
    "internal_topic_specs",
    "verify_topic",
]

logger = logging.getLogger(__name__)

COORDINATION_SUFFIX = "-coordination"
# A day: far longer than any checkpoint interval or worker outage the referee has to bridge.
COORDINATION_RETENTION_MS = 24 * 60 * 60 * 1000
COORDINATION_SEGMENT_MS = 60 * 60 * 1000
MAX_TOPIC_NAME_LENGTH = 249


@dataclass(frozen=True)
class TopicSpec:
    name: str
    setting: str  # the worker key naming the topic (for messages)
    purpose: str  # Java's wording: "connector configurations", ...
    partitions: int  # -1 = broker default
    replication_factor: int  # -1 = broker default
    configs: Mapping[str, str] = field(default_factory=dict)  # used at creation
    exact_partitions: int | None = None  # verified on an existing topic
    required: Mapping[str, str] = field(default_factory=dict)  # verified on an existing topic
    min_insync_at_least: int | None = None  # verified on an existing topic, with the actual replication factor


def coordination_topic_name(worker: WorkerConfig) -> str:
    configured = worker.values.get(COORDINATION_STORAGE_TOPIC)
    if configured:
        return str(configured)
    name = f"{worker.get('config.storage.topic')}{COORDINATION_SUFFIX}"
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        raise ConfigError(
            COORDINATION_STORAGE_TOPIC,
            None,
            f"the default name '{name}' is longer than {MAX_TOPIC_NAME_LENGTH} characters; set a shorter topic name",
        )
    return name


def _topic_settings(worker: WorkerConfig, prefix: str, forced: Mapping[str, str]) -> dict[str, str]:
    """Java's ``topicSettings(prefix)``: the prefixed originals minus the keys the worker owns."""
    settings = worker.originals_with_prefix(prefix)
    for own in ("topic", "replication.factor", "partitions"):
        value = settings.pop(own, None)
        if own == "partitions" and value is not None and prefix in ("config.storage.", COORDINATION_STORAGE_PREFIX):
            logger.warning("Ignoring '%spartitions=%s' setting, since this topic always has 1 partition", prefix, value)
    for key, value in forced.items():
        given = settings.pop(key, None)
        if given is not None and given != value:
            logger.warning("Ignoring '%s%s=%s' setting: kconnect requires %s=%s", prefix, key, given, key, value)
    return {**settings, **forced}


# Java's messages for a blank topic name (thrown by each Kafka*BackingStore's constructor).
_BLANK_TOPIC_MESSAGES = {
    "config.storage.topic": "Must specify topic for connector configuration.",
    "offset.storage.topic": "Offset storage topic must be specified",
    "status.storage.topic": "Must specify topic for connector status.",
}


def internal_topic_specs(worker: WorkerConfig) -> list[TopicSpec]:
    """The four internal topics of a distributed worker, in creation order."""
    for key, message in _BLANK_TOPIC_MESSAGES.items():
        if not str(worker.get(key) or "").strip():
            raise ConfigError(message)
    compact = {"cleanup.policy": "compact"}
    config_rf = int(worker.get("config.storage.replication.factor"))
    coordination_forced = {
        "cleanup.policy": "delete",
        "message.timestamp.type": "LogAppendTime",
        "unclean.leader.election.enable": "false",
    }
    coordination_defaults = {
        "retention.ms": str(COORDINATION_RETENTION_MS),
        "segment.ms": str(COORDINATION_SEGMENT_MS),
    }
    if config_rf != -1:
        coordination_defaults["min.insync.replicas"] = str(min(2, config_rf))
    coordination_configs = {**coordination_defaults, **_topic_settings(worker, COORDINATION_STORAGE_PREFIX, {})}
    coordination_configs.update(coordination_forced)
    return [
        TopicSpec(
            name=str(worker.get("config.storage.topic")),
            setting="config.storage.topic",
            purpose="connector configurations",
            partitions=1,
            replication_factor=config_rf,
            configs=_topic_settings(worker, "config.storage.", compact),
            exact_partitions=1,
            required=compact,
        ),
        TopicSpec(
            name=str(worker.get("offset.storage.topic")),
            setting="offset.storage.topic",
            purpose="source connector offsets",
            partitions=int(worker.get("offset.storage.partitions")),
            replication_factor=int(worker.get("offset.storage.replication.factor")),
            configs=_topic_settings(worker, "offset.storage.", compact),
            required=compact,
        ),
        TopicSpec(
            name=str(worker.get("status.storage.topic")),
            setting="status.storage.topic",
            purpose="connector and task statuses",
            partitions=int(worker.get("status.storage.partitions")),
            replication_factor=int(worker.get("status.storage.replication.factor")),
            configs=_topic_settings(worker, "status.storage.", compact),
            required=compact,
        ),
        TopicSpec(
            name=coordination_topic_name(worker),
            setting=COORDINATION_STORAGE_TOPIC,
            purpose="worker coordination records",
            partitions=1,
            replication_factor=config_rf,
            configs=coordination_configs,
            exact_partitions=1,
            required=coordination_forced,
            min_insync_at_least=2,
        ),
    ]


def verify_topic(spec: TopicSpec, partitions: int, replication_factor: int, configs: Mapping[str, str]) -> None:
    """Refuse an existing topic that breaks ``spec`` (pure: the caller describes the topic)."""
    if spec.exact_partitions is not None and partitions != spec.exact_partitions:
        if spec.setting == "config.storage.topic":  # Java's message (KafkaConfigBackingStore.start)
            raise ConfigError(
                f"Topic '{spec.name}' supplied via the '{spec.setting}' property is required to have a single "
                "partition in order to guarantee consistency of connector configurations, but found "
                f"{partitions} partitions."
            )
        raise ConfigError(
            f"Topic '{spec.name}' supplied via the '{spec.setting}' property is required to have exactly "
            f"{spec.exact_partitions} partition(s) to guarantee a single order of {spec.purpose}, but found "
            f"{partitions} partitions. Change the '{spec.setting}' property in the worker configuration to use "
            f"a topic with {spec.exact_partitions} partition(s)."
        )
    for key, expected in spec.required.items():
        actual = configs.get(key)
        if key == "cleanup.policy":
            ok = actual is not None and {p.strip() for p in actual.split(",")} == {expected}
        else:
            ok = actual is not None and actual.lower() == expected.lower()
        if not ok:
            raise ConfigError(
                f"Topic '{spec.name}' supplied via the '{spec.setting}' property is required to have "
                f"'{key}={expected}' to guarantee consistency and durability of {spec.purpose}, but found the "
                f"topic currently has '{key}={actual}'. Continuing would likely result in eventually losing "
                f"{spec.purpose} and problems restarting this Connect cluster in the future. Change the "
                f"'{spec.setting}' property in the Connect worker configurations to use a topic with "
                f"'{key}={expected}'."
            )
    if spec.min_insync_at_least is not None:
        needed = min(spec.min_insync_at_least, replication_factor)
        actual_isr = int(configs.get("min.insync.replicas", "1"))
        if actual_isr < needed:
            raise ConfigError(
                f"Topic '{spec.name}' supplied via the '{spec.setting}' property has {replication_factor} replicas "
                f"but 'min.insync.replicas={actual_isr}': an acknowledged coordination record could be lost with "
                f"one broker. Set min.insync.replicas to at least {needed} on the topic, or change the "
                f"'{spec.setting}' property to use another topic."
            )


def ensure_internal_topics(admin: Any, specs: list[TopicSpec], timeout: float = 30.0) -> list[str]:
    """Create the missing topics and verify all of them; returns the names created by this call.

    ``admin`` is a ``confluent_kafka.admin.AdminClient`` owned by the calling (non-supervisor) process.
    """
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import ConfigResource, NewTopic  # type: ignore[attr-defined]  # re-exported

    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    existing = set(admin.list_topics(timeout=left()).topics)
    created: list[str] = []
    missing = [s for s in specs if s.name not in existing]
    if missing:
        futures = admin.create_topics(
            [
                NewTopic(
                    s.name, num_partitions=s.partitions, replication_factor=s.replication_factor, config=dict(s.configs)
                )
                for s in missing
            ],
            operation_timeout=left(),
            request_timeout=left(),
        )
        for name, fut in futures.items():
            try:
                fut.result(timeout=left())
                created.append(name)
                logger.info("Created internal topic %s", name)
            except KafkaException as e:
                err = e.args[0]
                if err.code() != KafkaError.TOPIC_ALREADY_EXISTS:  # another worker won the race
                    spec = next(s for s in missing if s.name == name)
                    raise ConfigError(
                        f"Unable to create topic '{name}' supplied via the '{spec.setting}' property: {err.str()}"
                    ) from None
    # Verify everything, including what we just created (the broker may have altered or refused settings).
    md = _wait_for_metadata(admin, [s.name for s in specs], deadline)
    resources = [ConfigResource(ConfigResource.Type.TOPIC, s.name) for s in specs]
    described = admin.describe_configs(resources, request_timeout=left())
    for spec, resource in zip(specs, resources, strict=True):
        entries = next(f for r, f in described.items() if r.name == resource.name).result(timeout=left())
        configs = {k: v.value for k, v in entries.items() if v.value is not None}
        topic_md = md.topics[spec.name]
        partitions = len(topic_md.partitions)
        replication = min((len(p.replicas) for p in topic_md.partitions.values()), default=0)
        verify_topic(spec, partitions, replication, configs)
    return created


def _wait_for_metadata(admin: Any, names: list[str], deadline: float) -> Any:
    while True:
        md = admin.list_topics(timeout=max(1.0, deadline - time.monotonic()))
        if all(n in md.topics and md.topics[n].error is None and md.topics[n].partitions for n in names):
            return md
        if time.monotonic() >= deadline:
            missing = [n for n in names if n not in md.topics or not md.topics[n].partitions]
            raise ConfigError(f"Internal topics {missing} did not appear in the cluster metadata in time")
        time.sleep(0.1)
