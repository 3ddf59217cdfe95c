"""The rebalance/coordination group of /metrics: only distributed workers have it, and every name
docs/metrics.md lists for it is rendered from the coordinator's facts."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from kconnect.supervisor.metrics_render import render
from tests.unit.test_metrics_render import snapshot
from tests.unit.test_recording_rules import COORDINATION

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def samples(snap: dict[str, object]) -> dict[str, float]:
    text = render(snap).decode()
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}


def documented_group() -> set[str]:
    text = DOC.read_text()
    section = text.split("## Rebalance / coordination", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(kconnect_\w+)`", section, re.M))


def test_a_standalone_worker_has_no_rebalance_series() -> None:
    names = samples(snapshot())
    assert not [n for n in names if n.startswith(("kconnect_rebalance_", "kconnect_coordinator_"))]


def test_every_documented_rebalance_metric_is_rendered_from_the_coordinator_facts() -> None:
    names = samples({**snapshot(), "coordination": COORDINATION})
    documented = documented_group()
    assert len(documented) == 18
    for name in documented:
        rendered = {n for n in names if n == name or n in (f"{name}_sum", f"{name}_count")}
        assert rendered, name
    assert names["kconnect_rebalance_completed_total"] == 3
    assert names["kconnect_rebalance_duration_seconds_count"] == 3
    assert names["kconnect_rebalance_duration_seconds_sum"] == 1.5
    assert names["kconnect_rebalance_epoch"] == 4
    assert names["kconnect_rebalance_in_progress"] == 0
    assert names["kconnect_coordinator_leader"] == 1
    assert names["kconnect_coordinator_assigned_tasks"] == 2
    assert names["kconnect_coordinator_lease_remaining_seconds"] == 7.5
    assert names["kconnect_rebalance_time_since_last_seconds"] > 0
    rendered_group = {n for n in names if n.startswith(("kconnect_rebalance_", "kconnect_coordinator_"))}
    undocumented = {n for n in rendered_group if re.sub(r"_(sum|count)$", "", n) not in documented}
    assert undocumented == set()
