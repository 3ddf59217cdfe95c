"""Rendering of /metrics and the pieces behind it (docs/metrics.md), parsed back with prometheus-client."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from kconnect.supervisor.children import Child
from kconnect.supervisor.herder import StandaloneHerder
from kconnect.supervisor.master import Master
from kconnect.supervisor.metrics_book import exit_reason
from kconnect.supervisor.metrics_render import REST_BUCKETS, render
from kconnect.supervisor.offsets_file import OffsetsFile
from kconnect.supervisor.rest.app import ROUTES
from kconnect.supervisor.rest.request_metrics import RequestCounters, RequestMetrics, route_template
from kconnect.workers.task_metrics import WINDOW_S, TaskMetrics, WindowedMax, summarise_statistics
from kconnect.workers.worker_config import RestartPolicy

ALLOWED_LABELS = {"worker", "connector", "task", "state", "topic", "partition", "method", "route", "code", "reason"}
ALLOWED_LABELS_WITH_LE = ALLOWED_LABELS | {"le"}  # histogram buckets carry Prometheus's own ``le``


def _task(connector: str, task: int, kind: str, state: str, stats: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "connector": connector,
        "task": task,
        "type": kind,
        "state": state,
        "pid": None,
        "start_time": None,
        "restarts": 0,
        "exits": {},
        "last_exit": None,
        "stats": stats,
        **extra,
    }


def snapshot() -> dict[str, Any]:
    source_stats = {
        "records_polled": 1200,
        "records_written": 1000,
        "batches": 3,
        "in_flight": 200,
        "metrics": {
            "batch_time": {"count": 3, "sum": 0.5, "max": 0.3},
            "batch_size_max": 500,
            "commit_time": {"count": 2, "sum": 0.02, "max": 0.015},
            "commit_success": 2,
            "commit_failure": 0,
            "running_s": 10.0,
            "paused_s": 2.5,
            "producer_queue_messages": 200,
            "producer_queue_bytes": 4096,
        },
        "errors": {
            "total_record_failures": 4,
            "total_record_errors": 3,
            "total_records_skipped": 2,
            "total_retries": 1,
            "total_errors_logged": 3,
            "deadletterqueue_produce_requests": 2,
            "deadletterqueue_produce_failures": 0,
            "last_error_timestamp": 1_700_000_000_500,
        },
    }
    sink_stats = {
        "records_put": 900,
        "records_read": 950,
        "active_records": 50,
        "commit_seq_no": 7,
        "batches": 2,
        "partitions": 2,
        "metrics": {
            "batch_time": {"count": 2, "sum": 0.1, "max": 0.08},
            "consumer_lag": [["orders", 0, 5], ["orders", 1, 12]],
            "commit_success": 6,
        },
    }
    failed_stats = {"records_polled": 77, "records_written": 77, "batches": 1, "in_flight": 0}
    return {
        "worker": "host:8083",
        "start_time": 1_700_000_000.0,
        "supervisor_pid": os.getpid(),
        "rest_pids": [],
        "rest_restarts": 1,
        "startups": {"connector": [2, 2, 0], "task": [4, 3, 1]},
        "connectors": [
            {"name": "src", "state": "running", "pid": None, "exits": {}},
            {"name": "sink", "state": "running", "pid": None, "exits": {"stopped": 1}},
            {"name": "dead", "state": "running", "pid": None, "exits": {}},
        ],
        "tasks": [
            _task("src", 0, "source", "running", source_stats, pid=os.getpid(), start_time=1_700_000_100.0),
            _task("sink", 0, "sink", "running", sink_stats),
            _task(
                "dead",
                0,
                "source",
                "failed",
                failed_stats,
                restarts=2,
                exits={"signal:SIGKILL": 2, "exception": 1},
                last_exit=["exception", 1_700_000_200.0],
            ),
        ],
        "rest": [
            ["GET", "/connectors", "200", 3, 0.006, [1, 2, *[0] * (len(REST_BUCKETS) - 1)]],
            ["POST", "/connectors", "201", 1, 2.0, [*[0] * 10, 1, *[0] * (len(REST_BUCKETS) - 10)]],
        ],
    }


def parse(text: bytes) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def get(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_every_name_is_kconnect_with_units_and_only_documented_labels() -> None:
    text = render(snapshot())
    families = list(text_string_to_metric_families(text.decode()))
    assert families
    documented = Path(__file__).resolve().parents[2].joinpath("docs/metrics.md").read_text()
    for family in families:
        assert family.name.startswith("kconnect_"), family.name
        shown = family.name + ("_total" if family.type == "counter" else "")
        assert f"`{shown}`" in documented, f"{shown} is not in docs/metrics.md"
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS_WITH_LE, (sample.name, sample.labels)
            assert sample.labels["worker"] == "host:8083"


def test_kafka_connect_groups_come_from_the_task_stats() -> None:
    s = parse(render(snapshot()))
    src = {"connector": "src", "task": "0"}
    assert get(s, "kconnect_source_task_poll_records_total", **src) == 1200
    assert get(s, "kconnect_source_task_write_records_total", **src) == 1000
    assert get(s, "kconnect_source_task_active_records", **src) == 200
    assert get(s, "kconnect_source_task_poll_batch_duration_seconds_count", **src) == 3
    assert get(s, "kconnect_source_task_poll_batch_duration_seconds_sum", **src) == 0.5
    assert get(s, "kconnect_source_task_poll_batch_max_seconds", **src) == 0.3
    assert get(s, "kconnect_task_batch_size_max_records", **src) == 500
    assert get(s, "kconnect_task_running_seconds_total", **src) == 10.0
    assert get(s, "kconnect_task_paused_seconds_total", **src) == 2.5
    assert get(s, "kconnect_task_offset_commit_success_total", **src) == 2
    assert get(s, "kconnect_producer_queue_messages", **src) == 200
    assert get(s, "kconnect_producer_queue_bytes", **src) == 4096
    sink = {"connector": "sink", "task": "0"}
    assert get(s, "kconnect_sink_task_read_records_total", **sink) == 950
    assert get(s, "kconnect_sink_task_send_records_total", **sink) == 900
    assert get(s, "kconnect_sink_task_active_records", **sink) == 50
    assert get(s, "kconnect_sink_task_partition_count", **sink) == 2
    assert get(s, "kconnect_sink_task_offset_commit_seq_no", **sink) == 7
    assert get(s, "kconnect_sink_task_offset_commit_completion_total", **sink) == 6
    assert get(s, "kconnect_sink_task_offset_commit_skip_total", **sink) == 0
    assert get(s, "kconnect_consumer_lag_records", topic="orders", partition="1", **sink) == 12
    assert get(s, "kconnect_sink_task_record_lag_max_records", **sink) == 12
    assert get(s, "kconnect_worker_task_startup_attempts_total") == 4
    assert get(s, "kconnect_worker_task_startup_failure_total") == 1
    assert get(s, "kconnect_worker_connector_startup_success_total") == 2
    assert get(s, "kconnect_worker_connector_tasks", connector="dead", state="failed") == 1
    assert get(s, "kconnect_worker_connector_tasks", connector="dead", state="running") == 0
    assert get(s, "kconnect_connector_exits_total", connector="sink", reason="stopped") == 1


def test_task_errors_are_exposed_and_default_to_zero() -> None:
    s = parse(render(snapshot()))
    src = {"connector": "src", "task": "0"}
    assert get(s, "kconnect_task_error_record_failures_total", **src) == 4
    assert get(s, "kconnect_task_error_record_errors_total", **src) == 3
    assert get(s, "kconnect_task_error_records_skipped_total", **src) == 2
    assert get(s, "kconnect_task_error_retries_total", **src) == 1
    assert get(s, "kconnect_task_error_errors_logged_total", **src) == 3
    assert get(s, "kconnect_task_error_dlq_produce_requests_total", **src) == 2
    assert get(s, "kconnect_task_error_dlq_produce_failures_total", **src) == 0
    assert get(s, "kconnect_task_error_last_error_timestamp_seconds", **src) == 1_700_000_000.5
    sink = {"connector": "sink", "task": "0"}  # reports no errors dict: zeros, not absent
    assert get(s, "kconnect_task_error_record_errors_total", **sink) == 0
    assert get(s, "kconnect_task_error_last_error_timestamp_seconds", **sink) == 0


def test_a_failed_task_keeps_its_counters_status_and_exit_reason() -> None:
    s = parse(render(snapshot()))
    dead = {"connector": "dead", "task": "0"}
    assert get(s, "kconnect_task_status", state="failed", **dead) == 1
    assert get(s, "kconnect_task_status", state="running", **dead) == 0
    assert get(s, "kconnect_source_task_write_records_total", **dead) == 77
    assert get(s, "kconnect_task_restarts_total", **dead) == 2
    assert get(s, "kconnect_task_exits_total", reason="signal:SIGKILL", **dead) == 2
    assert get(s, "kconnect_task_last_exit_info", reason="exception", **dead) == 1
    assert get(s, "kconnect_task_last_exit_timestamp_seconds", **dead) == 1_700_000_200.0
    assert not [k for k in s if k[0].startswith("kconnect_task_process_") and ("connector", "dead") in k[1]]


def test_process_facts_are_read_with_psutil() -> None:
    s = parse(render(snapshot()))
    src = {"connector": "src", "task": "0"}  # its pid is this test process
    assert get(s, "kconnect_task_process_cpu_seconds_total", **src) > 0
    assert get(s, "kconnect_task_process_resident_memory_bytes", **src) > 1_000_000
    assert (
        0
        < get(s, "kconnect_task_process_unique_memory_bytes", **src)
        <= get(s, "kconnect_task_process_resident_memory_bytes", **src)
    )
    assert get(s, "kconnect_task_process_open_fds", **src) >= 3
    assert get(s, "kconnect_task_process_start_time_seconds", **src) == 1_700_000_100.0
    assert get(s, "kconnect_supervisor_process_resident_memory_bytes") > 1_000_000
    assert get(s, "kconnect_rest_processes") == 0
    assert get(s, "kconnect_rest_process_restarts_total") == 1


def test_rest_histogram_buckets_are_cumulative() -> None:
    s = parse(render(snapshot()))
    get_200 = {"method": "GET", "route": "/connectors", "code": "200"}
    assert get(s, "kconnect_rest_requests_total", **get_200) == 3
    assert get(s, "kconnect_rest_request_duration_seconds_bucket", le="0.001", **get_200) == 1
    assert get(s, "kconnect_rest_request_duration_seconds_bucket", le="0.0025", **get_200) == 3
    assert get(s, "kconnect_rest_request_duration_seconds_bucket", le="+Inf", **get_200) == 3
    assert get(s, "kconnect_rest_request_duration_seconds_count", **get_200) == 3
    post = {"method": "POST", "route": "/connectors", "code": "201"}
    assert get(s, "kconnect_rest_request_duration_seconds_bucket", le="1.0", **post) == 0
    assert get(s, "kconnect_rest_request_duration_seconds_bucket", le="2.5", **post) == 1
    assert get(s, "kconnect_rest_request_duration_seconds_sum", **post) == 2.0


def test_an_empty_worker_renders() -> None:
    snap = snapshot()
    snap.update(connectors=[], tasks=[], rest=[])
    s = parse(render(snap))
    assert get(s, "kconnect_worker_task_count") == 0
    assert not [k for k in s if k[0].startswith("kconnect_task_")]


# --- librdkafka statistics and windowed maxima ----------------------------------------------------


def test_librdkafka_statistics_give_lag_per_fetched_partition_and_producer_queue() -> None:
    consumer = {
        "type": "consumer",
        "topics": {
            "orders": {
                "partitions": {
                    "0": {"fetch_state": "active", "consumer_lag": 5},
                    "1": {"fetch_state": "active", "consumer_lag": -1},  # not known yet
                    "2": {"fetch_state": "none", "consumer_lag": 9},  # not assigned to us
                    "-1": {"fetch_state": "none", "consumer_lag": -1},
                }
            }
        },
    }
    assert summarise_statistics(consumer) == {"consumer_lag": [["orders", 0, 5]]}
    assert summarise_statistics({"type": "producer", "msg_cnt": 7, "msg_size": 700}) == {
        "producer_queue_messages": 7,
        "producer_queue_bytes": 700,
    }
    metrics = TaskMetrics()
    metrics.on_statistics(json.dumps(consumer))
    assert metrics.snapshot(paused=False)["consumer_lag"] == [["orders", 0, 5]]
    metrics.on_statistics("not json")  # a bad report never reaches librdkafka as an exception
    configured = metrics.instrument({"bootstrap.servers": "x"})
    assert configured["statistics.interval.ms"] == "5000"
    assert configured["stats_cb"] == metrics.on_statistics
    assert metrics.instrument({"statistics.interval.ms": "1000"})["statistics.interval.ms"] == "1000"
    assert TaskMetrics(enabled=False).instrument({"a": "b"}) == {"a": "b"}


def test_windowed_max_covers_two_windows_then_forgets() -> None:
    wmax = WindowedMax()
    t0 = 1000.0
    wmax._window_start = t0
    wmax.record(5.0, t0 + 1)
    wmax.record(3.0, t0 + 2)
    assert wmax.value(t0 + 2) == 5.0
    wmax.record(1.0, t0 + WINDOW_S + 1)  # next window: the previous maximum still counts
    assert wmax.value(t0 + WINDOW_S + 2) == 5.0
    assert wmax.value(t0 + 2 * WINDOW_S + 2) == 1.0  # two windows on: only the last window's
    assert wmax.value(t0 + 5 * WINDOW_S) == 0.0


def test_disabled_task_metrics_report_nothing() -> None:
    metrics = TaskMetrics(enabled=False)
    metrics.batch(10, 0.1)
    metrics.commit(0.1, ok=True)
    assert metrics.snapshot(paused=False) == {}


# --- exit reasons from real wait statuses ---------------------------------------------------------


def _status_of(argv: list[str]) -> tuple[Child, int]:
    proc = subprocess.Popen(argv)
    _, status = os.waitpid(proc.pid, 0)
    return Child(role="source_task", connector="c", task_id=0, proc=proc, sock=None), status


def test_exit_reasons() -> None:
    child, status = _status_of([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    assert exit_reason(child, status) == "signal:SIGKILL"
    child, status = _status_of([sys.executable, "-c", "raise SystemExit(70)"])
    assert exit_reason(child, status) == "exception"
    child, status = _status_of([sys.executable, "-c", "raise SystemExit(3)"])
    assert exit_reason(child, status) == "exit:3"
    child, status = _status_of([sys.executable, "-c", "pass"])
    assert exit_reason(child, status) == "exit:0"  # nobody asked it to stop
    child.stopping = True
    assert exit_reason(child, status) == "stopped"
    child.exit_reason = "heartbeat_timeout"
    assert exit_reason(child, status) == "heartbeat_timeout"
    killed = Child(role="sink_task", connector="c", task_id=0, proc=child.proc, sock=None)
    killed.failure_trace = "Task process exceeded its memory limit of 100 bytes (kconnect.task.memory.max.bytes) ..."
    assert exit_reason(killed, status) == "memory_limit"


# --- REST counters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/connectors", "/connectors"),
        ("POST", "/connectors/", "/connectors"),
        ("GET", "/connectors/my-conn/tasks/3/status", "/connectors/{name}/tasks/{task}/status"),
        ("DELETE", "/connectors/x/status", "/connectors/{name}/status"),  # 405: the path's template still
        ("GET", "/no/such/thing", "unmatched"),
        ("GET", "/metrics", "/metrics"),
    ],
)
def test_route_templates(method: str, path: str, template: str) -> None:
    assert route_template(ROUTES, {"type": "http", "path": path, "method": method}) == template


def test_request_middleware_counts_by_method_route_and_code() -> None:
    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hi", status_code=202)

    routes = [Route("/things/{name}", hello, methods=["GET"])]
    counters = RequestCounters()
    app = RequestMetrics(Starlette(routes=routes), routes, counters)

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            for name in ("a", "b", "c"):
                assert (await client.get(f"/things/{name}")).status_code == 202
            assert (await client.get("/nope")).status_code == 404
            assert (await client.request("BREW", "/things/a")).status_code == 405

    asyncio.run(run())
    series = {tuple(item[:3]): item[3:] for item in counters.payload()["series"]}
    count, total, buckets = series[("GET", "/things/{name}", "202")]
    assert count == 3
    assert sum(buckets) == 3
    assert total >= 0
    assert series[("GET", "unmatched", "404")][0] == 1
    assert series[("other", "/things/{name}", "405")][0] == 1


def test_rest_counters_of_a_gone_process_are_kept(tmp_path: Path) -> None:
    master = Master(
        worker_props={},
        herder=StandaloneHerder("w:1", "cluster", "4.3.0", "x"),
        offsets=OffsetsFile(str(tmp_path / "offsets")),
        policy_for=lambda config: RestartPolicy(),
        shutdown_timeout_ms=1000,
        rest_argv=None,
        control_path=str(tmp_path / "control.sock"),
    )
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    buckets = [1, *[0] * len(REST_BUCKETS)]
    master.metrics.push_rest(gone.pid, [["GET", "/", "200", 5, 0.005, buckets]])
    master.metrics.push_rest(os.getpid(), [["GET", "/", "200", 2, 0.002, buckets]])
    assert master.metrics.snapshot()["rest"] == [["GET", "/", "200", 7, 0.007, [2, *[0] * len(REST_BUCKETS)]]]
    assert gone.pid not in master.metrics.rest_by_pid  # folded away: dead pids do not pile up
    master.metrics.push_rest(os.getpid(), [["GET", "/", "200", 3, 0.003, buckets]])
    assert master.metrics.snapshot()["rest"][0][3] == 8  # still counting on top of the gone process
