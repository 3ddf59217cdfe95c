"""The sans-IO worker core on hand-written logs: it joins only after reading a compatible CLUSTER record,
learns its epoch from its own JOIN, renews its lease from send time, spawns only owned units, and turns a
revoke into a capped deadline, SIGTERM and, after the exit, a RELEASE naming the token."""

from __future__ import annotations

from dataclasses import replace

from kconnect.supervisor.coordination import member as mc
from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination.params import CI

FP = r.Fingerprint("g", "cfg", "st", "off")
CLUSTER = r.ClusterRecord(cluster="g", worker_id="boot", incarnation="boot", seq=1, params=CI.protocol, fingerprint=FP)


def _core(**kwargs: object) -> mc.MemberCore:
    args: dict[str, object] = {"worker_id": "A", "incarnation": "A#1", "profile": CI, "fingerprint": FP}
    core = mc.MemberCore(**{**args, **kwargs})  # type: ignore[arg-type]
    core.set_wanted([("c", 0), ("c", 1)], 0)
    return core


def _produced(commands: list[mc.Command]) -> list[r.Record]:
    return [c.record for c in commands if isinstance(c, mc.Produce)]


def test_a_worker_with_another_lease_timeout_refuses_to_join_and_names_the_key() -> None:
    core = _core(profile=replace(CI, protocol=replace(CI.protocol, lease_ms=9_000)))
    assert core.start(0) == []  # nothing before the CLUSTER record is read
    core.on_record(0, 1_000, CLUSTER, 10)
    out = core.tick(60)
    assert len(out) == 1
    assert isinstance(out[0], mc.Exit)
    assert "session.timeout.ms=9000 (cluster: 3000)" in out[0].reason


def test_a_worker_pointed_at_other_topics_refuses_to_join() -> None:
    core = _core(fingerprint=r.Fingerprint("g", "cfg-dr", "st", "off"))
    core.start(0)
    core.on_record(0, 1_000, CLUSTER, 10)
    out = core.tick(60)
    assert isinstance(out[0], mc.Exit)
    assert "cfg-dr" in out[0].reason


def test_join_lease_spawn_revoke_release() -> None:
    core = _core()
    core.start(0)
    core.on_record(0, 1_000, CLUSTER, 10)
    (join,) = _produced(core.tick(100))
    assert isinstance(join, r.JoinRecord)
    out = core.on_record(1, 1_010, join, 120)
    assert core.epoch == 1
    assert core.lease_deadline == 100 + CI.protocol.lease_ms - CI.local.safety_margin_ms  # from the JOIN's send time
    (hb,) = [rec for rec in _produced(out) if isinstance(rec, r.HeartbeatRecord)]
    grant = r.AssignmentRecord(
        cluster="g",
        worker_id="A",
        incarnation="A#1",
        seq=50,
        epoch=1,
        gen=1,
        based_on=1,
        config_offset=0,
        grants=(r.Grant(("c", 0), 1), r.Grant(("c", 9), 1)),
    )
    core.on_record(2, 1_020, hb, 400)  # the heartbeat sent at 120 counted: lease from its send time
    assert core.lease_deadline == 120 + CI.protocol.lease_ms - CI.local.safety_margin_ms
    out = core.on_record(3, 2_400, grant, 500)
    spawns = [c for c in out if isinstance(c, mc.Spawn)]
    assert [s.unit for s in spawns] == [("c", 0)]  # ("c", 9) is not wanted: released, never started
    assert spawns[0].token == (1_000, 3)
    assert spawns[0].deadline == core.lease_deadline
    revoke = r.AssignmentRecord(
        cluster="g",
        worker_id="A",
        incarnation="A#1",
        seq=60,
        epoch=1,
        gen=2,
        based_on=3,
        config_offset=0,
        revokes=(r.Revoke(("c", 0), 1, (1_000, 3)),),
    )
    out = core.on_record(4, 2_500, revoke, 600)
    assert mc.SetDeadline(("c", 0), (1_000, 3), 600 + CI.local.graceful_ms) in out
    assert mc.Stop(("c", 0), (1_000, 3)) in out
    out = core.on_child_exit(("c", 0), (1_000, 3), 700) + core.tick(1_200)
    releases = [rec for rec in _produced(out) if isinstance(rec, r.ReleaseRecord)]
    assert releases
    assert r.ReleaseItem(("c", 0), (1_000, 3)) in releases[-1].items


