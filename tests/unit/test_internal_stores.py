"""Config/status/offset stores over the in-memory log twin, config replay rules, internal topic specs."""

from __future__ import annotations

import pytest

from kconnect.api.errors import ConfigError
from kconnect.supervisor.stores import formats as f
from kconnect.supervisor.stores.backing import ConfigStore, OffsetStore, StatusStore
from kconnect.supervisor.stores.config_state import ConfigListener, TaskId
from kconnect.supervisor.stores.log import Consume, MemoryLog, MemoryTopic, StoreError, java_partition
from kconnect.supervisor.stores.topics import TopicSpec, coordination_topic_name, internal_topic_specs, verify_topic
from kconnect.workers.worker_config import WorkerConfig


def _factory(topic: MemoryTopic):  # type: ignore[no-untyped-def]
    def make(consume: Consume) -> MemoryLog:
        return MemoryLog(topic, consume)

    return make


class Recorder(ConfigListener):
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def on_connector_config_update(self, connector: str) -> None:
        self.events.append(("config", connector))

    def on_connector_config_remove(self, connector: str) -> None:
        self.events.append(("remove", connector))

    def on_target_state_change(self, connector: str) -> None:
        self.events.append(("target", connector))

    def on_task_config_update(self, tasks: list[TaskId]) -> None:
        self.events.append(("tasks", tasks))

    def on_restart_request(self, request: f.RestartRequest) -> None:
        self.events.append(("restart", request))

    def on_logger_level(self, namespace: str, level: str) -> None:
        self.events.append(("level", (namespace, level)))


def _raw(topic: MemoryTopic, *records: tuple[str, bytes | None]) -> None:
    for key, value in records:
        topic.append(key.encode(), value)


# --- config store --------------------------------------------------------------------------------------


def test_config_store_write_sequence_and_snapshot() -> None:
    topic = MemoryTopic("configs")
    store = ConfigStore(_factory(topic))
    store.start()
    store.put_connector_config("c", {"name": "c", "connector.class": "X"}, target_state="PAUSED")
    store.put_task_configs("c", [{"t": "0"}, {"t": "1"}])
    # Java's order on the wire: target state, connector, tasks, commit.
    assert [r.key for r in topic.records[0]] == [
        b"target-state-c",
        b"connector-c",
        b"task-c-0",
        b"task-c-1",
        b"commit-c",
    ]
    snap = store.snapshot()
    assert snap.offset == 5
    assert snap.connectors() == ["c"]
    assert snap.target_state("c") == "PAUSED"
    assert snap.tasks("c") == [("c", 0), ("c", 1)]
    assert dict(snap.task_config(("c", 1)) or {}) == {"t": "1"}
    assert snap.task_config_generations["c"] == 0
    with pytest.raises(TypeError):
        snap.connector_configs["d"] = {}  # type: ignore[index]  # snapshots are read-only

    # A second worker on the same topic replays the same state.
    other = ConfigStore(_factory(topic))
    other.start()
    assert other.snapshot() == snap

    store.remove_connector_config("c")
    assert [r.value for r in topic.records[0][-2:]] == [None, None]
    assert store.snapshot().connectors() == []
    assert store.snapshot().task_configs == {}
    assert snap.contains("c")  # the earlier snapshot did not change


def test_listener_is_called_only_after_start() -> None:
    topic = MemoryTopic("configs")
    _raw(topic, f.encode_connector_config("old", {"name": "old"}), f.encode_logger_level("a", "DEBUG"))
    recorder = Recorder()
    store = ConfigStore(_factory(topic), recorder)
    store.start()
    assert recorder.events == []  # history is applied silently, old logger levels are not orders
    assert store.snapshot().connectors() == ["old"]
    writer = ConfigStore(_factory(topic))
    writer.start()
    writer.put_connector_config("c", {"name": "c"})
    writer.put_target_state("c", "STOPPED")
    writer.put_task_configs("c", [{"a": "b"}])
    writer.put_restart_request("c", include_tasks=True, only_failed=True)
    writer.put_logger_level("org", "TRACE")
    writer.remove_connector_config("c")
    store.poll()
    assert recorder.events == [
        ("config", "c"),
        ("target", "c"),
        ("tasks", [("c", 0)]),
        ("restart", f.RestartRequest("c", include_tasks=True, only_failed=True)),
        ("level", ("org", "TRACE")),
        ("remove", "c"),
    ]


