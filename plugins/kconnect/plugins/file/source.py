"""FileStreamSourceConnector: every line of a file (or stdin) becomes one record of a topic.

Behaviour follows Apache's ``org.apache.kafka.connect.file.FileStreamSourceConnector``/``Task``:
one task only; lines end at ``\\n``, ``\\r\\n`` or ``\\r`` and a line is emitted only once its
terminator has been read (a trailing ``\\r`` waits for the next byte to rule out ``\\r\\n``); the
source partition is ``{"filename": <file>}`` and the offset ``{"position": <byte after the line>}``.

One deliberate fix: Apache skips the stored number of *bytes* on restart but counts *UTF-16
chars* while reading, so non-ASCII input makes it resume in the wrong place. We count bytes in
both directions, so a restart resumes exactly after the last committed line.
"""

from __future__ import annotations

import logging
import os
import re
import select
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any, BinaryIO

from kconnect.api.config import ConfigDef, ConfigKey, ConfigType, Importance, NonEmptyString
from kconnect.api.connector import ExactlyOnceSupport, SourceConnector
from kconnect.api.data import STRING_SCHEMA
from kconnect.api.errors import ConnectError
from kconnect.api.records import SourceRecord
from kconnect.api.task import SourceTask

log = logging.getLogger(__name__)

#: The Kafka version Apache's connectors report (``AppInfoParser.getVersion()``).
KAFKA_VERSION = "4.3.1"

TOPIC_CONFIG = "topic"
FILE_CONFIG = "file"
TASK_BATCH_SIZE_CONFIG = "batch.size"
DEFAULT_TASK_BATCH_SIZE = 2000

FILENAME_FIELD = "filename"
POSITION_FIELD = "position"

#: Bytes asked of the OS per read; lines are cut out of these chunks.
READ_SIZE = 256 * 1024
#: How long ``poll`` waits when there is nothing new. Apache sleeps 1 s; we wait 100 ms (on an
#: Event that ``stop`` sets, so there is neither a busy loop nor a slow shutdown).
POLL_WAIT_SECONDS = 0.1

_EOL = re.compile(rb"\r\n|\r|\n")
_CR = 0x0D

CONFIG_DEF = ConfigDef(
    [
        ConfigKey(
            name=FILE_CONFIG,
            type=ConfigType.STRING,
            default=None,
            importance=Importance.HIGH,
            documentation="Source filename. If not specified, the standard input will be used",
        ),
        ConfigKey(
            name=TOPIC_CONFIG,
            type=ConfigType.STRING,
            validator=NonEmptyString(),
            importance=Importance.HIGH,
            documentation="The topic to publish data to",
        ),
        ConfigKey(
            name=TASK_BATCH_SIZE_CONFIG,
            type=ConfigType.INT,
            default=DEFAULT_TASK_BATCH_SIZE,
            importance=Importance.LOW,
            documentation="The maximum number of records the source task can read from the file each time it is polled",
        ),
    ]
)


