"""The Prometheus text of ``GET /metrics``, from the supervisor's snapshot (see ``metrics_book``).

Runs in the REST process that serves the scrape: it reads CPU, memory and open files of every
process of the worker with psutil (same user, so allowed), and turns the snapshot into metric
families with prometheus-client's exposition code. Names and labels are docs/metrics.md's; the
unit tests parse the output back with prometheus-client's parser.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psutil
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

# Upper bounds of the REST latency histogram (seconds); the REST processes count into these.
REST_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    90.0,
)
TASK_STATES = ("unassigned", "running", "paused", "failed", "restarting")
CONNECTOR_STATES = ("unassigned", "running", "paused", "stopped", "failed", "restarting")
# stats["errors"] key (Java's task-error-metrics) -> our metric name and its help text.
ERROR_COUNTERS = (
    ("total_record_failures", "kconnect_task_error_record_failures", "Record processing failures (each attempt)"),
    ("total_record_errors", "kconnect_task_error_record_errors", "Records that ended in error"),
    ("total_records_skipped", "kconnect_task_error_records_skipped", "Records skipped because of errors"),
    ("total_retries", "kconnect_task_error_retries", "Operations retried"),
    ("total_errors_logged", "kconnect_task_error_errors_logged", "Errors written to the log"),
    ("deadletterqueue_produce_requests", "kconnect_task_error_dlq_produce_requests", "Records sent to the DLQ"),
    ("deadletterqueue_produce_failures", "kconnect_task_error_dlq_produce_failures", "DLQ writes that failed"),
)


@dataclass(frozen=True)
class ProcessFacts:
    cpu_seconds: float
    rss: int
    uss: int
    open_fds: int

    def __add__(self, other: ProcessFacts) -> ProcessFacts:
        return ProcessFacts(
            self.cpu_seconds + other.cpu_seconds,
            self.rss + other.rss,
            self.uss + other.uss,
            self.open_fds + other.open_fds,
        )


def process_facts(pid: int | None) -> ProcessFacts | None:
    """CPU seconds, RSS, USS and open fds of ``pid``; None if it is gone (or was never started)."""
    if not pid:
        return None
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            times = proc.cpu_times()
            memory = proc.memory_full_info()
            fds = proc.num_fds()
    except psutil.Error:
        return None
    return ProcessFacts(times.user + times.system, memory.rss, memory.uss, fds)


def rest_process_facts(pids: Sequence[int]) -> tuple[int, ProcessFacts | None]:
    """The REST servers' processes (each gunicorn arbiter and its workers), counted and summed."""
    total: ProcessFacts | None = None
    count = 0
    for pid in pids:
        try:
            family = [pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))]
        except psutil.Error:
            continue
        for member in family:
            facts = process_facts(member)
            if facts is not None:
                count += 1
                total = facts if total is None else total + facts
    return count, total


