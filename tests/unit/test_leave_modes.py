"""The LEAVE mode a restart in place asks for (SIGUSR2: restart, SIGTERM: shutdown) reaches the record, which is
written only after the unit processes exited; a shutdown asked for during a restart's drain replaces it; and the
referee parks a restart's units for the same worker id only."""

from __future__ import annotations

from kconnect.supervisor.coordination import member as mc
from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.params import CI

FP = r.Fingerprint("g", "cfg", "st", "off")
CLUSTER = r.ClusterRecord(cluster="g", worker_id="boot", incarnation="boot", seq=1, params=CI.protocol, fingerprint=FP)
UNIT = ("c", 0)


def _produced(commands: list[mc.Command]) -> list[r.Record]:
    return [c.record for c in commands if isinstance(c, mc.Produce)]


def _running_member() -> tuple[mc.MemberCore, list[tuple[r.Record, int, int]], r.Token]:
    """The only member of a cluster, leading itself, running UNIT: the core's own records are read back in
    order (LogAppendTime advancing 100 ms each) until it spawns UNIT. Returns the core, the log and the token."""
    core = mc.MemberCore(worker_id="A", incarnation="A#1", profile=CI, fingerprint=FP)
    core.set_wanted([UNIT], 0)
    core.start(0)
    log: list[tuple[r.Record, int, int]] = [(CLUSTER, 1_000, 0)]
    out = core.on_record(0, 1_000, CLUSTER, 10)
    now = 10
    for _ in range(200):
        now += 100
        out += core.tick(now)
        spawns = [c for c in out if isinstance(c, mc.Spawn)]
        if spawns:
            return core, log, spawns[0].token
        pending, out = _produced(out), []
        for rec in pending:
            lat, offset = 1_000 + now, len(log)
            log.append((rec, lat, offset))
            out += core.on_record(offset, lat, rec, now)
    raise AssertionError("the member never spawned its unit")


def _leave_record(commands: list[mc.Command]) -> r.LeaveRecord | None:
    return next((rec for rec in _produced(commands) if isinstance(rec, r.LeaveRecord)), None)


def test_restart_leave_is_written_after_the_exit_and_parks_the_unit_for_the_same_worker() -> None:
    core, log, token = _running_member()
    out = core.leave(r.LeaveMode.RESTART, 200)
    assert [c.unit for c in out if isinstance(c, mc.Stop)] == [UNIT]
    assert _leave_record(out) is None  # the unit's process still runs
    leave = _leave_record(core.on_child_exit(UNIT, token, 300))
    assert leave is not None
    assert leave.mode is r.LeaveMode.RESTART
    state = ref.fold([*log, (leave, log[-1][1] + 10, len(log))])
    parked = state.parked[UNIT]
    assert parked.worker_id == "A"
    assert parked.anyone_after - parked.same_after == CI.protocol.restart_park_ms


def test_a_shutdown_asked_during_a_restart_drain_replaces_the_mode() -> None:
    core, log, token = _running_member()
    core.leave(r.LeaveMode.RESTART, 200)
    assert _leave_record(core.leave(r.LeaveMode.SHUTDOWN, 250)) is None
    leave = _leave_record(core.on_child_exit(UNIT, token, 300))
    assert leave is not None
    assert leave.mode is r.LeaveMode.SHUTDOWN
    state = ref.fold([*log, (leave, log[-1][1] + 10, len(log))])
    assert UNIT not in state.parked  # free at once: the other workers get it
    assert UNIT not in state.owned
