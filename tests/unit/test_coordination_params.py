"""Protocol parameters: the lease-margin inequality and the other constraints name the key to change;
Java's heartbeat.interval.ms / session.timeout.ms map to lease parameters by the documented rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kconnect.supervisor.coordination import params


def test_shipped_profiles_are_valid() -> None:
    assert params.check(params.PRODUCTION) == []
    assert params.check(params.CI) == []


def test_defaults_follow_the_review() -> None:
    p = params.from_worker_properties({})
    assert (p.protocol.lease_ms, p.local.heartbeat_ms, p.local.safety_margin_ms) == (20_000, 1_000, 4_000)
    assert p.protocol.max_delay_ms == 300_000
    assert p.protocol.revoke_timeout_ms >= p.local.graceful_ms + p.local.kill_budget_ms + p.protocol.lease_ms // 2


def test_javas_heartbeat_and_session_timeout_map_to_lease_parameters() -> None:
    p = params.from_worker_properties({"session.timeout.ms": "10000", "heartbeat.interval.ms": "3000"})
    assert p.protocol.lease_ms == 10_000
    assert p.local.heartbeat_ms == 1_250  # min(heartbeat.interval.ms, T/8)
    need = params.min_safety_margin_ms(10_000, p.local.kill_budget_ms, p.local.broker_clock_skew_ms, 100_000)
    assert p.local.safety_margin_ms >= need


def test_a_margin_that_breaks_the_inequality_names_the_key_and_the_minimum() -> None:
    with pytest.raises(params.CoordinationParamsError) as e:
        params.from_worker_properties({"kconnect.coordination.lease.safety.margin.ms": "1000"})
    assert [v.key for v in e.value.violations] == ["kconnect.coordination.lease.safety.margin.ms"]
    assert "2819" in str(e.value)  # (1000 + 100 + 0.1 * 20000) / 1.1, rounded up


def test_each_constraint_names_its_key() -> None:
    base = params.PRODUCTION
    cases = {
        "heartbeat.interval.ms": replace(base, local=replace(base.local, heartbeat_ms=3_000)),
        "kconnect.coordination.revoke.timeout.ms": replace(
            base, protocol=replace(base.protocol, revoke_timeout_ms=8_000)
        ),
        "kconnect.coordination.restart.park.ms": replace(base, protocol=replace(base.protocol, max_delay_ms=10_000)),
        "session.timeout.ms": replace(base, local=replace(base.local, safety_margin_ms=14_000)),
    }
    for key, profile in cases.items():
        assert key in [v.key for v in params.check(profile)], key


def test_a_non_integer_value_is_refused_with_its_key() -> None:
    with pytest.raises(params.CoordinationParamsError, match=r"session\.timeout\.ms"):
        params.from_worker_properties({"session.timeout.ms": "ten seconds"})


def test_the_inequality_minimum_is_tight() -> None:
    for T in (3_000, 10_000, 20_000, 60_000):
        need = params.min_safety_margin_ms(T, 100, 1_000, 100_000)
        assert need * 1_000_000 >= 1_100 * 1_000_000 + 100_000 * (T - need)
        assert (need - 1) * 1_000_000 < 1_100 * 1_000_000 + 100_000 * (T - need + 1)
