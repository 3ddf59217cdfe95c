"""Mutation checks in the simulator: each re-inserted bug of the review makes a unit run twice or leaves
a unit never running, while the same seeds pass with the real code (tests/sim/test_simulation.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kconnect.supervisor.coordination import assignor
from kconnect.supervisor.coordination import member as mc
from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.params import CI
from tests.sim.world import World, blind_leader, chaos, quiet_period, run_seed

END = 20_000 + 4 * CI.protocol.lease_ms + quiet_period(CI)


def _search(seeds: range, **kwargs: object) -> list[str]:
    for seed in seeds:
        outcome, faults = run_seed(seed, CI, **kwargs)  # type: ignore[arg-type]
        if not outcome.ok:
            return [f"seed {seed}", *outcome.overlaps[:2], f"not running {outcome.not_running}", *faults]
    return []


def test_ce3_referees_reading_local_lease_timeouts_let_two_workers_run_a_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    """CE-3: during a rolling change of T, each referee uses its own configuration instead of the log's
    (and, as in the note, nobody refuses to JOIN with a different T)."""
    monkeypatch.setattr(mc.MemberCore, "incompatibility", lambda self: None)
    monkeypatch.setattr(mc.MemberCore, "_check_checkpoint", lambda self, rec: [])  # the note: only an alarm
    slow = replace(CI.protocol, lease_ms=9_000, revoke_timeout_ms=6_000)
    per_worker = {"w1": slow, "w2": slow, "w3": slow}
    found = _search(range(40), per_worker_params=per_worker)
    assert found, "no overlap found with divergent lease timeouts"
    assert run_seed(int(found[0].split()[1]), CI)[0].ok  # same seed, one T from the log: clean


def test_lease_renewed_from_read_time_instead_of_send_time_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """I4: a worker that renews its lease from 'now' when it reads its heartbeat back (after a pause or a
    slow fetch) runs units the others already consider expired."""
    monkeypatch.setattr(mc.MemberCore, "_renewal_base", lambda self, sent, now: now)
    d0 = replace(CI, protocol=replace(CI.protocol, max_delay_ms=0, restart_park_ms=0))  # takeover right at T
    found = next((seed for seed in range(40) if run_seed(seed, d0)[0].overlaps), None)
    assert found is not None, "no overlap found with leases counted from read time"
    monkeypatch.undo()
    assert not run_seed(found, d0)[0].overlaps  # the same seed is clean with the real core


def _blind_leader_run(seed: int) -> object:
    world = World(seed, CI)
    blind_leader(world, at=6_000)
    world.run_until(END)
    return world.outcome()


def test_ce6_read_blind_leader_without_read_progress_rule_stalls_the_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CE-6: the wedged leader keeps its heartbeats counting, so its units are never run again."""
    assert all(_blind_leader_run(seed).ok for seed in range(3))  # type: ignore[attr-defined]
    monkeypatch.setattr(ref, "_heartbeat_counts", lambda sender, rec: True)
    assert not any(_blind_leader_run(seed).ok for seed in range(3))  # type: ignore[attr-defined]


def _broken_leader_run(seed: int) -> object:
    def wrong_gen(state: ref.State, wanted: object, config_offset: int) -> assignor.Proposal | None:
        p = assignor.propose(state, wanted, config_offset)  # type: ignore[arg-type]
        return None if p is None else replace(p, gen=p.gen + 5)  # every ASSIGNMENT is rejected

    world = World(seed, CI, proposers={"w0": wrong_gen})
    chaos(world, start=3_000, end=8_000, faults=0)
    world.run_until(END)
    return world.outcome()


def test_ce7_leader_whose_assignments_are_all_rejected_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """CE-7 / erratum 8: K_rej rejected ASSIGNMENTs demote the leader; without the rule nothing ever runs."""
    assert all(_broken_leader_run(seed).ok for seed in range(3))  # type: ignore[attr-defined]
    monkeypatch.setattr(
        ref,
        "leader_epoch_of",
        lambda params, members: next(
            (e for e, m in members.items() if m.status is ref.Status.LIVE and m.ready and m.can_lead), None
        ),
    )
    assert not any(_broken_leader_run(seed).ok for seed in range(3))  # type: ignore[attr-defined]
