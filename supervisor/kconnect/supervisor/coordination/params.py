"""Protocol parameters, their safety constraints, and the mapping from Kafka Connect's keys.

Two groups of values:

* ``ProtocolParams`` travel in the CLUSTER record and every referee uses the log's copy, never its own
  configuration (review erratum 5, CE-3). A worker whose local values differ refuses to JOIN.
* ``LocalTiming`` is how this worker behaves (heartbeat interval, safety margin, kill budget...). These
  values only have to satisfy the constraints below together with the log's ``ProtocolParams``.

All times are integer milliseconds (erratum 18); the clock-rate error is parts per million.

Mapping from Java (documented in docs/coordination-protocol.md):

* lease timeout T      = ``session.timeout.ms`` if set, else 20000 (erratum 12; Java's default is 10000);
* heartbeat interval h = min(``heartbeat.interval.ms`` (default 1000), T // 8): heartbeating more often
  than asked is always safe, so Java's 3000 / 10000 pair is accepted and runs with h = 1250;
* lost-worker delay D  = ``scheduled.rebalance.max.delay.ms`` (default 300000);
* graceful stop g      = ``task.shutdown.graceful.timeout.ms`` (default 5000);
* everything else lives under ``kconnect.coordination.*`` (see ``KEYS``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

PREFIX = "kconnect.coordination."


@dataclass(frozen=True, slots=True)
class ProtocolParams:
    """Values every referee must share; carried by the CLUSTER record and by CHECKPOINTs."""

    lease_ms: int = 20_000  # T: an epoch expires at the first record with mbt > last counted heartbeat + T
    max_delay_ms: int = 300_000  # D: scheduled.rebalance.max.delay.ms, parks of crashed workers
    restart_park_ms: int = 60_000  # parks of LEAVE(restart)
    cold_park_ms: int = 10_000  # cap of every park after a cluster restart (with init_delay_ms)
    init_delay_ms: int = 3_000  # no proposal before restart_mbt + init_delay_ms
    revoke_timeout_ms: int = 15_600  # R_rev: a LIVE member holding a REVOKING unit longer is expelled
    max_rejected: int = 3  # K_rej: consecutive rejected ASSIGNMENTs before a leader is passed over
    debounce_ms: int = 1_000  # d: no proposal before the last membership change + d
    # Cap of grants + revokes in one ASSIGNMENT: a cold start of 100 workers and 2,100 units takes 3
    # generations (500 took 5); such an ASSIGNMENT is about 70 KB and a 2 ms referee step, once per generation.
    max_items: int = 1_000
    checkpoint_interval_ms: int = 30_000  # C

    def to_json(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, value: object) -> ProtocolParams:
        if not isinstance(value, dict) or sorted(value) != sorted(f.name for f in fields(cls)):
            raise ValueError(f"params must be an object with exactly the keys {sorted(f.name for f in fields(cls))}")
        for k, v in value.items():
            if type(v) is not int or v < 0:
                raise ValueError(f"params.{k} must be a non-negative integer, got {v!r}")
        return cls(**value)


@dataclass(frozen=True, slots=True)
class LocalTiming:
    """How this worker behaves; constrained against the protocol parameters."""

    heartbeat_ms: int = 1_000  # h
    safety_margin_ms: int = 4_000  # delta: the worker self-fences at send time of last counted heartbeat + T - delta
    kill_budget_ms: int = 100  # k: deadline -> process death (kernel timer: milliseconds)
    graceful_ms: int = 5_000  # g: SIGTERM -> SIGKILL
    broker_clock_skew_ms: int = 1_000  # epsilon: largest forward difference between broker clocks in a lease
    clock_rate_error_ppm: int = 100_000  # rho: local clock rate error including NTP slewing (chrony: 1/12)

    def min_start_lease_ms(self, lease_ms: int) -> int:
        """A unit starts only with at least this much lease left (review I1)."""
        return max(2 * self.heartbeat_ms, lease_ms // 4)


@dataclass(frozen=True, slots=True)
class Profile:
    protocol: ProtocolParams
    local: LocalTiming


@dataclass(frozen=True, slots=True)
class Violation:
    key: str  # the configuration key to change
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class CoordinationParamsError(ValueError):
    """The profile breaks a constraint of the protocol; names every key to change."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("invalid coordination timing; change " + "; ".join(str(v) for v in violations))


