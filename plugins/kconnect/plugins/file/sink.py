"""FileStreamSinkConnector: every record value becomes one line of a file (or stdout).

Follows Apache's ``org.apache.kafka.connect.file.FileStreamSinkConnector``/``Task``: the file is
opened in create+append mode, each value is written as Java's ``String.valueOf(value)`` followed by
the platform line separator (``PrintStream.println``), and ``flush`` pushes the stream out. We also
``fsync`` a real file on flush, so the offsets committed after it never get ahead of the data.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import BinaryIO, TextIO, cast

from kconnect.api.config import ConfigDef, ConfigKey, ConfigType, Importance
from kconnect.api.connector import SinkConnector
from kconnect.api.data import java_to_string
from kconnect.api.errors import ConnectError
from kconnect.api.records import SinkRecord, TopicPartition
from kconnect.api.task import SinkTask
from kconnect.plugins.file.source import KAFKA_VERSION

log = logging.getLogger(__name__)

FILE_CONFIG = "file"
#: Write buffer of the output file; ``flush`` empties it.
WRITE_BUFFER_SIZE = 256 * 1024

CONFIG_DEF = ConfigDef(
    [
        ConfigKey(
            name=FILE_CONFIG,
            type=ConfigType.STRING,
            default=None,
            importance=Importance.HIGH,
            documentation="Destination filename. If not specified, the standard output will be used",
        ),
    ]
)


class FileStreamSinkConnector(SinkConnector):
    """Very simple sink connector that works with stdout or a file."""

    class_name = "org.apache.kafka.connect.file.FileStreamSinkConnector"
    aliases = ("FileStreamSink",)

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
        log.info("Starting file sink connector writing to %s", filename or "standard output")

    @classmethod
    def task_class(cls) -> type[FileStreamSinkTask]:
        return FileStreamSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props) for _ in range(max_tasks)]

    def stop(self) -> None:
        # Nothing to do: there is no background monitoring.
        return None

    def alter_offsets(self, connector_config: Mapping[str, str], offsets: Mapping[object, object]) -> bool:
        # The sink's offsets are plain consumer-group offsets: nothing to manage or validate here.
        return True


class FileStreamSinkTask(SinkTask):
    """Writes record values to a file or stdout, one per line."""

    class_name = "org.apache.kafka.connect.file.FileStreamSinkTask"

    def __init__(self, output: BinaryIO | TextIO | None = None) -> None:
        """``output`` replaces the file/stdout (for tests, like Apache's ``FileStreamSinkTask(PrintStream)``)."""
        super().__init__()
        self._filename: str | None = None
        self._given = output
        self._binary: BinaryIO | None = None
        self._text: TextIO | None = None
        self._owns_output = False

    @classmethod
    def version(cls) -> str:
        return KAFKA_VERSION

    def start(self, props: Mapping[str, str]) -> None:
        self._filename = CONFIG_DEF.parse(props)[FILE_CONFIG] or None
        self._binary = self._text = None
        self._owns_output = False
        if self._given is not None:
            self._set_output(self._given)
        elif self._filename is None:
            self._set_output(sys.stdout)
        else:
            try:
                self._binary = open(self._filename, "ab", buffering=WRITE_BUFFER_SIZE)  # noqa: SIM115 - closed by stop()
            except OSError as e:
                raise ConnectError(f"Couldn't find or create file '{self._filename}' for FileStreamSinkTask") from e
            self._owns_output = True

    def _set_output(self, output: BinaryIO | TextIO) -> None:
        if isinstance(output, io.TextIOBase):
            self._text = output
        else:
            self._binary = cast("BinaryIO", output)

    def put(self, records: Sequence[SinkRecord]) -> None:
        if not records:
            return
        sep = os.linesep
        text = "".join([java_to_string(r.value) + sep for r in records])
        if self._binary is not None:
            # Java's PrintStream encodes as UTF-8 and writes '?' for what cannot be encoded.
            self._binary.write(text.encode("utf-8", "replace"))
            # Java's PrintStream writes through; one flush per batch keeps the file current without
            # a syscall per line (fsync stays in flush(), at offset commit).
            self._binary.flush()
        elif self._text is not None:
            self._text.write(text)
            self._text.flush()
        else:
            raise ConnectError("FileStreamSinkTask was not started")

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        log.debug("Flushing output stream for %s", self._log_name())
        out = self._binary if self._binary is not None else self._text
        if out is None:
            return
        out.flush()
        if self._owns_output:
            os.fsync(out.fileno())

    def stop(self) -> None:
        out = self._binary if self._binary is not None else self._text
        if out is not None and self._owns_output:
            out.close()
        self._binary = self._text = None

    def _log_name(self) -> str:
        return self._filename if self._filename is not None else "stdout"