def test_commit_with_missing_task_configs_marks_connector_inconsistent() -> None:
    topic = MemoryTopic("configs")
    # task-c-0 was compacted away; the commit refers to two tasks.
    _raw(
        topic,
        f.encode_connector_config("c", {"name": "c"}),
        f.encode_task_config("c", 1, {}),
        f.encode_task_commit("c", 2),
    )
    store = ConfigStore(_factory(topic))
    store.start()
    snap = store.snapshot()
    assert snap.inconsistent == {"c"}
    assert snap.tasks("c") == []
    # The leader regenerates the task configs: consistent again.
    store.put_task_configs("c", [{"n": "0"}, {"n": "1"}])
    assert store.snapshot().inconsistent == frozenset()
    assert store.snapshot().tasks("c") == [("c", 0), ("c", 1)]


def test_commit_of_deleted_connector_is_ignored_and_fewer_tasks_keep_stale_extra_config() -> None:
    topic = MemoryTopic("configs")
    _raw(topic, f.encode_task_config("gone", 0, {}), f.encode_task_commit("gone", 1))
    _raw(
        topic,
        f.encode_connector_config("c", {"name": "c"}),
        f.encode_task_config("c", 1, {"old": "1"}),  # survives compaction from a 2-task generation
        f.encode_task_config("c", 0, {"new": "0"}),
        f.encode_task_commit("c", 1),
    )
    store = ConfigStore(_factory(topic))
    store.start()
    snap = store.snapshot()
    assert not snap.contains("gone")
    assert ("gone", 0) not in snap.task_configs
    assert snap.tasks("c") == [("c", 0)]
    assert snap.inconsistent == frozenset()


def test_target_state_rules() -> None:
    topic = MemoryTopic("configs")
    _raw(
        topic,
        f.encode_target_state("c", "STOPPED"),  # may precede the connector (initial_state on create)
        f.encode_connector_config("c", {"name": "c"}),
        f.encode_connector_config("d", {"name": "d"}),
        f.encode_target_state("d", None),
    )
    store = ConfigStore(_factory(topic))
    store.start()
    assert store.snapshot().target_states == {"c": "STOPPED", "d": "STARTED"}


def test_fencing_bookkeeping_and_session_key() -> None:
    topic = MemoryTopic("configs")
    store = ConfigStore(_factory(topic))
    store.start()
    store.put_connector_config("c", {"name": "c"})
    store.put_task_configs("c", [{}])
    assert store.snapshot().pending_fencing == {"c"}
    store.put_task_count_record("c", 1)
    assert store.snapshot().pending_fencing == frozenset()
    assert store.snapshot().task_count_records == {"c": 1}
    store.put_session_key(b"k" * 32, "HmacSHA256", 5)
    assert store.snapshot().session_key == f.SessionKey(b"k" * 32, "HmacSHA256", 5)


def test_bad_records_are_skipped_but_move_the_offset() -> None:
    topic = MemoryTopic("configs")
    topic.append(b"\xff\xfe", b"{}")
    _raw(topic, ("connector-c", b"not json"), ("mystery", b"{}"), f.encode_connector_config("ok", {"name": "ok"}))
    store = ConfigStore(_factory(topic))
    store.start()
    assert store.snapshot().connectors() == ["ok"]
    assert store.snapshot().offset == 4


def test_multi_partition_config_topic_is_refused_with_javas_message() -> None:
    store = ConfigStore(_factory(MemoryTopic("cfg", partitions=3)))
    with pytest.raises(ConfigError, match=r"Topic 'cfg' supplied via the 'config.storage.topic' property is required"):
        store.start()


def test_failed_write_raises() -> None:
    topic = MemoryTopic("configs")
    store = ConfigStore(_factory(topic))
    store.start()
    assert isinstance(store.log, MemoryLog)
    store.log.fail_next_flush = "NOT_ENOUGH_REPLICAS"
    with pytest.raises(StoreError, match="NOT_ENOUGH_REPLICAS"):
        store.put_connector_config("c", {"name": "c"})
    assert topic.records[0] == []


