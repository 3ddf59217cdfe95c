"""The coordination topic as the member core needs it: every record in order with its LogAppendTime,
and asynchronous appends whose delivery reports go back to the core.

Only the coordinator process creates these clients (never the supervisor).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination.referee import TimestampType

logger = logging.getLogger(__name__)

Delivered = Callable[[int, bool], None]


class CoordinationLogError(RuntimeError):
    pass


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
                "auto.offset.reset": "earliest",
                "fetch.wait.max.ms": 20,
                "fetch.error.backoff.ms": 50,
                # A fetch that gets no answer within half a lease is useless: time it out so a connection the
                # broker keeps muted (a fetch quota's throttle, which Kafka does not bound) or a half-open one
                # is replaced, and a worker that could not read rejoins soon after reading works again.
                "socket.timeout.ms": max(2000, lease_ms // 2),
            }
        )
        self._consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        self._producer = Producer(
            {
                **client_config,
                "client.id": client_id,
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 0,
                # A record that could not be appended within a lease is useless (review: message.timeout = T).
                "message.timeout.ms": max(1000, lease_ms),
            }
        )
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

    def append(self, record: r.Record, delivered: Delivered) -> None:
        seq = record.seq

        def on_delivery(err: KafkaError | None, _msg: Any) -> None:
            if err is not None:
                logger.warning("Coordination record %s seq %d not appended: %s", record.TYPE, seq, err)
            delivered(seq, err is None)

        while True:
            try:
                self._producer.produce(self.topic, key=record.key(), value=record.encode(), on_delivery=on_delivery)
                return
            except BufferError:
                self._producer.poll(0.05)

    def serve_deliveries(self) -> None:
        self._producer.poll(0)

    def flush(self, timeout: float) -> None:
        self._producer.flush(timeout)

    def close(self) -> None:
        self._producer.flush(2.0)
        self._consumer.close()
