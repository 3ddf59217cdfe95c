"""Generates grafana/dashboards/kconnect.json: the kconnect Grafana dashboard.

The panels are data here (title, kind, PromQL) so the JSON stays consistent (grid, ids, units)
and reviewable; `python grafana/build_dashboard.py` rewrites the JSON, and a unit test fails when
the committed JSON and this file disagree. Every query filters by the ``$worker`` variable and,
below the overview, by ``$connector``/``$task``; metric names are those of docs/metrics.md.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards" / "kconnect.json"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
W = 'worker=~"$worker"'
C = f'{W}, connector=~"$connector"'
T = f'{C}, task=~"$task"'


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    kind: str = "timeseries"  # timeseries | stat | table
    unit: str = "short"
    width: int = 8
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)


def rate_by_connector(metric: str) -> str:
    return f"sum by (connector) (rate({metric}{{{C}}}[$__rate_interval]))"


def q(expr: str, legend: str = "", instant: bool = False) -> Query:
    return Query(expr, legend, instant)


ROWS: list[tuple[str, list[Panel]]] = [
    (
        "Cluster overview",
        [
            Panel("Workers up", (q('sum(up{job="kconnect"})', "up"),), "stat", width=4),
            Panel(
                "Connectors by state",
                (q(f"sum by (state) (kconnect_connector_status{{{W}}})", "{{state}}"),),
                "stat",
                width=5,
            ),
            Panel(
                "Tasks by state", (q(f"sum by (state) (kconnect_task_status{{{W}}})", "{{state}}"),), "stat", width=5
            ),
            Panel(
                "Task processes / connector processes",
                (
                    q(f"sum(kconnect_worker_task_count{{{W}}})", "tasks"),
                    q(f"sum(kconnect_worker_connector_count{{{W}}})", "connectors"),
                ),
                "stat",
                width=5,
            ),
            Panel(
                "Worker uptime",
                (q(f"time() - kconnect_worker_start_time_seconds{{{W}}}", "{{worker}}"),),
                "stat",
                unit="s",
                width=5,
            ),
            Panel(
                "Records per second (all connectors)",
                (
                    q(
                        f"sum(rate(kconnect_source_task_write_records_total{{{W}}}[$__rate_interval]))",
                        "source written",
                    ),
                    q(f"sum(rate(kconnect_sink_task_send_records_total{{{W}}}[$__rate_interval]))", "sink sent"),
                ),
                unit="rps",
                width=12,
            ),
            Panel(
                "Startups and startup failures",
                (
                    q(f"sum(increase(kconnect_worker_task_startup_attempts_total{{{W}}}[$__range]))", "task attempts"),
                    q(f"sum(increase(kconnect_worker_task_startup_failure_total{{{W}}}[$__range]))", "task failures"),
                    q(
                        f"sum(increase(kconnect_worker_connector_startup_failure_total{{{W}}}[$__range]))",
                        "connector failures",
                    ),
                ),
                "stat",
                width=12,
                description="Over the dashboard's time range.",
            ),
        ],
    ),
    (
        "Per connector",
        [
            Panel(
                "Connector state",
                (q(f"kconnect_connector_status{{{C}}} == 1", "{{connector}}: {{state}}", instant=True),),
                "table",
                width=8,
            ),
            Panel(
                "Tasks by state",
                (q(f"sum by (connector, state) (kconnect_worker_connector_tasks{{{C}}})", "{{connector}} {{state}}"),),
                width=16,
            ),
            Panel(
                "Source: records polled / written per second",
                (
                    q(
                        rate_by_connector("kconnect_source_task_poll_records_total"),
                        "{{connector}} polled",
                    ),
                    q(
                        rate_by_connector("kconnect_source_task_write_records_total"),
                        "{{connector}} written",
                    ),
                ),
                unit="rps",
            ),
            Panel(
                "Sink: records read / sent per second",
                (
                    q(
                        rate_by_connector("kconnect_sink_task_read_records_total"),
                        "{{connector}} read",
                    ),
                    q(
                        rate_by_connector("kconnect_sink_task_send_records_total"),
                        "{{connector}} sent",
                    ),
                ),
                unit="rps",
            ),
            Panel(
                "Consumer lag per partition",
                (
                    q(
                        f"sum by (connector, topic, partition) (kconnect_consumer_lag_records{{{C}}})",
                        "{{connector}} {{topic}}-{{partition}}",
                    ),
                ),
            ),
            Panel(
                "Records in flight (active)",
                (
                    q(f"sum by (connector) (kconnect_source_task_active_records{{{C}}})", "{{connector}} source"),
                    q(f"sum by (connector) (kconnect_sink_task_active_records{{{C}}})", "{{connector}} sink"),
                ),
            ),
            Panel(
                "Producer queue (source tasks)",
                (q(f"sum by (connector) (kconnect_producer_queue_messages{{{C}}})", "{{connector}}"),),
            ),
            Panel(
                "Offset commits per second",
                (
                    q(
                        rate_by_connector("kconnect_task_offset_commit_success_total"),
                        "{{connector}} ok",
                    ),
                    q(
                        rate_by_connector("kconnect_task_offset_commit_failure_total"),
                        "{{connector}} failed",
                    ),
                ),
                unit="ops",
            ),
        ],
    ),
    (
        "Per task",
        [
            Panel(
                "Task state",
                (q(f"kconnect_task_status{{{T}}} == 1", "{{connector}}-{{task}}: {{state}}", instant=True),),
                "table",
            ),
            Panel(
                "CPU (cores)",
                (
                    q(
                        f"rate(kconnect_task_process_cpu_seconds_total{{{T}}}[$__rate_interval])",
                        "{{connector}}-{{task}}",
                    ),
                ),
                unit="percentunit",
            ),
            Panel(
                "Resident memory (RSS)",
                (q(f"kconnect_task_process_resident_memory_bytes{{{T}}}", "{{connector}}-{{task}}"),),
                unit="bytes",
            ),
            Panel(
                "Unique memory (USS)",
                (q(f"kconnect_task_process_unique_memory_bytes{{{T}}}", "{{connector}}-{{task}}"),),
                unit="bytes",
            ),
            Panel(
                "Open file descriptors",
                (q(f"kconnect_task_process_open_fds{{{T}}}", "{{connector}}-{{task}}"),),
            ),
            Panel(
                "Restarts",
                (q(f"increase(kconnect_task_restarts_total{{{T}}}[$__interval])", "{{connector}}-{{task}}"),),
                kind="timeseries",
                options={"drawStyle": "bars"},
            ),
            Panel(
                "Last exit reason",
                (
                    q(
                        f"kconnect_task_last_exit_info{{{T}}}",
                        "{{connector}}-{{task}}: {{reason}}",
                        instant=True,
                    ),
                ),
                "table",
            ),
            Panel(
                "Batch time (average per batch)",
                (
                    q(
                        f"rate(kconnect_source_task_poll_batch_duration_seconds_sum{{{T}}}[$__rate_interval])"
                        f" / rate(kconnect_source_task_poll_batch_duration_seconds_count{{{T}}}[$__rate_interval])",
                        "{{connector}}-{{task}} poll",
                    ),
                    q(
                        f"rate(kconnect_sink_task_put_batch_duration_seconds_sum{{{T}}}[$__rate_interval])"
                        f" / rate(kconnect_sink_task_put_batch_duration_seconds_count{{{T}}}[$__rate_interval])",
                        "{{connector}}-{{task}} put",
                    ),
                ),
                unit="s",
            ),
            Panel(
                "Sink partitions and max lag",
                (
                    q(f"kconnect_sink_task_partition_count{{{T}}}", "{{connector}}-{{task}} partitions"),
                    q(f"kconnect_sink_task_record_lag_max_records{{{T}}}", "{{connector}}-{{task}} max lag"),
                ),
            ),
        ],
    ),
    (
        "Errors and dead letter queue",
        [
            Panel(
                "Failed tasks",
                (q(f'kconnect_task_status{{{C}, state="failed"}} == 1', "{{connector}}-{{task}}", instant=True),),
                "table",
            ),
            Panel(
                "Task exits by reason",
                (
                    q(
                        f"sum by (connector, task, reason) (kconnect_task_exits_total{{{C}}})",
                        "{{connector}}-{{task}} {{reason}}",
                        instant=True,
                    ),
                ),
                "table",
                # Totals, not increase(): a reason's series is born at 1, which increase() cannot see.
                description="Since the worker started.",
            ),
            Panel(
                "Record errors and skipped records per second",
                (
                    q(
                        rate_by_connector("kconnect_task_error_record_errors_total"),
                        "{{connector}} errors",
                    ),
                    q(
                        rate_by_connector("kconnect_task_error_records_skipped_total"),
                        "{{connector}} skipped",
                    ),
                    q(
                        rate_by_connector("kconnect_task_error_retries_total"),
                        "{{connector}} retries",
                    ),
                ),
                unit="rps",
            ),
            Panel(
                "Dead letter queue writes per second",
                (
                    q(
                        f"sum by (connector) "
                        f"(rate(kconnect_task_error_dlq_produce_requests_total{{{C}}}[$__rate_interval]))",
                        "{{connector}} sent to DLQ",
                    ),
                    q(
                        f"sum by (connector) "
                        f"(rate(kconnect_task_error_dlq_produce_failures_total{{{C}}}[$__rate_interval]))",
                        "{{connector}} DLQ failures",
                    ),
                ),
                unit="rps",
            ),
            Panel(
                "Connector process exits by reason",
                (
                    q(
                        f"sum by (connector, reason) (kconnect_connector_exits_total{{{C}}})",
                        "{{connector}} {{reason}}",
                        instant=True,
                    ),
                ),
                "table",
                description="Since the worker started.",
            ),
        ],
    ),
    (
        "REST API and processes",
        [
            Panel(
                "Requests per second by route and code",
                (
                    q(
                        f"sum by (method, route, code) (rate(kconnect_rest_requests_total{{{W}}}[$__rate_interval]))",
                        "{{method}} {{route}} {{code}}",
                    ),
                ),
                unit="reqps",
            ),
            Panel(
                "Latency p50 / p99",
                (
                    q(
                        "histogram_quantile(0.5, sum by (le) "
                        f"(rate(kconnect_rest_request_duration_seconds_bucket{{{W}}}[$__rate_interval])))",
                        "p50",
                    ),
                    q(
                        "histogram_quantile(0.99, sum by (le) "
                        f"(rate(kconnect_rest_request_duration_seconds_bucket{{{W}}}[$__rate_interval])))",
                        "p99",
                    ),
                ),
                unit="s",
            ),
            Panel(
                "Supervisor and REST processes: CPU, RSS",
                (
                    q(
                        f"rate(kconnect_supervisor_process_cpu_seconds_total{{{W}}}[$__rate_interval])",
                        "supervisor CPU",
                    ),
                    q(f"rate(kconnect_rest_process_cpu_seconds_total{{{W}}}[$__rate_interval])", "REST CPU"),
                    q(f"kconnect_supervisor_process_resident_memory_bytes{{{W}}} / 2^20", "supervisor RSS MiB"),
                    q(f"kconnect_rest_process_resident_memory_bytes{{{W}}} / 2^20", "REST RSS MiB"),
                ),
            ),
        ],
    ),
    (
        "Rebalances (distributed mode)",
        [
            Panel(
                "Rebalance in progress",
                (q(f"kconnect_rebalance_in_progress{{{W}}}", "{{worker}}"),),
                width=6,
                description="1 while this worker waits for its assignment to settle (joining, revoking, grants).",
            ),
            Panel(
                "Assignment generation (epoch)",
                (q(f"kconnect_rebalance_epoch{{{W}}}", "{{worker}}"),),
                width=6,
            ),
            Panel(
                "Completed rebalances",
                (q(f"sum by (worker) (kconnect_rebalance_completed_total{{{W}}})", "{{worker}}"),),
                "stat",
                width=6,
                description="Since each worker started.",
            ),
            Panel(
                "Time since last rebalance",
                (q(f"time() - (kconnect_rebalance_last_completed_timestamp_seconds{{{W}}} > 0)", "{{worker}}"),),
                "stat",
                unit="s",
                width=6,
            ),
            Panel(
                "Rebalance duration: last / max",
                (
                    q(f"kconnect_rebalance_last_seconds{{{W}}}", "{{worker}} last"),
                    q(f"kconnect_rebalance_max_seconds{{{W}}}", "{{worker}} max"),
                ),
                unit="s",
            ),
            Panel(
                "Leader and assigned units",
                (
                    q(f"kconnect_coordinator_leader{{{W}}}", "{{worker}} leader", instant=True),
                    q(f"kconnect_coordinator_assigned_connectors{{{W}}}", "{{worker}} connectors", instant=True),
                    q(f"kconnect_coordinator_assigned_tasks{{{W}}}", "{{worker}} tasks", instant=True),
                ),
                "table",
            ),
            Panel(
                "Coordination protocol",
                (
                    q(
                        f"sum by (worker) (rate(kconnect_coordinator_records_written_total{{{W}}}[$__rate_interval]))",
                        "{{worker}} records written/s",
                    ),
                    q(
                        f"sum by (worker) (rate(kconnect_coordinator_records_read_total{{{W}}}[$__rate_interval]))",
                        "{{worker}} records read/s",
                    ),
                    q(f"kconnect_coordinator_lease_remaining_seconds{{{W}}}", "{{worker}} lease left (s)"),
                    q(f"kconnect_coordinator_self_fences_total{{{W}}}", "{{worker}} self-fences"),
                ),
                description="Records of the coordination log, the lease left before this worker's units are fenced.",
            ),
        ],
    ),
]


def _variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-var"},
        "definition": query,
        "refresh": 2,  # on time range change
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 3,
    }


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    targets = [
        {
            "datasource": DATASOURCE,
            "expr": query.expr,
            "legendFormat": query.legend or "__auto",
            "instant": query.instant,
            "range": not query.instant,
            "refId": chr(ord("A") + i),
        }
        for i, query in enumerate(panel.queries)
    ]
    out: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": panel.width, "x": x, "y": y},
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": panel.unit, "custom": dict(panel.options)}, "overrides": []},
        "options": {},
    }
    if panel.description:
        out["description"] = panel.description
    if panel.kind == "table":
        out["transformations"] = [{"id": "labelsToFields", "options": {}}]
    return out


def build() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    panel_id, y = 1, 0
    for title, row in ROWS:
        panels.append(
            {
                "id": panel_id,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
            }
        )
        panel_id, y, x = panel_id + 1, y + 1, 0
        for panel in row:
            if x + panel.width > 24:
                x, y = 0, y + 8
            panels.append(_panel(panel, panel_id, x, y))
            panel_id, x = panel_id + 1, x + panel.width
        y += 8
    return {
        "uid": "kconnect-overview",
        "title": "kconnect",
        "description": "kconnect workers, connectors and tasks (metric names: docs/metrics.md)",
        "tags": ["kconnect", "kafka-connect"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "annotations": {"list": []},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {"text": "kconnect-prometheus", "value": "kconnect-prometheus"},
                },
                _variable("worker", "Worker", "label_values(kconnect_worker_start_time_seconds, worker)"),
                _variable(
                    "connector", "Connector", 'label_values(kconnect_connector_status{worker=~"$worker"}, connector)'
                ),
                _variable(
                    "task",
                    "Task",
                    'label_values(kconnect_task_status{worker=~"$worker", connector=~"$connector"}, task)',
                ),
            ]
        },
        "panels": panels,
    }


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render())
    print(f"wrote {target}")