# --- status store ---------------------------------------------------------------------------------------


def test_status_store() -> None:
    topic = MemoryTopic("status", partitions=5)
    a = StatusStore(_factory(topic))
    b = StatusStore(_factory(topic))
    a.start()
    b.start()
    running = f.StatusValue("RUNNING", None, "w1:8083", 3)
    a.put_connector("c", running)
    a.put_task(("c", 0), running)
    a.put_topic("orders", "c", 0, 1234)
    b.read_to_end()
    assert b.get("c") == running
    assert b.get_all("c") == {0: running}
    assert b.get_topics("c")["orders"].discover_timestamp == 1234
    # A stale UNASSIGNED (older generation) does not hide a RUNNING task.
    a.put_task(("c", 0), f.StatusValue("UNASSIGNED", None, "w2:8083", 2))
    b.read_to_end()
    assert b.get_task(("c", 0)) == running
    # putSafe: another worker's older generation may not overwrite.
    assert not b.put_task(("c", 0), f.StatusValue("FAILED", "t", "w2:8083", 2), safe=True)
    assert b.put_task(("c", 0), f.StatusValue("FAILED", "t", "w2:8083", 4), safe=True)
    a.delete_topic("orders", "c")
    a.put_connector("c", None)
    b.read_to_end()
    assert b.get_task(("c", 0)) == f.StatusValue("FAILED", "t", "w2:8083", 4)
    assert b.get("c") is None
    assert b.get_topics("c") == {}


# --- offset store ---------------------------------------------------------------------------------------


def test_offset_store() -> None:
    topic = MemoryTopic("offsets", partitions=25)
    store = OffsetStore(_factory(topic))
    store.start()
    store.put_offsets("src", [({"file": "a"}, {"pos": 1}), ({"file": "b"}, {"pos": 2})])
    store.put_offsets("other", [({"file": "a"}, {"pos": 9})])
    store.put_offsets("src", [({"file": "b"}, None)])  # reset
    reader = OffsetStore(_factory(topic))
    reader.start()
    assert reader.offset("src", {"file": "a"}) == {"pos": 1}
    assert reader.offset("src", {"file": "b"}) is None
    assert reader.connector_offsets("src") == [({"file": "a"}, {"pos": 1})]
    assert reader.partitions["src"] == [{"file": "a"}]
    # Keyed records land where Java's partitioner puts them.
    key = f.encode_offset_key("src", {"file": "a"})
    placed = [p for p, recs in enumerate(topic.records) for r in recs if r.key == key]
    assert placed
    assert set(placed) == {java_partition(key, 25)}


# --- topic specs and worker settings ---------------------------------------------------------------------

DISTRIBUTED = {
    "bootstrap.servers": "localhost:9092",
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "group.id": "connect-cluster",
    "config.storage.topic": "connect-configs",
    "offset.storage.topic": "connect-offsets",
    "status.storage.topic": "connect-status",
}


def test_specs_from_worker_config() -> None:
    worker = WorkerConfig.from_props(
        {
            **DISTRIBUTED,
            "config.storage.replication.factor": "1",
            "config.storage.partitions": "5",
            "config.storage.cleanup.policy": "delete",
            "offset.storage.partitions": "-1",
            "status.storage.segment.bytes": "1048576",
            "kconnect.coordination.storage.retention.ms": "3600000",
            "kconnect.coordination.storage.message.timestamp.type": "CreateTime",
        },
        "distributed",
    )
    config, offsets, status, coordination = internal_topic_specs(worker)
    assert (config.name, config.partitions, config.replication_factor) == ("connect-configs", 1, 1)
    assert config.configs == {"cleanup.policy": "compact"}  # partitions and a delete policy are ignored
    assert (offsets.partitions, offsets.replication_factor) == (-1, 3)
    assert status.configs == {"segment.bytes": "1048576", "cleanup.policy": "compact"}
    assert coordination.name == "connect-configs-coordination"
    assert coordination.partitions == 1
    assert coordination.configs == {
        "retention.ms": "3600000",
        "segment.ms": "3600000",
        "min.insync.replicas": "1",
        "cleanup.policy": "delete",
        "message.timestamp.type": "LogAppendTime",  # forced
        "unclean.leader.election.enable": "false",
    }
    named = WorkerConfig.from_props({**DISTRIBUTED, "kconnect.coordination.storage.topic": "coord"}, "distributed")
    assert coordination_topic_name(named) == "coord"


