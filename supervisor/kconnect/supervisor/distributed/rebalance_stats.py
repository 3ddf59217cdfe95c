"""Rebalance and coordination-protocol facts of one distributed worker, for ``GET /metrics``.

The coordinator owns the member core, so it keeps these counters and sends them to the master in a small
``coord_metrics`` message (once a second, and at once when a rebalance starts or completes); the master's
MetricsBook keeps the last one and metrics_render exposes it (``kconnect_rebalance_*``,
``kconnect_coordinator_*``, docs/metrics.md).

What counts as a rebalance for this worker (Java's ``rebalancing`` of connect-worker-rebalance-metrics):
the worker has not joined (or was expelled), units are being revoked from it, or wanted units are waiting for
a grant (neither owned, revoking nor parked for a departed worker's return). A rebalance completes when none of
that holds any more. A new assignment generation that arrived without such a phase being seen (the loop
samples every pass) still counts as one completed rebalance, with duration 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kconnect.supervisor.coordination import member as mc
from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref


def rebalancing(core: mc.MemberCore) -> bool:
    """Is a rebalance in progress as far as this worker is concerned?"""
    if core.epoch is None or not core.live():
        return True
    state = core.state
    if ref.revoking_of(state, core.epoch):
        return True
    settled = set(state.owned) | set(state.revoking) | set(state.parked)
    return any(u not in settled for u in core.wanted)


@dataclass
class RebalanceStats:
    completed: int = 0
    in_progress: bool = True  # a worker that starts is joining: its first rebalance is under way
    started_ms: int | None = None
    last_gen: int = 0
    duration_sum_s: float = 0.0
    max_s: float = 0.0
    last_s: float = 0.0
    last_completed_wall: float = 0.0  # epoch seconds, 0 = none yet
    # the coordination protocol
    records_read: int = 0
    records_written: int = 0
    heartbeats: int = 0
    lease_renewals: int = 0
    self_fences: int = 0
    _lease_deadline: int = ref.NEVER

    def on_commands(self, commands: Iterable[mc.Command]) -> None:
        for cmd in commands:
            if isinstance(cmd, mc.Produce):
                self.records_written += 1
                if isinstance(cmd.record, r.HeartbeatRecord):
                    self.heartbeats += 1
            elif isinstance(cmd, mc.FenceAll):
                self.self_fences += 1

    def observe(self, core: mc.MemberCore, now_ms: int, wall_s: float) -> bool:
        """Sample the core once per loop pass; True when a rebalance started or completed."""
        if core.lease_deadline != self._lease_deadline:
            if ref.NEVER not in (core.lease_deadline, self._lease_deadline) and (
                core.lease_deadline > self._lease_deadline
            ):
                self.lease_renewals += 1
            self._lease_deadline = core.lease_deadline
        busy = rebalancing(core)
        gen = core.state.gen
        if busy:
            if self.started_ms is None:
                self.started_ms = now_ms
            changed = not self.in_progress
            self.in_progress = True
            return changed
        if not self.in_progress and gen == self.last_gen:
            return False
        took = 0.0 if self.started_ms is None else (now_ms - self.started_ms) / 1000.0
        self.completed += 1
        self.duration_sum_s += took
        self.last_s = took
        self.max_s = max(self.max_s, took)
        self.last_completed_wall = wall_s
        self.started_ms = None
        self.in_progress = False
        self.last_gen = gen
        return True

    def message(self, core: mc.MemberCore, now_ms: int) -> dict[str, Any]:
        """The facts as the master keeps them (plain msgpack-able values)."""
        state = core.state
        mine = ref.units_of(state, core.epoch) if core.epoch is not None else {}
        lead = ref.leader(state)
        live = core.epoch is not None and core.live()
        lease_left = max(0, core.lease_deadline - now_ms) / 1000.0 if live and core.lease_deadline != ref.NEVER else 0.0
        return {
            "epoch": state.gen,
            "in_progress": self.in_progress,
            "completed": self.completed,
            "duration_sum": self.duration_sum_s,
            "max": self.max_s,
            "last": self.last_s,
            "last_completed": self.last_completed_wall,
            "leader": bool(live and lead is not None and lead.epoch == core.epoch),
            "assigned_connectors": sum(1 for u in mine if u[1] == r.CONNECTOR_TASK),
            "assigned_tasks": sum(1 for u in mine if u[1] != r.CONNECTOR_TASK),
            "members": len(ref.live_members(state)),
            "records_read": self.records_read,
            "records_written": self.records_written,
            "heartbeats": self.heartbeats,
            "lease_renewals": self.lease_renewals,
            "self_fences": self.self_fences,
            "lease_remaining": lease_left,
        }
