"""A worker that starts after retention has deleted the start of the coordination log (review erratum 16).

Two ``kconnect distributed`` workers run the witness connector while the checkpointer writes a CHECKPOINT
every 2 s. Then the log start is moved past the CLUSTER record and every JOIN with Kafka's DeleteRecords,
which is what retention does to a cluster older than ``retention.ms``. A third worker must anchor on a
CHECKPOINT, have it confirmed by the next one, join and take its share without any unit running twice
(judged from the witness processes' lifetimes and from the records they wrote). Before erratum 16 such a
worker replayed the suffix, found no CLUSTER record, founded a cluster of its own and ran every unit a
second time (the seeded simulator shows it: tests/sim/test_bootstrap.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.integration.test_distributed import timing_profile
from tests.integration.test_distributed_scenarios import PARTITIONS, Cluster
from tests.support import witness
from tests.support.worker import Worker, wait_for

pytestmark = pytest.mark.kafka

CHECKPOINT_MS = 2_000


class CheckpointingCluster(Cluster):
    def add(self) -> Worker:
        work = self.work / f"w{len(self.workers)}"
        work.mkdir()
        props = {**timing_profile(self.group), "kconnect.coordination.checkpoint.interval.ms": str(CHECKPOINT_MS)}
        worker = Worker(work, self.broker.bootstrap_servers, props, mode="distributed")
        self.workers.append(worker)
        return worker


@pytest.fixture
def cluster(kafka_broker: KafkaBroker, tmp_path: Path) -> Iterator[CheckpointingCluster]:
    group = f"kc-boot-{uuid.uuid4().hex[:8]}"
    topic = f"{group}-witness"
    admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap_servers})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])[topic].result(30)
    (tmp_path / "witness").mkdir()
    with witness.DeathWatch(tmp_path / "witness") as watch:
        c = CheckpointingCluster(kafka_broker, tmp_path, group, topic, watch)
        try:
            yield c
        finally:
            for w in c.workers:
                if w.proc is not None and w.proc.poll() is None:
                    w.stop(timeout=30)


def _coordination_log(bootstrap: str, topic: str) -> list[tuple[int, int, r.Record]]:
    """Every retained record of the coordination topic: (offset, LogAppendTime, record)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.partition.eof": True})
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out: list[tuple[int, int, r.Record]] = []
    try:
        while (out[-1][0] + 1 if out else low) < high:
            for msg in consumer.consume(500, 1.0):
                if msg.error() is None:
                    out.append((msg.offset(), msg.timestamp()[1], r.decode(msg.value())))
    finally:
        consumer.close()
    return out


def test_a_worker_started_after_retention_anchors_on_a_checkpoint_and_runs_nothing_twice(
    cluster: CheckpointingCluster,
) -> None:
    bootstrap = cluster.broker.bootstrap_servers
    coordination = f"{cluster.group}-configs-coordination"
    for _ in range(2):
        cluster.add().start(wait=False)
    for w in cluster.workers:
        w.wait_ready(timeout=90)
    wait_for(lambda: all(w.rest.call("GET", "/connectors")[0] == 200 for w in cluster.workers), 60, "joined workers")
    cluster.create("wit", 4)
    cluster.settled("every witness unit RUNNING on two workers")

    # Retention: delete everything before the last few checkpoints (the CLUSTER record and every JOIN).
    def checkpoints() -> list[tuple[int, int, r.Record]]:
        return [e for e in _coordination_log(bootstrap, coordination) if isinstance(e[2], r.CheckpointRecord)]

    wait_for(lambda: len(checkpoints()) >= 3, 60, "three CHECKPOINTs in the coordination log")
    cut = checkpoints()[-2][0]  # the last-but-one checkpoint's own offset: its state starts before the cut
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for deleted in admin.delete_records([TopicPartition(coordination, 0, cut)]).values():
        deleted.result(30)
    retained = _coordination_log(bootstrap, coordination)
    assert retained[0][0] == cut
    assert not isinstance(retained[0][2], r.ClusterRecord)
    assert not any(isinstance(rec, r.JoinRecord | r.ClusterRecord) for _o, _l, rec in retained)

    t0 = time.monotonic()
    newcomer = cluster.add()
    newcomer.start(wait=False)
    newcomer.wait_ready(timeout=90)
    wait_for(lambda: newcomer.rest.call("GET", "/connectors")[0] == 200, 90, "the newcomer joined")

    def balanced() -> dict[str, tuple[int, int]] | None:
        placed = cluster.placement()
        return placed if placed and any(index == 2 for index, _pid in placed.values()) else None

    placed = wait_for(balanced, 120, "every unit RUNNING, some on the bootstrapped worker")
    took = time.monotonic() - t0
    mine = sorted(u for u, (index, _pid) in placed.items() if index == 2)
    print(f"\n[bootstrap] worker started after retention runs {mine} after {took:.1f} s")
    log = newcomer.log_tail(400)
    assert f"holds offsets {cut}.." in log, log  # read from the new log start
    assert "replaying" in log, log
    time.sleep(1.0)  # a few witness records from the moved units
    cluster.judge()
    # Nobody founded a second cluster: the log holds no CLUSTER record after the cut.
    assert not any(isinstance(rec, r.ClusterRecord) for _o, _l, rec in _coordination_log(bootstrap, coordination))


