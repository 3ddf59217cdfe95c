"""The coordination topic as the member core needs it: every record in order with its LogAppendTime,
and asynchronous appends whose delivery reports go back to the core.

Only the coordinator process creates these clients (never the supervisor).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination.referee import TimestampType

logger = logging.getLogger(__name__)

Delivered = Callable[[int, bool], None]


class CoordinationLogError(RuntimeError):
    pass


# Above this many retained records a bootstrap anchors on a CHECKPOINT even if the CLUSTER record is still
# at the log start (about 2 s of referee steps; a day of heartbeats from 3 workers is 260,000 records).
FULL_REPLAY_MAX_RECORDS = 20_000
DIVERGENCE = (KafkaError._LOG_TRUNCATION, KafkaError.OFFSET_OUT_OF_RANGE, KafkaError._AUTO_OFFSET_RESET)


class CoordinationLog:
    def __init__(self, topic: str, client_config: dict[str, Any], client_id: str, lease_ms: int) -> None:
        self.topic = topic
        self._consumer = Consumer(
            {
                **client_config,
                "client.id": client_id,
                "group.id": f"{client_id}-unused",  # assign() only: nothing is ever committed
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "enable.partition.eof": True,
                # Never skip silently: a position retention deleted is divergence, not a reason to jump ahead.
                "auto.offset.reset": "error",
                "fetch.wait.max.ms": 20,
                "fetch.error.backoff.ms": 50,
                # A fetch that gets no answer within half a lease is useless: time it out so a connection the
                # broker keeps muted (a fetch quota's throttle, which Kafka does not bound) or a half-open one
                # is replaced, and a worker that could not read rejoins soon after reading works again.
                "socket.timeout.ms": max(2000, lease_ms // 2),
            }
        )
        self._consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        self._producer_config = {
            **client_config,
            "client.id": client_id,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 0,
            # A record that could not be appended within a lease is useless (review: message.timeout = T).
            "message.timeout.ms": max(1000, lease_ms),
        }
        self._producer = Producer(self._producer_config)
        self._producer_fatal: str | None = None
        self.producers_replaced = 0
        self.position = 0  # offset of the next record to read
        self.at_end = False

    def poll(self, timeout: float) -> list[tuple[int, int, bytes]]:
        """Records read since the last call: (offset, LogAppendTime, value)."""
        out: list[tuple[int, int, bytes]] = []
        for msg in self._consumer.consume(num_messages=500, timeout=timeout):
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    self.at_end = True
                    self.position = max(self.position, msg.offset() or 0)
                    continue
                if err.code() in DIVERGENCE:
                    # Review erratum 14: records this worker applied were truncated, or the next one was
                    # deleted before it was read. The state is no longer the log's: the coordinator exits,
                    # the supervisor fences every unit and starts a new incarnation, which bootstraps anew.
                    raise CoordinationLogError(
                        f"The coordination topic {self.topic} diverged at offset {self.position}: {err}"
                    )
                logger.warning("Reading the coordination topic %s: %s", self.topic, err)
                continue
            ts_type, ts = msg.timestamp()
            if ts_type != TimestampType.LOG_APPEND_TIME:
                raise CoordinationLogError(
                    f"Record at offset {msg.offset()} of the coordination topic {self.topic} does not carry "
                    "LogAppendTime; the topic must have message.timestamp.type=LogAppendTime"
                )
            offset = msg.offset() or 0
            self.position = offset + 1
            self.at_end = False
            out.append((offset, ts, msg.value() or b""))
        return out

    def read_to_end(self, timeout: float) -> list[tuple[int, int, bytes]]:
        deadline = time.monotonic() + timeout
        _, high = self._consumer.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=timeout)
        out: list[tuple[int, int, bytes]] = []
        while self.position < high:
            if time.monotonic() >= deadline:
                raise CoordinationLogError(f"Timed out reading the coordination topic {self.topic} to its end")
            out += self.poll(0.1)
        return out

    def bounds(self, timeout: float) -> tuple[int, int]:
        """(log start, log end): the first retained offset and the offset the next record will get."""
        low, high = self._consumer.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=timeout)
        return int(low), int(high)

    def read_for_bootstrap(self, low: int, high: int, window_ms: int, timeout: float) -> list[tuple[int, int, bytes]]:
        """The records a bootstrap replays: all of them when the log is short and still starts with its
        CLUSTER record, else the shortest suffix (windows of broker time doubling back from the end) holding
        a CHECKPOINT whose state starts inside it. Replay is then bounded by the checkpoint interval, not by
        retention. The consumer is left positioned after the returned records."""
        if high <= low:
            return []
        if high - low <= FULL_REPLAY_MAX_RECORDS:
            first = self._read_from(low, low + 1, timeout)
            if first and _is_type(first[0][2], r.RecordType.CLUSTER):
                return first + self._read_from(low + 1, high, timeout, seek=False)
        # A longer log (up to a day of heartbeats) is anchored on a recent CHECKPOINT instead: replaying it
        # all would take minutes. The window search falls back to the log start if it holds none.
        last = self._read_from(high - 1, high, timeout)
        end_lat = last[-1][1] if last else 0
        window = max(1, window_ms) * 2
        while True:
            start = max(low, self._offset_at(end_lat - window, timeout, low))
            records = self._read_from(start, high, timeout)
            if start <= low or _anchor_and_confirmation(records, start):
                return records
            window *= 2

    def _offset_at(self, lat: int, timeout: float, default: int) -> int:
        if lat <= 0:
            return default
        found = self._consumer.offsets_for_times([TopicPartition(self.topic, 0, lat)], timeout=timeout)
        offset = found[0].offset if found else -1
        return default if offset is None or offset < 0 else int(offset)

    def _read_from(self, start: int, end: int, timeout: float, seek: bool = True) -> list[tuple[int, int, bytes]]:
        if seek:
            self._consumer.assign([TopicPartition(self.topic, 0, start)])
            self.position = start
        deadline = time.monotonic() + timeout
        out: list[tuple[int, int, bytes]] = []
        while self.position < end:
            if time.monotonic() >= deadline:
                raise CoordinationLogError(f"Timed out reading the coordination topic {self.topic}")
            out += self.poll(0.1)
        return out

    def append(self, record: r.Record, delivered: Delivered) -> None:
        seq = record.seq

        def on_delivery(err: KafkaError | None, _msg: Any) -> None:
            if err is not None:
                logger.warning("Coordination record %s seq %d not appended: %s", record.TYPE, seq, err)
                if err.fatal():
                    self._producer_fatal = str(err)
            delivered(seq, err is None)

        while True:
            try:
                self._producer.produce(self.topic, key=record.key(), value=record.encode(), on_delivery=on_delivery)
                return
            except BufferError:
                self._producer.poll(0.05)
            except KafkaException as e:
                err = e.args[0] if e.args else None
                if not (isinstance(err, KafkaError) and err.fatal()):
                    raise
                # Review §6.6: a fatal idempotent-producer error would fail every later append, JOINs
                # included; a fresh producer (new producer id) is harmless: the referee dedupes by seq.
                self._producer_fatal = str(err)
                self._replace_producer()
                delivered(seq, False)  # possibly not persisted; the core treats it as possibly persisted
                return

    def serve_deliveries(self) -> None:
        self._producer.poll(0)
        if self._producer_fatal is not None:
            self._replace_producer()

    def _replace_producer(self) -> None:
        logger.error("The coordination producer hit a fatal error (%s); replacing it", self._producer_fatal)
        self._producer_fatal = None
        old, self._producer = self._producer, Producer(self._producer_config)
        self.producers_replaced += 1
        old.purge()  # its records are failed already (fatal state): do not wait for them
        old.flush(0)

    def flush(self, timeout: float) -> None:
        self._producer.flush(timeout)

    def close(self) -> None:
        self._producer.flush(2.0)
        self._consumer.close()


def _is_type(value: bytes, kind: r.RecordType) -> bool:
    try:
        return r.decode(value).TYPE is kind
    except r.DecodeError:
        return False


def _anchor_and_confirmation(records: list[tuple[int, int, bytes]], start: int) -> bool:
    """A usable CHECKPOINT and a later one: the worker anchors on the first and the second confirms it at
    once, instead of waiting up to C for the next checkpoint to be written."""
    anchored = False
    for _offset, _lat, value in records:
        if anchored and b"CHECKPOINT" in value and _is_type(value, r.RecordType.CHECKPOINT):
            return True
        anchored = anchored or _usable_checkpoint(value, start)
    return False


def _usable_checkpoint(value: bytes, start: int) -> bool:
    """A CHECKPOINT whose as_of is at or after ``start - 1``: every record after its state was read."""
    if b"CHECKPOINT" not in value:  # cheap pre-filter: heartbeats are most of the log
        return False
    try:
        record = r.decode(value)
    except r.DecodeError:
        return False
    return isinstance(record, r.CheckpointRecord) and record.as_of >= start - 1
