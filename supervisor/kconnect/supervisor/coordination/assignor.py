"""Incremental cooperative assignor: a pure proposal from referee state and the wanted units.

``propose(state, wanted, config_offset)`` returns the next ASSIGNMENT's items or None. It depends only on
its arguments (no leader memory: storm backoff and debounce are read from referee state, review D6), never
raises on any input, and every list it builds is sorted.

Rules (in order):

1. Wait: nothing before ``restart_mbt + init_delay`` (cold start) or ``membership_mbt + debounce``.
2. Revoke OWNED units that are no longer wanted (deleted connector, fewer tasks).
3. While a revocation wave is in flight (any unit REVOKING) grant nothing but sticky returns: the
   released units are granted together once the wave is over, so a join costs two generations
   (revoke, grant), a third only if something changed meanwhile.
4. Sticky return: a PARKED wanted unit goes back to a LIVE epoch of its previous ``worker_id`` once its
   ``same_after`` has passed (zero moves when a crashed or restarted worker comes back in time).
5. FREE wanted units (and parks past ``anyone_after``) go to the least-loaded grantee; ties by that
   connector's load on the member, then epoch, so a connector's tasks spread. Grantees are LIVE, ready
   members whose last counted heartbeat is fresher than T/2 (erratum 22).
6. Balance only when nothing is free, parked or revoking and the storm backoff allows it: quotas are
   ``floor(N/W)`` or ``floor(N/W)+1`` over LIVE ready members (the +1 goes to the most-loaded, so the fewest
   units move); only over-quota members lose units, so a join of j workers moves at most ``j*ceil(N/W)``
   units, and a unit that does not move is never stopped.

Connector instances count as units: they are processes like tasks, so N counts them and quotas balance
them. Victims are always tasks first (most-represented connector on that member first, highest task number
first); a connector instance is revoked only when a member's excess cannot be met with tasks, because
restarting it makes the connector regenerate task configs.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.records import CONNECTOR_TASK, Grant, Revoke, Unit

STORM_BACKOFF_CAP_MS = 60_000


@dataclass(frozen=True, slots=True)
class Proposal:
    gen: int
    config_offset: int
    revokes: tuple[Revoke, ...]
    grants: tuple[Grant, ...]


def storm_backoff_ms(state: ref.State) -> int:
    """Delay before another balancing revocation after consecutive revoking generations (KAFKA-12495)."""
    waves = state.revoke_waves
    if waves < 2:
        return 0
    backoff: int = state.params.debounce_ms * 4 ** (waves - 1)
    return min(backoff, STORM_BACKOFF_CAP_MS)


def next_wakeup(state: ref.State) -> int | None:
    """The earliest broker time at which a proposal could change without a new record (for the leader)."""
    if state.cluster is None:
        return None
    p = state.params
    times = [state.restart_mbt + p.init_delay_ms, state.membership_mbt + p.debounce_ms]
    times.append(state.last_revoke_mbt + storm_backoff_ms(state))
    times += [m.last_hb_mbt + p.lease_ms // 2 + 1 for m in state.members.values()]  # grantee freshness
    times += [pk.same_after for pk in state.parked.values()] + [pk.anyone_after for pk in state.parked.values()]
    future = [t for t in times if t > state.mbt]
    return min(future) if future else None


def propose(state: ref.State, wanted: Iterable[Unit], config_offset: int) -> Proposal | None:
    if state.cluster is None or state.halted is not None:
        return None
    p = state.params
    mbt = state.mbt
    if mbt < state.restart_mbt + p.init_delay_ms or mbt < state.membership_mbt + p.debounce_ms:
        return None
    quota_members = [m for m in ref.live_members(state) if m.ready]
    if not quota_members:
        return None
    grantees = [m.epoch for m in quota_members if mbt - m.last_hb_mbt <= p.lease_ms // 2]
    wanted_set = frozenset(wanted)

    revokes = [Revoke(u, o.epoch, o.token) for u, o in sorted(state.owned.items()) if u not in wanted_set]
    revoked_now = {rv.unit for rv in revokes}

    load: dict[int, int] = {m.epoch: 0 for m in quota_members}
    conn_load: dict[tuple[int, str], int] = {}
    for u, o in sorted(state.owned.items()):
        if u in revoked_now or o.epoch not in load:
            continue
        load[o.epoch] += 1
        conn_load[(o.epoch, u[0])] = conn_load.get((o.epoch, u[0]), 0) + 1

    grants: list[Grant] = []
    # Sticky returns, also during a revocation wave (they are not moves).
    by_worker = {m.worker_id: m.epoch for m in quota_members if m.epoch in grantees}
    free: list[Unit] = []
    parked_wanted = False
    for u, pk in sorted(state.parked.items()):
        if u not in wanted_set:
            continue
        target = by_worker.get(pk.worker_id)
        if target is not None and mbt >= pk.same_after:
            grants.append(Grant(u, target))
            load[target] += 1
            conn_load[(target, u[0])] = conn_load.get((target, u[0]), 0) + 1
        elif mbt >= pk.anyone_after:
            free.append(u)
        else:
            parked_wanted = True
    held = set(state.owned) | set(state.revoking) | set(state.parked)
    free.extend(u for u in sorted(wanted_set) if u not in held)
    free.sort()

    wave_in_flight = bool(state.revoking)
    if free and grantees and not wave_in_flight:
        grants.extend(_spread(free, grantees, load, conn_load))

    quiet = not (revokes or grants or free or parked_wanted or wave_in_flight)
    if quiet and mbt >= state.last_revoke_mbt + storm_backoff_ms(state):
        revokes = _balance(state, quota_members, load, wanted_set)

    if not revokes and not grants:
        return None
    items = sorted(revokes, key=lambda x: x.unit)[: p.max_items]
    room = p.max_items - len(items)
    chosen_grants = sorted(grants, key=lambda x: x.unit)[: max(room, 0)]
    return Proposal(state.gen + 1, max(config_offset, state.config_offset), tuple(items), tuple(chosen_grants))


def _spread(
    free: list[Unit], grantees: list[int], load: dict[int, int], conn_load: dict[tuple[int, str], int]
) -> list[Grant]:
    """Least-loaded placement, one connector at a time so each connector's units spread."""
    out: list[Grant] = []
    by_conn: dict[str, list[Unit]] = {}
    for u in free:
        by_conn.setdefault(u[0], []).append(u)
    for conn in sorted(by_conn):
        heap = [(load[e], conn_load.get((e, conn), 0), e) for e in grantees]
        heapq.heapify(heap)
        for u in by_conn[conn]:
            total, per_conn, e = heapq.heappop(heap)
            out.append(Grant(u, e))
            load[e] = total + 1
            conn_load[(e, conn)] = per_conn + 1
            heapq.heappush(heap, (total + 1, per_conn + 1, e))
    return out


