"""A Kafka topic as an :class:`~kconnect.supervisor.stores.log.AppendLog` (Apache's KafkaBasedLog).

The consumer is assigned every partition of the topic from the beginning (no consumer group, no
commits) and replays records into the consume callback. "The end" is the high watermark of each
partition queried from the broker when :meth:`KafkaLog.read_to_end` starts, as in Java: records
written by anyone before that call are seen when it returns. The producer writes with ``acks=all``
and idempotence (one partition's records stay in order across retries), and murmur2 partitioning so
keyed records land on the partitions Java workers use.

The clients are created in :meth:`KafkaLog.start` and closed in :meth:`KafkaLog.stop`: construct and
use this class only in a process that may hold librdkafka clients (never the supervisor).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

from kconnect.supervisor.stores.log import Consume, LogRecord, StoreError

__all__ = ["KafkaLog"]

WAIT_SLICE_S = 0.05  # how long a wait lasts before ``while_waiting`` runs again


class KafkaLog:
    def __init__(
        self,
        topic: str,
        consume: Consume,
        client_config: Mapping[str, str],
        *,
        client_id: str,
        producer_overrides: Mapping[str, str] | None = None,
        consumer_overrides: Mapping[str, str] | None = None,
        read_only: bool = False,
    ) -> None:
        """``client_config``: librdkafka settings shared by both clients (bootstrap, security)."""
        self.topic = topic
        self._consume = consume
        self._client_id = client_id
        self._base = dict(client_config)
        self._producer_overrides = dict(producer_overrides or {})
        self._consumer_overrides = dict(consumer_overrides or {})
        self._read_only = read_only
        self._consumer: Any = None
        self._producer: Any = None
        self._partitions: list[int] = []
        self._positions: dict[int, int] = {}
        self._errors: list[str] = []
        # Called repeatedly (every ~50 ms) while a flush or a read to the end waits for the broker, by an owner
        # whose thread has other deadlines to keep (the distributed coordinator's lease).
        self.while_waiting: Callable[[], None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        consumer_conf: dict[str, Any] = {
            **self._base,
            "client.id": self._client_id,
            # librdkafka wants a group id even for assign(); nothing is ever committed under it.
            "group.id": f"{self._client_id}-unused",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_uncommitted",
            "fetch.wait.max.ms": 100,
            **self._consumer_overrides,
        }
        self._consumer = Consumer(consumer_conf)
        self._partitions = self._describe_partitions(deadline)
        self._consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in self._partitions])
        self._positions = dict.fromkeys(self._partitions, 0)
        if not self._read_only:
            producer_conf: dict[str, Any] = {
                **self._base,
                "client.id": self._client_id,
                "acks": "all",
                "enable.idempotence": True,
                "partitioner": "murmur2_random",
                "linger.ms": 0,
                **self._producer_overrides,
            }
            self._producer = Producer(producer_conf)
        self.read_to_end(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        if self._producer is not None:
            self._producer.flush(5.0)
            self._producer = None
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def partition_count(self) -> int:
        return len(self._partitions)

    def _describe_partitions(self, deadline: float) -> list[int]:
        last = "no metadata"
        while True:
            try:
                md = self._consumer.list_topics(self.topic, timeout=max(0.1, min(5.0, deadline - time.monotonic())))
                tmd = md.topics.get(self.topic)
                if tmd is not None and tmd.error is None and tmd.partitions:
                    return sorted(tmd.partitions)
                last = str(tmd.error) if tmd is not None else "topic missing from metadata"
            except KafkaException as e:
                last = str(e)
            if time.monotonic() >= deadline:
                raise StoreError(f"Could not read the partitions of topic {self.topic}: {last}")
            time.sleep(0.1)

    # --- writes -------------------------------------------------------------------------------------
    def send(self, key: bytes, value: bytes | None) -> None:
        if self._producer is None:
            raise StoreError(f"The log of {self.topic} is not started or is read-only")
        while True:
            try:
                self._producer.produce(self.topic, key=key, value=value, on_delivery=self._delivered)
                return
            except BufferError:
                self._producer.poll(0.1)

    def _delivered(self, err: KafkaError | None, _msg: Any) -> None:
        if err is not None:
            self._errors.append(str(err))

    def serve_writes(self) -> list[str]:
        """Serve delivery reports without waiting; the failures since the last call (or flush)."""
        if self._producer is not None:
            self._producer.poll(0)
        errors, self._errors = self._errors, []
        return errors

    def flush(self, timeout: float = 30.0) -> None:
        if self._producer is None:
            return
        if self.while_waiting is None:
            remaining = self._producer.flush(timeout)
        else:
            deadline = time.monotonic() + timeout
            while (remaining := self._producer.flush(min(WAIT_SLICE_S, max(0.0, deadline - time.monotonic())))) and (
                time.monotonic() < deadline
            ):
                self.while_waiting()
        errors, self._errors = self._errors, []
        if remaining or errors:
            detail = errors[0] if errors else f"{remaining} record(s) not acknowledged within {timeout:.0f}s"
            raise StoreError(f"Failed to write to topic {self.topic}: {detail}")

    # --- reads --------------------------------------------------------------------------------------
    def _end_offsets(self, deadline: float) -> dict[int, int]:
        ends: dict[int, int] = {}
        for p in self._partitions:
            while True:
                try:
                    longest = 5.0 if self.while_waiting is None else 1.0
                    _, high = self._consumer.get_watermark_offsets(
                        TopicPartition(self.topic, p), timeout=max(0.1, min(longest, deadline - time.monotonic()))
                    )
                    ends[p] = int(high)
                    break
                except KafkaException as e:
                    if time.monotonic() >= deadline:
                        raise StoreError(f"Could not read the end offsets of topic {self.topic}: {e}") from None
                    if self.while_waiting is not None:
                        self.while_waiting()
                    else:
                        time.sleep(0.1)
        return ends

    def read_to_end(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        ends = self._end_offsets(deadline)
        while any(self._positions[p] < end for p, end in ends.items()):
            if time.monotonic() >= deadline:
                behind = {p: (self._positions[p], end) for p, end in ends.items() if self._positions[p] < end}
                raise StoreError(f"Timed out reading topic {self.topic} to its end (partition: (at, end)) {behind}")
            slice_s = 0.2 if self.while_waiting is None else WAIT_SLICE_S
            self._poll_once(min(slice_s, max(0.0, deadline - time.monotonic())))
            if self.while_waiting is not None:
                self.while_waiting()

    def poll(self, timeout: float = 0.0) -> int:
        n = self._poll_once(timeout)
        while True:  # drain what is already buffered without waiting again
            more = self._poll_once(0.0)
            if not more:
                return n
            n += more

    def _poll_once(self, timeout: float) -> int:
        msgs = self._consumer.consume(num_messages=500, timeout=timeout)
        n = 0
        for msg in msgs:
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    # Past the last record: compaction gaps or transaction markers make the EOF offset
                    # the reliable position.
                    p = msg.partition()
                    self._positions[p] = max(self._positions[p], msg.offset())
                    continue
                raise StoreError(f"Error reading topic {self.topic}: {err}")
            p, offset = msg.partition(), msg.offset()
            self._positions[p] = offset + 1
            _, ts = msg.timestamp()
            self._consume(LogRecord(p, offset, msg.key(), msg.value(), ts))
            n += 1
        return n
