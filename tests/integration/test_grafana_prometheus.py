"""Every panel of the Grafana dashboard returns data from a real Prometheus scraping a real worker.

The worker moves data (a file source fed continuously -> Kafka -> a file sink) while the test
induces what the quieter panels show: a task that fails (FAILED, exit reason ``exception``), a
task killed with SIGKILL and restarted (restarts, exit reason ``signal:SIGKILL``), a connector
restarted over REST (connector exits), and real dead letter queue records (a sink with
``errors.tolerance=all`` and a DLQ topic, fed malformed JSON next to good records). Grafana's
variables are resolved the way Grafana does it (label values through Prometheus's API, multi-value
regex) and its interval macros substituted.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.integration.test_distributed import timing_profile
from tests.integration.test_errors_dlq import read_all
from tests.support.dashboard_snapshot import render_html, screenshot
from tests.support.prometheus import Prometheus
from tests.support.worker import Worker, count_lines, wait_for

pytestmark = pytest.mark.kafka

GRAFANA = Path(__file__).resolve().parents[2] / "grafana"
SCRAPE_S = 1
STEP_S = 2  # the panel's $__interval
RANGE_S = 120  # the dashboard's time range ($__range)
_REGEX_SPECIAL = re.compile(r"([\\^$*+?.()|\[\]{}])")


def grafana_regex(values: list[str]) -> str:
    """A multi-value variable as Grafana renders it for Prometheus: escaped alternatives."""
    escaped = [_REGEX_SPECIAL.sub(r"\\\\\1", v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def substitute(expr: str, variables: dict[str, str]) -> str:
    rate_interval = max(STEP_S + SCRAPE_S, 4 * SCRAPE_S)  # Grafana's $__rate_interval
    macros = {
        "$__rate_interval": f"{rate_interval}s",
        "$__interval": f"{STEP_S}s",
        "$__range": f"{RANGE_S}s",
        **{f"${name}": value for name, value in variables.items()},
    }
    for key in sorted(macros, key=len, reverse=True):
        expr = expr.replace(key, macros[key])
    assert "$" not in expr, expr
    return expr


def resolve_variables(prometheus: Prometheus, templating: list[dict[str, Any]]) -> dict[str, str]:
    """``label_values(selector, label)`` through /api/v1/label/<label>/values, in dashboard order."""
    resolved: dict[str, str] = {}
    for var in templating:
        if var["type"] != "query":
            continue
        m = re.fullmatch(r"label_values\((.+), (\w+)\)", var["query"]["query"])
        assert m, var
        selector = substitute(m.group(1), resolved)
        values = prometheus.api(f"label/{m.group(2)}/values", **{"match[]": selector})
        assert values, f"variable {var['name']} has no values ({selector})"
        resolved[var["name"]] = grafana_regex(sorted(values))
    return resolved


def panel_targets(dashboard: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield f"{panel['title']} / {target['refId']}", target


def run_target(prometheus: Prometheus, target: dict[str, Any], variables: dict[str, str]) -> list[dict[str, Any]]:
    expr = substitute(target["expr"], variables)
    if target.get("instant"):
        return prometheus.query(expr)
    return prometheus.query_range(expr, 60, STEP_S)


def test_every_panel_query_returns_data_and_alerts_evaluate(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=2)
    json_topic, dlq = f"{unique_topic}-json", f"{unique_topic}-dlq"
    kafka_broker.create_topic(json_topic, partitions=1)
    source, out = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("")
    worker = Worker(tmp_path, kafka_broker.bootstrap_servers)
    # A distributed pair next to the standalone worker: its joins are the rebalances the Rebalances row shows.
    group = f"kc-graf-{uuid.uuid4().hex[:8]}"
    pair = [
        Worker(tmp_path / f"d{i}", kafka_broker.bootstrap_servers, timing_profile(group), mode="distributed")
        for i in range(2)
    ]
    feeding = threading.Event()
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers, "linger.ms": "5"})
    malformed_sent: list[bytes] = []

    def feed() -> None:  # the source moves data the whole time; JSON with malformed records beside
        n = 0
        while not feeding.is_set():
            with open(source, "a") as f:
                f.write("".join(f"record-{n + i}\n" for i in range(200)))
            for i in range(n // 200 * 4, n // 200 * 4 + 4):
                producer.produce(json_topic, json.dumps({"n": i}).encode())
                if i % 2:
                    bad = b'{"n": ' + str(i).encode()  # cut short: the JsonConverter fails on it
                    producer.produce(json_topic, bad)
                    malformed_sent.append(bad)
            producer.poll(0)
            n += 200
            feeding.wait(0.2)
        producer.flush(30)

    feeder = threading.Thread(target=feed, daemon=True)
    prometheus: Prometheus | None = None
    try:
        for d in pair:
            d.work.mkdir()
            d.start(wait=False)
        worker.start()
        worker_id = f"127.0.0.1:{worker.port}"
        pair_ids = [f"127.0.0.1:{d.port}" for d in pair]
        # The shipped recording rules, evaluated every 2 s instead of 30 s (only the interval differs).
        recording = tmp_path / "recording-rules.yml"
        shipped = (GRAFANA / "prometheus/recording-rules.yml").read_text()
        assert "    interval: 30s\n" in shipped
        recording.write_text(shipped.replace("    interval: 30s\n", "    interval: 2s\n"))
        prometheus = Prometheus(
            tmp_path, [worker_id, *pair_ids], SCRAPE_S, rule_files=[GRAFANA / "prometheus/alert-rules.yml", recording]
        ).start()
        feeder.start()
        worker.create(
            "src", {"connector.class": "FileStreamSource", "tasks.max": "1", "file": str(source), "topic": unique_topic}
        )
        worker.create(
            "sink", {"connector.class": "FileStreamSink", "tasks.max": "1", "file": str(out), "topics": unique_topic}
        )
        worker.create(
            "broken",
            {
                "connector.class": "FileStreamSink",
                "tasks.max": "1",
                "file": str(tmp_path / "no-such-dir" / "out.txt"),
                "topics": unique_topic,
                "kconnect.task.restart.enable": "false",
            },
        )
        worker.create(
            "dlq-sink",
            {
                "connector.class": "FileStreamSink",
                "tasks.max": "1",
                "file": str(tmp_path / "json-out.txt"),
                "topics": json_topic,
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false",
                "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true",
            },
        )
        wait_for(lambda: count_lines(out) >= 1000, 60, "records through Kafka into the sink file")
        wait_for(lambda: worker.status("broken")["tasks"][0]["state"] == "FAILED", 60, "broken task FAILED")
        # A task killed from outside and restarted by the supervisor.
        first = wait_for(lambda: worker.task_pids("sink", "sink_task"), 30, "the sink task process")[0]
        os.kill(first, signal.SIGKILL)
        wait_for(
            lambda: (
                [p for p in worker.task_pids("sink", "sink_task") if p != first]
                and worker.status("sink")["tasks"][0]["state"] == "RUNNING"
            ),
            60,
            "sink task restarted",
        )
        # A connector process stopped and started again (connector exits by reason).
        status, body = worker.rest.call("POST", "/connectors/src/restart")
        assert status in (200, 202, 204), (status, body)

        dashboard = json.loads((GRAFANA / "dashboards/kconnect.json").read_text())
        every_worker = grafana_regex(sorted([worker_id, *pair_ids]))

        def all_workers_resolved() -> dict[str, str] | None:
            # The $worker variable must already list the distributed pair (scraped once it has joined),
            # or every Rebalances panel filters it out: a loaded machine can join it after the flow above.
            resolved = _try(lambda: resolve_variables(prometheus, dashboard["templating"]["list"]))
            return resolved if resolved and resolved["worker"] == every_worker else None

        variables = wait_for(all_workers_resolved, 120, "dashboard variables resolvable, all three workers listed")
        assert set(variables) == {"worker", "connector", "task"}
        assert variables["connector"] == "(broken|dlq-sink|sink|src)"

        def empty_panels() -> list[str]:
            return [name for name, target in panel_targets(dashboard) if not run_target(prometheus, target, variables)]

        targets = list(panel_targets(dashboard))
        assert len(targets) == sum(len(p.get("targets", [])) for p in dashboard["panels"]) >= 40
        # Rates need a few scrapes, consumer lag the first librdkafka statistics (5 s).
        deadline = time.monotonic() + 90
        while (missing := empty_panels()) and time.monotonic() < deadline:
            time.sleep(2)
        assert missing == [], f"panel queries without data: {missing}"

        snapshot_dir = os.environ.get("KCONNECT_DASHBOARD_SNAPSHOT")
        if snapshot_dir:  # a picture for docs/grafana.md (Grafana itself is not installable here)
            time.sleep(60)  # let the lines grow longer than the first few scrapes
            page = Path(snapshot_dir) / "grafana-dashboard.html"
            page.write_text(render_html(dashboard, lambda t: run_target(prometheus, t, variables)))
            screenshot(page, page.with_suffix(".png"))

        # The data is the real story, not just present: records flow, the kill and the failure show.
        written = prometheus.query(
            substitute(dashboard_expr(dashboard, "Records per second (all connectors)"), variables)
        )
        assert float(written[0]["value"][1]) > 0
        exits = prometheus.query(f'kconnect_task_last_exit_info{{worker="{worker_id}", connector="sink", task="0"}}')
        assert [e["metric"]["reason"] for e in exits] == ["signal:SIGKILL"]
        exits_panel = prometheus.query(substitute(dashboard_expr(dashboard, "Task exits by reason"), variables))
        by_reason = {(e["metric"]["connector"], e["metric"]["reason"]): float(e["value"][1]) for e in exits_panel}
        assert by_reason[("sink", "signal:SIGKILL")] >= 1
        assert by_reason[("broken", "exception")] == 1
        connector_exits = prometheus.query(
            substitute(dashboard_expr(dashboard, "Connector process exits by reason"), variables)
        )
        assert {(e["metric"]["connector"], e["metric"]["reason"]) for e in connector_exits} >= {("src", "stopped")}
        failed = prometheus.query('kconnect_task_status{connector="broken", state="failed"} == 1')
        assert len(failed) == 1
        restarts = prometheus.query('kconnect_task_restarts_total{connector="sink", task="0"}')
        assert float(restarts[0]["value"][1]) >= 1
        # The DLQ panels are driven by real DLQ records: while malformed records arrive, DLQ writes
        # and skipped records per second are above 0 for the DLQ sink (and only for it).
        dlq_panel = prometheus.query(
            substitute(dashboard_expr(dashboard, "Dead letter queue writes per second"), variables)
        )
        assert {e["metric"]["connector"] for e in dlq_panel if float(e["value"][1]) > 0} == {"dlq-sink"}, dlq_panel
        errors_panel = prometheus.query(
            substitute(dashboard_expr(dashboard, "Record errors and skipped records per second"), variables)
        )
        assert {e["metric"]["connector"] for e in errors_panel if float(e["value"][1]) > 0} == {"dlq-sink"}
        alerts_dlq = wait_for(
            lambda: [
                a
                for a in prometheus.api("alerts")["alerts"]
                if a["labels"]["alertname"] == "KconnectDeadLetterQueueGrowing"
            ],
            30,
            "KconnectDeadLetterQueueGrowing active",
        )
        assert {a["labels"]["connector"] for a in alerts_dlq} == {"dlq-sink"}, alerts_dlq
        # Once the feed stops, the DLQ counter Prometheus scraped equals the records in the DLQ topic,
        # which are exactly the malformed records sent.
        feeding.set()
        feeder.join(60)
        in_dlq = read_all(kafka_broker, dlq, len(malformed_sent))
        assert sorted(m.value() for m in in_dlq) == sorted(malformed_sent)
        dlq_query = 'kconnect_task_error_dlq_produce_requests_total{connector="dlq-sink", task="0"}'
        wait_for(
            lambda: (r := prometheus.query(dlq_query)) and float(r[0]["value"][1]) == len(malformed_sent),
            30,
            "the scraped DLQ counter to reach the DLQ topic's record count",
        )

        # The shipped alert rules load and match the live series: the FAILED task is pending/firing.
        alerts = wait_for(
            lambda: [a for a in prometheus.api("alerts")["alerts"] if a["labels"]["alertname"] == "KconnectTaskFailed"],
            30,
            "KconnectTaskFailed active",
        )
        assert [(a["labels"]["connector"], a["state"] in ("pending", "firing")) for a in alerts] == [("broken", True)]
        # Java dashboards keep working: every JMX-exporter name the recording rules produce has data.
        recorded = re.findall(r"^\s+- record: (\S+)$", shipped, re.M)
        assert len(recorded) >= 60, recorded

        def unrecorded() -> list[str]:
            return [name for name in recorded if not prometheus.query(name)]

        wait_for(lambda: not unrecorded(), 60, "every recording rule to produce series")
        running = prometheus.query('kafka_connect_connector_task_status{connector="src", status="running"}')
        assert [float(r["value"][1]) for r in running] == [1.0]
        read_rate = prometheus.query('kafka_connect_sink_task_sink_record_read_rate{connector="sink"}')
        assert float(read_rate[0]["value"][1]) > 0
        rules = prometheus.api("rules")["groups"]
        assert all(r["health"] == "ok" for g in rules for r in g["rules"]), rules

        # The Rebalances row shows the distributed pair: each completed its joining rebalance, one leads.
        # (waited for: the second worker's join can complete after the scrapes the panels above saw)
        def rebalanced() -> set[str]:
            q = substitute(dashboard_expr(dashboard, "Completed rebalances"), variables)
            return {e["metric"]["worker"] for e in prometheus.query(q) if float(e["value"][1]) >= 1}

        wait_for(lambda: rebalanced() == set(pair_ids), 60, "both workers of the pair to show a completed rebalance")

        def leader_values() -> list[float]:
            q = substitute(dashboard_expr(dashboard, "Leader and assigned units"), variables)
            return sorted(float(e["value"][1]) for e in prometheus.query(q))

        wait_for(lambda: leader_values() == [0.0, 1.0], 60, "exactly one leader in the pair")
    finally:
        feeding.set()
        if prometheus is not None:
            prometheus.stop()
        worker.stop()
        for d in pair:
            if d.proc is not None and d.proc.poll() is None:
                d.stop(timeout=30)


def dashboard_expr(dashboard: dict[str, Any], title: str) -> str:
    panel = next(p for p in dashboard["panels"] if p["title"] == title)
    return str(panel["targets"][0]["expr"])


def _try(fn: Any) -> Any:
    try:
        return fn()
    except AssertionError:
        return None


def test_grafana_regex_escapes_like_grafana() -> None:
    assert grafana_regex(["127.0.0.1:8083"]) == r"127\\.0\\.0\\.1:8083"
    assert grafana_regex(["a", "b(c)"]) == r"(a|b\\(c\\))"
