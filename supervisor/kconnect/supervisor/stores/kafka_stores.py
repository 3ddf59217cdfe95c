"""Building the Kafka-backed stores of a distributed worker from its :class:`WorkerConfig`.

Internal clients use the worker's top-level connection and security settings (as Java's internal
clients use the worker's originals) and Java's client ids: ``<group.id>[-<client.id>]-configs``,
``-offsets``, ``-statuses``, ``-shared-admin``. Only for a process that owns Kafka clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kconnect.supervisor.stores.backing import ConfigStore, OffsetStore, StatusStore
from kconnect.supervisor.stores.config_state import ConfigListener
from kconnect.supervisor.stores.kafka_log import KafkaLog
from kconnect.supervisor.stores.log import Consume
from kconnect.supervisor.stores.topics import ensure_internal_topics, internal_topic_specs
from kconnect.workers.clients import SECURITY_PREFIXES, ClientType, translate
from kconnect.workers.worker_config import WorkerConfig

__all__ = ["InternalStores", "client_id_base", "internal_client_config", "open_internal_stores"]


def client_id_base(worker: WorkerConfig) -> str:
    """Java's ``<group.id>[-<client.id>]-``."""
    group = worker.group_id or "connect"
    return f"{group}-{worker.client_id}-" if worker.client_id else f"{group}-"


def internal_client_config(worker: WorkerConfig, client: ClientType = "producer") -> dict[str, str]:
    """librdkafka settings shared by the internal clients: bootstrap servers and security."""
    java = {"bootstrap.servers": worker.bootstrap_servers_str}
    java.update(
        {
            k: v
            for k, v in worker.raw.items()
            if k == "security.protocol" or k.startswith(SECURITY_PREFIXES) or k == "client.dns.lookup"
        }
    )
    conf, _ = translate(java, client)
    return conf


@dataclass
class InternalStores:
    config: ConfigStore
    offsets: OffsetStore
    status: StatusStore

    def start(self, timeout: float = 30.0) -> None:
        self.config.start(timeout)
        self.offsets.start(timeout)
        self.status.start(timeout)

    def stop(self) -> None:
        self.status.stop()
        self.offsets.stop()
        self.config.stop()


def create_internal_topics(worker: WorkerConfig, timeout: float = 30.0) -> list[str]:
    """Create missing internal topics (and the coordination topic) and verify all of them."""
    from confluent_kafka.admin import AdminClient

    conf: dict[str, Any] = {
        **internal_client_config(worker, "admin"),
        "client.id": client_id_base(worker) + "shared-admin",
    }
    return ensure_internal_topics(AdminClient(conf), internal_topic_specs(worker), timeout)


def open_internal_stores(worker: WorkerConfig, listener: ConfigListener | None = None) -> InternalStores:
    """The three stores over their topics (not started). Create the topics first."""
    base = internal_client_config(worker, "producer")
    prefix = client_id_base(worker)

    def log(topic: str, suffix: str, consumer_overrides: dict[str, str] | None = None) -> Any:
        def make(consume: Consume) -> KafkaLog:
            return KafkaLog(topic, consume, base, client_id=prefix + suffix, consumer_overrides=consumer_overrides)

        return make

    # With exactly-once source support the leader writes the config topic in transactions (Java):
    # readers must not see aborted writes.
    eos = str(worker.get("exactly.once.source.support")).lower() == "enabled"
    config_consumer = {"isolation.level": "read_committed"} if eos else None

    return InternalStores(
        config=ConfigStore(log(str(worker.get("config.storage.topic")), "configs", config_consumer), listener),
        # Exactly-once tasks write offsets in transactions: aborted ones must not count (Java).
        offsets=OffsetStore(log(str(worker.get("offset.storage.topic")), "offsets", config_consumer)),
        status=StatusStore(log(str(worker.get("status.storage.topic")), "statuses")),
    )