class FileStreamSourceConnector(SourceConnector):
    """Very simple source connector that works with stdin or a file."""

    class_name = "org.apache.kafka.connect.file.FileStreamSourceConnector"
    aliases = ("FileStreamSource",)

    def __init__(self) -> None:
        super().__init__()
        self._props: dict[str, str] = {}

    @classmethod
    def version(cls) -> str:
        return KAFKA_VERSION

    @classmethod
    def config_def(cls) -> ConfigDef:
        return CONFIG_DEF

    def start(self, props: Mapping[str, str]) -> None:
        self._props = dict(props)
        filename = CONFIG_DEF.parse(props)[FILE_CONFIG]
        log.info("Starting file source connector reading from %s", filename or "standard input")

    @classmethod
    def task_class(cls) -> type[FileStreamSourceTask]:
        return FileStreamSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        # Only one input stream makes sense.
        return [dict(self._props)] if max_tasks > 0 else []

    def stop(self) -> None:
        # Nothing to do: there is no background monitoring.
        return None

    def exactly_once_support(self, connector_config: Mapping[str, str]) -> ExactlyOnceSupport | None:
        # A real file (only ever appended to) can be re-read from an exact offset; stdin tracks none.
        filename = CONFIG_DEF.parse(connector_config)[FILE_CONFIG]
        return ExactlyOnceSupport.SUPPORTED if filename else ExactlyOnceSupport.UNSUPPORTED

    def alter_offsets(self, connector_config: Mapping[str, str], offsets: Mapping[Any, Any]) -> bool:
        filename = CONFIG_DEF.parse(connector_config)[FILE_CONFIG]
        if not filename:
            raise ConnectError(
                f"Offsets cannot be modified if the '{FILE_CONFIG}' configuration is unspecified. "
                "This is because stdin is used for input and offsets are not tracked."
            )
        # One partition per file; partitions of earlier configurations (other files) may be altered too.
        for partition, offset in offsets.items():
            if offset is None:
                continue  # tombstones are always allowed, so stale offsets can be cleaned up
            offset_map = _as_mapping(offset)
            if offset_map is None or POSITION_FIELD not in offset_map:
                raise ConnectError(f"Offset objects should either be null or contain the key '{POSITION_FIELD}'")
            position = offset_map[POSITION_FIELD]
            if not isinstance(position, int) or isinstance(position, bool):
                raise ConnectError(
                    f"The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                )
            if position < 0:
                raise ConnectError(
                    f"The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                )
            if partition is None:
                raise ConnectError("Partition objects cannot be null")
            partition_map = _as_mapping(partition)
            if partition_map is None or FILENAME_FIELD not in partition_map:
                raise ConnectError(f"Partition objects should contain the key '{FILENAME_FIELD}'")
        # Whether the position fits the file is checked by the task when it starts.
        return True


def _as_mapping(obj: Any) -> Mapping[Any, Any] | None:
    """Offsets and partitions arrive as dicts, or frozen as tuples/frozensets of pairs when used as keys."""
    if isinstance(obj, Mapping):
        return obj
    if isinstance(obj, tuple | frozenset | list):
        try:
            return dict(obj)
        except (TypeError, ValueError):
            return None
    return None


class FileStreamSourceTask(SourceTask):
    """Reads lines from a file (resuming at the stored offset) or from stdin."""

    class_name = "org.apache.kafka.connect.file.FileStreamSourceTask"

    def __init__(self, read_size: int = READ_SIZE, poll_wait_seconds: float = POLL_WAIT_SECONDS) -> None:
        super().__init__()
        self._read_size = read_size
        self._poll_wait = poll_wait_seconds
        self._filename: str | None = None
        self._topic = ""
        self._batch_size = DEFAULT_TASK_BATCH_SIZE
        self._file: BinaryIO | None = None
        self._stdin_fd: int | None = None
        self._stdin_eof = False
        self._buf = bytearray()
        #: Bytes of ``_buf`` already known to hold no line terminator.
        self._scanned = 0
        #: File offset of ``_buf[0]``; None for stdin (offsets are not tracked).
        self._position: int | None = None
        self._partition: dict[str, Any] = {FILENAME_FIELD: None}
        self._stopped = threading.Event()
        self._warned_missing = False

    @classmethod
    def version(cls) -> str:
        return KAFKA_VERSION

    def start(self, props: Mapping[str, str]) -> None:
        values = CONFIG_DEF.parse(props)
        self._filename = values[FILE_CONFIG] or None
        self._topic = values[TOPIC_CONFIG]
        self._batch_size = max(1, int(values[TASK_BATCH_SIZE_CONFIG]))
        self._partition = {FILENAME_FIELD: self._filename}
        self._buf = bytearray()
        self._scanned = 0
        self._stdin_fd = None
        self._stdin_eof = False
        self._stopped.clear()
        if self._filename is None:
            self._position = None
            try:
                self._stdin_fd = sys.stdin.fileno()
            except (AttributeError, OSError, ValueError):
                log.warning("Standard input is not readable; FileStreamSourceTask will produce nothing")

    def stop(self) -> None:
        self._stopped.set()
        f, self._file = self._file, None
        if f is not None:
            try:
                f.close()
            except OSError:
                log.exception("Failed to close FileStreamSourceTask stream")

    def poll(self) -> list[SourceRecord] | None:
        if self._stopped.is_set():
            return None
        if self._filename is not None and self._file is None and not self._open():
            self._stopped.wait(self._poll_wait)
            return None
        records: list[SourceRecord] = []
        got_bytes = False
        try:
            while True:
                self._extract(records)
                if len(records) >= self._batch_size:
                    break
                chunk = self._read()
                if not chunk:
                    break
                got_bytes = True
                self._buf += chunk
        except (OSError, ValueError) as e:
            if self._stopped.is_set():  # the stream was closed by stop(): not an error
                return None
            raise ConnectError(f"Error while reading {self._log_name()}: {e}") from e
        if not records and not got_bytes:
            self._stopped.wait(self._poll_wait)
        return records or None

    # --- internals ---------------------------------------------------------------------------
    def _log_name(self) -> str:
        return self._filename if self._filename is not None else "stdin"

    def _open(self) -> bool:
        assert self._filename is not None
        try:
            f: BinaryIO = open(self._filename, "rb", buffering=0)  # noqa: SIM115 - closed by stop()
        except FileNotFoundError:
            if not self._warned_missing:
                log.warning(
                    "Couldn't find file %s for FileStreamSourceTask, sleeping to wait for it to be created",
                    self._filename,
                )
                self._warned_missing = True
            return False
        except OSError as e:
            log.exception("Error while trying to open file %s", self._filename)
            raise ConnectError(f"Error while trying to open file {self._filename}: {e}") from e
        try:
            position = self._stored_position()
            if position:
                log.debug("Found previous offset, trying to skip to file offset %d", position)
                f.seek(position)
        except BaseException:
            f.close()
            raise
        self._file = f
        self._position = position
        self._buf = bytearray()
        self._scanned = 0
        log.debug("Opened %s for reading", self._filename)
        return True

    def _stored_position(self) -> int:
        if self.context is None:
            return 0
        offset = self.context.offset_storage_reader().offset({FILENAME_FIELD: self._filename})
        if offset is None:
            return 0
        position = offset.get(POSITION_FIELD)
        if position is None:
            return 0
        if not isinstance(position, int) or isinstance(position, bool):
            raise ConnectError("Offset position is the incorrect type")
        if position < 0:
            log.warning("Ignoring negative stored offset %d for %s; reading from the start", position, self._filename)
            return 0
        return position

    def _read(self) -> bytes:
        if self._file is not None:
            return self._file.read(self._read_size) or b""
        if self._stdin_fd is None or self._stdin_eof:
            return b""
        ready, _, _ = select.select([self._stdin_fd], [], [], 0)
        if not ready:
            return b""
        data = os.read(self._stdin_fd, self._read_size)
        if not data:
            self._stdin_eof = True
        return data

    def _extract(self, records: list[SourceRecord]) -> None:
        """Move complete lines from the buffer into ``records`` (up to the batch size)."""
        buf = self._buf
        size = len(buf)
        if self._scanned >= size:
            return
        room = self._batch_size - len(records)
        lines: list[bytearray] = []
        ends: list[int] = []  # buffer index just after each line's terminator
        if buf.find(b"\r", self._scanned) < 0:
            # Fast path, the common case: only \n terminators (what was scanned before holds none).
            last = buf.rfind(b"\n")
            if last >= self._scanned:
                lines = buf[:last].split(b"\n")[:room]
                end = 0
                for line in lines:
                    end += len(line) + 1
                    ends.append(end)
        else:
            start = 0
            for m in _EOL.finditer(buf, self._scanned):
                end = m.end()
                if end == size and buf[end - 1] == _CR:
                    break  # a lone trailing \r: the next byte tells whether it is \r\n
                lines.append(buf[start : m.start()])
                ends.append(end)
                start = end
                if len(lines) >= room:
                    break
        if lines:
            topic, partition, base = self._topic, self._partition, self._position
            timestamp = time.time_ns() // 1_000_000
            append = records.append
            for line, end in zip(lines, ends, strict=True):
                append(
                    SourceRecord(
                        topic=topic,
                        value_schema=STRING_SCHEMA,
                        value=line.decode("utf-8", "replace"),
                        timestamp=timestamp,
                        source_partition=partition,
                        source_offset={POSITION_FIELD: None if base is None else base + end},
                    )
                )
            consumed = ends[-1]
            del buf[:consumed]
            if base is not None:
                self._position = base + consumed
        if len(lines) >= room:
            self._scanned = 0  # the batch is full: what is left has not been looked at
        else:  # no terminator in what is left, except maybe a trailing \r
            left = len(buf)
            self._scanned = left - 1 if left and buf[left - 1] == _CR else left
