"""Bootstrap after retention (review erratum 16, CE-5) in the seeded simulator.

A settled cluster runs long enough to write several CHECKPOINTs; then retention deletes the start of the
coordination log (its CLUSTER record and every JOIN). A brand-new worker and a restarted one must anchor
on a CHECKPOINT, wait for the next one to confirm their replayed state, and only then JOIN: no unit may
run twice, every unit runs at the end, and the new worker gets its share. The mutation replays the
retained suffix without an anchor (the shell before erratum 16): the newcomer believes it is alone, leads,
and runs units the live members run.
"""

from __future__ import annotations

import pytest

from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.params import CI
from tests.sim.world import World, quiet_period

SEEDS = range(8)


def _retained_from(world: World, lat_from: int) -> int:
    for offset, (lat, _rec) in enumerate(world.log):
        if lat >= lat_from:
            return offset
    return len(world.log)


def run_after_retention(seed: int, *, naive: bool = False) -> World:
    world = World(seed, CI, workers=3)
    world.run_until(30_000)  # settled, with a CHECKPOINT every C = 2 s
    # Retention deleted everything older than 3 C: the CLUSTER record and every JOIN are gone.
    world.log_start = _retained_from(world, world.lat() - 3 * CI.protocol.checkpoint_interval_ms)
    assert world.log_start > 0
    world.naive_bootstrap = naive
    world.add_worker("new", at=world.t + 10)
    world.kill9(world.hosts["w1"], restart_after=300)  # comes back within D: its units wait for it
    world.run_until(world.t + 4 * CI.protocol.lease_ms + quiet_period(CI))
    return world


@pytest.mark.parametrize("seed", SEEDS)
def test_workers_booted_after_retention_anchor_confirm_and_never_run_a_unit_twice(seed: int) -> None:
    world = run_after_retention(seed)
    outcome = world.outcome()
    assert not outcome.overlaps, outcome.overlaps
    assert not outcome.duplicates_running, outcome.duplicates_running
    assert not outcome.not_running, outcome.not_running
    new = world.hosts["new"]
    assert new.core is not None
    assert new.core.confirmed
    assert new.core.anchor_attempts >= 1
    assert new.children, "the bootstrapped worker got no units"
    # Its own fold from the checkpoint agrees with the full history's fold at the same offset.
    assert ref.digest(new.core.state) == ref.digest(world.cache[new.core.state.applied])


def test_the_unanchored_replay_of_the_old_shell_runs_units_twice() -> None:
    """Mutation CE-5: without the anchor the same runs show units running twice."""
    broken = [seed for seed in SEEDS if not run_after_retention(seed, naive=True).outcome().ok]
    assert broken, "the naive bootstrap was not caught in any seed"
