"""Property tests of the referee over adversarial logs (tests/unit/referee_model.py has the generator and
the oracle): single owner, no resurrection, leader authority, token monotonicity, duplicates are no-ops,
checkpoint equivalence, and the same digests under different PYTHONHASHSEEDs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from tests.unit import referee_model as model

ROOT = Path(__file__).resolve().parents[2]


class DataChooser:
    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def int(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))


PROPS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@PROPS
@given(st.data())
def test_safety_invariants_hold_on_adversarial_logs(data: st.DataObject) -> None:
    log = model.generate(DataChooser(data), steps=60)
    model.check_log(log)


@pytest.mark.parametrize("seed", range(100))
def test_safety_invariants_hold_on_seeded_logs(seed: int) -> None:
    model.check_log(model.generate(model.RandomChooser(seed), steps=120))


@PROPS
@given(st.data())
def test_a_record_appended_twice_changes_nothing(data: st.DataObject) -> None:
    """A resend of a possibly-persisted record lands within message.timeout.ms = T of the original."""
    log = model.generate(DataChooser(data), steps=40)
    state, first_mbt = ref.INITIAL, {}
    for off, (rec, lat) in enumerate(log):
        state = ref.apply(state, rec, lat, off)
        first_mbt.setdefault(rec.encode(), state.mbt)  # the log may already hold copies: judge by the first
    T = state.params.lease_ms
    recent = [off for off, (rec, _) in enumerate(log) if state.mbt - first_mbt[rec.encode()] <= T]
    rec, _ = log[data.draw(st.sampled_from(recent))]
    again = ref.apply(state, rec, state.mbt, len(log))  # no time passes
    assert model.without_noise(again) == model.without_noise(state)


@PROPS
@given(st.data())
def test_replaying_from_a_checkpoint_gives_the_same_state(data: st.DataObject) -> None:
    log = model.generate(DataChooser(data), steps=50)
    cut = data.draw(st.integers(0, len(log) - 1))
    head = ref.fold((rec, lat, off) for off, (rec, lat) in enumerate(log[: cut + 1]))
    encoded = r.canonical_json(ref.snapshot(head))
    restored = ref.from_snapshot(json.loads(encoded))
    assert ref.digest(restored) == ref.digest(head)
    tail = [(rec, lat, off) for off, (rec, lat) in enumerate(log) if off > cut]
    assert ref.digest(ref.fold(tail, restored)) == ref.digest(ref.fold(tail, head))


def test_records_round_trip_through_their_encoding() -> None:
    log = model.generate(model.RandomChooser(7), steps=300)
    kinds = set()
    for rec, _ in log:
        kinds.add(rec.TYPE)
        data = rec.encode()
        assert r.decode(data) == rec
        assert r.canonical_json(json.loads(data)) == data  # canonical: sorted keys, no spaces
    assert {r.RecordType.CLUSTER, r.RecordType.JOIN, r.RecordType.HEARTBEAT, r.RecordType.ASSIGNMENT} <= kinds


def test_a_record_that_is_not_log_append_time_halts_the_referee() -> None:
    log = model.generate(model.RandomChooser(3), steps=20)
    state = ref.fold((rec, lat, off) for off, (rec, lat) in enumerate(log))
    rec, lat = log[-1]
    halted = ref.apply(state, rec, lat, len(log), timestamp_type=ref.TimestampType.CREATE_TIME)
    assert halted.halted is not None
    assert "LogAppendTime" in halted.halted
    assert ref.apply(halted, rec, lat + 10_000, len(log) + 1) is halted  # stays halted, identically everywhere


@pytest.mark.parametrize(
    "value",
    [
        b"not json",
        b'{"v":2,"type":"HEARTBEAT"}',
        b'{"v":1,"type":"GOSSIP"}',
        b'{"v":1,"type":"LEAVE","cluster":"g","worker_id":"A","incarnation":"i","seq":1,"wall_ms":0,"epoch":1}',
    ],
)
def test_an_undecodable_record_halts_the_referee(value: bytes) -> None:
    log = model.generate(model.RandomChooser(4), steps=10)
    state = ref.fold((rec, lat, off) for off, (rec, lat) in enumerate(log))
    assert ref.apply(state, value, 10**7, len(log)).halted is not None


def test_records_of_another_cluster_are_ignored() -> None:
    log = model.generate(model.RandomChooser(5), steps=40)
    state = ref.fold((rec, lat, off) for off, (rec, lat) in enumerate(log))
    rec, lat = log[-1]
    foreign = replace(rec, cluster="someone-else")  # type: ignore[type-var]
    after = ref.apply(state, foreign, lat + 100_000, len(log))
    assert after.outcome == "ignored:other-cluster"
    assert after.mbt == state.mbt


DIGEST_SCRIPT = """
import json, sys
from kconnect.supervisor.coordination import referee as ref
from tests.unit import referee_model as model
out = {}
for seed in range(int(sys.argv[1])):
    log = model.generate(model.RandomChooser(seed), steps=150)
    state = ref.fold((rec, lat, off) for off, (rec, lat) in enumerate(log))
    out[seed] = ref.digest(state)
print(json.dumps(out))
"""


@pytest.mark.parametrize("hash_seed", ["0", "1", "12345"])
def test_digests_do_not_depend_on_the_hash_seed(hash_seed: str) -> None:
    seeds = 25
    local = {}
    for seed in range(seeds):
        log = model.generate(model.RandomChooser(seed), steps=150)
        local[str(seed)] = ref.digest(ref.fold((rec, lat, off) for off, (rec, lat) in enumerate(log)))
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "supervisor"), str(ROOT / "workers"), str(ROOT / "plugins")]
    )
    done = subprocess.run(
        [sys.executable, "-c", DIGEST_SCRIPT, str(seeds)], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == local
