"""The witness checker (tests/support/witness.py) must catch overlaps; otherwise the scenarios prove nothing."""

from __future__ import annotations

from tests.support.witness import Life, lifetime_overlaps, record_overlaps, running


def life(pid: int, start: float, end: float | None) -> Life:
    return Life("c.0", pid, 1, start, end, "exit" if end is not None else "alive")


def test_a_new_process_started_before_the_old_one_died_is_an_overlap() -> None:
    assert lifetime_overlaps({"c.0": [life(1, 0.0, 5.0), life(2, 6.0, None)]}) == []
    assert len(lifetime_overlaps({"c.0": [life(1, 0.0, 5.0), life(2, 4.9, None)]})) == 1
    assert len(lifetime_overlaps({"c.0": [life(1, 0.0, None), life(2, 4.9, None)]})) == 1


def test_a_long_lived_old_process_is_checked_against_every_newer_one() -> None:
    found = lifetime_overlaps({"c.0": [life(1, 0.0, 10.0), life(2, 2.0, 3.0), life(3, 4.0, None)]})
    assert len(found) == 2  # 2 and 3 both overlap 1; 2 and 3 do not overlap each other


def test_interleaved_records_of_two_processes_are_an_overlap() -> None:
    clean = [{"unit": "c.0", "pid": 1, "t": t} for t in (1.0, 2.0)] + [{"unit": "c.0", "pid": 2, "t": 3.0}]
    assert record_overlaps(clean) == []
    mixed = [*clean, {"unit": "c.0", "pid": 1, "t": 3.5}]
    assert len(record_overlaps(mixed)) == 1


def test_running_needs_exactly_the_wanted_units() -> None:
    assert running({"c.0": [life(1, 0.0, 1.0), life(2, 2.0, None)]}, {"c.0"}) is not None
    assert running({"c.0": [life(1, 0.0, 1.0)]}, {"c.0"}) is None
