"""The incremental cooperative assignor driven through the real referee (idealised network of
tests/bench/bench_referee.py): join movement bound, only moved units stop, graceful leave moves only the
leaver's units, a crashed worker's units wait D in broker time and go back to it, balance +-1."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.params import PRODUCTION
from tests.bench.bench_referee import Cluster

PARAMS = replace(PRODUCTION.protocol, max_delay_ms=60_000, restart_park_ms=30_000)


def _cluster(connectors: int, tasks: int, workers: int) -> Cluster:
    units = [(f"c{c}", t) for c in range(connectors) for t in range(-1, tasks)]
    c = Cluster(units=units, params=PARAMS)
    c.start()
    for i in range(workers):
        c.join(f"w{i}")
    c.converge()
    return c


def _loads(c: Cluster) -> list[int]:
    counts = {m.epoch: 0 for m in ref.live_members(c.state)}
    for o in c.state.owned.values():
        counts[o.epoch] += 1
    return sorted(counts.values())


def _stops(c: Cluster, action: object) -> tuple[int, int, dict[tuple[str, int], str], dict[tuple[str, int], str]]:
    before, gen, c.revoked = c.placement(), c.state.gen, 0
    action()  # type: ignore[operator]
    c.converge()
    return c.state.gen - gen, c.revoked, before, c.placement()


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 12), st.integers(1, 6), st.integers(1, 3))
def test_joins_move_at_most_ceil_n_over_w_per_new_worker(connectors: int, tasks: int, workers: int, joins: int) -> None:
    c = _cluster(connectors, tasks, workers)
    n = len(c.units)
    gens, revoked, before, after = _stops(c, lambda: [c.join(f"x{i}") for i in range(joins)])
    assert revoked <= joins * math.ceil(n / (workers + joins))
    changed = [u for u in before if before[u] != after[u]]
    assert len(changed) == revoked  # a unit that did not move was never stopped
    assert all(after[u].startswith("x") for u in changed)  # nothing moves between old workers
    assert gens <= 3
    loads = _loads(c)
    assert loads[-1] - loads[0] <= 1


def test_twelve_tasks_three_to_four_workers_moves_exactly_three_tasks() -> None:
    c = _cluster(1, 12, 3)
    gens, revoked, before, after = _stops(c, lambda: c.join("w3"))
    changed = sorted(u for u in before if before[u] != after[u])
    assert revoked == 3
    assert len(changed) == 3
    assert all(t != -1 for _, t in changed)  # the connector instance stays
    assert gens == 2  # revoke, then grant


def test_graceful_leave_moves_only_the_leavers_units() -> None:
    c = _cluster(3, 6, 4)
    leaver = c.workers["w2"]

    def leave() -> None:
        c.append(r.LeaveRecord(**leaver.env(), epoch=leaver.epoch, mode=r.LeaveMode.SHUTDOWN))  # type: ignore[arg-type]
        leaver.alive = False

    _, revoked, before, after = _stops(c, leave)
    assert revoked == 0
    assert {u for u in before if before[u] != after[u]} == {u for u, w in before.items() if w == "w2"}


def test_crashed_worker_units_wait_d_in_broker_time_and_return_to_it() -> None:
    c = _cluster(2, 5, 3)
    victim = c.workers["w1"]
    mine = {u for u, w in c.placement().items() if w == "w1"}
    victim.alive = False
    for _ in range(PARAMS.lease_ms // 1000 + 5):  # expired and parked
        c.round()
    parked = dict(ref.parked_units(c.state))
    assert set(parked) == mine
    assert all(p.anyone_after == p.lease_end + PARAMS.max_delay_ms for p in parked.values())
    _, revoked, _, after = _stops(c, lambda: c.join("w1"))  # back within D: sticky return
    assert revoked == 0
    assert {u for u, w in after.items() if w == "w1"} == mine


def test_crashed_worker_units_move_only_after_t_plus_d() -> None:
    c = _cluster(2, 5, 3)
    c.workers["w1"].alive = False
    last_hb = c.state.members[c.workers["w1"].epoch].last_hb_mbt
    mine = {u for u, w in c.placement().items() if w == "w1"}
    first_move = None
    while first_move is None:
        c.round()
        if any(c.placement().get(u, "w1") != "w1" for u in mine):
            first_move = c.state.mbt
    assert first_move > last_hb + PARAMS.lease_ms + PARAMS.max_delay_ms
    c.converge()
    assert all(c.placement()[u] != "w1" for u in mine)


def test_a_converged_cluster_proposes_nothing() -> None:
    c = _cluster(3, 4, 3)
    gen = c.state.gen
    for _ in range(20):
        c.round()
    assert c.state.gen == gen
