"""Golden diff for client override policies and topic creation settings: kconnect vs Java Kafka Connect 4.3.

tests/golden/overrides_scenario.py lists worker configurations (override policies) and the steps
run against each; Java's answers are recorded in tests/golden/java_overrides.json.

* ``test_java_connect_matches_overrides_recording`` (marker ``java``) runs the steps LIVE against
  Java and compares with the recording; ``KCONNECT_GOLDEN_RECORD=1`` rewrites it instead.
* ``test_kconnect_matches_java_overrides`` runs them against ``kconnect standalone``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.golden.overrides_scenario import WORKERS
from tests.golden.record_overrides import (
    RECORDED_OVERRIDES,
    load_recorded_overrides,
    record_java_overrides,
    save_recorded_overrides,
)
from tests.golden.runner import Run, compare, run_scenario
from tests.support.worker import Worker

pytestmark = pytest.mark.kafka


@pytest.mark.java
def test_java_connect_matches_overrides_recording(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    live = record_java_overrides(tmp_path, kafka_broker.bootstrap_servers, kafka_broker.cluster_id)
    if os.environ.get("KCONNECT_GOLDEN_RECORD") == "1":
        save_recorded_overrides(live)
        return
    recorded = load_recorded_overrides()
    assert sorted(live) == sorted(recorded)
    problems = [p for name in recorded for p in compare(recorded[name], live[name], apply_deliberate=False)]
    assert not problems, f"live Java vs {RECORDED_OVERRIDES.name}:\n\n" + "\n\n".join(problems)


@pytest.mark.parametrize("worker_name", list(WORKERS))
def test_kconnect_matches_java_overrides(worker_name: str, kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    settings, steps = WORKERS[worker_name]
    worker = Worker(tmp_path / "kconnect", kafka_broker.bootstrap_servers, extra=settings)
    (tmp_path / "kconnect").mkdir()
    worker.start()
    try:
        run = Run(
            base_url=worker.rest.base,
            bootstrap=kafka_broker.bootstrap_servers,
            files_dir=tmp_path / "files",
            cluster_id=kafka_broker.cluster_id,
        )
        responses = run_scenario(run, steps)
    finally:
        worker.stop()
    recorded = load_recorded_overrides()[worker_name]
    problems = compare(recorded, responses)
    assert not problems, f"{worker_name}: Java Kafka Connect 4.3 vs kconnect:\n\n" + "\n\n".join(problems)
