"""Golden diff of the REST API: kconnect standalone vs Apache's Java Kafka Connect 4.3 (ConnectStandalone).

One scripted scenario (tests/golden/scenario.py) runs against both workers; responses are normalised
(tests/golden/normalise.py) and must be equal, step by step, except for the deliberate differences
listed in tests/golden/differences.py.

* ``test_java_connect_matches_recording`` runs the scenario LIVE against Java and compares it with
  the committed recording (tests/golden/java_responses.json): catches drift in the recording, the
  scenario or the normaliser. With ``KCONNECT_GOLDEN_RECORD=1`` it rewrites the recording instead
  (same as ``python -m tests.golden.record``).
* ``test_kconnect_matches_java`` runs the scenario against ``kconnect standalone`` and compares
  with the recording (no Java needed), reporting every differing step at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.golden.record import record_java
from tests.golden.runner import RECORDED_FILE, Run, compare, load_recorded, run_scenario, save_recorded
from tests.support.java_connect import CONVERTERS
from tests.support.worker import Worker

pytestmark = pytest.mark.kafka

RECORD = os.environ.get("KCONNECT_GOLDEN_RECORD") == "1"


def _report(problems: list[str], total: int, against: str) -> str:
    return (
        f"{len(problems)} of {total} golden REST steps differ ({against}); responses are normalised "
        "(tests/golden/normalise.py), deliberate differences are in tests/golden/differences.py:\n\n"
        + "\n\n".join(problems)
    )


@pytest.mark.java
def test_java_connect_matches_recording(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    responses, meta = record_java(tmp_path, kafka_broker.bootstrap_servers, kafka_broker.cluster_id)
    if RECORD:
        save_recorded(responses, meta)
        return
    recorded = load_recorded()
    problems = compare(recorded, responses, apply_deliberate=False, left="recorded")
    if problems:
        against = f"live Java vs {RECORDED_FILE.name}: re-record with `python -m tests.golden.record` if intended"
        pytest.fail(_report(problems, len(recorded), against), pytrace=False)


@pytest.fixture
def kconnect_worker(kafka_broker: KafkaBroker, tmp_path: Path) -> Iterator[Worker]:
    work = tmp_path / "kconnect"
    work.mkdir()
    worker = Worker(work, kafka_broker.bootstrap_servers)
    assert {k: worker.props[k] for k in CONVERTERS} == CONVERTERS, "both sides must use the same converters"
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def test_kconnect_matches_java(kconnect_worker: Worker, kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    run = Run(
        base_url=kconnect_worker.rest.base,
        bootstrap=kafka_broker.bootstrap_servers,
        files_dir=tmp_path / "files",
        cluster_id=kafka_broker.cluster_id,
    )
    responses = run_scenario(run)
    recorded = load_recorded()
    problems = compare(recorded, responses)
    if problems:
        pytest.fail(_report(problems, len(recorded), "Java Kafka Connect 4.3 vs kconnect"), pytrace=False)
