"""Small connectors used by integration tests, loaded by task processes through their dotted path."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence

from kconnect.api import (
    ConfigData,
    ConfigDef,
    ConfigProvider,
    ConfigType,
    ConfigValue,
    SinkConnector,
    SinkRecord,
    SinkTask,
    TopicPartition,
)

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
