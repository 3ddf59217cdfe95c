"""Small connectors used by integration tests, loaded by task processes through their dotted path."""

from __future__ import annotations

import json
import logging
import os
import time
import zlib
from collections.abc import Mapping, Sequence

from kconnect.api import (
    ConfigData,
    ConfigDef,
    ConfigProvider,
    ConfigType,
    ConfigValue,
    DataError,
    Headers,
    RetriableError,
    SchemaBuilder,
    SinkConnector,
    SinkRecord,
    SinkTask,
    SourceConnector,
    SourceRecord,
    SourceTask,
    TopicPartition,
)
from kconnect.api.connector import ConnectorTransactionBoundaries, ExactlyOnceSupport
from kconnect.api.data import STRING_SCHEMA

logger = logging.getLogger(__name__)


class RecordingSinkConnector(SinkConnector):
    """Appends each value to ``record.file`` and partition open/close events to ``events.file``;
    the first ``put`` sleeps ``first.put.sleep.ms`` to stand for a slow external system."""

    class_name = "tests.support.plugins.RecordingSinkConnector"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return (
            ConfigDef()
            .define("record.file", ConfigType.STRING)
            .define("events.file", ConfigType.STRING)
            .define("first.put.sleep.ms", ConfigType.LONG, 0)
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    @classmethod
    def task_class(cls) -> type[SinkTask]:
        return RecordingSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props) for _ in range(max_tasks)]

    def stop(self) -> None:
        pass


class RecordingSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.records = open(props["record.file"], "a", encoding="utf-8")  # noqa: SIM115
        self.events = open(props["events.file"], "a", encoding="utf-8")  # noqa: SIM115
        self.sleep_s = int(props.get("first.put.sleep.ms", "0")) / 1000.0

    def _event(self, kind: str, partitions: Sequence[TopicPartition]) -> None:
        self.events.write(
            json.dumps({"event": kind, "partitions": [[p.topic, p.partition] for p in partitions], "t": time.time()})
            + "\n"
        )
        self.events.flush()

    def open(self, partitions: Sequence[TopicPartition]) -> None:
        self._event("open", partitions)

    def close(self, partitions: Sequence[TopicPartition]) -> None:
        self._event("close", partitions)

    def put(self, records: Sequence[SinkRecord]) -> None:
        if records and self.sleep_s:
            self._event("slow-put-begin", [])
            time.sleep(self.sleep_s)
            self.sleep_s = 0
            self._event("slow-put-end", [])
        if records:
            logger.debug("put %d records", len(records))
        for r in records:
            self.records.write(f"{r.value}\n")

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        self.records.flush()

    def stop(self) -> None:
        self.records.close()
        self.events.close()


class HangingValidateConnector(RecordingSinkConnector):
    """validate() blocks for ``hang.ms``: connector code the REST plane must never wait on."""

    class_name = "tests.support.plugins.HangingValidateConnector"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return RecordingSinkConnector.config_def().define("hang.ms", ConfigType.LONG, 0)

    def validate(self, configs: Mapping[str, str]) -> dict[str, ConfigValue]:
        time.sleep(int(configs.get("hang.ms", "0")) / 1000.0)
        return super().validate(configs)


class LimitProbeSourceConnector(SourceConnector):
    """A source for the per-task limit tests; its ``mode`` decides what each task does:

    * ``count``: ``batch`` records per poll (``<task>-<n>``), a well-behaved neighbour;
    * ``hog``: one record, then a ``bytearray(hog.bytes)`` held for good (the zero-fill is C code,
      so only the kernel or the supervisor can stop it, never Python);
    * ``spin``: compresses random data with zlib (C code) without pause, one record per poll.
    """

    class_name = "tests.support.plugins.LimitProbeSourceConnector"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return (
            ConfigDef()
            .define("topic", ConfigType.STRING)
            .define("mode", ConfigType.STRING, "count")
            .define("hog.bytes", ConfigType.LONG, 0)
            .define("batch", ConfigType.INT, 10)
            .define("poll.sleep.ms", ConfigType.LONG, 100)
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    @classmethod
    def task_class(cls) -> type[SourceTask]:
        return LimitProbeSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.props, "task.index": str(i)} for i in range(max_tasks)]

    def stop(self) -> None:
        pass


class LimitProbeSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.topic = props["topic"]
        self.mode = props.get("mode", "count")
        self.hog_bytes = int(props.get("hog.bytes", "0"))
        self.batch = int(props.get("batch", "10"))
        self.sleep_s = int(props.get("poll.sleep.ms", "100")) / 1000.0
        self.index = props.get("task.index", "0")
        self.seq = 0
        self.hoard: list[bytearray] = []
        self.noise = os.urandom(1 << 20)

    def _records(self, values: list[str]) -> list[SourceRecord]:
        out = []
        for value in values:
            self.seq += 1
            out.append(
                SourceRecord(
                    topic=self.topic,
                    value_schema=STRING_SCHEMA,
                    value=value,
                    source_partition={"task": self.index},
                    source_offset={"seq": self.seq},
                )
            )
        return out

    def poll(self) -> list[SourceRecord] | None:
        if self.mode == "hog":
            if self.seq == 0:
                return self._records([f"hog-{self.index}-started"])
            if not self.hoard:
                logger.info("allocating %d bytes in C", self.hog_bytes)
                self.hoard.append(bytearray(self.hog_bytes))  # zero-filled by memset, inside C
                logger.info("still alive after allocating %d bytes", self.hog_bytes)
            time.sleep(self.sleep_s)
            return None
        if self.mode == "spin":
            deadline = time.monotonic() + 0.2
            while time.monotonic() < deadline:
                zlib.compress(self.noise, 6)
            return self._records([f"spin-{self.index}-{self.seq}"])
        time.sleep(self.sleep_s)
        return self._records([f"{self.index}-{self.seq + i}" for i in range(self.batch)])

    def stop(self) -> None:
        self.hoard.clear()


class TtlFileConfigProvider(ConfigProvider):
    """A third-party-style config provider (no entry point: used through its dotted class path).

    Like FileConfigProvider, it reads a Java properties file, and it reports the file's own ``ttl.ms``
    entry, when there is one, as the TTL of what it returns — so a test can make values expire, then
    stop them expiring by rewriting the file.
    """

    def configure(self, configs: Mapping[str, str]) -> None:
        self.configs = dict(configs)

    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        from kconnect.workers.worker_config import load_properties

        props = load_properties(path)
        data = props if keys is None else {k: v for k, v in props.items() if k in keys}
        ttl = props.get("ttl.ms")
        return ConfigData(data, int(ttl) if ttl is not None else None)


class RejectingSinkConnector(RecordingSinkConnector):
    """A RecordingSink that hands records whose (map) value has ``"reject": true`` to the errant-record
    reporter instead of writing them, as a sink rejecting bad data would."""

    class_name = "tests.support.plugins.RejectingSinkConnector"

    @classmethod
    def task_class(cls) -> type[SinkTask]:
        return RejectingSinkTask


class RejectingSinkTask(RecordingSinkTask):
    """``retriable.puts``: the first N non-empty batches are refused with a RetriableError (redelivered)."""

    def start(self, props: Mapping[str, str]) -> None:
        super().start(props)
        self.retriable_puts = int(props.get("retriable.puts", "0"))

    def put(self, records: Sequence[SinkRecord]) -> None:
        assert self.context is not None
        if records and self.retriable_puts > 0:
            self.retriable_puts -= 1
            self.context.timeout(100)
            self._event("retriable-put", [])
            raise RetriableError("not now")
        reporter = self.context.errant_record_reporter()
        for r in records:
            if isinstance(r.value, dict) and r.value.get("reject"):
                if reporter is None:
                    raise DataError("rejected record and no errant record reporter")
                reporter.report(r, DataError(f"rejected by the sink at offset {r.kafka_offset}"))
            else:
                self.records.write(json.dumps(r.value, sort_keys=True) + "\n")


