from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kconnect.supervisor.restarts import after_failure
from kconnect.workers.worker_config import RestartPolicy


def test_backoff_doubles_up_to_the_maximum() -> None:
    policy = RestartPolicy(initial_backoff_ms=100, max_backoff_ms=1000)
    delays = []
    attempts = 0
    for _ in range(6):
        d = after_failure(policy, attempts, ran_for_ms=10)
        attempts = d.attempts
        delays.append(d.delay_ms)
    assert delays == [100, 200, 400, 800, 1000, 1000]


def test_a_long_healthy_run_resets_the_backoff() -> None:
    policy = RestartPolicy(initial_backoff_ms=100, max_backoff_ms=10_000, reset_window_ms=5000)
    d = after_failure(policy, previous_attempts=5, ran_for_ms=6000)
    assert (d.attempts, d.delay_ms) == (1, 100)


def test_disabled_policy_is_kafka_connects_behaviour() -> None:
    d = after_failure(RestartPolicy(enabled=False), 0, 10)
    assert not d.restart


@given(st.integers(0, 20), st.integers(-1, 10), st.integers(0, 10**6))
def test_attempt_limit_is_respected(previous: int, max_attempts: int, ran: int) -> None:
    policy = RestartPolicy(max_attempts=max_attempts, reset_window_ms=300_000)
    d = after_failure(policy, previous, ran)
    if max_attempts >= 0 and d.attempts > max_attempts:
        assert not d.restart
    else:
        assert d.restart
        assert 0 < d.delay_ms <= policy.max_backoff_ms
