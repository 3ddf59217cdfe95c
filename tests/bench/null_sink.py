"""NullSink: a sink connector whose task drops every record (for benchmarks: framework overhead only).

``put()`` only counts. When the count reaches ``expected.records`` the task writes
``{"first_ts": ..., "last_ts": ..., "count": ...}`` (``time.time()`` at the first and at the last
record seen) to ``stats.file``, atomically (write a temp file, then rename), so a poller never
reads a half-written file.

Not an entry point: the worker finds it by its dotted path
``connector.class=tests.bench.null_sink.NullSinkConnector``, which needs the repository root on
``PYTHONPATH`` of the worker (the supervisor passes its environment to task processes).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence

from kconnect.api.config import ConfigDef, ConfigKey, ConfigType, Importance
from kconnect.api.connector import SinkConnector
from kconnect.api.records import SinkRecord
from kconnect.api.task import SinkTask

EXPECTED_CONFIG = "expected.records"
STATS_FILE_CONFIG = "stats.file"

CONFIG_DEF = ConfigDef(
    [
        ConfigKey(
            name=EXPECTED_CONFIG,
            type=ConfigType.LONG,
            default=0,
            importance=Importance.HIGH,
            documentation="Write the stats file when this many records have been seen (0: never)",
        ),
        ConfigKey(
            name=STATS_FILE_CONFIG,
            type=ConfigType.STRING,
            default=None,
            importance=Importance.HIGH,
            documentation="Where to write the JSON stats",
        ),
    ]
)


class NullSinkConnector(SinkConnector):
    def __init__(self) -> None:
        super().__init__()
        self._props: dict[str, str] = {}

    @classmethod
    def config_def(cls) -> ConfigDef:
        return CONFIG_DEF

    def start(self, props: Mapping[str, str]) -> None:
        self._props = dict(props)

    @classmethod
    def task_class(cls) -> type[NullSinkTask]:
        return NullSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props) for _ in range(max_tasks)]

    def stop(self) -> None:
        return None


class NullSinkTask(SinkTask):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.expected = 0
        self.stats_file: str | None = None
        self.first_ts = 0.0
        self.first_batch = 0
        self.written = False

    def start(self, props: Mapping[str, str]) -> None:
        values = CONFIG_DEF.parse(props)
        self.expected = int(values[EXPECTED_CONFIG] or 0)
        self.stats_file = values[STATS_FILE_CONFIG] or None

    def put(self, records: Sequence[SinkRecord]) -> None:
        n = len(records)
        if not n:
            return
        if not self.count:
            self.first_ts = time.time()
            self.first_batch = n
        self.count += n
        if not self.written and self.expected and self.count >= self.expected:
            self._write(time.time())

    def _write(self, last_ts: float) -> None:
        self.written = True
        if self.stats_file is None:
            return
        tmp = self.stats_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(
                {"first_ts": self.first_ts, "first_batch": self.first_batch, "last_ts": last_ts, "count": self.count}, f
            )
        os.replace(tmp, self.stats_file)

    def stop(self) -> None:
        return None
