"""What a task process measures for ``/metrics`` beyond its plain counters (see docs/metrics.md).

Everything here moves once per batch or once per heartbeat, never per record: the runners call
:meth:`TaskMetrics.batch` around a ``poll()``/``put()`` and :meth:`TaskMetrics.commit` around an
offset commit; librdkafka's statistics callback (every ``statistics.interval.ms``) is summarised
into the few numbers that matter. :meth:`TaskMetrics.snapshot` adds them to the heartbeat stats.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

logger = logging.getLogger(__name__)

METRICS_ENABLE = "kconnect.metrics.enable"
# How often librdkafka reports statistics (unless the connector's client overrides set it).
STATISTICS_INTERVAL_MS = 5000
# Java's default sampling: metrics.num.samples (2) windows of metrics.sample.window.ms (30 s).
WINDOW_S = 30.0


class WindowedMax:
    """The maximum over the current and the previous 30 s window (Java's two-sample default)."""

    __slots__ = ("_current", "_previous", "_window_start")

    def __init__(self) -> None:
        self._current = 0.0
        self._previous = 0.0
        self._window_start = time.monotonic()

    def _roll(self, now: float) -> None:
        if now - self._window_start >= WINDOW_S:
            # More than one whole window passed without a sample: the previous one is empty too.
            self._previous = self._current if now - self._window_start < 2 * WINDOW_S else 0.0
            self._current = 0.0
            self._window_start = now

    def record(self, value: float, now: float) -> None:
        self._roll(now)
        if value > self._current:
            self._current = value

    def value(self, now: float) -> float:
        self._roll(now)
        return max(self._current, self._previous)


class Timing:
    """Count, sum and windowed maximum of one kind of duration."""

    __slots__ = ("count", "max", "sum")

    def __init__(self) -> None:
        self.count = 0
        self.sum = 0.0
        self.max = WindowedMax()

    def record(self, seconds: float, now: float) -> None:
        self.count += 1
        self.sum += seconds
        self.max.record(seconds, now)

    def render(self, now: float) -> dict[str, float]:
        return {"count": self.count, "sum": self.sum, "max": self.max.value(now)}


class TaskMetrics:
    """Batch timings, commit outcomes, running/paused time and the librdkafka summary of one task."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.batch_time = Timing()  # poll() for sources, put() for sinks
        self.batch_size_max = WindowedMax()
        self.commit_time = Timing()
        self.commit_success = 0
        self.commit_failure = 0
        self.running_s = 0.0
        self.paused_s = 0.0
        self._last_tick = time.monotonic()
        self.client: dict[str, Any] = {}  # summary of the latest librdkafka statistics report

    # --- per batch --------------------------------------------------------------------------------
    def batch(self, records: int, seconds: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        self.batch_time.record(seconds, now)
        self.batch_size_max.record(records, now)

    def commit(self, seconds: float, ok: bool) -> None:
        if not self.enabled:
            return
        self.commit_time.record(seconds, time.monotonic())
        if ok:
            self.commit_success += 1
        else:
            self.commit_failure += 1

    # --- librdkafka -------------------------------------------------------------------------------
    def instrument(self, client_config: dict[str, Any]) -> dict[str, Any]:
        """``client_config`` with the statistics callback installed (unchanged when metrics are off)."""
        if not self.enabled:
            return client_config
        out = dict(client_config)
        out.setdefault("statistics.interval.ms", str(STATISTICS_INTERVAL_MS))
        out["stats_cb"] = self.on_statistics
        return out

    def on_statistics(self, report: str) -> None:
        # Runs inside poll()/consume() on the task's thread; an exception must not reach librdkafka.
        try:
            self.client = summarise_statistics(json.loads(report))
        except Exception:
            logger.debug("Could not read a librdkafka statistics report", exc_info=True)

    # --- per heartbeat ----------------------------------------------------------------------------
    def snapshot(self, paused: bool) -> dict[str, Any]:
        """The measurements for the heartbeat stats (``stats["metrics"]``)."""
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if paused:
            self.paused_s += elapsed
        else:
            self.running_s += elapsed
        if not self.enabled:
            return {}
        return {
            "batch_time": self.batch_time.render(now),
            "batch_size_max": self.batch_size_max.value(now),
            "commit_time": self.commit_time.render(now),
            "commit_success": self.commit_success,
            "commit_failure": self.commit_failure,
            "running_s": self.running_s,
            "paused_s": self.paused_s,
            **self.client,
        }


def summarise_statistics(stats: dict[str, Any]) -> dict[str, Any]:
    """The parts of a librdkafka statistics report that matter: consumer lag per partition and the
    producer's queue depth (see https://github.com/confluentinc/librdkafka/blob/master/STATISTICS.md)."""
    out: dict[str, Any] = {}
    if stats.get("type") == "producer":
        out["producer_queue_messages"] = int(stats.get("msg_cnt", 0))
        out["producer_queue_bytes"] = int(stats.get("msg_size", 0))
        return out
    lag: list[list[Any]] = []
    for topic, tstats in (stats.get("topics") or {}).items():
        for partition, pstats in (tstats.get("partitions") or {}).items():
            if partition == "-1" or pstats.get("fetch_state") in (None, "none", "stopped"):
                continue  # the internal UA partition, or one this consumer does not fetch
            value = pstats.get("consumer_lag", -1)
            if isinstance(value, int) and value >= 0:
                lag.append([str(topic), int(partition), value])
    out["consumer_lag"] = lag
    return out


__all__ = ["METRICS_ENABLE", "TaskMetrics", "WindowedMax", "summarise_statistics"]
