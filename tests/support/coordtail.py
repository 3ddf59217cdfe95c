"""Follows a cluster's coordination topic from a test and folds it with the real referee, record by record,
exactly as every worker does: who leads, which epochs are LIVE, when an epoch ended and with which lease end
(broker time), and every ASSIGNMENT with its writer. Scenarios use it to time a fault (e.g. freeze the leader
right after it wrote a revocation) and to judge what the protocol decided."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import Consumer, TopicPartition

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref


@dataclass(frozen=True)
class Seen:
    offset: int
    lat: int  # LogAppendTime, ms (the same host's wall clock as time.time() in these tests)
    record: r.Record | None  # None: undecodable
    state: ref.State  # the referee state after this record
    outcome: str


class CoordinationTail:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"tail-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        self._consumer.assign([TopicPartition(topic, 0, 0)])
        self.state = ref.INITIAL
        self.seen: list[Seen] = []
        self.ended: dict[int, tuple[ref.Member, int]] = {}  # epoch -> (member as it ended, LAT of that record)

    def poll(self, timeout: float = 0.02) -> list[Seen]:
        out = []
        for msg in self._consumer.consume(500, timeout=timeout):
            if msg.error() is not None:
                continue
            value, lat, offset = msg.value() or b"", msg.timestamp()[1], msg.offset() or 0
            try:
                record: r.Record | None = r.decode(value)
            except r.DecodeError:
                record = None
            before = self.state
            self.state = ref.apply(before, value, lat, offset)
            for epoch, m in before.members.items():
                now = self.state.members.get(epoch)
                if m.status == ref.Status.LIVE and now is not None and now.status != ref.Status.LIVE:
                    self.ended[epoch] = (now, lat)
            seen = Seen(offset, lat, record, self.state, self.state.outcome)
            self.seen.append(seen)
            out.append(seen)
        return out

    def catch_up(self, timeout: float = 30) -> None:
        _, end = self._consumer.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=10)
        deadline = time.monotonic() + timeout
        while self.state.applied < end - 1:
            assert time.monotonic() < deadline, f"could not read {self.topic} to offset {end}"
            self.poll(0.2)

    def until(self, predicate: Callable[[Seen], bool], timeout: float, what: str, since: int = -1) -> Seen:
        """The first record after offset ``since`` (already read or read now) that satisfies ``predicate``."""
        for seen in self.seen:
            if seen.offset > since and predicate(seen):
                return seen
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for seen in self.poll(0.02):
                if seen.offset > since and predicate(seen):
                    return seen
        raise AssertionError(f"timed out after {timeout} s waiting for {what} in {self.topic}")

    def leader(self) -> ref.Member | None:
        return ref.leader(self.state)

    def close(self) -> None:
        self._consumer.close()
