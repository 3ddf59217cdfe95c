"""Exactly-once source tasks under ``kill -9`` on the real broker (KIP-618).

A FileStreamSource task reads a file of sequence numbers (one per line) into a topic while the test
kills its process with SIGKILL again and again and starts it again, as the supervisor's restart
policy does. With exactly-once on, a ``read_committed`` consumer must then read every number exactly
once; with it off the same run must lose nothing, and its duplicates are printed (not asserted).
"""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.supervisor.stores.formats import decode_offset_record
from kconnect.workers.exactly_once import task_settings
from tests.support.task_process import TaskProcess
from tests.support.worker import wait_for

RECORDS = 120_000
KILLS = 4


def _create_topics(bootstrap: str, *specs: NewTopic) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics(list(specs), operation_timeout=30).values():
        future.result(60)


def read_topic(bootstrap: str, topic: str, partitions: int = 1, *, committed: bool = True) -> list[Any]:
    """Every record of ``topic`` from the beginning to its end, as (key, value) bytes."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed" if committed else "read_uncommitted",
        }
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    out: list[Any] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + 60
    try:
        while len(at_end) < partitions and time.monotonic() < deadline:
            for msg in consumer.consume(5000, 1.0):
                err = msg.error()
                if err is not None:
                    assert err.code() == KafkaError._PARTITION_EOF, err
                    at_end.add(msg.partition())
                    continue
                at_end.discard(msg.partition())
                out.append((msg.key(), msg.value()))
    finally:
        consumer.close()
    assert len(at_end) == partitions, f"could not read {topic} to its end"
    return out


def _sequence_numbers(bootstrap: str, topic: str) -> list[int]:
    return [int(v) for _k, v in read_topic(bootstrap, topic)]


def run_under_kills(
    broker: KafkaBroker, work: Path, *, exactly_once: bool, kills: int = KILLS, records: int = RECORDS
) -> tuple[list[int], TaskProcess]:
    """Run the source task to the end of its file while killing it ``kills`` times; return what was written."""
    bootstrap = broker.bootstrap_servers
    suffix = uuid.uuid4().hex[:8]
    data_topic, offsets_topic = f"eos-data-{suffix}", f"eos-offsets-{suffix}"
    _create_topics(
        bootstrap,
        NewTopic(data_topic, num_partitions=1, replication_factor=1),
        NewTopic(offsets_topic, num_partitions=5, replication_factor=1, config={"cleanup.policy": "compact"}),
    )
    source = work / f"numbers-{suffix}.txt"
    source.write_text("".join(f"{i}\n" for i in range(records)))
    worker_props = {
        "bootstrap.servers": bootstrap,
        "group.id": f"eos-cluster-{suffix}",
        "config.storage.topic": f"eos-configs-{suffix}",
        "status.storage.topic": f"eos-status-{suffix}",
        "offset.storage.topic": offsets_topic,
        "offset.flush.interval.ms": "1000",
        "exactly.once.source.support": "enabled" if exactly_once else "disabled",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    }
    name = f"numbers-{suffix}"
    connector_config = {
        "name": name,
        "connector.class": "FileStreamSource",
        "file": str(source),
        "topic": data_topic,
        "tasks.max": "1",
        "batch.size": "500",
    }
    end = source.stat().st_size
    settings = task_settings(worker_props, connector_config, name, 0)
    assert (settings is not None) == exactly_once
    task = TaskProcess(
        connector=name,
        task_id=0,
        worker_props=worker_props,
        connector_config=connector_config,
        task_config=connector_config,
        exactly_once=settings.to_boot() if settings else None,
    ).start()
    rng = random.Random(618)
    task.killed_mid_stream = 0
    for _ in range(kills):
        wait_for(task.hello.is_set, 60, "the task to start")
        time.sleep(rng.uniform(0.4, 1.0))  # mid-stream: the file takes longer than all kills together
        task.kill9()
        if task.last_stats.get("records_polled", 0) and _progress(bootstrap, offsets_topic, task, exactly_once) < end:
            task.killed_mid_stream += 1
        task.start()
    wait_for(task.hello.is_set, 60, "the task to start")
    wait_for(
        lambda: _progress(bootstrap, offsets_topic, task, exactly_once) == end,
        120,
        "the task to commit the offset of the file's end",
    )
    assert task.stop() == 0, task.failures
    assert not task.failures, task.failures
    return _sequence_numbers(bootstrap, data_topic), task


def _progress(bootstrap: str, offsets_topic: str, task: TaskProcess, exactly_once: bool) -> int:
    """The committed file position: in the offsets topic under exactly-once, else what the task reported."""
    if exactly_once:
        return _committed_position(bootstrap, offsets_topic) or 0
    return max([int((o or {}).get("position", 0)) for o in task.offsets.values()] or [0])


def _committed_position(bootstrap: str, offsets_topic: str) -> int | None:
    """The file position the offsets topic holds (read_committed; the last record wins)."""
    position = None
    for key, value in read_topic(bootstrap, offsets_topic, 5):
        record = decode_offset_record(key, value)
        position = record.offset.get("position") if record.offset is not None else None
    return position


def _duplicates_and_gaps(numbers: list[int], records: int) -> tuple[int, list[int]]:
    seen = set(numbers)
    return len(numbers) - len(seen), [i for i in range(records) if i not in seen]


def test_exactly_once_source_survives_kill9_without_duplicates_or_gaps(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    numbers, task = run_under_kills(kafka_broker, tmp_path, exactly_once=True)
    print(f"\nexactly-once: {task.killed_mid_stream} of {KILLS} kills hit a task in the middle of the file")
    assert task.killed_mid_stream >= 2, "the kills must interrupt a running stream to prove anything"
    duplicates, gaps = _duplicates_and_gaps(numbers, RECORDS)
    assert gaps == [], f"{len(gaps)} sequence numbers missing, first {gaps[:10]}"
    assert duplicates == 0, f"{duplicates} duplicates under exactly-once"
    assert numbers == sorted(numbers), "records out of order"
    # Offsets went to the offsets topic, never through the supervisor link.
    assert task.offsets == {}


def test_at_least_once_source_under_kill9_has_no_gaps_and_reports_its_duplicates(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    numbers, task = run_under_kills(kafka_broker, tmp_path, exactly_once=False)
    duplicates, gaps = _duplicates_and_gaps(numbers, RECORDS)
    print(
        f"\nat-least-once under {KILLS} x kill -9 ({task.killed_mid_stream} mid-stream): "
        f"{len(numbers)} records read, {duplicates} duplicates"
    )
    assert gaps == [], f"{len(gaps)} sequence numbers missing, first {gaps[:10]}"
    assert task.offsets, "the at-least-once task reports its offsets to the supervisor"
