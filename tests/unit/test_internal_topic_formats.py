"""Byte-exact codecs of Kafka Connect's internal topics (supervisor/kconnect/supervisor/stores/formats.py).

The expected bytes were produced by Apache Kafka 4.3.1's own classes (JsonConverter with
schemas.enable=false over KafkaConfigBackingStore's schemas, run in jshell), or are the records a Java
distributed worker wrote in tests/integration/test_internal_topics_java.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kconnect.supervisor.stores import formats as f
from kconnect.supervisor.stores.log import java_partition

# --- config topic: encode -------------------------------------------------------------------------------


def test_connector_config_keeps_property_order_and_jackson_escapes() -> None:
    props = {"name": "x", "connector.class": "Foo", "weird": 'é\x1f\n\t"\\/\u2028', "nul": None}
    key, value = f.encode_connector_config("x", props)
    assert key == "connector-x"
    # Jackson: \u001F upper-case, '/' and U+2028 raw, non-ASCII as UTF-8, null values kept.
    assert value == (
        b'{"properties":{"name":"x","connector.class":"Foo","weird":"\xc3\xa9\\u001F\\n\\t\\"\\\\/\xe2\x80\xa8",'
        b'"nul":null}}'
    )


def test_config_records_exact_bytes() -> None:
    assert f.encode_task_config("my-conn", 3, {"task.class": "T"}) == (
        "task-my-conn-3",
        b'{"properties":{"task.class":"T"}}',
    )
    assert f.encode_task_commit("my-conn", 2) == ("commit-my-conn", b'{"tasks":2}')
    assert f.encode_target_state("c", "STOPPED") == ("target-state-c", b'{"state":"PAUSED","state.v2":"STOPPED"}')
    assert f.encode_target_state("c", "PAUSED") == ("target-state-c", b'{"state":"PAUSED","state.v2":"PAUSED"}')
    assert f.encode_target_state("c", "STARTED") == ("target-state-c", b'{"state":"STARTED","state.v2":"STARTED"}')
    assert f.encode_restart_request("c", include_tasks=True, only_failed=False) == (
        "restart-connector-c",
        b'{"include-tasks":true,"only-failed":false}',
    )
    assert f.encode_logger_level("org.apache.kafka", "DEBUG") == (
        "logger-cluster-org.apache.kafka",
        b'{"level":"DEBUG"}',
    )
    assert f.encode_task_count_record("c", 4) == ("tasks-fencing-c", b'{"task-count":4}')
    assert f.encode_session_key(b"0123456789abcdef0123456789abcdef", "HmacSHA256", 1700000000000) == (
        "session-key",
        b'{"key":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","algorithm":"HmacSHA256",'
        b'"creation-timestamp":1700000000000}',
    )


def test_tombstones() -> None:
    assert f.encode_connector_config("c", None) == ("connector-c", None)
    assert f.encode_target_state("c", None) == ("target-state-c", None)
    assert f.decode_config_record("connector-c", None) == f.ConnectorConfig("c", None)
    assert f.decode_config_record("target-state-c", None) == f.TargetState("c", None)
    with pytest.raises(f.InvalidRecord, match="unexpectedly null"):
        f.decode_config_record("task-c-0", None)


# --- config topic: decode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        f.ConnectorConfig("a-b-c", {"name": "a-b-c", "x": None}),
        f.TaskConfig("a-b-c", 12, {"k": "v"}),
        f.TaskCommit("a-b", 0),
        f.TargetState("c", "STOPPED"),
        f.RestartRequest("c", include_tasks=False, only_failed=True),
        f.LoggerLevel("root", "WARN"),
        f.TaskCountRecord("c", 7),
        f.SessionKey(b"\x00\xffkey", "HmacSHA512", 42),
    ],
)
def test_round_trip(record: f.ConfigRecord) -> None:
    match record:
        case f.ConnectorConfig():
            assert record.properties is not None
            key, value = f.encode_connector_config(record.connector, record.properties)
        case f.TaskConfig():
            key, value = f.encode_task_config(record.connector, record.task, record.properties)
        case f.TaskCommit():
            key, value = f.encode_task_commit(record.connector, record.tasks)
        case f.TargetState():
            key, value = f.encode_target_state(record.connector, record.state)
        case f.RestartRequest():
            key, value = f.encode_restart_request(
                record.connector, include_tasks=record.include_tasks, only_failed=record.only_failed
            )
        case f.LoggerLevel():
            key, value = f.encode_logger_level(record.namespace, record.level)
        case f.TaskCountRecord():
            key, value = f.encode_task_count_record(record.connector, record.task_count)
        case f.SessionKey():
            key, value = f.encode_session_key(record.key, record.algorithm, record.creation_timestamp)
    assert f.decode_config_record(key, value) == record


def test_target_state_v1_record_falls_back_on_legacy_field() -> None:
    # Written by a worker older than 3.5 (no STOPPED, no state.v2).
    assert f.decode_config_record("target-state-c", b'{"state":"PAUSED"}') == f.TargetState("c", "PAUSED")
    # A non-string state.v2 is ignored in favour of state, as in Java.
    assert f.decode_config_record("target-state-c", b'{"state":"STARTED","state.v2":5}') == f.TargetState(
        "c", "STARTED"
    )
    with pytest.raises(f.InvalidRecord, match="Invalid target state"):
        f.decode_config_record("target-state-c", b'{"state":"RUNNING"}')


def test_task_key_parsing_follows_java() -> None:
    assert f.decode_config_record("task-my-conn-with-dashes-10", b'{"properties":{}}') == f.TaskConfig(
        "my-conn-with-dashes", 10, {}
    )
    for bad in ("task-noid", "task-c-x", "task-c- 1", "task-c-1_0", "task-c-99999999999"):
        with pytest.raises(f.InvalidRecord, match="couldn't be parsed"):
            f.decode_config_record(bad, b'{"properties":{}}')


def test_malformed_values_are_rejected_with_reasons() -> None:
    with pytest.raises(f.InvalidRecord, match="'properties' field should be a Map"):
        f.decode_config_record("connector-c", b'{"props":{}}')
    with pytest.raises(f.InvalidRecord, match="wrong format"):
        f.decode_config_record("connector-c", b'"text"')
    with pytest.raises(f.InvalidRecord, match="'tasks' field should be an integer"):
        f.decode_config_record("commit-c", b'{"tasks":"2"}')
    with pytest.raises(f.InvalidRecord, match="not valid JSON"):
        f.decode_config_record("commit-c", b"{")
    with pytest.raises(f.InvalidRecord, match="invalid key"):
        f.decode_config_record("unknown-c", b"{}")
    with pytest.raises(f.InvalidRecord, match="creation-timestamp"):
        f.decode_config_record("session-key", b'{"key":"AA==","algorithm":"HmacSHA256","creation-timestamp":1.5}')


def test_restart_request_defaults_bad_flags_to_false() -> None:
    assert f.decode_config_record("restart-connector-c", b'{"include-tasks":"yes"}') == f.RestartRequest(
        "c", include_tasks=False, only_failed=False
    )


# --- status topic ------------------------------------------------------------------------------------------


def test_status_records_exact_bytes() -> None:
    running = f.StatusValue("RUNNING", None, "127.0.0.1:8083", 7, "4.3.1")
    assert f.encode_connector_status("c", running) == (
        "status-connector-c",
        b'{"state":"RUNNING","trace":null,"worker_id":"127.0.0.1:8083","generation":7,"version":"4.3.1"}',
    )
    failed = f.StatusValue("FAILED", "java.lang.Exception: boom\n\tat X", "w:1", 2)
    assert f.encode_task_status("my-conn", 0, failed) == (
        "status-task-my-conn-0",
        b'{"state":"FAILED","trace":"java.lang.Exception: boom\\n\\tat X","worker_id":"w:1","generation":2,'
        b'"version":null}',
    )
    assert f.encode_task_status("c", 1, None) == ("status-task-c-1", None)
    assert f.encode_topic_status("orders", "c", 0, 1700000000000) == (
        "status-topic-orders:connector-c",
        b'{"topic":{"name":"orders","connector":"c","task":0,"discoverTimestamp":1700000000000}}',
    )
    assert f.encode_topic_status("orders", "c") == ("status-topic-orders:connector-c", None)
    with pytest.raises(ValueError, match="DESTROYED"):
        f.encode_connector_status("c", f.StatusValue("DESTROYED", None, "w", 1))


def test_status_decoding() -> None:
    key, value = f.encode_task_status("a-b", 3, f.StatusValue("PAUSED", None, "w:1", 5))
    assert f.decode_status_record(key, value) == f.TaskStatus("a-b", 3, f.StatusValue("PAUSED", None, "w:1", 5))
    # Written by a worker older than 4.1: no version field.
    old = b'{"state":"RUNNING","trace":null,"worker_id":"w:1","generation":2}'
    assert f.decode_status_record("status-connector-c", old) == f.ConnectorStatus(
        "c", f.StatusValue("RUNNING", None, "w:1", 2, None)
    )
    assert f.decode_status_record("status-connector-c", None) == f.ConnectorStatus("c", None)
    topic = f.decode_status_record(*f.encode_topic_status("t.x", "c-1", 2, 99))
    assert topic == f.TopicStatus("t.x", "c-1", 2, 99)
    assert f.decode_status_record("status-topic-t.x:connector-c-1", None) == f.TopicStatus("t.x", "c-1")
    for bad in ("status-connector-", "status-task-c", "status-topic-:connector-c", "status-topic-t:connector-", "x"):
        with pytest.raises(f.InvalidRecord):
            f.decode_status_record(bad, None)
    with pytest.raises(f.InvalidRecord, match="unknown state"):
        f.decode_status_record("status-connector-c", b'{"state":"BOGUS","worker_id":"w","generation":1}')


# --- offsets topic -----------------------------------------------------------------------------------------


def test_offset_records_match_java_hashmap_order() -> None:
    # Java (HashMap partition/offset maps through JsonConverter) wrote exactly these bytes.
    key, value = f.encode_offset(
        "conn",
        {"topic": "t", "partition": 3, "zz": "y", "alpha": 1},
        {"position": 1.0e7, "big": 12345678901, "f": 0.001, "s": "a\x01", "b": True},
    )
    assert key == b'["conn",{"zz":"y","partition":3,"alpha":1,"topic":"t"}]'
    assert value == b'{"big":12345678901,"b":true,"s":"a\\u0001","f":0.001,"position":1.0E7}'
    assert f.encode_offset_key("local-file-source", {"filename": "/tmp/in.txt"}) == (
        b'["local-file-source",{"filename":"/tmp/in.txt"}]'
    )
    # The order a caller built the map in does not change the bytes (compaction compares bytes).
    assert f.encode_offset_key("conn", {"alpha": 1, "topic": "t", "zz": "y", "partition": 3}) == key


def test_offset_decoding_follows_offset_utils() -> None:
    rec = f.decode_offset_record(b'["c",{"file":"/a"}]', b'{"position":12}')
    assert rec == f.OffsetRecord("c", {"file": "/a"}, {"position": 12})
    assert f.decode_offset_record(b'["c",{"file":"/a"}]', None).offset is None
    for bad in (b'{"c":1}', b'["c"]', b"[1,{}]", b'["c","p"]', b"nope"):
        with pytest.raises(f.InvalidRecord):
            f.decode_offset_record(bad, b"{}")


def test_java_partitioner() -> None:
    # Utils.toPositive(Utils.murmur2(key)) % 25 as computed by Kafka 4.3.1's Java classes.
    assert java_partition(b'["local-file-source",{"filename":"/tmp/in.txt"}]', 25) == 7
    assert java_partition(b"status-task-x-0", 25) == 20
    assert [java_partition(k, 25) for k in (b"", b"a", b"ab", b"abc", b"abcd", b"abcde")] == [6, 24, 9, 7, 0, 16]


# --- round trips over arbitrary input ------------------------------------------------------------------------

# Anything Java can hold in a String: every code point except lone surrogates (not valid UTF-8).
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_NAME = _TEXT.filter(lambda s: s != "")


@settings(max_examples=100, deadline=None)
@given(name=_TEXT, task=st.integers(0, 2**31 - 1), props=st.dictionaries(_TEXT, st.none() | _TEXT, max_size=6))
def test_config_records_round_trip_for_any_names_and_properties(
    name: str, task: int, props: dict[str, str | None]
) -> None:
    key, value = f.encode_connector_config(name, props)
    decoded = f.decode_config_record(key, value)
    assert decoded == f.ConnectorConfig(name, props)
    assert isinstance(decoded, f.ConnectorConfig)
    assert list(decoded.properties or {}) == list(props)  # property order survives
    assert f.decode_config_record(*f.encode_task_config(name, task, props)) == f.TaskConfig(name, task, props)


@settings(max_examples=100, deadline=None)
@given(
    connector=_NAME,
    task=st.integers(0, 2**31 - 1),
    state=st.sampled_from(f.STATUS_STATES),
    trace=st.none() | _TEXT,
    generation=st.integers(-(2**31), 2**31 - 1),
)
def test_status_records_round_trip(connector: str, task: int, state: str, trace: str | None, generation: int) -> None:
    status = f.StatusValue(state, trace, "w:1", generation, "1.0")
    assert f.decode_status_record(*f.encode_connector_status(connector, status)) == f.ConnectorStatus(connector, status)
    assert f.decode_status_record(*f.encode_task_status(connector, task, status)) == f.TaskStatus(
        connector, task, status
    )


# Jackson writes infinities as strings, and Java reads floats as BigDecimal, which has no -0.0.
_FLOAT = st.floats(allow_nan=False, allow_infinity=False).map(lambda x: x or 0.0)
_PRIMITIVE = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _TEXT | _FLOAT


@settings(max_examples=100, deadline=None)
@given(
    connector=_TEXT,
    partition=st.dictionaries(_TEXT, _PRIMITIVE, max_size=5),
    offset=st.none() | st.dictionaries(_TEXT, _PRIMITIVE, max_size=5),
)
def test_offset_records_round_trip(
    connector: str, partition: dict[str, object], offset: dict[str, object] | None
) -> None:
    key, value = f.encode_offset(connector, partition, offset)
    assert f.decode_offset_record(key, value) == f.OffsetRecord(connector, partition, offset)
    # Re-encoding what was read gives the same bytes: compaction sees one key.
    assert f.encode_offset(connector, f.decode_offset_record(key, value).partition, offset) == (key, value)
