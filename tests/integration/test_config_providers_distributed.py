"""Config-provider TTLs on a distributed worker: an expiry restarts the connector and the tasks the worker
runs, which resolve their values afresh (the standalone counterpart is in test_config_providers.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.support.worker import Worker, count_lines, wait_for

pytestmark = pytest.mark.kafka


def _profile(group: str) -> dict[str, str]:
    return {
        "group.id": group,
        "config.storage.topic": f"{group}-configs",
        "offset.storage.topic": f"{group}-offsets",
        "status.storage.topic": f"{group}-status",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "offset.storage.partitions": "3",
        "status.storage.partitions": "2",
        "session.timeout.ms": "8000",
        "heartbeat.interval.ms": "500",
        "scheduled.rebalance.max.delay.ms": "6000",
        "kconnect.coordination.initial.rebalance.delay.ms": "500",
        "kconnect.coordination.rebalance.debounce.ms": "300",
        "config.providers": "ttl",
        "config.providers.ttl.class": "tests.support.plugins.TtlFileConfigProvider",
    }


def _produce(broker: KafkaBroker, topic: str, values: list[str]) -> None:
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers})
    for v in values:
        producer.produce(topic, v.encode())
    assert producer.flush(30) == 0


def test_a_ttl_expiry_restarts_the_connector_and_its_tasks_with_fresh_values_on_a_distributed_worker(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    kept, not_taken = tmp_path / "kept.txt", tmp_path / "not-taken.txt"
    expiring, fixed = tmp_path / "expiring.properties", tmp_path / "fixed.properties"
    # The test provider reports the file's own "ttl.ms" as the TTL of what it returns.
    expiring.write_text(f"out={first}\nttl.ms=5000\n")
    fixed.write_text(f"out={kept}\nttl.ms=1000\n")
    reloading_topic, fixed_topic = unique_topic + "-reload", unique_topic + "-fixed"
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, _profile(f"ttl-{uuid.uuid4().hex[:8]}"), mode="distributed")
    try:
        w.start()
        wait_for(lambda: w.rest.call("GET", "/connectors")[0] == 200, 60, "the worker to join")
        w.create(
            "reloading",
            {"connector.class": "FileStreamSink", "topics": reloading_topic, "file": f"${{ttl:{expiring}:out}}"},
        )
        w.create(
            "fixed",
            {
                "connector.class": "FileStreamSink",
                "topics": fixed_topic,
                "file": f"${{ttl:{fixed}:out}}",
                "config.action.reload": "none",
            },
        )
        _produce(kafka_broker, reloading_topic, [f"a{i}" for i in range(5)])
        _produce(kafka_broker, fixed_topic, [f"x{i}" for i in range(5)])
        wait_for(lambda: count_lines(first) >= 5, 90, "the first records in the first resolved file")
        wait_for(lambda: count_lines(kept) >= 5, 90, "the reload=none connector's records")
        fixed_pids = sorted(w.task_pids("fixed"))
        assert len(fixed_pids) == 2  # its connector and its task process

        # New values, and no TTL any more: the next expiry restarts the connector and its task, which resolve
        # the new file; after that nothing expires. Records keep coming until the switch shows.
        expiring.write_text(f"out={second}\n")
        fixed.write_text(f"out={not_taken}\n")
        produced: list[str] = []

        def switched() -> bool:
            produced.append(f"b{len(produced)}")
            _produce(kafka_broker, reloading_topic, produced[-1:])
            return count_lines(second) >= 1

        wait_for(switched, 90, "records after the TTL restart in the newly resolved file", interval=0.5)
        _produce(kafka_broker, reloading_topic, ["last"])
        wait_for(lambda: "last" in second.read_text().splitlines(), 60, "the last record in the new file")
        before, after = first.read_text().splitlines(), second.read_text().splitlines()
        olds = {f"a{i}" for i in range(5)}
        # Nothing lost (at-least-once: a restart may repeat a record); no old record in the new file.
        assert olds <= set(before) <= olds | set(produced)
        assert set(after) <= set(produced) | {"last"}
        assert set(produced) | {"last"} <= set(before) | set(after)
        assert "Restarting connector reloading and its tasks: config provider values expired" in w.log_tail(600)
        status = wait_for(
            lambda: (
                (s := w.status("reloading"))["connector"]["state"] == "RUNNING"
                and [t["state"] for t in s["tasks"]] == ["RUNNING"]
                and s
            ),
            60,
            "the restarted connector and task RUNNING",
        )
        assert status["connector"]["worker_id"] == status["tasks"][0]["worker_id"]
        assert w.rest.get("/connectors/reloading/config")["file"] == f"${{ttl:{expiring}:out}}"

        # reload=none: its 1 s TTL expired long ago, yet nothing restarted and it still writes where it did.
        _produce(kafka_broker, fixed_topic, ["y"])
        wait_for(lambda: count_lines(kept) >= 6, 60, "the reload=none connector's later record")
        assert sorted(w.task_pids("fixed")) == fixed_pids
        assert not not_taken.exists()
    finally:
        w.stop()
