"""Heartbeat round-trip measurement of the coordinator (DEBUG log lines, for the benchmark and for operators).

A lease is renewed only when a worker reads its own HEARTBEAT back from the coordination topic, so the
time from producing a heartbeat to reading it back is what eats the lease margin. Each own heartbeat read
back is logged on ``kconnect.coordinator.heartbeat`` at DEBUG (off by default; switch it on per worker with
``PUT /admin/loggers/kconnect.coordinator.heartbeat {"level": "DEBUG"}``) with, in milliseconds:

* ``append``: produce call -> the broker's LogAppendTime (wall clocks of one host when broker and worker
  share it; across hosts this includes their clock difference);
* ``read``: LogAppendTime -> read back by this coordinator;
* ``rtt``: produce call -> read back (one local clock; what the lease renewal waits for);
* ``gap``: LogAppendTime of the previous own heartbeat -> this one (broker time; the referee expires the
  worker when this exceeds ``session.timeout.ms``).
"""

from __future__ import annotations

import logging
import time

from kconnect.supervisor.coordination import records as r

logger = logging.getLogger("kconnect.coordinator.heartbeat")

_KEEP = 64  # heartbeats in flight remembered; older ones are dropped (never read back)


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class HeartbeatProbe:
    def __init__(self, incarnation: str) -> None:
        self.incarnation = incarnation
        self.sent: dict[int, int] = {}  # seq -> wall ms of the produce call
        self.last_lat: int | None = None

    def produced(self, record: r.Record) -> None:
        if isinstance(record, r.HeartbeatRecord) and logger.isEnabledFor(logging.DEBUG):
            self.sent[record.seq] = wall_ms()
            while len(self.sent) > _KEEP:
                del self.sent[next(iter(self.sent))]

    def read_back(self, lat: int, record: r.Record) -> None:
        if not isinstance(record, r.HeartbeatRecord) or record.incarnation != self.incarnation:
            return
        sent = self.sent.pop(record.seq, None)
        gap = None if self.last_lat is None else lat - self.last_lat
        self.last_lat = lat
        if sent is None:
            return
        now = wall_ms()
        logger.debug(
            "Heartbeat seq=%d append=%d read=%d rtt=%d gap=%s", record.seq, lat - sent, now - lat, now - sent, gap
        )