def test_distributed_worker_validation() -> None:
    with pytest.raises(ConfigError, match=r'Missing required configuration "group\.id"'):
        WorkerConfig.from_props({k: v for k, v in DISTRIBUTED.items() if k != "group.id"}, "distributed")
    with pytest.raises(ConfigError, match=r"offset.storage.partitions: Number of partitions must be positive"):
        WorkerConfig.from_props({**DISTRIBUTED, "offset.storage.partitions": "0"}, "distributed")
    with pytest.raises(ConfigError, match=r"status.storage.replication.factor: Replication factor must be positive"):
        WorkerConfig.from_props({**DISTRIBUTED, "status.storage.replication.factor": "-2"}, "distributed")
    with pytest.raises(ConfigError, match=r"scheduled\.rebalance\.max\.delay\.ms"):
        WorkerConfig.from_props({**DISTRIBUTED, "scheduled.rebalance.max.delay.ms": "-1"}, "distributed")
    blank = WorkerConfig.from_props({**DISTRIBUTED, "offset.storage.topic": " "}, "distributed")
    with pytest.raises(ConfigError, match=r"^Offset storage topic must be specified$"):
        internal_topic_specs(blank)
    ok = WorkerConfig.from_props(
        {**DISTRIBUTED, "exactly.once.source.support": "enabled", "rest.advertised.port": "9000"}, "distributed"
    )
    assert ok.get("exactly.once.source.support") == "enabled"
    assert ok.get("config.storage.replication.factor") == 3
    assert ok.get("scheduled.rebalance.max.delay.ms") == 300000


def _spec(**kw: object) -> TopicSpec:
    base: dict[str, object] = {
        "name": "cfg",
        "setting": "config.storage.topic",
        "purpose": "connector configurations",
        "partitions": 1,
        "replication_factor": 3,
        "exact_partitions": 1,
        "required": {"cleanup.policy": "compact"},
    }
    base.update(kw)
    return TopicSpec(**base)  # type: ignore[arg-type]


def test_verify_existing_topics() -> None:
    verify_topic(_spec(), 1, 3, {"cleanup.policy": "compact"})
    with pytest.raises(ConfigError) as e:
        verify_topic(_spec(), 3, 3, {"cleanup.policy": "compact"})
    assert str(e.value) == (
        "Topic 'cfg' supplied via the 'config.storage.topic' property is required to have a single partition in "
        "order to guarantee consistency of connector configurations, but found 3 partitions."
    )
    with pytest.raises(ConfigError) as e:
        verify_topic(_spec(), 1, 3, {"cleanup.policy": "compact,delete"})
    assert str(e.value).startswith(
        "Topic 'cfg' supplied via the 'config.storage.topic' property is required to have 'cleanup.policy=compact' "
        "to guarantee consistency and durability of connector configurations, but found the topic currently has "
        "'cleanup.policy=compact,delete'."
    )
    coordination = _spec(
        name="co",
        setting="kconnect.coordination.storage.topic",
        purpose="worker coordination records",
        required={"cleanup.policy": "delete", "message.timestamp.type": "LogAppendTime"},
        min_insync_at_least=2,
    )
    good = {"cleanup.policy": "delete", "message.timestamp.type": "LogAppendTime", "min.insync.replicas": "2"}
    verify_topic(coordination, 1, 3, good)
    verify_topic(coordination, 1, 1, {**good, "min.insync.replicas": "1"})  # a single broker cannot do better
    with pytest.raises(
        ConfigError, match=r"'message\.timestamp\.type=LogAppendTime'.*kconnect\.coordination\.storage\.topic"
    ):
        verify_topic(coordination, 1, 3, {**good, "message.timestamp.type": "CreateTime"})
    with pytest.raises(ConfigError, match=r"min\.insync\.replicas=1"):
        verify_topic(coordination, 1, 3, {**good, "min.insync.replicas": "1"})
    with pytest.raises(ConfigError, match="exactly 1 partition"):
        verify_topic(coordination, 2, 3, good)
