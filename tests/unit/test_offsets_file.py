from __future__ import annotations

import json
from pathlib import Path

import pytest

from kconnect.supervisor.offsets_file import OffsetsFile


def test_round_trip_and_per_connector_view(tmp_path: Path) -> None:
    path = tmp_path / "offsets"
    f = OffsetsFile(str(path))
    f.update({'["a",{"filename":"x"}]': {"position": 7}, '["b",{"filename":"y"}]': {"position": 9}})
    again = OffsetsFile(str(path))
    assert again.for_connector("a") == {'["a",{"filename":"x"}]': {"position": 7}}
    assert again.raw()['["b",{"filename":"y"}]'] == '{"position":9}'
    assert list(tmp_path.iterdir()) == [path], "no temp files left behind"


def test_rejects_a_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "offsets"
    path.write_text(json.dumps({"something": "else"}))
    with pytest.raises(ValueError, match="not a kconnect offsets file"):
        OffsetsFile(str(path))


def test_tombstone_offsets_are_kept_as_null(tmp_path: Path) -> None:
    f = OffsetsFile(str(tmp_path / "o"))
    f.update({'["a",{"p":1}]': None})
    assert OffsetsFile(str(tmp_path / "o")).for_connector("a") == {'["a",{"p":1}]': None}
