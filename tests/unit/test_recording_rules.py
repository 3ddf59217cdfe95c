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
    exposed = {
        sample.name
        for family in text_string_to_metric_families(render(snapshot()).decode())
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
