"""FileStreamSource/FileStreamSink: Apache's demo connectors, against real files in tmp_path."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from kconnect.api.config import config_infos
from kconnect.api.connector import ExactlyOnceSupport
from kconnect.api.data import STRING_SCHEMA, SchemaBuilder, Struct
from kconnect.api.errors import ConfigError, ConnectError
from kconnect.api.records import SinkRecord, SourceRecord
from kconnect.api.task import TransactionContext
from kconnect.plugins.file import (
    KAFKA_VERSION,
    FileStreamSinkConnector,
    FileStreamSinkTask,
    FileStreamSourceConnector,
    FileStreamSourceTask,
)

# --- helpers ---------------------------------------------------------------------------------


def _exactly(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern for exactly this message."""
    return "^" + re.escape(message) + "$"


class _OffsetReader:
    def __init__(self, stored: Mapping[str, Mapping[str, Any]]) -> None:
        self.stored = stored
        self.asked: list[Mapping[str, Any]] = []

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        self.asked.append(dict(partition))
        found = self.stored.get(partition["filename"])
        return dict(found) if found is not None else None

    def offsets(self, partitions: Sequence[Mapping[str, Any]]) -> dict[Any, dict[str, Any]]:
        raise AssertionError("not used")


class _Context:
    def __init__(self, stored: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.reader = _OffsetReader(stored or {})

    @property
    def configs(self) -> Mapping[str, str]:
        return {}

    def offset_storage_reader(self) -> _OffsetReader:
        return self.reader

    def transaction_context(self) -> TransactionContext | None:
        return None


@pytest.fixture
def tasks() -> Iterator[list[FileStreamSourceTask]]:
    started: list[FileStreamSourceTask] = []
    yield started
    for t in started:
        t.stop()


def _source(
    tasks: list[FileStreamSourceTask],
    path: Path | None,
    stored: Mapping[str, Mapping[str, Any]] | None = None,
    **props: str,
) -> tuple[FileStreamSourceTask, _Context]:
    task = FileStreamSourceTask(read_size=7, poll_wait_seconds=0.001)  # tiny reads: lines straddle chunks
    ctx = _Context(stored)
    task.initialize(ctx)
    config = {"topic": "lines", **props}
    if path is not None:
        config["file"] = str(path)
    task.start(config)
    tasks.append(task)
    return task, ctx


def _values(records: list[SourceRecord] | None) -> list[str]:
    return [r.value for r in records or []]


def _positions(records: list[SourceRecord] | None) -> list[int]:
    out = []
    for r in records or []:
        assert r.source_offset is not None
        out.append(r.source_offset["position"])
    return out


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as f:
        f.write(data)


# --- source task -----------------------------------------------------------------------------


def test_source_emits_only_terminated_lines(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"alpha\nbeta\r\ngamma\rdel")
    task, _ = _source(tasks, path)
    records = task.poll()
    assert _values(records) == ["alpha", "beta", "gamma"]
    assert _positions(records) == [6, 12, 18]
    assert task.poll() is None  # "del" has no terminator yet
    _append(path, b"ta\n")
    records = task.poll()
    assert _values(records) == ["delta"]
    assert _positions(records) == [24]


def test_source_record_shape(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_text("hello\n")
    task, ctx = _source(tasks, path)
    records = task.poll()
    assert records is not None
    assert len(records) == 1
    record = records[0]
    assert record.topic == "lines"
    assert record.value == "hello"
    assert record.value_schema == STRING_SCHEMA
    assert record.key is None
    assert record.key_schema is None
    assert record.kafka_partition is None
    assert isinstance(record.timestamp, int)
    assert record.timestamp > 0
    assert record.source_partition == {"filename": str(path)}
    assert record.source_offset == {"position": 6}
    assert ctx.reader.asked == [{"filename": str(path)}]


def test_source_trailing_cr_waits_for_next_byte(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"one\r")
    task, _ = _source(tasks, path)
    assert task.poll() is None  # could still become \r\n
    _append(path, b"\ntwo\r")
    records = task.poll()
    assert _values(records) == ["one"]
    assert _positions(records) == [5]
    _append(path, b"three\n")
    records = task.poll()
    assert _values(records) == ["two", "three"]
    assert _positions(records) == [9, 15]


def test_source_empty_lines_and_crlf_pairs(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"\n\r\n\r\rx\n")
    task, _ = _source(tasks, path)
    records = task.poll()
    assert _values(records) == ["", "", "", "", "x"]
    assert _positions(records) == [1, 3, 4, 5, 7]


def test_source_batch_size(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_text("".join(f"line-{i}\n" for i in range(5)))
    task, _ = _source(tasks, path, **{"batch.size": "2"})
    assert _values(task.poll()) == ["line-0", "line-1"]
    assert _values(task.poll()) == ["line-2", "line-3"]
    assert _values(task.poll()) == ["line-4"]
    assert task.poll() is None


def test_source_large_file_in_default_batches(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "big.txt"
    lines = [f"{i:06d} " + "x" * (i % 50) for i in range(5000)]
    path.write_text("".join(line + "\n" for line in lines))
    task = FileStreamSourceTask(poll_wait_seconds=0.001)
    task.initialize(_Context())
    task.start({"topic": "t", "file": str(path)})
    tasks.append(task)
    batches = []
    while (records := task.poll()) is not None:
        batches.append(records)
    assert [len(b) for b in batches] == [2000, 2000, 1000]
    got = [r.value for b in batches for r in b]
    assert got == lines
    assert _positions(batches[-1])[-1] == path.stat().st_size


def test_source_resumes_from_stored_offset(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_text("first\nsecond\nthird\n")
    task, _ = _source(tasks, path)
    records = task.poll()
    assert records is not None
    committed = records[0].source_offset
    assert committed == {"position": 6}
    task.stop()
    restarted, _ = _source(tasks, path, stored={str(path): committed})
    records = restarted.poll()
    assert _values(records) == ["second", "third"]
    assert _positions(records) == [13, 19]


def test_source_resume_counts_bytes_not_chars(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_text("héllo wörld\n€uro\nend\n", encoding="utf-8")
    task, _ = _source(tasks, path)
    records = task.poll()
    assert _values(records) == ["héllo wörld", "€uro", "end"]
    first_end = len("héllo wörld\n".encode())
    assert _positions(records)[0] == first_end
    restarted, _ = _source(tasks, path, stored={str(path): {"position": first_end}})
    assert _values(restarted.poll()) == ["€uro", "end"]


def test_source_invalid_utf8_is_replaced(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"ok\xff\n")
    task, _ = _source(tasks, path)
    assert _values(task.poll()) == ["ok\ufffd"]


def test_source_rejects_offset_of_wrong_type(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_text("a\n")
    task, _ = _source(tasks, path, stored={str(path): {"position": "12"}})
    with pytest.raises(ConnectError, match=_exactly("Offset position is the incorrect type")):
        task.poll()


def test_source_waits_for_missing_file(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "later.txt"
    task, _ = _source(tasks, path)
    assert task.poll() is None
    assert task.poll() is None
    path.write_text("now\n")
    assert _values(task.poll()) == ["now"]


def test_source_poll_after_stop_returns_none(tmp_path: Path, tasks: list[FileStreamSourceTask]) -> None:
    path = tmp_path / "in.txt"
    path.write_text("a\n")
    task, _ = _source(tasks, path)
    task.stop()
    assert task.poll() is None


def test_source_reads_stdin_without_offsets(monkeypatch: pytest.MonkeyPatch, tasks: list[FileStreamSourceTask]) -> None:
    read_fd, write_fd = os.pipe()
    stdin = os.fdopen(read_fd, "r")
    try:
        monkeypatch.setattr(sys, "stdin", stdin)
        task, ctx = _source(tasks, None)
        assert task.poll() is None  # nothing written yet, and the read must not block
        os.write(write_fd, b"from\nstdin\npartial")
        records = task.poll()
        assert _values(records) == ["from", "stdin"]
        assert records is not None
        assert records[0].source_partition == {"filename": None}
        assert records[0].source_offset == {"position": None}
        assert ctx.reader.asked == []
        os.close(write_fd)
        write_fd = -1
        assert task.poll() is None  # EOF: the partial last line never gets a terminator
    finally:
        if write_fd >= 0:
            os.close(write_fd)
        stdin.close()


def test_source_task_config_errors() -> None:
    task = FileStreamSourceTask()
    with pytest.raises(
        ConfigError, match=_exactly('Missing required configuration "topic" which has no default value.')
    ):
        task.start({"file": "x"})
    with pytest.raises(ConfigError, match=_exactly("Invalid value  for configuration topic: String must be non-empty")):
        task.start({"file": "x", "topic": ""})
    with pytest.raises(
        ConfigError, match=_exactly("Invalid value ten for configuration batch.size: Not a number of type INT")
    ):
        task.start({"file": "x", "topic": "t", "batch.size": "ten"})


# --- source connector ------------------------------------------------------------------------


def test_source_connector_basics() -> None:
    c = FileStreamSourceConnector()
    assert FileStreamSourceConnector.class_name == "org.apache.kafka.connect.file.FileStreamSourceConnector"
    assert "FileStreamSource" in FileStreamSourceConnector.aliases
    assert c.version() == KAFKA_VERSION == "4.3.1"
    assert FileStreamSourceTask.version() == "4.3.1"
    assert c.task_class() is FileStreamSourceTask
    props = {"name": "src", "connector.class": "FileStreamSource", "file": "/tmp/x", "topic": "t"}
    c.start(props)
    assert c.task_configs(5) == [props]
    assert c.task_configs(1) == [props]
    assert c.exactly_once_support({"topic": "t", "file": "/tmp/x"}) is ExactlyOnceSupport.SUPPORTED
    assert c.exactly_once_support({"topic": "t"}) is ExactlyOnceSupport.UNSUPPORTED
    assert c.exactly_once_support({"topic": "t", "file": ""}) is ExactlyOnceSupport.UNSUPPORTED
    c.stop()


def test_source_connector_validation() -> None:
    c = FileStreamSourceConnector()
    values = c.validate({})
    assert values["topic"].errors == ['Missing required configuration "topic" which has no default value.']
    assert values["file"].errors == []
    assert values["batch.size"].value == 2000
    values = c.validate({"topic": "", "batch.size": "many"})
    assert values["topic"].errors == ["Invalid value  for configuration topic: String must be non-empty"]
    assert values["batch.size"].errors == ["Invalid value many for configuration batch.size: Not a number of type INT"]
    infos = config_infos(FileStreamSourceConnector.class_name, c.config_def(), c.validate({"topic": "t"}))
    assert infos["error_count"] == 0
    assert [x["definition"]["name"] for x in infos["configs"]] == ["file", "topic", "batch.size"]
    topic_def = infos["configs"][1]["definition"]
    assert topic_def["required"] is True
    assert topic_def["importance"] == "HIGH"
    assert topic_def["documentation"] == "The topic to publish data to"
    assert infos["configs"][2]["definition"]["default_value"] == "2000"
    with pytest.raises(ConfigError):
        c.start({"file": "x"})


def test_source_alter_offsets() -> None:
    c = FileStreamSourceConnector()
    cfg = {"topic": "t", "file": "/data/in.txt"}
    part = {"filename": "/data/in.txt"}
    assert c.alter_offsets(cfg, {}) is True
    assert c.alter_offsets(cfg, {_frozen(part): {"position": 10}}) is True
    assert c.alter_offsets(cfg, {_frozen({"filename": "/other"}): None}) is True  # tombstones always allowed
    cases: list[tuple[Mapping[str, str], Any, Any, str]] = [
        (
            {"topic": "t"},
            part,
            {"position": 1},
            "Offsets cannot be modified if the 'file' configuration is unspecified. "
            "This is because stdin is used for input and offsets are not tracked.",
        ),
        (cfg, part, {"pos": 1}, "Offset objects should either be null or contain the key 'position'"),
        (cfg, part, {"position": "1"}, "The value for the 'position' key in the offset is expected to be a Long value"),
        (cfg, part, {"position": 1.0}, "The value for the 'position' key in the offset is expected to be a Long value"),
        (cfg, part, {"position": -1}, "The value for the 'position' key in the offset should be a non-negative value"),
        (cfg, None, {"position": 1}, "Partition objects cannot be null"),
        (cfg, {"file": "x"}, {"position": 1}, "Partition objects should contain the key 'filename'"),
    ]
    for config, partition, offset, message in cases:
        key = _frozen(partition) if partition is not None else None
        with pytest.raises(ConnectError) as info:
            c.alter_offsets(config, {key: offset})
        assert str(info.value) == message


def _frozen(partition: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(partition.items()))


# --- sink ------------------------------------------------------------------------------------


def _sink_record(value: Any, offset: int = 0) -> SinkRecord:
    return SinkRecord(topic="t", kafka_partition=0, kafka_offset=offset, value=value)


def _struct() -> Struct:
    schema = (
        SchemaBuilder.struct()
        .name("r")
        .field("id", SchemaBuilder.int32().build())
        .field("name", SchemaBuilder.string().optional().build())
        .field("score", SchemaBuilder.float64().optional().build())
        .build()
    )
    return Struct(schema).put("id", 7).put("score", 2.5)


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("plain text", "plain text"),
        ({"some_key": 0}, "{some_key=0}"),
        ({"a": {"b": [1, None]}, "c": "d"}, "{a={b=[1, null]}, c=d}"),
        (["x", 1, True], "[x, 1, true]"),
        (_struct(), "Struct{id=7,score=2.5}"),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (1.0, "1.0"),
        (1e7, "1.0E7"),
        (1.5e-5, "1.5E-5"),
        (-0.0, "-0.0"),
        (float("nan"), "NaN"),
        (42, "42"),
        (dt.datetime(2024, 2, 29, 13, 5, 7, tzinfo=dt.UTC), "Thu Feb 29 13:05:07 UTC 2024"),
    ],
)
def test_sink_renders_values_like_java(tmp_path: Path, value: Any, line: str) -> None:
    path = tmp_path / "out.txt"
    task = FileStreamSinkTask()
    task.start({"file": str(path)})
    task.put([_sink_record(value)])
    task.flush({})
    assert path.read_text(encoding="utf-8") == line + os.linesep
    task.stop()


def test_sink_appends_and_flushes(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("existing\n")
    task = FileStreamSinkTask()
    task.start({"file": str(path), "topics": "t"})
    task.put([_sink_record(f"v{i}", i) for i in range(3)])
    task.put([])
    task.flush({})
    assert path.read_text() == "existing\nv0\nv1\nv2\n"
    task.put([_sink_record("ünïcode €")])
    task.stop()  # stop closes and therefore writes out
    assert path.read_bytes() == "existing\nv0\nv1\nv2\nünïcode €\n".encode()


def test_sink_writes_stdout_when_no_file(capsys: pytest.CaptureFixture[str]) -> None:
    task = FileStreamSinkTask()
    task.start({})
    task.put([_sink_record({"k": 1}), _sink_record(None)])
    task.flush({})
    task.stop()
    assert capsys.readouterr().out == "{k=1}\nnull\n"


def test_sink_to_given_streams() -> None:
    text = io.StringIO()
    task = FileStreamSinkTask(text)
    task.start({})
    task.put([_sink_record("a")])
    task.stop()
    assert text.getvalue() == "a\n"
    binary = io.BytesIO()
    task = FileStreamSinkTask(binary)
    task.start({"file": "ignored-when-a-stream-is-given"})
    task.put([_sink_record("b")])
    task.flush({})
    assert binary.getvalue() == b"b\n"


def test_sink_unwritable_file(tmp_path: Path) -> None:
    target = tmp_path / "a-directory"
    target.mkdir()
    task = FileStreamSinkTask()
    with pytest.raises(ConnectError, match=_exactly(f"Couldn't find or create file '{target}' for FileStreamSinkTask")):
        task.start({"file": str(target)})


def test_sink_connector_basics() -> None:
    c = FileStreamSinkConnector()
    assert FileStreamSinkConnector.class_name == "org.apache.kafka.connect.file.FileStreamSinkConnector"
    assert "FileStreamSink" in FileStreamSinkConnector.aliases
    assert c.version() == "4.3.1"
    assert FileStreamSinkTask.version() == "4.3.1"
    assert c.task_class() is FileStreamSinkTask
    assert c.config_def().names() == ["file"]
    props = {"name": "sink", "file": "/tmp/out", "topics": "a,b"}
    c.start(props)
    configs = c.task_configs(3)
    assert configs == [props, props, props]
    configs[0]["file"] = "changed"
    assert configs[1]["file"] == "/tmp/out"  # independent copies
    assert c.alter_offsets(props, {}) is True
    assert c.validate({})["file"].errors == []
    c.stop()