def test_a_reader_whose_next_record_retention_deleted_reports_divergence_instead_of_skipping(
    kafka_broker: KafkaBroker,
) -> None:
    """Erratum 14: a coordination reader never jumps over records it did not read (it would fold a log with
    a hole); the coordinator exits on it and the supervisor fences and bootstraps a new incarnation."""
    from confluent_kafka import Producer

    from kconnect.supervisor.distributed.coordlog import CoordinationLog, CoordinationLogError

    topic = f"kc-diverge-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap_servers})
    spec = NewTopic(topic, num_partitions=1, replication_factor=1, config={"message.timestamp.type": "LogAppendTime"})
    admin.create_topics([spec])[topic].result(30)
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})

    def produce(n: int) -> None:
        for i in range(n):
            producer.produce(topic, value=b"x%d" % i)
        producer.flush(30)

    produce(20)
    for deleted in admin.delete_records([TopicPartition(topic, 0, 15)]).values():
        deleted.result(30)  # retention removed 0..14
    log = CoordinationLog(topic, {"bootstrap.servers": kafka_broker.bootstrap_servers}, "diverge", 3_000)
    try:
        # A reader whose next record is 10 (it read 0..9 earlier, then stalled for longer than retention).
        with pytest.raises(CoordinationLogError, match="diverged at offset 10"):
            log._read_from(10, 20, 30)
        # A bootstrap reads from the new log start without complaint.
        assert [o for o, _lat, _v in log.read_for_bootstrap(15, 20, 1_000, 30)] == list(range(15, 20))
    finally:
        log.close()


def test_a_long_log_is_replayed_from_a_recent_checkpoint_not_from_its_start(
    kafka_broker: KafkaBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window search in broker time: a log longer than FULL_REPLAY_MAX_RECORDS is replayed from the
    shortest suffix holding a usable CHECKPOINT, even though its CLUSTER record is still at the start."""
    from confluent_kafka import Producer

    from kconnect.supervisor.coordination.params import CI
    from kconnect.supervisor.distributed import coordlog

    topic = f"kc-window-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap_servers})
    spec = NewTopic(topic, num_partitions=1, replication_factor=1, config={"message.timestamp.type": "LogAppendTime"})
    admin.create_topics([spec])[topic].result(30)
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
    env = {"cluster": "g", "worker_id": "A", "incarnation": "A#1"}
    fingerprint = r.Fingerprint("g", "cfg", "st", "off")

    def produce(records: list[r.Record]) -> None:
        for rec in records:
            producer.produce(topic, value=rec.encode())
        producer.flush(30)

    def heartbeats(first: int, n: int) -> list[r.Record]:
        return [
            r.HeartbeatRecord(**env, seq=s, epoch=1, config_offset=0, ready=True, applied_upto=0)  # type: ignore[arg-type]
            for s in range(first, first + n)
        ]

    produce([r.ClusterRecord(**env, seq=0, params=CI.protocol, fingerprint=fingerprint), *heartbeats(1, 20)])  # type: ignore[arg-type]
    time.sleep(2.5)  # older than the first window (2 C = 1 s) by broker time
    checkpoint = r.CheckpointRecord(**env, seq=100, epoch=1, as_of=30, digest="d", state={})  # type: ignore[arg-type]
    confirming = r.CheckpointRecord(**env, seq=101, epoch=1, as_of=34, digest="e", state={})  # type: ignore[arg-type]
    # offsets 21..30, the anchor at 31, 32..34, the confirming checkpoint at 35, 36
    produce([*heartbeats(21, 10), checkpoint, *heartbeats(200, 3), confirming, *heartbeats(300, 1)])
    log = coordlog.CoordinationLog(topic, {"bootstrap.servers": kafka_broker.bootstrap_servers}, "window", 3_000)
    try:
        whole = [o for o, _l, _v in log.read_for_bootstrap(0, 37, 500, 30)]
        assert whole == list(range(37))  # short: the whole log
        monkeypatch.setattr(coordlog, "FULL_REPLAY_MAX_RECORDS", 10)
        replayed = [o for o, _l, _v in log.read_for_bootstrap(0, 37, 500, 30)]
        assert replayed[0] >= 21  # the recent window only
        assert replayed[-1] == 36
        assert {31, 35} <= set(replayed)  # the anchor (its state starts at offset 30) and its confirmation
    finally:
        log.close()
