"""A config-topic write that waits for the broker keeps the worker's lease alive.

The coordinator's one thread heartbeats and also writes the config topic for REST requests. A real broker
quota (``producer_byte_rate=1`` on the config store's client.id, set with Kafka's own ConfigCommand) makes a
connector-config write wait for its acknowledgement for longer than the lease. While it waits the worker
must go on heartbeating: its task keeps running in the same process, nothing is fenced, and once the write
gives up the worker still serves requests. Before, the write blocked the thread for up to 30 s and the worker
fenced itself after 8 s.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.integration.test_distributed import timing_profile
from tests.support.client_quota import set_client_quota
from tests.support.worker import Worker, wait_for

pytestmark = pytest.mark.kafka


def _producer_quota(broker: KafkaBroker, client_id: str, bytes_per_s: int | None) -> None:
    set_client_quota(broker, client_id, "producer_byte_rate", bytes_per_s)


def test_a_config_write_stuck_on_the_broker_does_not_cost_the_lease(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    group = f"kc-slowcfg-{uuid.uuid4().hex[:8]}"
    source = tmp_path / "in.txt"
    source.write_text("".join(f"line-{i}\n" for i in range(100)))
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, timing_profile(group), mode="distributed")
    config = {"connector.class": "FileStreamSource", "tasks.max": "1", "file": str(source), "topic": unique_topic}
    quota_on = False
    try:
        w.start()
        wait_for(lambda: w.rest.call("GET", "/connectors")[0] == 200, 60, "the worker to join")
        assert w.rest.call("POST", "/connectors", {"name": "src", "config": config})[0] == 201
        pid = wait_for(lambda: w.task_pids("src", "source_task"), 60, "the task process")[0]
        _producer_quota(kafka_broker, f"{group}-configs", 1)  # the config store's producer only
        quota_on = True
        # The broker throttles a client once it has gone over its rate: the first write passes (and puts the
        # config producer far over 1 byte/s), the next ones wait for the throttle time. The same config is
        # written each time, so the connector's tasks are not reconfigured (their process stays the same).
        waited = 0.0
        for _ in range(3):
            started = time.monotonic()
            status, body = w.rest.call("PUT", "/connectors/src/config", config)
            waited = time.monotonic() - started
            if waited > 8.0:
                break
        print(f"\n[slow config] the throttled write answered {status} after {waited:.1f} s")
        assert waited > 8.0, (status, body)  # it did wait for the broker longer than the 8 s lease
        # The lease held: the task process is the one from before, and nothing was fenced.
        assert w.task_pids("src", "source_task") == [pid]
        log = w.log_tail(2000)
        assert "Lease of" not in log, log
        assert "Fencing" not in log, log
        assert "coordinator failed" not in log, log
        assert w.rest.call("GET", "/connectors/src/status")[0] == 200
    finally:
        if quota_on:
            _producer_quota(kafka_broker, f"{group}-configs", None)
        w.stop()
