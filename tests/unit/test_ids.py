from __future__ import annotations

from kconnect.workers.child import static_member_id


def test_stable_for_the_same_subscription_and_new_for_another() -> None:
    a = static_member_id("connect-s", 0, ["t1", "t2"], None)
    assert a == static_member_id("connect-s", 0, ["t2", "t1"], None), "a crash restart rejoins as the same member"
    assert a.startswith("connect-s-0-")
    assert a != static_member_id("connect-s", 0, ["t3"], None)
    assert a != static_member_id("connect-s", 1, ["t1", "t2"], None)
    assert static_member_id("connect-s", 0, [], "t.*") != static_member_id("connect-s", 0, [], "u.*")


def test_cluster_ids_never_look_like_options() -> None:
    from kconnect.supervisor.devbroker.broker import new_cluster_id

    ids = {new_cluster_id() for _ in range(5000)}  # ~78 would start with '-' if unguarded
    assert len(ids) == 5000
    assert not any(i.startswith("-") for i in ids)
    assert all(len(i) == 22 for i in ids)