def _balance(
    state: ref.State,
    quota_members: list[ref.Member],
    load: dict[int, int],
    wanted: frozenset[Unit],
) -> list[Revoke]:
    n = sum(load.values())
    w = len(quota_members)
    base, extra = divmod(n, w)
    order = sorted(quota_members, key=lambda m: (-load[m.epoch], m.epoch))
    quota = {m.epoch: base + (1 if i < extra else 0) for i, m in enumerate(order)}
    if all(load[e] <= quota[e] for e in quota):
        return []
    if not any(load[e] < quota[e] for e in quota):
        return []
    revokes: list[Revoke] = []
    for m in order:
        excess = load[m.epoch] - quota[m.epoch]
        if excess <= 0:
            continue
        mine = [(u, o) for u, o in sorted(state.owned.items()) if o.epoch == m.epoch and u in wanted]
        for u in _victims([u for u, _ in mine], excess):
            revokes.append(Revoke(u, m.epoch, state.owned[u].token))
    return revokes


def _victims(units: list[Unit], count: int) -> list[Unit]:
    """Tasks first, from the most-represented connector, highest task number first; connectors last."""
    by_conn: dict[str, list[Unit]] = {}
    connectors: list[Unit] = []
    for u in units:
        if u[1] == CONNECTOR_TASK:
            connectors.append(u)
        else:
            by_conn.setdefault(u[0], []).append(u)
    for lst in by_conn.values():
        lst.sort(key=lambda u: u[1])
    out: list[Unit] = []
    while len(out) < count and by_conn:
        conn = max(sorted(by_conn), key=lambda c: len(by_conn[c]))  # first max in name order
        out.append(by_conn[conn].pop())
        if not by_conn[conn]:
            del by_conn[conn]
    out.extend(sorted(connectors)[: count - len(out)])
    return out
