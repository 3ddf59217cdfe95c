"""Exactly-once source tasks under ``kill -9`` on the real broker (KIP-618).

A FileStreamSource task reads a file of sequence numbers (one per line) into a topic while the test
kills its process with SIGKILL again and again and starts it again, as the supervisor's restart
policy does. With exactly-once on, a ``read_committed`` consumer must then read every number exactly
once; with it off the same run must lose nothing, and its duplicates are printed (not asserted).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.supervisor.stores.formats import TaskCountRecord, decode_config_record, decode_offset_record
from kconnect.workers.exactly_once import task_settings
from tests.support.task_process import TaskProcess
from tests.support.worker import Worker, wait_for

RECORDS = 120_000
KILLS = 3


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


def _committed_position(bootstrap: str, offsets_topic: str, partitions: int = 5) -> int | None:
    """The file position the offsets topic holds (read_committed; the last record wins)."""
    position = None
    for key, value in read_topic(bootstrap, offsets_topic, partitions):
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


# --- distributed mode: task and worker crashes -----------------------------------------------------------


def _distributed_profile(group: str) -> dict[str, str]:
    """Short timings (8 s lease, lost units wait 4 s) and exactly-once source support enabled."""
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
        "scheduled.rebalance.max.delay.ms": "4000",
        "task.shutdown.graceful.timeout.ms": "2000",
        "kconnect.coordination.initial.rebalance.delay.ms": "500",
        "kconnect.coordination.rebalance.debounce.ms": "300",
        "offset.flush.interval.ms": "500",
        "exactly.once.source.support": "enabled",
    }


def _source_task_host(workers: list[Worker], connector: str) -> tuple[Worker, int] | None:
    for w in workers:
        if w.proc is None or w.proc.poll() is not None:
            continue
        pids = w.task_pids(connector, "source_task")
        if pids:
            return w, pids[0]
    return None


def _check_preflight_validation(worker: Worker, topic: str) -> None:
    """The distributed herder's exactly-once checks, through REST (FileStreamSource on stdin cannot do EOS)."""
    config = {
        "name": "stdin",
        "connector.class": "FileStreamSource",
        "topic": topic,
        "exactly.once.support": "required",
        "transaction.boundary": "connector",
    }
    status, body = worker.rest.call("PUT", "/connector-plugins/FileStreamSource/config/validate", config)
    assert status == 200, body
    errors = {c["value"]["name"]: c["value"]["errors"] for c in body["configs"]}
    assert errors["exactly.once.support"] == [
        "The connector does not support exactly-once semantics with the provided configuration."
    ]
    assert errors["transaction.boundary"] == [
        "The connector does not support connector-defined transaction boundaries with the given configuration. "
        "Please reconfigure it to use a different transaction boundary definition."
    ]
    assert body["error_count"] == 2, [(k, v) for k, v in errors.items() if v]


def _fencing_records(bootstrap: str, group: str, connector: str) -> list[Any]:
    """The connector's ``tasks-fencing-`` records in the config topic, in order."""
    key = f"tasks-fencing-{connector}".encode()
    return [decode_config_record(k.decode(), v) for k, v in read_topic(bootstrap, f"{group}-configs") if k == key]


def _tasks_running(worker: Worker, connector: str) -> int:
    status, body = worker.rest.call("GET", f"/connectors/{connector}/status")
    if status != 200:
        return -1
    return sum(1 for t in body["tasks"] if t["state"] == "RUNNING") if len(body["tasks"]) else 0


def _new_task_process(workers: list[Worker], dead: int) -> bool:
    host = _source_task_host(workers, "numbers")
    return host is not None and host[1] != dead


def _crash_host(worker: Worker) -> None:
    """SIGKILL the worker and every process under it at once, as when its machine dies."""
    assert worker.proc is not None
    children = psutil.Process(worker.proc.pid).children(recursive=True)
    worker.kill9()
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()


