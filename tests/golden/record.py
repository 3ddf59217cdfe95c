"""Record Java Kafka Connect's normalised responses to the golden scenario.

    python -m tests.golden.record [--out tests/golden/java_responses.json] [--work DIR]

Starts a throwaway Kafka broker and Apache's ``ConnectStandalone`` (jars from Maven Central), runs
tests/golden/scenario.py against it and writes the normalised responses. The same recording also
happens from the test suite with ``KCONNECT_GOLDEN_RECORD=1 pytest -m java tests/integration/test_rest_golden.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kconnect.supervisor.devbroker import jars
from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.golden.runner import RECORDED_FILE, Response, Run, run_scenario, save_recorded
from tests.support.java_connect import CONVERTERS, JavaConnect

__all__ = ["main", "record_java"]


def record_java(work_dir: Path, bootstrap: str, cluster_id: str | None) -> tuple[list[Response], dict[str, Any]]:
    """Run the scenario against a fresh Java worker; (normalised responses, metadata for the file)."""
    java = JavaConnect(work_dir / "java-connect", bootstrap)
    java.start()
    try:
        run = Run(base_url=java.base_url, bootstrap=bootstrap, files_dir=work_dir / "files", cluster_id=cluster_id)
        began = time.monotonic()
        responses = run_scenario(run, strict=True)
        took = time.monotonic() - began
    except BaseException:
        print(java.log_tail(), file=sys.stderr)
        raise
    finally:
        java.stop()
    meta = {
        "kafka_version": jars.KAFKA_VERSION,
        "worker": "org.apache.kafka.connect.cli.ConnectStandalone",
        "converters": CONVERTERS,
        "java_startup_seconds": round(java.startup_seconds or 0.0, 1),
        "scenario_seconds": round(took, 1),
    }
    return responses, meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.record", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RECORDED_FILE)
    parser.add_argument("--work", type=Path, default=None, help="work dir (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kconnect-golden-") as tmp:
        work = (args.work or Path(tmp)).resolve()
        with KafkaBroker(work / "kafka") as broker:
            responses, meta = record_java(work, broker.bootstrap_servers, broker.cluster_id)
    save_recorded(responses, meta, args.out)
    print(
        f"recorded {len(responses)} steps into {args.out} (Java startup {meta['java_startup_seconds']} s, "
        f"scenario {meta['scenario_seconds']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