def test_a_grant_given_up_is_never_started_even_if_the_unit_is_wanted_again() -> None:
    """Found by the simulator: a grant that arrived while the unit was not wanted here was queued for
    RELEASE; the worker then read the new config and started it, and the RELEASE freed a running unit."""
    core = _core()
    core.start(0)
    core.on_record(0, 1_000, CLUSTER, 10)
    (join,) = _produced(core.tick(100))
    core.on_record(1, 1_010, join, 120)
    grant = r.AssignmentRecord(
        cluster="g",
        worker_id="A",
        incarnation="A#1",
        seq=50,
        epoch=1,
        gen=1,
        based_on=1,
        config_offset=0,
        grants=(r.Grant(("c", 7), 1),),
    )
    out = core.on_record(2, 1_500, grant, 200)  # ("c", 7) is not in this worker's config view yet
    assert not [c for c in out if isinstance(c, mc.Spawn)]
    core.set_wanted([("c", 0), ("c", 1), ("c", 7)], 1)  # the config topic catches up
    out = core.tick(300) + core.tick(800)
    assert not [c for c in out if isinstance(c, mc.Spawn)]
    assert any(
        isinstance(rec, r.ReleaseRecord) and r.ReleaseItem(("c", 7), (1_000, 2)) in rec.items for rec in _produced(out)
    )


# --- anchored bootstrap (erratum 16) ----------------------------------------------------------------------


def _foreign_heartbeat(seq: int) -> r.HeartbeatRecord:
    return r.HeartbeatRecord(
        cluster="g", worker_id="B", incarnation="B#1", seq=seq, epoch=3, config_offset=0, ready=True, applied_upto=0
    )


def test_an_empty_log_is_founded_and_the_first_cluster_record_at_its_start_anchors_it() -> None:
    core = _core()
    (cluster,) = _produced(core.bootstrap_from(40, 40, 0))
    assert isinstance(cluster, r.ClusterRecord)
    assert cluster.params == CI.protocol
    assert core.start(5) == []  # not anchored yet
    rival = replace(CLUSTER, incarnation="B#1")  # a racer's CLUSTER landed first, at the log start
    out = core.on_record(40, 1_000, rival, 10)
    out += core.on_record(41, 1_001, cluster, 11)  # mine is a late duplicate
    assert core.confirmed
    assert core.state.cluster is not None
    assert core.state.applied == 41
    assert core.state.cluster.era == 1_000  # anchored on the first one, as every other reader is
    assert any(isinstance(rec, r.JoinRecord) for rec in _produced(out + core.tick(20)))


def test_a_truncated_log_without_a_checkpoint_is_never_replayed_and_a_foreign_cluster_record_is_no_anchor() -> None:
    core = _core()
    assert core.bootstrap_from(100, 110, 0) == []
    core.start(0)
    for i in range(10):
        assert core.on_record(100 + i, 1_000 + i, _foreign_heartbeat(i + 1), 10 + i) == []
    late = replace(CLUSTER, incarnation="X#1")  # an older worker writing CLUSTER into a live log
    core.on_record(110, 1_100, late, 30)
    assert not core.anchored
    assert core.state.cluster is None
    assert _produced(core.tick(100)) == []  # no JOIN, no CLUSTER while others write


def test_a_log_silent_for_longer_than_a_lease_is_refounded() -> None:
    core = _core()
    core.bootstrap_from(100, 101, 0)
    core.start(0)
    core.on_record(100, 1_000, _foreign_heartbeat(1), 0)
    silence = CI.protocol.lease_ms + 2 * CI.local.heartbeat_ms
    assert _produced(core.tick(silence)) == []
    (cluster,) = _produced(core.tick(silence + 1))
    assert isinstance(cluster, r.ClusterRecord)
    core.on_record(101, 9_000, cluster, silence + 20)
    assert core.confirmed
    assert core.state.cluster is not None
    assert core.state.cluster.era == 9_000


def test_a_worker_that_never_gets_a_confirmed_anchor_gives_up_instead_of_guessing() -> None:
    core = _core()
    core.bootstrap_from(100, 101, 0)
    core.start(0)
    p = CI.protocol
    deadline = 4 * p.checkpoint_interval_ms + 2 * p.lease_ms
    for t in range(0, deadline, 500):
        core.on_record(100 + t, 1_000 + t, _foreign_heartbeat(t + 1), t)  # others keep writing
        assert not any(isinstance(c, mc.Exit) for c in core.tick(t))
    core.on_record(100 + deadline, 1_000 + deadline, _foreign_heartbeat(deadline + 1), deadline)
    out = core.tick(deadline)
    assert any(isinstance(c, mc.FenceAll) for c in out)
    assert any(isinstance(c, mc.Exit) and "bootstrap" in c.reason for c in out)