class ScriptedSourceConnector(SourceConnector):
    """Emits the records described by the JSON lines of ``script.file`` once, then idles.

    Each line: ``value`` (any JSON), optional ``key``, ``headers`` (name -> string), ``partition``
    (Kafka partition) and ``int32`` (true: declare an INT32 value schema whatever the value is).
    Source partition ``{"script": <file>}``, offset ``{"line": <n>}``.
    """

    class_name = "tests.support.plugins.ScriptedSourceConnector"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return (
            ConfigDef()
            .define("script.file", ConfigType.STRING)
            .define("topic", ConfigType.STRING)
            .define("retriable.polls", ConfigType.INT, 0)
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    @classmethod
    def task_class(cls) -> type[SourceTask]:
        return ScriptedSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def stop(self) -> None:
        pass


class ScriptedSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.file = props["script.file"]
        self.topic = props["topic"]
        self.retriable_polls = int(props.get("retriable.polls", "0"))  # the first N polls raise RetriableError
        assert self.context is not None
        stored = self.context.offset_storage_reader().offset({"script": self.file})
        self.next_line = int(stored["line"]) + 1 if stored else 0
        with open(self.file, encoding="utf-8") as f:
            self.lines = [json.loads(line) for line in f if line.strip()]

    def poll(self) -> list[SourceRecord] | None:
        if self.retriable_polls > 0:
            self.retriable_polls -= 1
            raise RetriableError("source not ready")
        if self.next_line >= len(self.lines):
            time.sleep(0.1)
            return None
        out = []
        int32 = SchemaBuilder.int32().build()
        for n in range(self.next_line, len(self.lines)):
            spec = self.lines[n]
            headers = Headers()
            for hk, hv in (spec.get("headers") or {}).items():
                headers.add(hk, hv)
            out.append(
                SourceRecord(
                    topic=self.topic,
                    kafka_partition=spec.get("partition"),
                    key=spec.get("key"),
                    value_schema=int32 if spec.get("int32") else None,
                    value=spec.get("value"),
                    headers=headers,
                    source_partition={"script": self.file},
                    source_offset={"line": n},
                )
            )
        self.next_line = len(self.lines)
        return out

    def stop(self) -> None:
        pass


SEQUENCE_PARTITION = {"source": "sequence"}


class SequenceSourceConnector(SourceConnector):
    """Sequence numbers ``0 .. count-1`` (one task), ``batch`` per poll, with connector-defined transactions.

    Every ``group``-th record ends a transaction through the task's TransactionContext: committed,
    except each ``abort.every``-th group, which the task aborts (its records must never be read
    committed, but its offsets still move on). The offset is ``{"n": <last number>}``.
    """

    class_name = "tests.support.plugins.SequenceSourceConnector"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return (
            ConfigDef()
            .define("topic", ConfigType.STRING)
            .define("count", ConfigType.LONG, 1000)
            .define("batch", ConfigType.INT, 7)
            .define("group", ConfigType.INT, 10)
            .define("abort.every", ConfigType.INT, 5)
            .define("poll.sleep.ms", ConfigType.LONG, 5)
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    @classmethod
    def task_class(cls) -> type[SourceTask]:
        return SequenceSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def stop(self) -> None:
        pass

    def exactly_once_support(self, connector_config: Mapping[str, str]) -> ExactlyOnceSupport | None:
        return ExactlyOnceSupport.SUPPORTED

    def can_define_transaction_boundaries(self, connector_config: Mapping[str, str]) -> ConnectorTransactionBoundaries:
        return ConnectorTransactionBoundaries.SUPPORTED


class SequenceSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.topic = props["topic"]
        self.count = int(props.get("count", "1000"))
        self.batch = int(props.get("batch", "7"))
        self.group = int(props.get("group", "10"))
        self.abort_every = int(props.get("abort.every", "5"))
        self.sleep_s = int(props.get("poll.sleep.ms", "5")) / 1000.0
        assert self.context is not None
        stored = self.context.offset_storage_reader().offset(SEQUENCE_PARTITION)
        self.next = int(stored["n"]) + 1 if stored else 0
        self.transactions = self.context.transaction_context()

    def poll(self) -> list[SourceRecord] | None:
        time.sleep(self.sleep_s)
        if self.next >= self.count:
            return None
        out = []
        for n in range(self.next, min(self.count, self.next + self.batch)):
            record = SourceRecord(
                topic=self.topic,
                value_schema=STRING_SCHEMA,
                value=str(n),
                source_partition=SEQUENCE_PARTITION,
                source_offset={"n": n},
            )
            if self.transactions is not None and (n + 1) % self.group == 0:
                if (n // self.group) % self.abort_every == self.abort_every - 1:
                    self.transactions.abort_transaction(record)
                else:
                    self.transactions.commit_transaction(record)
            out.append(record)
        self.next += len(out)
        return out

    def stop(self) -> None:
        pass


class WitnessSourceConnector(SourceConnector):
    """The overlap witness of the distributed scenarios (issue #4).

    Every process of a unit (the connector instance and each task) appends its own lifetime to
    ``witness.dir/<connector>.<task>.<pid>.jsonl``, flushed line by line: ``start`` when it begins,
    ``sigterm`` when the supervisor asks it to stop, ``stop`` from stop(), ``exit`` at interpreter exit.
    A process killed by a signal writes no ``exit`` line; the checker (tests/support/witness.py) then
    takes the death time it observed from outside. Each task also writes one record every
    ``interval.ms`` to ``topic``: ``{"unit", "pid", "ppid", "seq", "t"}`` (``seq`` restarts per process).
    """

    class_name = "tests.support.plugins.WitnessSourceConnector"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return (
            ConfigDef()
            .define("topic", ConfigType.STRING)
            .define("witness.dir", ConfigType.STRING)
            .define("interval.ms", ConfigType.LONG, 50)
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)
        self.life = Lifetime(props["witness.dir"], props.get("name", "witness"), -1)

    @classmethod
    def task_class(cls) -> type[SourceTask]:
        return WitnessSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.props, "task.index": str(i)} for i in range(max_tasks)]

    def stop(self) -> None:
        self.life.write("stop")


class Lifetime:
    """Appends one process's lifetime events to its own file (see WitnessSourceConnector)."""

    def __init__(self, directory: str, connector: str, task: int) -> None:
        import atexit
        import signal

        self.unit = f"{connector}.{task}"
        self.file = open(os.path.join(directory, f"{self.unit}.{os.getpid()}.jsonl"), "a", encoding="utf-8")  # noqa: SIM115
        self.write("start")
        atexit.register(self.write, "exit")
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: object) -> None:
            self.write("sigterm")
            if callable(previous):
                previous(signum, frame)  # type: ignore[arg-type]

        signal.signal(signal.SIGTERM, on_sigterm)

    def write(self, event: str) -> None:
        if self.file.closed:
            return
        line = {"event": event, "unit": self.unit, "pid": os.getpid(), "ppid": os.getppid(), "t": time.time()}
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()


class WitnessSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.topic = props["topic"]
        self.index = int(props["task.index"])
        self.interval_s = int(props.get("interval.ms", "50")) / 1000.0
        self.life = Lifetime(props["witness.dir"], props.get("name", "witness"), self.index)
        self.seq = 0
        self.next_at = time.monotonic()

    def poll(self) -> list[SourceRecord] | None:
        time.sleep(max(0.0, self.next_at - time.monotonic()))
        self.next_at = max(self.next_at + self.interval_s, time.monotonic())
        self.seq += 1
        value = {"unit": self.life.unit, "pid": os.getpid(), "ppid": os.getppid(), "seq": self.seq, "t": time.time()}
        return [
            SourceRecord(
                topic=self.topic,
                value_schema=STRING_SCHEMA,
                value=json.dumps(value),
                source_partition={"unit": self.life.unit},
                source_offset={"seq": self.seq},
            )
        ]

    def stop(self) -> None:
        self.life.write("stop")


MULTI_KEY_PARTITION = {"db": "shop", "table": "orders", "shard": "7"}


class MultiKeySourceConnector(SourceConnector):
    """Numbers ``n`` up to ``count - 1`` from one source partition whose map has several keys.

    The task builds the partition map with its keys in ``partition.key.order`` (a comma list of
    ``db,table,shard``) and resumes after the stored offset ``{"n": <last number>}``: a worker whose
    offset lookups depend on key order restarts at 0 when the stored key has another order.
    """

    class_name = "tests.support.plugins.MultiKeySourceConnector"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return (
            ConfigDef()
            .define("topic", ConfigType.STRING)
            .define("count", ConfigType.LONG, 100)
            .define("partition.key.order", ConfigType.STRING, "db,table,shard")
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    @classmethod
    def task_class(cls) -> type[SourceTask]:
        return MultiKeySourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def stop(self) -> None:
        pass


class MultiKeySourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.topic = props["topic"]
        self.count = int(props.get("count", "100"))
        order = props.get("partition.key.order", "db,table,shard").split(",")
        self.partition = {key: MULTI_KEY_PARTITION[key] for key in order}
        assert self.context is not None
        stored = self.context.offset_storage_reader().offset(self.partition)
        self.next = int(stored["n"]) + 1 if stored else 0

    def poll(self) -> list[SourceRecord] | None:
        if self.next >= self.count:
            time.sleep(0.1)
            return None
        out = [
            SourceRecord(
                topic=self.topic,
                value_schema=STRING_SCHEMA,
                value=str(n),
                source_partition=self.partition,
                source_offset={"n": n},
            )
            for n in range(self.next, min(self.count, self.next + 10))
        ]
        self.next += len(out)
        return out

    def stop(self) -> None:
        pass
