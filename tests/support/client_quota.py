"""Kafka client quotas set with Kafka's own tool (``kafka.admin.ConfigCommand`` from the cached jars):
confluent-kafka has no call for client quotas. Tests use them to make one client slow or blind for real."""

from __future__ import annotations

import subprocess

from kconnect.supervisor.devbroker import jars
from kconnect.supervisor.devbroker.broker import KafkaBroker


def set_client_quota(broker: KafkaBroker, client_id: str, key: str, bytes_per_s: int | None) -> None:
    """Set (or, with ``None``, remove) quota ``key`` (``consumer_byte_rate``, ``producer_byte_rate``) of a client.id."""
    change = ["--delete-config", key] if bytes_per_s is None else ["--add-config", f"{key}={bytes_per_s}"]
    done = subprocess.run(
        [
            jars.java_executable(),
            "-Xmx128m",
            "-cp",
            jars.classpath(),
            "kafka.admin.ConfigCommand",
            "--bootstrap-server",
            broker.bootstrap_servers,
            "--alter",
            *change,
            "--entity-type",
            "clients",
            "--entity-name",
            client_id,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
