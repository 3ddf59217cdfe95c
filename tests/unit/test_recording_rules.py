"""The JMX-compatibility recording rules (grafana/prometheus/recording-rules.yml) against promtool and
against what /metrics really exposes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from kconnect.supervisor.metrics_render import render
from tests.unit.test_metrics_render import snapshot

RULES_DIR = Path(__file__).resolve().parents[2] / "grafana" / "prometheus"
DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
# what a distributed worker's coordinator reports (distributed/rebalance_stats.py RebalanceStats.message)
COORDINATION = {
    "epoch": 4,
    "in_progress": False,
    "completed": 3,
    "duration_sum": 1.5,
    "max": 0.9,
    "last": 0.2,
    "last_completed": 1_700_000_000.0,
    "leader": True,
    "assigned_connectors": 1,
    "assigned_tasks": 2,
    "members": 2,
    "records_read": 40,
    "records_written": 20,
    "heartbeats": 15,
    "lease_renewals": 14,
    "self_fences": 0,
    "lease_remaining": 7.5,
}


def _promtool(*args: str) -> str:
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: install Debian's prometheus package (.ci/run does)"
    done = subprocess.run([promtool, *args], cwd=RULES_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_promtool_checks_and_unit_tests_the_rules() -> None:
    assert "SUCCESS" in _promtool("check", "rules", "recording-rules.yml")
    assert "SUCCESS" in _promtool("test", "rules", "recording-rules.test.yml")


def _rules() -> list[dict[str, str]]:
    groups = yaml.safe_load((RULES_DIR / "recording-rules.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_kconnect_metric_the_rules_read_is_exposed() -> None:
    distributed = {**snapshot(), "coordination": COORDINATION}  # the rebalance group exists in distributed mode only
    exposed = {
        sample.name
        for family in text_string_to_metric_families(render(distributed).decode())
        for sample in family.samples
    }
    for rule in _rules():
        for name in re.findall(r"\bkconnect_\w+", rule["expr"]):
            assert name in exposed, (rule["record"], name)


def test_every_jmx_exporter_name_in_the_doc_is_recorded() -> None:
    recorded = {rule["record"] for rule in _rules()}
    documented = set(re.findall(r"`(kafka_connect_[a-z_]+)`", DOC.read_text()))
    assert documented
    assert sorted(documented - recorded) == []
