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
