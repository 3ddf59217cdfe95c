"""Mutation checks: re-insert a counterexample of the review into the referee and show the property
oracle (tests/unit/referee_model.py) catches it. A check that cannot find a planted bug proves nothing, so
each test asserts that a violation IS found within a bounded seeded search, and that the unmutated referee
passes the same seeds (tests/unit/test_referee_properties.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from tests.unit import referee_model as model

SEEDS = 400
_original_release_item = ref._release_item


def _first_violation(steps: int = 120) -> str | None:
    for seed in range(SEEDS):
        try:
            model.check_log(model.generate(model.RandomChooser(seed), steps=steps))
        except model.Violation as e:
            return f"seed {seed}: {e}"
    return None


def release_without_token(tx: Any, sender: ref.Member, item: r.ReleaseItem) -> bool:
    """CE-1 (F1): RELEASE names units only; any grant of the unit to the sender's epoch is freed."""
    o = tx.owned.get(item.unit)
    if o is not None and o.epoch == sender.epoch:
        del tx.o()[item.unit]
        return True
    v = tx.revoking.get(item.unit)
    if v is not None and v.epoch == sender.epoch:
        del tx.rv()[item.unit]
        return True
    return _original_release_item(tx, sender, item)


def release_parks_by_worker_id(tx: Any, sender: ref.Member, item: r.ReleaseItem) -> bool:
    """CE-2 (F2): a park remembers only the worker id, so any epoch of that worker shortens it."""
    pk = tx.parked.get(item.unit)
    if pk is not None and pk.worker_id == sender.worker_id:
        if pk.was_revoking:
            del tx.p()[item.unit]
        else:
            tx.p()[item.unit] = replace(pk, same_after=min(pk.same_after, tx.mbt))
        return True
    return _original_release_item(tx, sender, item)


def cold_start_cap_without_max(pk: ref.Parked, cap: int) -> int:
    """Erratum 19: the plain cold-start cap of §6.12 frees a superseded holder's unit inside its lease."""
    return min(pk.anyone_after, cap)


def sticky_return_ignores_lease(pk: ref.Parked, target: ref.Member, mbt: int) -> bool:
    """§6.4 JOIN: a new epoch of the same worker gets its park back before the old epoch's lease ended."""
    return target.worker_id == pk.worker_id or mbt >= pk.anyone_after


def leader_ignores_eligibility(params: Any, members: Any) -> int | None:
    """Erratum 8 / S4: the oldest LIVE member leads even if not ready, unwilling or demoted."""
    for e, m in members.items():
        if m.status is ref.Status.LIVE:
            return int(e)
    return None


MUTATIONS: list[tuple[str, str, Callable[..., Any]]] = [
    ("CE-1 token-less RELEASE", "_release_item", release_without_token),
    ("CE-2 parks keyed by worker_id", "_release_item", release_parks_by_worker_id),
    ("erratum 19 cold-start cap without max", "_capped_park_end", cold_start_cap_without_max),
    ("sticky return inside the old lease", "_park_open_to", sticky_return_ignores_lease),
    ("leader without eligibility", "leader_epoch_of", leader_ignores_eligibility),
]


@pytest.mark.parametrize(("name", "attr", "bug"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_the_oracle_catches_a_reinserted_bug(
    monkeypatch: pytest.MonkeyPatch, name: str, attr: str, bug: Callable[..., Any]
) -> None:
    monkeypatch.setattr(ref, attr, bug)
    found = _first_violation()
    assert found is not None, f"{name}: no violation in {SEEDS} seeded logs; the oracle is too weak"


def test_dropping_seq_dedupe_makes_duplicates_change_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """F11 / erratum 3: without the per-incarnation seq check a resent record changes the state."""

    def changed() -> bool:
        for seed in range(100):
            log = model.generate(model.RandomChooser(seed), steps=40)
            state, first_mbt = ref.INITIAL, {}
            for off, (rec, lat) in enumerate(log):
                state = ref.apply(state, rec, lat, off)
                first_mbt.setdefault(rec.encode(), state.mbt)
            for rec, _ in log:
                if state.mbt - first_mbt[rec.encode()] > state.params.lease_ms:
                    continue  # older than message.timeout.ms: cannot be resent any more
                again = ref.apply(state, rec, state.mbt, len(log))
                if model.without_noise(again) != model.without_noise(state):
                    return True
        return False

    assert not changed()
    monkeypatch.setattr(ref, "_is_duplicate", lambda sender, rec: False)
    assert changed()
