"""Shared fixtures: a real Apache Kafka broker (KRaft, from Maven Central jars) per test session.

If Java or Maven (or Maven Central) is unavailable the fixtures FAIL with the reason; they never skip.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kconnect.supervisor.devbroker.broker import BrokerStartError, KafkaBroker
from kconnect.supervisor.devbroker.jars import KafkaJarsError


def _start_broker(tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs: Any) -> KafkaBroker:
    broker = KafkaBroker(tmp_path_factory.mktemp(name), **kwargs)
    try:
        broker.start()
    except (KafkaJarsError, BrokerStartError) as e:
        broker.stop()
        reason = f"could not start the Kafka test broker ({name}): {e}"
    else:
        return broker
    pytest.fail(reason, pytrace=False)  # outside `except`: no chained traceback


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A single-node Kafka broker shared by the whole session (PLAINTEXT on 127.0.0.1)."""
    broker = _start_broker(tmp_path_factory, "kafka")
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def kafka_sasl_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A separate broker with a SASL_PLAINTEXT listener (SCRAM-SHA-256 and PLAIN, user
    ``.sasl_username``/``.sasl_password``) next to PLAINTEXT; started only when a test asks for it."""
    broker = _start_broker(tmp_path_factory, "kafka-sasl", sasl=True)
    yield broker
    broker.stop()


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> str:
    """A topic name unique to this test run (not created)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name)[:80].strip("-.")
    return f"t-{stem}-{uuid.uuid4().hex[:8]}"
