"""Golden diff of the REST API in distributed mode: ``kconnect distributed`` vs Java's ``ConnectDistributed``.

One worker on each side, each in its own group with its own internal topics on the session broker. The
scenario (tests/golden/scenario_distributed.py) is the standalone one plus distributed-only steps
(``forward`` parameter, task restart on a unit, restart through the leader); responses are normalised
(tests/golden/normalise.py) and must be equal step by step, except for the rows of
``DISTRIBUTED_DIFFERENCES`` in tests/golden/differences.py.

* ``test_java_distributed_matches_recording`` (java-marked) runs the scenario LIVE against Java and
  compares it with tests/golden/java_responses_distributed.json; with ``KCONNECT_GOLDEN_RECORD=1`` it
  rewrites the recording instead (same as ``python -m tests.golden.record_distributed``).
* ``test_kconnect_distributed_matches_java`` runs the scenario against ``kconnect distributed`` and
  compares with the recording (no Java needed), reporting every differing step at once.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.golden.differences import DISTRIBUTED_DIFFERENCES
from tests.golden.record_distributed import (
    COMMENT,
    RECORDED_DISTRIBUTED_FILE,
    SETTLE_READS_S,
    distributed_props,
    record_java_distributed,
)
from tests.golden.runner import Run, compare, load_recorded, run_scenario, save_recorded
from tests.golden.scenario_distributed import DISTRIBUTED_SCENARIO
from tests.support.java_connect import CONVERTERS
from tests.support.worker import Worker, wait_for

pytestmark = pytest.mark.kafka

RECORD = os.environ.get("KCONNECT_GOLDEN_RECORD") == "1"
RECORD_COMMAND = "python -m tests.golden.record_distributed"


def _report(problems: list[str], total: int, against: str) -> str:
    return (
        f"{len(problems)} of {total} distributed golden REST steps differ ({against}); responses are normalised "
        "(tests/golden/normalise.py), deliberate differences are DISTRIBUTED_DIFFERENCES in "
        "tests/golden/differences.py:\n\n" + "\n\n".join(problems)
    )


@pytest.mark.java
def test_java_distributed_matches_recording(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    responses, meta = record_java_distributed(tmp_path, kafka_broker.bootstrap_servers, kafka_broker.cluster_id)
    if RECORD:
        save_recorded(responses, meta, RECORDED_DISTRIBUTED_FILE, COMMENT)
        return
    recorded = load_recorded(RECORDED_DISTRIBUTED_FILE)
    problems = compare(recorded, responses, apply_deliberate=False, left="recorded", record_command=RECORD_COMMAND)
    if problems:
        against = f"live Java vs {RECORDED_DISTRIBUTED_FILE.name}: re-record with `{RECORD_COMMAND}` if intended"
        pytest.fail(_report(problems, len(recorded), against), pytrace=False)


@pytest.fixture
def kconnect_distributed(kafka_broker: KafkaBroker, tmp_path: Path) -> Iterator[Worker]:
    work = tmp_path / "kconnect"
    work.mkdir()
    props = {
        **distributed_props(f"golden-kconnect-{uuid.uuid4().hex[:8]}"),
        # A single worker joins alone: no reason to wait for others before the first assignment.
        "kconnect.coordination.initial.rebalance.delay.ms": "200",
        "kconnect.coordination.rebalance.debounce.ms": "100",
    }
    worker = Worker(work, kafka_broker.bootstrap_servers, props, mode="distributed")
    assert {k: worker.props[k] for k in CONVERTERS} == CONVERTERS, "both sides must use the same converters"
    worker.start()
    # Like JavaConnect.start(): the scenario begins once the worker answers cluster reads (it has joined).
    wait_for(lambda: worker.rest.call("GET", "/connectors")[0] == 200, timeout=60, what="GET /connectors 200")
    try:
        yield worker
    finally:
        worker.stop()


def test_kconnect_distributed_matches_java(
    kconnect_distributed: Worker, kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    run = Run(
        base_url=kconnect_distributed.rest.base,
        bootstrap=kafka_broker.bootstrap_servers,
        files_dir=tmp_path / "files",
        cluster_id=kafka_broker.cluster_id,
        settle_reads=SETTLE_READS_S,
    )
    responses = run_scenario(run, DISTRIBUTED_SCENARIO, wait_budget=75.0)
    recorded = load_recorded(RECORDED_DISTRIBUTED_FILE)
    problems = compare(recorded, responses, differences=DISTRIBUTED_DIFFERENCES, record_command=RECORD_COMMAND)
    if problems:
        pytest.fail(
            _report(problems, len(recorded), "Java ConnectDistributed 4.3 vs kconnect distributed"), pytrace=False
        )
