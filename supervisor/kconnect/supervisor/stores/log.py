"""The append-only log the stores are written against (Apache's KafkaBasedLog, reduced to its contract).

A log replays every record of its topic, in order per partition, into the ``consume`` callback given at
construction: first from the beginning up to the end when :meth:`AppendLog.start` returns, then
whatever :meth:`AppendLog.poll` or :meth:`AppendLog.read_to_end` finds. Writes are queued by
:meth:`AppendLog.send` and acknowledged by :meth:`AppendLog.flush`, which raises :class:`StoreError`
if any record since the last flush was not written, or completed in the background by
:meth:`AppendLog.serve_writes`, which never waits and returns the failures.
No threads: the owning process drives the log.

Two implementations: :class:`kconnect.supervisor.stores.kafka_log.KafkaLog` (a real topic) and
:class:`MemoryLog` (an in-process twin for unit tests; several logs may share one :class:`MemoryTopic`,
like several workers sharing a topic).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["AppendLog", "LogRecord", "MemoryLog", "MemoryTopic", "StoreError"]


class StoreError(RuntimeError):
    """A write was not acknowledged, or the log could not be read to its end in time."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = 0


Consume = Callable[[LogRecord], None]


class AppendLog(Protocol):
    topic: str
    while_waiting: Callable[[], None] | None  # run repeatedly while a flush or read_to_end waits

    def start(self, timeout: float = 30.0) -> None: ...
    def stop(self) -> None: ...
    def partition_count(self) -> int: ...
    def send(self, key: bytes, value: bytes | None) -> None: ...
    def flush(self, timeout: float = 30.0) -> None: ...
    def serve_writes(self) -> list[str]: ...
    def read_to_end(self, timeout: float = 30.0) -> None: ...
    def poll(self, timeout: float = 0.0) -> int: ...


def _java_murmur2(data: bytes) -> int:
    """Kafka's murmur2 (``Utils.murmur2``), so keyed records land where Java's default partitioner puts them."""
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = length % 4
    base = length - tail
    if tail == 3:
        h ^= data[base + 2] << 16
    if tail >= 2:
        h ^= data[base + 1] << 8
    if tail >= 1:
        h ^= data[base]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def java_partition(key: bytes, partitions: int) -> int:
    """The partition Java's default partitioner picks for a keyed record (``toPositive(murmur2) % n``)."""
    return (_java_murmur2(key) & 0x7FFFFFFF) % partitions


@dataclass
class MemoryTopic:
    """A topic held in memory: per-partition lists of records."""

    name: str
    partitions: int = 1
    records: list[list[LogRecord]] = field(default_factory=list)
    clock: int = 0

    def __post_init__(self) -> None:
        if not self.records:
            self.records = [[] for _ in range(self.partitions)]

    def append(self, key: bytes, value: bytes | None) -> LogRecord:
        p = java_partition(key, self.partitions)
        self.clock += 1
        rec = LogRecord(p, len(self.records[p]), key, value, self.clock)
        self.records[p].append(rec)
        return rec


class MemoryLog:
    """:class:`AppendLog` over a :class:`MemoryTopic`; writes are visible to readers once flushed."""

    def __init__(self, topic: MemoryTopic, consume: Consume) -> None:
        self.topic = topic.name
        self._topic = topic
        self._consume = consume
        self._positions = [0] * topic.partitions
        self._pending: list[tuple[bytes, bytes | None]] = []
        self.fail_next_flush: str | None = None  # tests: make the next flush fail with this reason
        self.while_waiting: Callable[[], None] | None = None  # never called: nothing here waits

    def start(self, timeout: float = 30.0) -> None:
        self.read_to_end(timeout)

    def stop(self) -> None:
        self._pending.clear()

    def partition_count(self) -> int:
        return self._topic.partitions

    def send(self, key: bytes, value: bytes | None) -> None:
        self._pending.append((key, value))

    def flush(self, timeout: float = 30.0) -> None:
        pending, self._pending = self._pending, []
        if self.fail_next_flush is not None:
            reason, self.fail_next_flush = self.fail_next_flush, None
            raise StoreError(f"Failed to write {len(pending)} record(s) to {self.topic}: {reason}")
        for key, value in pending:
            self._topic.append(key, value)

    def serve_writes(self) -> list[str]:
        """Complete what can be completed without waiting; the failures since the last call."""
        try:
            self.flush(0.0)
        except StoreError as e:
            return [str(e)]
        return []

    def read_to_end(self, timeout: float = 30.0) -> None:
        self.poll()

    def poll(self, timeout: float = 0.0) -> int:
        n = 0
        for p, records in enumerate(self._topic.records):
            while self._positions[p] < len(records):
                rec = records[self._positions[p]]
                self._positions[p] += 1
                self._consume(rec)
                n += 1
        return n