class _Families:
    """Metric families keyed by name, created on first use; every sample gets the ``worker`` label."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.families: dict[str, Metric] = {}

    def _family(self, kind: Any, name: str, doc: str, labels: dict[str, str]) -> Any:
        family = self.families.get(name)
        if family is None:
            family = kind(name, doc, labels=["worker", *labels])
            self.families[name] = family
        return family

    def gauge(self, name: str, doc: str, labels: dict[str, str], value: float) -> None:
        self._family(GaugeMetricFamily, name, doc, labels).add_metric([self.worker, *labels.values()], value)

    def counter(self, name: str, doc: str, labels: dict[str, str], value: float) -> None:
        # prometheus-client appends ``_total`` to a counter family's name.
        family = self._family(CounterMetricFamily, name, doc, labels)
        family.add_metric([self.worker, *labels.values()], value)

    def summary(self, name: str, doc: str, labels: dict[str, str], count: float, total: float) -> None:
        family = self._family(SummaryMetricFamily, name, doc, labels)
        family.add_metric([self.worker, *labels.values()], count_value=count, sum_value=total)

    def histogram(self, name: str, doc: str, labels: dict[str, str], buckets: Sequence[int], total: float) -> None:
        family = self._family(HistogramMetricFamily, name, doc, labels)
        cumulative: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip([*map(repr, REST_BUCKETS), "+Inf"], buckets, strict=False):
            running += count
            cumulative.append((bound, running))
        family.add_metric([self.worker, *labels.values()], cumulative, sum_value=total)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


class SnapshotCollector(Collector):
    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        f = _Families(str(snap.get("worker", "")))
        _worker(f, snap)
        for connector in snap.get("connectors", []):
            _connector(f, connector)
        for task in snap.get("tasks", []):
            _task(f, task)
        _processes(f, snap)
        _rest(f, snap.get("rest") or [])
        if snap.get("coordination"):
            _rebalance(f, snap["coordination"])
        yield from f.families.values()


def render(snapshot: dict[str, Any]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return generate_latest(registry)


# --- the groups ------------------------------------------------------------------------------------


def _worker(f: _Families, snap: dict[str, Any]) -> None:
    tasks = snap.get("tasks", [])
    f.gauge("kconnect_worker_start_time_seconds", "Epoch seconds when the supervisor started", {}, snap["start_time"])
    f.gauge(
        "kconnect_worker_connector_count",
        "Connectors with a running connector process on this worker",
        {},
        sum(1 for c in snap.get("connectors", []) if c.get("pid")),
    )
    f.gauge(
        "kconnect_worker_task_count", "Task processes running on this worker", {}, sum(1 for t in tasks if t["pid"])
    )
    startups = snap.get("startups", {})
    for role, label in (("connector", "connector"), ("task", "task")):
        attempts, success, failure = startups.get(role, [0, 0, 0])
        f.counter(f"kconnect_worker_{label}_startup_attempts", f"{label.capitalize()} processes started", {}, attempts)
        f.counter(
            f"kconnect_worker_{label}_startup_success", f"{label.capitalize()} processes that started it", {}, success
        )
        f.counter(
            f"kconnect_worker_{label}_startup_failure",
            f"{label.capitalize()} processes that ended before starting it",
            {},
            failure,
        )
    by_connector: dict[str, dict[str, int]] = {c["name"]: dict.fromkeys(TASK_STATES, 0) for c in snap["connectors"]}
    for task in tasks:
        counts = by_connector.setdefault(task["connector"], dict.fromkeys(TASK_STATES, 0))
        counts[task["state"]] = counts.get(task["state"], 0) + 1
    for name, counts in by_connector.items():
        for state, count in counts.items():
            f.gauge(
                "kconnect_worker_connector_tasks",
                "Tasks of the connector on this worker by state",
                {"connector": name, "state": state},
                count,
            )


def _connector(f: _Families, connector: dict[str, Any]) -> None:
    name = connector["name"]
    for state in CONNECTOR_STATES:
        f.gauge(
            "kconnect_connector_status",
            "1 for the connector's current state",
            {"connector": name, "state": state},
            1 if connector["state"] == state else 0,
        )
    for reason, count in sorted(connector.get("exits", {}).items()):
        f.counter(
            "kconnect_connector_exits",
            "Connector processes that ended, by reason",
            {"connector": name, "reason": reason},
            count,
        )
    facts = process_facts(connector.get("pid"))
    if facts is not None:
        _process_family(f, "kconnect_connector_process", "connector process", {"connector": name}, facts)


def _process_family(f: _Families, prefix: str, what: str, labels: dict[str, str], facts: ProcessFacts) -> None:
    f.counter(f"{prefix}_cpu_seconds", f"User and system CPU time of the {what}", labels, facts.cpu_seconds)
    f.gauge(f"{prefix}_resident_memory_bytes", f"Resident memory (RSS) of the {what}", labels, facts.rss)
    f.gauge(f"{prefix}_unique_memory_bytes", f"Unique memory (USS) of the {what}", labels, facts.uss)
    f.gauge(f"{prefix}_open_fds", f"Open file descriptors of the {what}", labels, facts.open_fds)


def _task(f: _Families, task: dict[str, Any]) -> None:
    labels = {"connector": task["connector"], "task": str(task["task"])}
    stats: dict[str, Any] = task.get("stats") or {}
    measured: dict[str, Any] = stats.get("metrics") or {}
    for state in TASK_STATES:
        f.gauge(
            "kconnect_task_status",
            "1 for the task's current state",
            {**labels, "state": state},
            1 if task["state"] == state else 0,
        )
    f.counter("kconnect_task_running_seconds", "Time the task spent running", labels, _num(measured.get("running_s")))
    f.counter("kconnect_task_paused_seconds", "Time the task spent paused", labels, _num(measured.get("paused_s")))
    f.counter("kconnect_task_batches", "Non-empty batches processed", labels, _num(stats.get("batches")))
    f.gauge(
        "kconnect_task_batch_size_max_records",
        "Largest batch in the last 30-60 s",
        labels,
        _num(measured.get("batch_size_max")),
    )
    commit = measured.get("commit_time") or {}
    f.summary(
        "kconnect_task_offset_commit_duration_seconds",
        "Offset commits and their duration",
        labels,
        _num(commit.get("count")),
        _num(commit.get("sum")),
    )
    f.gauge(
        "kconnect_task_offset_commit_max_seconds", "Longest offset commit recently", labels, _num(commit.get("max"))
    )
    f.counter(
        "kconnect_task_offset_commit_success",
        "Offset commits that succeeded",
        labels,
        _num(measured.get("commit_success")),
    )
    f.counter(
        "kconnect_task_offset_commit_failure",
        "Offset commits that failed",
        labels,
        _num(measured.get("commit_failure")),
    )
    batch = measured.get("batch_time") or {}
    if task.get("type") == "source":
        _source_task(f, labels, stats, measured, batch)
    elif task.get("type") == "sink":
        _sink_task(f, labels, stats, measured, batch)
    errors: dict[str, Any] = stats.get("errors") or {}
    for key, name, doc in ERROR_COUNTERS:
        f.counter(name, doc, labels, _num(errors.get(key)))
    f.gauge(
        "kconnect_task_error_last_error_timestamp_seconds",
        "Epoch seconds of the last error (0 = none)",
        labels,
        _num(errors.get("last_error_timestamp")) / 1000.0,
    )
    _task_process(f, labels, task)


def _source_task(
    f: _Families, labels: dict[str, str], stats: dict[str, Any], measured: dict[str, Any], batch: dict[str, Any]
) -> None:
    f.counter(
        "kconnect_source_task_poll_records",
        "Records returned by poll() (before SMTs)",
        labels,
        _num(stats.get("records_polled")),
    )
    f.counter(
        "kconnect_source_task_write_records",
        "Records acknowledged by Kafka (after SMTs)",
        labels,
        _num(stats.get("records_written")),
    )
    f.gauge(
        "kconnect_source_task_active_records",
        "Records sent and not yet acknowledged",
        labels,
        _num(stats.get("in_flight")),
    )
    f.summary(
        "kconnect_source_task_poll_batch_duration_seconds",
        "Time in poll() for polls that returned records",
        labels,
        _num(batch.get("count")),
        _num(batch.get("sum")),
    )
    f.gauge("kconnect_source_task_poll_batch_max_seconds", "Longest poll() recently", labels, _num(batch.get("max")))
    if "producer_queue_messages" in measured:
        f.gauge(
            "kconnect_producer_queue_messages",
            "Messages waiting in the producer's queue",
            labels,
            _num(measured["producer_queue_messages"]),
        )
        f.gauge(
            "kconnect_producer_queue_bytes",
            "Bytes waiting in the producer's queue",
            labels,
            _num(measured.get("producer_queue_bytes")),
        )


def _sink_task(
    f: _Families, labels: dict[str, str], stats: dict[str, Any], measured: dict[str, Any], batch: dict[str, Any]
) -> None:
    f.counter(
        "kconnect_sink_task_read_records",
        "Records read from Kafka (before SMTs)",
        labels,
        _num(stats.get("records_read")),
    )
    f.counter(
        "kconnect_sink_task_send_records",
        "Records put() accepted (after SMTs)",
        labels,
        _num(stats.get("records_put")),
    )
    f.gauge(
        "kconnect_sink_task_active_records",
        "Records read whose offsets are not committed yet",
        labels,
        _num(stats.get("active_records")),
    )
    f.gauge("kconnect_sink_task_partition_count", "Assigned topic partitions", labels, _num(stats.get("partitions")))
    f.summary(
        "kconnect_sink_task_put_batch_duration_seconds",
        "Time in put() per batch",
        labels,
        _num(batch.get("count")),
        _num(batch.get("sum")),
    )
    f.gauge("kconnect_sink_task_put_batch_max_seconds", "Longest put() recently", labels, _num(batch.get("max")))
    f.gauge(
        "kconnect_sink_task_offset_commit_seq_no", "Offset commits attempted", labels, _num(stats.get("commit_seq_no"))
    )
    f.counter(
        "kconnect_sink_task_offset_commit_completion",
        "Offset commits completed",
        labels,
        _num(measured.get("commit_success")),
    )
    # Our commits are synchronous: a completion can never arrive late, so none is ever skipped.
    f.counter("kconnect_sink_task_offset_commit_skip", "Offset commit completions ignored as late", labels, 0)
    lags = measured.get("consumer_lag") or []
    for topic, partition, lag in lags:
        f.gauge(
            "kconnect_consumer_lag_records",
            "Consumer lag per partition (librdkafka)",
            {**labels, "topic": str(topic), "partition": str(partition)},
            _num(lag),
        )
    if lags:
        f.gauge(
            "kconnect_sink_task_record_lag_max_records",
            "Largest consumer lag across the task's partitions",
            labels,
            max(_num(lag) for _t, _p, lag in lags),
        )


def _task_process(f: _Families, labels: dict[str, str], task: dict[str, Any]) -> None:
    facts = process_facts(task.get("pid"))
    if facts is not None:
        _process_family(f, "kconnect_task_process", "task process", labels, facts)
        f.gauge(
            "kconnect_task_process_start_time_seconds",
            "Epoch seconds the task process started",
            labels,
            _num(task.get("start_time")),
        )
    f.counter("kconnect_task_restarts", "Times the task's process was started again", labels, task.get("restarts", 0))
    for reason, count in sorted((task.get("exits") or {}).items()):
        f.counter("kconnect_task_exits", "Task processes that ended, by reason", {**labels, "reason": reason}, count)
    last_exit = task.get("last_exit")
    if last_exit:
        reason, when = last_exit
        f.gauge("kconnect_task_last_exit_info", "Why the task's last process ended", {**labels, "reason": reason}, 1)
        f.gauge("kconnect_task_last_exit_timestamp_seconds", "When the task's last process ended", labels, when)


def _processes(f: _Families, snap: dict[str, Any]) -> None:
    facts = process_facts(snap.get("supervisor_pid"))
    if facts is not None:
        _process_family(f, "kconnect_supervisor_process", "supervisor process", {}, facts)
    count, rest = rest_process_facts(snap.get("rest_pids") or [])
    if rest is not None:
        _process_family(f, "kconnect_rest_process", "REST server processes (summed)", {}, rest)
    f.gauge("kconnect_rest_processes", "REST server processes alive", {}, count)
    f.counter(
        "kconnect_rest_process_restarts",
        "REST servers restarted after an unexpected exit",
        {},
        snap.get("rest_restarts", 0),
    )


def _rest(f: _Families, series: list[list[Any]]) -> None:
    for method, route, code, count, total, buckets in series:
        labels = {"method": str(method), "route": str(route), "code": str(code)}
        f.counter("kconnect_rest_requests", "REST requests answered", labels, count)
        f.histogram("kconnect_rest_request_duration_seconds", "Time to answer a REST request", labels, buckets, total)


__all__ = ["REST_BUCKETS", "render"]


def _rebalance(f: _Families, c: dict[str, Any]) -> None:
    """Distributed mode only: the coordinator's rebalance and protocol facts (distributed/rebalance_stats.py)."""
    f.counter("kconnect_rebalance_completed", "Rebalances this worker completed", {}, _num(c.get("completed")))
    f.gauge(
        "kconnect_rebalance_in_progress",
        "1 while a rebalance is in progress for this worker",
        {},
        _num(c.get("in_progress")),
    )
    f.gauge("kconnect_rebalance_epoch", "Generation of the assignment this worker follows", {}, _num(c.get("epoch")))
    f.summary(
        "kconnect_rebalance_duration_seconds",
        "Completed rebalances and the time they took",
        {},
        _num(c.get("completed")),
        _num(c.get("duration_sum")),
    )
    f.gauge("kconnect_rebalance_max_seconds", "Longest rebalance since the worker started", {}, _num(c.get("max")))
    f.gauge("kconnect_rebalance_last_seconds", "Duration of the last completed rebalance", {}, _num(c.get("last")))
    last = _num(c.get("last_completed"))
    f.gauge(
        "kconnect_rebalance_last_completed_timestamp_seconds",
        "Epoch seconds when the last rebalance completed (0 = none yet)",
        {},
        last,
    )
    if last > 0:
        f.gauge(
            "kconnect_rebalance_time_since_last_seconds",
            "Seconds since the last rebalance completed",
            {},
            max(0.0, time.time() - last),
        )
    f.gauge("kconnect_coordinator_leader", "1 if this worker is the leader of the cluster", {}, _num(c.get("leader")))
    f.gauge(
        "kconnect_coordinator_members", "Live workers in the cluster as this worker sees it", {}, _num(c.get("members"))
    )
    f.gauge(
        "kconnect_coordinator_assigned_connectors",
        "Connectors assigned to this worker",
        {},
        _num(c.get("assigned_connectors")),
    )
    f.gauge("kconnect_coordinator_assigned_tasks", "Tasks assigned to this worker", {}, _num(c.get("assigned_tasks")))
    f.counter(
        "kconnect_coordinator_records_read",
        "Coordination-log records this worker read",
        {},
        _num(c.get("records_read")),
    )
    f.counter(
        "kconnect_coordinator_records_written",
        "Coordination-log records this worker wrote",
        {},
        _num(c.get("records_written")),
    )
    f.counter("kconnect_coordinator_heartbeats", "Heartbeat records this worker wrote", {}, _num(c.get("heartbeats")))
    f.counter(
        "kconnect_coordinator_lease_renewals",
        "Times this worker's lease was extended",
        {},
        _num(c.get("lease_renewals")),
    )
    f.counter(
        "kconnect_coordinator_self_fences",
        "Times this worker fenced its own units (lease lost)",
        {},
        _num(c.get("self_fences")),
    )
    f.gauge(
        "kconnect_coordinator_lease_remaining_seconds",
        "Seconds left on this worker's lease (0 when not a live member)",
        {},
        _num(c.get("lease_remaining")),
    )