def test_distributed_exactly_once_source_survives_task_and_worker_kill9(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    group = f"eos-dist-{uuid.uuid4().hex[:8]}"
    data_topic = f"{group}-data"
    _create_topics(bootstrap, NewTopic(data_topic, num_partitions=1, replication_factor=1))
    source = tmp_path / "numbers.txt"
    source.write_text("")
    workers = []
    for i in range(2):
        (tmp_path / f"w{i}").mkdir()
        workers.append(Worker(tmp_path / f"w{i}", bootstrap, _distributed_profile(group), mode="distributed"))
    try:
        for w in workers:
            w.start(wait=False)
        for w in workers:
            w.wait_ready(timeout=90)
        wait_for(lambda: all(w.rest.call("GET", "/connectors")[0] == 200 for w in workers), 60, "joined workers")
        config = {
            "connector.class": "FileStreamSource",
            "file": str(source),
            "topic": data_topic,
            "tasks.max": "1",
            "batch.size": "200",
            "exactly.once.support": "required",
        }
        _check_preflight_validation(workers[1], data_topic)
        # A 409 while the cluster still settles is Kafka Connect's answer too: try again.
        wait_for(
            lambda: workers[0].rest.call("POST", "/connectors", {"name": "numbers", "config": config})[0] == 201,
            60,
            "the connector created",
            interval=1.0,
        )
        written = 0
        stop_writing = threading.Event()

        def writer() -> None:  # the file grows while processes die: every kill hits a live stream
            nonlocal written
            while not stop_writing.is_set():
                with open(source, "a", encoding="utf-8") as f:
                    f.write("".join(f"{i}\n" for i in range(written, written + 500)))
                written += 500
                time.sleep(0.05)

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        try:
            for _ in range(2):  # the task process dies; the restart policy brings it back on the same worker
                _host, pid = wait_for(lambda: _source_task_host(workers, "numbers"), 90, "the source task process")
                time.sleep(1.0)
                os.kill(pid, signal.SIGKILL)
                wait_for(lambda dead=pid: _new_task_process(workers, dead), 60, "a new task process")
            host, _pid = wait_for(lambda: _source_task_host(workers, "numbers"), 60, "the source task process")
            time.sleep(1.0)
            _crash_host(host)  # the whole worker dies: the task moves after the lease and the delay
            survivor = next(w for w in workers if w is not host)
            wait_for(lambda: survivor.task_pids("numbers", "source_task"), 90, "the task on the surviving worker")
            time.sleep(1.0)
        finally:
            stop_writing.set()
            thread.join(10)
        end = source.stat().st_size
        wait_for(
            lambda: _committed_position(bootstrap, f"{group}-offsets", partitions=3) == end,
            90,
            "the offsets of the file's end committed",
        )
        numbers = _sequence_numbers(bootstrap, data_topic)
        duplicates, gaps = _duplicates_and_gaps(numbers, written)
        print(f"\n[eos distributed] {written} numbers through 2 task kills and a worker crash: {duplicates} duplicates")
        assert gaps == [], f"{len(gaps)} sequence numbers missing, first {gaps[:10]}"
        assert duplicates == 0
        # The connector's task count went to the config topic as Java's tasks-fencing record.
        assert _fencing_records(bootstrap, group, "numbers")[-1:] == [TaskCountRecord("numbers", 1)]

        # Fewer tasks: the connector's owner fences both old task producers, then records the new count.
        survivor = next(w for w in workers if w.proc is not None and w.proc.poll() is None)
        probe = {
            "connector.class": "tests.support.plugins.LimitProbeSourceConnector",
            "topic": data_topic + "-probe",
            "tasks.max": "2",
            "poll.sleep.ms": "50",
        }
        for tasks in (2, 1):
            status, body = survivor.rest.call("PUT", "/connectors/probe/config", {**probe, "tasks.max": str(tasks)})
            assert status in (200, 201), body
            wait_for(
                lambda n=tasks: (
                    _tasks_running(survivor, "probe") == n
                    and _fencing_records(bootstrap, group, "probe")[-1:] == [TaskCountRecord("probe", n)]
                ),
                60,
                f"{tasks} probe task(s) running and their count recorded",
            )
        assert [r.task_count for r in _fencing_records(bootstrap, group, "probe")] == [2, 1]
    finally:
        for w in workers:
            if w.proc is not None and w.proc.poll() is None:
                w.stop(timeout=30)


# --- connector-defined transaction boundaries and zombie fencing -----------------------------------------


def test_connector_defined_transactions_commit_and_abort_where_the_task_says(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    """The task ends a transaction every 10 records and aborts every 5th one, and is killed twice meanwhile:
    aborted groups never appear, every other number appears once, and aborted numbers are not re-read."""
    bootstrap = kafka_broker.bootstrap_servers
    suffix = uuid.uuid4().hex[:8]
    data_topic, offsets_topic = f"eos-txn-{suffix}", f"eos-txn-offsets-{suffix}"
    _create_topics(bootstrap, NewTopic(data_topic, num_partitions=1, replication_factor=1))
    count = 6000
    worker_props = {
        "bootstrap.servers": bootstrap,
        "group.id": f"eos-txn-cluster-{suffix}",
        "config.storage.topic": f"eos-txn-configs-{suffix}",
        "status.storage.topic": f"eos-txn-status-{suffix}",
        "offset.storage.topic": f"eos-global-offsets-{suffix}",
        "offset.storage.partitions": "2",
        "offset.storage.replication.factor": "1",
        "exactly.once.source.support": "enabled",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    }
    _create_topics(
        bootstrap,
        NewTopic(
            worker_props["offset.storage.topic"],
            num_partitions=2,
            replication_factor=1,
            config={"cleanup.policy": "compact"},
        ),
    )
    config = {
        "name": f"seq-{suffix}",
        "connector.class": "tests.support.plugins.SequenceSourceConnector",
        "topic": data_topic,
        "count": str(count),
        "transaction.boundary": "connector",
        "offsets.storage.topic": offsets_topic,  # the connector's own topic, created by the task
    }
    settings = task_settings(worker_props, config, config["name"], 0)
    assert settings is not None
    assert settings.boundary == "connector"
    task = TaskProcess(
        connector=config["name"],
        task_id=0,
        worker_props=worker_props,
        connector_config=config,
        task_config=config,
        exactly_once=settings.to_boot(),
    ).start()
    for _ in range(2):
        wait_for(lambda: task.healthy() and task.last_stats.get("transactions_committed", 0) >= 3, 60, "transactions")
        task.kill9()
        task.start()

    def last_committed() -> int:
        found = -1
        for key, value in read_topic(bootstrap, offsets_topic, 2):
            record = decode_offset_record(key, value)
            if record.offset is not None:
                found = int(record.offset["n"])
        return found

    wait_for(lambda: last_committed() == count - 1, 120, "the offset of the last number committed")
    assert task.stop() == 0, task.failures
    numbers = _sequence_numbers(bootstrap, data_topic)
    aborted = {n for n in range(count) if (n // 10) % 5 == 4}
    assert len(numbers) == len(set(numbers)), "duplicates"
    assert set(numbers) == set(range(count)) - aborted
    # Offsets went to the connector's own topic only.
    assert read_topic(bootstrap, worker_props["offset.storage.topic"], 2) == []


def test_zombie_fencer_fences_the_old_generation_before_recording_the_new_task_count(kafka_broker: KafkaBroker) -> None:
    """Two tasks become one: both old task producers (zombies with open transactions) are fenced, then
    the ``tasks-fencing-`` count is recorded; the zombies' transactions never become readable."""
    from confluent_kafka import KafkaException, Producer

    from kconnect.supervisor.distributed.fencing import ZombieFencer
    from kconnect.supervisor.stores import formats as f
    from kconnect.supervisor.stores.config_state import ConfigReplay
    from kconnect.workers.exactly_once import task_transactional_id

    bootstrap = kafka_broker.bootstrap_servers
    group, connector = f"fencer-{uuid.uuid4().hex[:8]}", "multi"
    topic = f"{group}-data"
    _create_topics(bootstrap, NewTopic(topic, num_partitions=1, replication_factor=1))
    zombies = []
    for task in range(2):
        zombie = Producer(
            {"bootstrap.servers": bootstrap, "transactional.id": task_transactional_id(group, connector, task)}
        )
        zombie.init_transactions(30)
        zombie.begin_transaction()
        zombie.produce(topic, f"zombie {task}".encode())
        zombie.flush(30)
        zombies.append(zombie)
    replay = ConfigReplay()
    history: list[f.ConfigRecord] = [
        f.ConnectorConfig(connector, {"connector.class": "X"}),
        f.TaskConfig(connector, 0, {}),
        f.TaskConfig(connector, 1, {}),
        f.TaskCommit(connector, 2),
        f.TaskCountRecord(connector, 2),
        f.TaskConfig(connector, 0, {}),
        f.TaskCommit(connector, 1),  # the new generation: one task, fencing pending
    ]
    for offset, record in enumerate(history):
        replay.apply(offset, record)
    fencer = ZombieFencer(
        {"exactly.once.source.support": "enabled", "group.id": group}, {"bootstrap.servers": bootstrap}
    )
    assert fencer.blocks(replay.snapshot(), connector)
    recorded: list[tuple[str, int]] = []

    def record(name: str, count: int) -> None:
        recorded.append((name, count))
        replay.apply(len(history) + len(recorded), f.TaskCountRecord(name, count))

    def tick() -> list[tuple[str, int]]:
        fencer.tick(replay.snapshot(), [connector], record)
        return recorded

    try:
        wait_for(tick, 90, "the fencing to finish and the task count to be recorded")
    finally:
        fencer.close()
    assert recorded == [(connector, 1)]
    assert not fencer.blocks(replay.snapshot(), connector)
    for zombie in zombies:
        zombie.produce(topic, b"late")
        with pytest.raises(KafkaException):
            zombie.commit_transaction(30)
    assert read_topic(bootstrap, topic) == []


def test_read_committed_offsets_do_not_wait_for_a_transaction_left_open(kafka_broker: KafkaBroker) -> None:
    """A task killed between writing offsets and committing leaves a transaction open until it is fenced
    or times out: read_committed readers of the offsets topic (a fresh task's, the coordinator's
    long-lived store) must not wait for it, and never see its records."""
    from confluent_kafka import Producer

    from kconnect.supervisor.stores.formats import encode_offset
    from kconnect.workers.exactly_once import read_committed_offsets
    from kconnect.workers.offsets import offset_key

    bootstrap = kafka_broker.bootstrap_servers
    topic = f"eos-open-{uuid.uuid4().hex[:8]}"
    _create_topics(
        bootstrap, NewTopic(topic, num_partitions=1, replication_factor=1, config={"cleanup.policy": "compact"})
    )
    committed = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"{topic}-a"})
    committed.init_transactions(30)
    committed.begin_transaction()
    key, value = encode_offset("c", {"p": 1}, {"n": 1})
    committed.produce(topic, value, key)
    committed.commit_transaction(30)
    from kconnect.supervisor.stores.kafka_log import KafkaLog

    seen: list[Any] = []
    live = KafkaLog(
        topic,
        seen.append,
        {"bootstrap.servers": bootstrap},
        client_id="live-reader",
        consumer_overrides={"isolation.level": "read_committed"},
        read_only=True,
    )
    live.start(20)  # a long-lived reader (the coordinator's offsets store), at the end already
    dangling = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"{topic}-b"})
    dangling.init_transactions(30)
    dangling.begin_transaction()
    key, value = encode_offset("c", {"p": 1}, {"n": 2})
    dangling.produce(topic, value, key)
    dangling.flush(30)  # written, never committed
    started = time.monotonic()
    live.read_to_end(20)
    live.stop()
    assert [r.value for r in seen] == [encode_offset("c", {"p": 1}, {"n": 1})[1]]
    offsets = read_committed_offsets({"bootstrap.servers": bootstrap}, "c", [topic], client_id="reader", timeout=20)
    assert offsets == {offset_key("c", {"p": 1}): {"n": 1}}
    print(f"\nread past an open transaction in {time.monotonic() - started:.1f} s")
    dangling.abort_transaction(30)