# Configuration key of each value (for error messages and for parsing).
KEYS: dict[str, str] = {
    "lease_ms": "session.timeout.ms",
    "max_delay_ms": "scheduled.rebalance.max.delay.ms",
    "restart_park_ms": PREFIX + "restart.park.ms",
    "cold_park_ms": PREFIX + "cold.start.park.ms",
    "init_delay_ms": PREFIX + "initial.rebalance.delay.ms",
    "revoke_timeout_ms": PREFIX + "revoke.timeout.ms",
    "max_rejected": PREFIX + "leader.max.rejected.assignments",
    "debounce_ms": PREFIX + "rebalance.debounce.ms",
    "max_items": PREFIX + "assignment.max.items",
    "checkpoint_interval_ms": PREFIX + "checkpoint.interval.ms",
    "heartbeat_ms": "heartbeat.interval.ms",
    "safety_margin_ms": PREFIX + "lease.safety.margin.ms",
    "kill_budget_ms": PREFIX + "kill.budget.ms",
    "graceful_ms": "task.shutdown.graceful.timeout.ms",
    "broker_clock_skew_ms": PREFIX + "broker.clock.skew.ms",
    "clock_rate_error_ppm": PREFIX + "clock.rate.error.ppm",
}


def min_safety_margin_ms(lease_ms: int, kill_ms: int, skew_ms: int, rate_ppm: int) -> int:
    """Smallest delta with delta >= epsilon + k + rho * (T - delta), i.e. (epsilon + k + rho*T) / (1 + rho)."""
    numerator = (skew_ms + kill_ms) * 1_000_000 + rate_ppm * lease_ms
    return -(-numerator // (1_000_000 + rate_ppm))  # ceiling division, integers only


def check(profile: Profile) -> list[Violation]:
    """Every broken constraint, each naming the key to change (empty list = valid profile)."""
    p, t = profile.protocol, profile.local
    out: list[Violation] = []

    def bad(name: str, message: str) -> None:
        out.append(Violation(KEYS[name], message))

    for obj in (p, t):
        for f in fields(obj):
            if getattr(obj, f.name) < 0:
                bad(f.name, f"must not be negative (is {getattr(obj, f.name)})")
    if out:
        return out
    if t.heartbeat_ms <= 0:
        bad("heartbeat_ms", "must be positive")
        return out
    T, h, delta = p.lease_ms, t.heartbeat_ms, t.safety_margin_ms
    if 8 * h > T:
        bad("heartbeat_ms", f"must be at most {KEYS['lease_ms']}/8 = {T // 8} ms (is {h} ms)")
    need = min_safety_margin_ms(T, t.kill_budget_ms, t.broker_clock_skew_ms, t.clock_rate_error_ppm)
    if delta < need:
        bad(
            "safety_margin_ms",
            f"lease margin inequality delta >= epsilon + k + rho*(T - delta) needs at least {need} ms "
            f"(is {delta} ms; epsilon={t.broker_clock_skew_ms}, k={t.kill_budget_ms}, "
            f"rho={t.clock_rate_error_ppm}ppm, T={T}); raise it or lower {KEYS['lease_ms']}",
        )
    if T - delta < t.min_start_lease_ms(T) + 2 * h:
        bad(
            "lease_ms",
            f"T - delta = {T - delta} ms leaves no room to start units: it must be at least "
            f"max(2h, T/4) + 2h = {t.min_start_lease_ms(T) + 2 * h} ms",
        )
    if p.revoke_timeout_ms < t.graceful_ms + t.kill_budget_ms + T // 2:
        bad(
            "revoke_timeout_ms",
            f"must be at least g + k + T/2 = {t.graceful_ms + t.kill_budget_ms + T // 2} ms "
            f"(is {p.revoke_timeout_ms} ms), or a slow reader is expelled for reading late",
        )
    if p.restart_park_ms > p.max_delay_ms:
        bad("restart_park_ms", f"must not exceed {KEYS['max_delay_ms']} = {p.max_delay_ms} ms")
    if p.max_rejected < 1:
        bad("max_rejected", "must be at least 1")
    if p.max_items < 1:
        bad("max_items", "must be at least 1")
    return out


def validate(profile: Profile) -> Profile:
    violations = check(profile)
    if violations:
        raise CoordinationParamsError(violations)
    return profile


def _int(props: Mapping[str, str], key: str, default: int) -> int:
    raw = props.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise CoordinationParamsError([Violation(key, f"must be an integer, got {raw!r}")]) from None


def from_worker_properties(props: Mapping[str, str]) -> Profile:
    """The documented mapping from worker properties (Java keys and kconnect.coordination.*) to a profile.

    Derived defaults: delta = max(T/5, smallest value satisfying the inequality rounded up to 100 ms),
    R_rev = g + k + T/2 (+500 ms slack), restart park = min(60 s, D). The result is validated.
    """
    lease = _int(props, KEYS["lease_ms"], 20_000)
    hb = min(_int(props, KEYS["heartbeat_ms"], 1_000), max(1, lease // 8))
    kill = _int(props, KEYS["kill_budget_ms"], 100)
    skew = _int(props, KEYS["broker_clock_skew_ms"], 1_000)
    rate = _int(props, KEYS["clock_rate_error_ppm"], 100_000)
    graceful = _int(props, KEYS["graceful_ms"], 5_000)
    max_delay = _int(props, KEYS["max_delay_ms"], 300_000)
    need = min_safety_margin_ms(lease, kill, skew, rate)
    delta = _int(props, KEYS["safety_margin_ms"], max(lease // 5, math.ceil(need / 100) * 100))
    protocol = ProtocolParams(
        lease_ms=lease,
        max_delay_ms=max_delay,
        restart_park_ms=_int(props, KEYS["restart_park_ms"], min(60_000, max_delay)),
        cold_park_ms=_int(props, KEYS["cold_park_ms"], 10_000),
        init_delay_ms=_int(props, KEYS["init_delay_ms"], 3_000),
        revoke_timeout_ms=_int(props, KEYS["revoke_timeout_ms"], graceful + kill + lease // 2 + 500),
        max_rejected=_int(props, KEYS["max_rejected"], 3),
        debounce_ms=_int(props, KEYS["debounce_ms"], 1_000),
        max_items=_int(props, KEYS["max_items"], 1_000),
        checkpoint_interval_ms=_int(props, KEYS["checkpoint_interval_ms"], 30_000),
    )
    local = LocalTiming(
        heartbeat_ms=hb,
        safety_margin_ms=delta,
        kill_budget_ms=kill,
        graceful_ms=graceful,
        broker_clock_skew_ms=skew,
        clock_rate_error_ppm=rate,
    )
    return validate(Profile(protocol, local))


PRODUCTION = Profile(ProtocolParams(), LocalTiming())

# Review §6.3 CI row (epsilon 0 on a single broker; the simulator uses 200 ms of broker clock steps).
CI = Profile(
    ProtocolParams(
        lease_ms=3_000,
        max_delay_ms=3_000,
        restart_park_ms=3_000,
        cold_park_ms=1_000,
        init_delay_ms=1_000,
        revoke_timeout_ms=2_600,
        max_rejected=3,
        debounce_ms=300,
        max_items=500,
        checkpoint_interval_ms=2_000,
    ),
    LocalTiming(
        heartbeat_ms=200,
        safety_margin_ms=800,
        kill_budget_ms=100,
        graceful_ms=1_000,
        broker_clock_skew_ms=200,
        clock_rate_error_ppm=100_000,
    ),
)
