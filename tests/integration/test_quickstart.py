"""README's first command must keep working: run the quickstart for a bounded number of lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.kafka


def test_quickstart_moves_lines_through_its_own_broker_and_stops_cleanly(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kconnect.supervisor",
            "quickstart",
            "--dir",
            str(tmp_path),
            "--lines",
            "3000",
            "--rate",
            "3000",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all lines arrived" in result.stdout
    lines = (tmp_path / "output.txt").read_text().splitlines()
    assert lines[:3] == [f"line {i}: hello from kconnect" for i in (1, 2, 3)]
    assert set(lines) == {f"line {i}: hello from kconnect" for i in range(1, 3001)}
    assert "Second stop signal" not in result.stderr, "the worker must get one graceful stop"
