"""The coordinator's heartbeat round-trip probe: one DEBUG line per own heartbeat read back, nothing otherwise."""

from __future__ import annotations

import logging
import re

import pytest

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.distributed.hbprobe import HeartbeatProbe, wall_ms


def heartbeat(seq: int, incarnation: str = "inc-a") -> r.HeartbeatRecord:
    return r.HeartbeatRecord(
        cluster="g",
        worker_id="w",
        incarnation=incarnation,
        seq=seq,
        epoch=3,
        applied_upto=10,
        config_offset=0,
        ready=True,
    )


def test_own_heartbeats_read_back_are_logged_with_append_read_rtt_and_gap(caplog: pytest.LogCaptureFixture) -> None:
    probe = HeartbeatProbe("inc-a")
    with caplog.at_level(logging.DEBUG, logger="kconnect.coordinator.heartbeat"):
        probe.produced(heartbeat(1))
        first_lat = wall_ms()
        probe.read_back(first_lat, heartbeat(1))
        probe.produced(heartbeat(2))
        probe.read_back(first_lat + 500, heartbeat(2))
        probe.read_back(first_lat + 600, heartbeat(7, incarnation="inc-b"))  # another worker's: not logged
    lines = [rec.getMessage() for rec in caplog.records]
    assert len(lines) == 2, lines
    m = re.fullmatch(r"Heartbeat seq=1 append=(-?\d+) read=(\d+) rtt=(\d+) gap=None", lines[0])
    assert m is not None, lines[0]
    assert int(m.group(3)) >= int(m.group(2)) >= 0
    assert re.fullmatch(r"Heartbeat seq=2 append=-?\d+ read=-?\d+ rtt=\d+ gap=500", lines[1]), lines[1]


def test_nothing_is_remembered_or_logged_while_debug_is_off(caplog: pytest.LogCaptureFixture) -> None:
    probe = HeartbeatProbe("inc-a")
    with caplog.at_level(logging.INFO, logger="kconnect.coordinator.heartbeat"):
        probe.produced(heartbeat(1))
        probe.read_back(wall_ms(), heartbeat(1))
    assert probe.sent == {}
    assert caplog.records == []
