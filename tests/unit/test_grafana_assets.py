"""grafana/: alert rules checked and unit-tested by Debian's promtool; the dashboard JSON is well formed
and matches its generator. (Every panel query is run against a real Prometheus in
tests/integration/test_grafana_prometheus.py.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

GRAFANA = Path(__file__).resolve().parents[2] / "grafana"


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool not found: apt-get install prometheus (.ci/run installs it)"
    return path


def test_promtool_check_rules() -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", str(GRAFANA / "prometheus/alert-rules.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 9 rules found" in result.stdout


def test_promtool_unit_tests_show_every_alert_firing() -> None:
    tests = GRAFANA / "prometheus/alert-rules.test.yml"
    result = subprocess.run(
        [promtool(), "test", "rules", tests.name], capture_output=True, text=True, timeout=60, cwd=tests.parent
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Every alert of the rules file has at least one test case in which it fires.
    rules = yaml.safe_load((GRAFANA / "prometheus/alert-rules.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    doc = yaml.safe_load(tests.read_text())
    firing = {t["alertname"] for case in doc["tests"] for t in case["alert_rule_test"] if t["exp_alerts"]}
    assert firing == alerts


def test_dashboard_json_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "kconnect.json"
    subprocess.run([sys.executable, str(GRAFANA / "build_dashboard.py"), str(out)], check=True, timeout=60)
    assert out.read_text() == (GRAFANA / "dashboards/kconnect.json").read_text(), "run grafana/build_dashboard.py"


def test_dashboard_panels_have_ids_queries_and_a_free_grid_cell() -> None:
    dashboard = json.loads((GRAFANA / "dashboards/kconnect.json").read_text())
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for p in panels:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & mine, f"panel {p['title']!r} overlaps another"
        cells |= mine
        if p["type"] != "row":
            assert p["targets"], p["title"]
            assert all(t["expr"].strip() for t in p["targets"])
    names = [v["name"] for v in dashboard["templating"]["list"]]
    assert names == ["datasource", "worker", "connector", "task"]


def test_provisioning_points_at_the_datasource_the_dashboard_uses() -> None:
    datasources = yaml.safe_load((GRAFANA / "provisioning/datasources/kconnect.yml").read_text())
    assert datasources["datasources"][0]["uid"] == "kconnect-prometheus"
    dashboard = json.loads((GRAFANA / "dashboards/kconnect.json").read_text())
    assert dashboard["templating"]["list"][0]["current"]["value"] == "kconnect-prometheus"
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/kconnect.yml").read_text())
    assert providers["providers"][0]["type"] == "file"
