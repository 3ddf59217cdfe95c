"""Judges the witness connector (tests.support.plugins.WitnessSourceConnector): did two processes of one
unit ever live at the same time, and does every unit run now?

Overlap is judged from process lifetimes, not only from record order: a unit's new process must start
after the previous one died. A process's birth is its ``start`` line (written as it begins); its death is
its ``exit`` line, or, when it was killed by a signal and wrote none, the moment the :class:`DeathWatch`
first saw it gone (sampled every 20 ms, so a death is known at most ~20 ms late, which can only make
the check stricter). The records each task wrote to Kafka are checked too: the spans [first, last]
record of two processes of one unit must not intersect.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from confluent_kafka import Consumer, KafkaException, TopicPartition


@dataclass
class Life:
    unit: str
    pid: int
    ppid: int
    start: float
    end: float | None  # None: still alive
    how: str  # "exit" (its own line), "seen-dead" (observed), "alive"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class DeathWatch:
    """Samples the witness processes every 20 ms and notes when each was first seen dead."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.seen_dead: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> DeathWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for path in self.directory.glob("*.jsonl"):
                pid = int(path.name.rsplit(".", 2)[1])
                if pid not in self.seen_dead and not _alive(pid):
                    self.seen_dead[pid] = time.time()
            self._stop.wait(0.02)


def lives(directory: Path, watch: DeathWatch) -> dict[str, list[Life]]:
    """unit -> its processes, by start time."""
    out: dict[str, list[Life]] = defaultdict(list)
    for path in directory.glob("*.jsonl"):
        # Only complete lines: the process may be writing its next one right now.
        complete = path.read_text(encoding="utf-8").split("\n")[:-1]
        events = [json.loads(line) for line in complete if line.strip()]
        if not events:
            continue  # created this instant; its start line follows
        first = events[0]
        assert first["event"] == "start", (path, events)
        exits = [e["t"] for e in events if e["event"] == "exit"]
        pid = first["pid"]
        if exits:
            end, how = exits[0], "exit"
        elif pid in watch.seen_dead:
            end, how = watch.seen_dead[pid], "seen-dead"
        elif not _alive(pid):
            end, how = time.time(), "seen-dead"
        else:
            end, how = None, "alive"
        out[first["unit"]].append(Life(first["unit"], pid, first["ppid"], first["t"], end, how))
    for group in out.values():
        group.sort(key=lambda life: life.start)
    return dict(out)


def lifetime_overlaps(by_unit: dict[str, list[Life]]) -> list[str]:
    """Every pair of consecutive processes of a unit where the newer one started before the older died."""
    found = []
    for unit, group in by_unit.items():
        # Against every earlier process, not only the previous one: a long-lived old process could
        # outlive several short new ones.
        for i, new in enumerate(group):
            for old in group[:i]:
                if old.end is None or new.start < old.end:
                    found.append(
                        f"{unit}: pid {new.pid} started at {new.start:.3f} while pid {old.pid} ({old.how}) "
                        f"lived until {old.end}"
                    )
    return found


def read_records(bootstrap: str, topic: str, partitions: int, timeout: float = 30) -> list[dict[str, Any]]:
    """Every witness record in the topic, up to its end offsets at the time of the call."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"witness-{uuid.uuid4().hex}", "enable.auto.commit": False}
    )
    ends = {p: _high_watermark(consumer, topic, p, timeout) for p in range(partitions)}
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out: list[dict[str, Any]] = []
    position = dict.fromkeys(ends, 0)
    deadline = time.monotonic() + timeout
    while any(position[p] < ends[p] for p in ends) and time.monotonic() < deadline:
        for msg in consumer.consume(1000, timeout=0.5):
            if msg.error() is None:
                position[msg.partition() or 0] = (msg.offset() or 0) + 1
                out.append(json.loads(msg.value() or b"{}"))
    consumer.close()
    assert all(position[p] >= ends[p] for p in ends), f"could not read the witness topic to its end: {position} {ends}"
    return out


def _high_watermark(consumer: Consumer, topic: str, partition: int, timeout: float) -> int:
    """The partition's end offset; retried while a new leader's high watermark is not caught up yet (a
    transient error right after a leadership change, seen in the three-broker scenario)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return int(consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)[1])
        except KafkaException:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def record_overlaps(records: list[dict[str, Any]]) -> list[str]:
    """Processes of one unit whose record spans [first t, last t] intersect."""
    spans: dict[str, dict[int, list[float]]] = defaultdict(dict)
    for r in records:
        span = spans[r["unit"]].setdefault(r["pid"], [r["t"], r["t"]])
        span[0], span[1] = min(span[0], r["t"]), max(span[1], r["t"])
    found = []
    for unit, by_pid in spans.items():
        ordered = sorted(by_pid.items(), key=lambda kv: kv[1][0])
        for (old_pid, old), (new_pid, new) in itertools.pairwise(ordered):
            if new[0] <= old[1]:
                found.append(
                    f"{unit}: records of pid {new_pid} from {new[0]:.3f} while pid {old_pid} wrote until {old[1]:.3f}"
                )
    return found


def running(by_unit: dict[str, list[Life]], units: set[str]) -> dict[str, Life] | None:
    """unit -> its live process, if every unit in ``units`` has exactly one (and no other unit has any)."""
    now = {}
    for unit, group in by_unit.items():
        alive = [life for life in group if life.end is None]
        if len(alive) > 1:
            raise AssertionError(f"{unit} has {len(alive)} live processes: {alive}")
        if alive:
            now[unit] = alive[0]
    return now if set(now) == units else None
