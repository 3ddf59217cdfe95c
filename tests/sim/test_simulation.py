"""The seeded simulator over many seeds: no unit ever runs twice (judged from real child-process
lifetimes) and, after the faults stop, every unit runs exactly once again."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from kconnect.supervisor.coordination.params import CI
from tests.sim.world import run_seed

SEEDS = int(os.environ.get("KCONNECT_SIM_SEEDS", "24"))
CI_D0 = replace(CI, protocol=replace(CI.protocol, max_delay_ms=0, restart_park_ms=0))


def _check(seed: int, profile: object) -> None:
    outcome, faults = run_seed(seed, profile)  # type: ignore[arg-type]
    assert not outcome.overlaps, f"seed {seed}, faults {faults}: {outcome.overlaps}"
    assert not outcome.duplicates_running, f"seed {seed}: {outcome.duplicates_running}"
    assert not outcome.not_running, f"seed {seed}, faults {faults}: units not running at the end {outcome.not_running}"


@pytest.mark.parametrize("seed", range(SEEDS))
def test_chaos_with_the_ci_profile(seed: int) -> None:
    _check(seed, CI)


@pytest.mark.parametrize("seed", range(1000, 1000 + SEEDS // 3))
def test_chaos_with_no_lost_worker_delay(seed: int) -> None:
    _check(seed, CI_D0)


def test_a_quiet_cluster_converges_and_stays_put() -> None:
    outcome, _ = run_seed(99, CI, faults=False)
    assert outcome.ok
    assert outcome.final_gen <= 3  # first assignment, plus at most one balancing wave (revoke, grant)