def test_exactly_once_source_tolerates_bad_records_into_the_dlq_and_creates_its_topic(
    tmp_path: Path, kafka_broker: KafkaBroker
) -> None:
    """The transactional loop runs the same hooks as the at-least-once one: ``errors.tolerance=all``
    with the kconnect source DLQ, a RetriableError from ``poll()`` polled again, KIP-158 topic creation."""
    from tests.integration.test_errors_dlq import headers_of, read_all, script, source_config

    bootstrap = kafka_broker.bootstrap_servers
    suffix = uuid.uuid4().hex[:8]
    data_topic, dlq = f"eos-tolerant-{suffix}", f"eos-tolerant-{suffix}-dlq"  # neither exists yet
    lines: list[dict[str, Any]] = []
    kinds: list[str] = []
    for i in range(30):
        kind = ("good", "smt", "good", "converter")[i % 4]
        kinds.append(kind)
        line: dict[str, Any] = {"key": f"k{i}", "value": {"n": str(i)}, "headers": {"cast": "yes"}}
        if kind == "smt":
            line["value"] = {"n": f"x{i}"}  # Cast to int32 fails
        elif kind == "converter":
            line = {"key": f"k{i}", "value": f"not an int {i}", "int32": True}
        lines.append(line)
    script_file = script(tmp_path / "script.jsonl", lines)
    worker_props = {
        "bootstrap.servers": bootstrap,
        "group.id": f"eos-tolerant-{suffix}",
        "config.storage.topic": f"eos-tolerant-configs-{suffix}",
        "status.storage.topic": f"eos-tolerant-status-{suffix}",
        "offset.storage.topic": f"eos-tolerant-offsets-{suffix}",
        "offset.storage.replication.factor": "1",
        "exactly.once.source.support": "enabled",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    }
    name = f"eos-tolerant-{suffix}"
    connector_config = {
        "name": name,
        **source_config(
            data_topic,
            script_file,
            **{
                "retriable.polls": "2",
                "errors.tolerance": "all",
                "kconnect.errors.source.deadletterqueue.enable": "true",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true",
                "topic.creation.default.replication.factor": "1",
                "topic.creation.default.partitions": "3",
            },
        ),
    }
    settings = task_settings(worker_props, connector_config, name, 0)
    assert settings is not None
    _create_topics(
        bootstrap,
        NewTopic(settings.offsets_topic, num_partitions=1, replication_factor=1, config={"cleanup.policy": "compact"}),
    )
    task = TaskProcess(
        connector=name,
        task_id=0,
        worker_props=worker_props,
        connector_config=connector_config,
        task_config=connector_config,
        exactly_once=settings.to_boot(),
    ).start()
    try:
        good = [i for i, k in enumerate(kinds) if k == "good"]
        bad = {i: k for i, k in enumerate(kinds) if k != "good"}

        def committed_values() -> list[int]:
            return sorted(json.loads(v)["n"] for _k, v in read_topic(bootstrap, data_topic, 3))

        wait_for(lambda: committed_values() == good, 60, "every good record committed (read_committed)")
        dead = read_all(kafka_broker, dlq, len(bad))
        assert len(dead) == len(bad)  # exactly once each
        by_line = {json.loads(headers_of(m)["__kconnect.errors.source.offset"] or b"{}")["line"]: m for m in dead}
        assert sorted(by_line) == sorted(bad)
        for n, kind in bad.items():
            stage = headers_of(by_line[n])["__connect.errors.stage"]
            assert stage == (b"TRANSFORMATION" if kind == "smt" else b"VALUE_CONVERTER"), (n, kind)
        # KIP-158: the topic was created with the connector's default group settings.
        metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(data_topic, timeout=30)
        assert len(metadata.topics[data_topic].partitions) == 3
        # The offset of the last line, failed records included, is committed in the task's transaction.
        wait_for(
            lambda: _committed_line(bootstrap, settings.offsets_topic) == len(lines) - 1,
            60,
            "the offset past the failed records committed",
        )
        assert not task.failures, task.failures
        errors = task.last_stats.get("errors") or {}
        assert errors.get("total_records_skipped") == len(bad), errors
    finally:
        exit_code = task.stop()
    assert exit_code == 0, task.failures


def _committed_line(bootstrap: str, offsets_topic: str) -> int | None:
    line = None
    for key, value in read_topic(bootstrap, offsets_topic, 1):
        record = decode_offset_record(key, value)
        line = record.offset.get("line") if record.offset is not None else None
    return line
