"""Source offsets: Kafka Connect's key/value serialisation and at-least-once commit tracking.

Apache's worker stores a source offset under the key ``["<connector>", {partition}]`` with the
value ``{offset}``, both as compact JSON (Jackson). We write the same bytes so the offsets topic
(distributed mode) and tools that read it stay interchangeable with Java workers.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def offset_key(connector: str, partition: Mapping[str, Any]) -> str:
    return _compact([connector, dict(partition)])


def canonical_offset_key(connector: str, partition: Mapping[str, Any]) -> str:
    """The form two keys of one source partition share whatever order their maps were written in.

    Java writes the partition map in its own iteration order (HashMap order, or a connector's
    LinkedHashMap/TreeMap order), so the same partition can reach the offsets topic as different
    bytes; lookups match on this form (JSON with sorted keys, nested maps too), writes keep Java's bytes.
    """
    return json.dumps([connector, dict(partition)], separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def canonical_of_key(key: str) -> str:
    """``canonical_offset_key`` of a serialised key (``offset_key``'s output or a key read from Kafka)."""
    connector, partition = partition_of_key(key)
    return canonical_offset_key(connector, partition)


def offset_value(offset: Mapping[str, Any] | None) -> str | None:
    return None if offset is None else _compact(dict(offset))


def partition_of_key(key: str) -> tuple[str, dict[str, Any]]:
    decoded = json.loads(key)
    if not (isinstance(decoded, list) and len(decoded) == 2 and isinstance(decoded[1], dict)):
        raise ValueError(f"not a Kafka Connect source offset key: {key}")
    return str(decoded[0]), decoded[1]


@dataclass(slots=True)
class Batch:
    """One ``poll()`` worth of records: acknowledged as a unit, committed in order."""

    outstanding: int = 0
    sealed: bool = False
    failed: BaseException | None = None
    # last offset seen per source partition in this batch, keyed by the serialised partition
    offsets: dict[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]] = field(default_factory=dict)

    def ack(self, err: Any, _msg: Any = None) -> None:
        # Called from the producer's delivery callback (same thread, inside poll/flush).
        self.outstanding -= 1
        if err is not None and self.failed is None:
            self.failed = RuntimeError(f"Producer failed to deliver a record: {err}")

    @property
    def done(self) -> bool:
        return self.sealed and self.outstanding == 0


class SubmittedOffsets:
    """Tracks in-flight batches; only offsets of fully acknowledged leading batches are committable.

    Batches complete in any order across partitions, but a later batch's offsets are never
    committed while an earlier one still has unacknowledged records: that is what makes a crash
    lose nothing (at-least-once), the same guarantee as Apache's SubmittedRecords.
    """

    def __init__(self) -> None:
        self._batches: deque[Batch] = deque()
        self._committable: dict[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]] = {}

    def new_batch(self) -> Batch:
        batch = Batch()
        self._batches.append(batch)
        return batch

    @property
    def in_flight(self) -> int:
        return sum(b.outstanding for b in self._batches)

    def first_failure(self) -> BaseException | None:
        for b in self._batches:
            if b.failed is not None:
                return b.failed
        return None

    def drain_committable(self) -> dict[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
        """Pop completed leading batches and return the offsets that became committable since last call."""
        while self._batches and self._batches[0].done and self._batches[0].failed is None:
            self._committable.update(self._batches.popleft().offsets)
        out, self._committable = self._committable, {}
        return out
