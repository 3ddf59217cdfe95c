"""Distributed-mode pieces that need no broker: the wanted units of a config snapshot, the herder's reads
over a cluster view, and the kernel-armed lease deadline of a unit process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from kconnect.supervisor.distributed.coordinator import wanted_units
from kconnect.supervisor.distributed.herder import REBALANCE_READ, REBALANCE_WRITE, DistributedHerder
from kconnect.supervisor.herder import HerderError
from kconnect.supervisor.stores import formats
from kconnect.supervisor.stores.config_state import ConfigReplay


def _replay(records: list[tuple[str, bytes | None]]) -> ConfigReplay:
    replay = ConfigReplay()
    for offset, (key, value) in enumerate(records):
        replay.apply(offset, formats.decode_config_record(key, value))
    return replay


def test_wanted_units_are_connector_instances_and_committed_tasks_of_connectors_not_stopped() -> None:
    replay = _replay(
        [
            formats.encode_connector_config("a", {"connector.class": "X"}),
            formats.encode_task_config("a", 0, {"k": "0"}),
            formats.encode_task_config("a", 1, {"k": "1"}),
            formats.encode_task_commit("a", 2),
            formats.encode_connector_config("b", {"connector.class": "X"}),
            formats.encode_task_config("b", 0, {"k": "0"}),  # not committed: not wanted yet
            formats.encode_connector_config("c", {"connector.class": "X"}),
            formats.encode_task_config("c", 0, {"k": "0"}),
            formats.encode_task_commit("c", 1),
            formats.encode_target_state("c", "STOPPED"),
            formats.encode_connector_config("d", {"connector.class": "X"}),
            formats.encode_target_state("d", "PAUSED"),
        ]
    )
    assert wanted_units(replay.snapshot()) == [("a", -1), ("a", 0), ("a", 1), ("b", -1), ("d", -1)]


def _view(**over: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "worker_id": "w1:8083",
        "live": True,
        "rebalancing": False,
        "leader": {"worker_id": "w0:8083", "rest_url": "http://w0:8083/"},
        "members": [
            {"worker_id": "w0:8083", "rest_url": "http://w0:8083/", "epoch": 3},
            {"worker_id": "w1:8083", "rest_url": "http://w1:8083/", "epoch": 7},
        ],
        "connectors": {
            "sink": {
                "config": {"connector.class": "FileStreamSink", "name": "sink"},
                "target": "STARTED",
                "type": "sink",
                "version": "4.3.1",
                "tasks": [{"task.class": "T"}, {"task.class": "T"}],
            }
        },
        "statuses": {
            "sink": {
                "connector": ["RUNNING", None, "w0:8083", 4, "4.3.1"],
                "tasks": {"0": ["RUNNING", None, "w1:8083", 4, "4.3.1"], "1": ["FAILED", "boom", "w0:8083", 4, None]},
                "topics": ["t"],
            }
        },
        "owners": {"sink\x00-1": "w0:8083", "sink\x000": "w1:8083", "sink\x001": "w0:8083"},
    }
    view.update(over)
    return view


def test_statuses_come_from_the_status_topic_with_each_owner_worker_id() -> None:
    herder = DistributedHerder("w1:8083", "cluster", "4.3.1", "kconnect")
    herder.apply_view(_view())
    status = herder.connector_status("sink")
    assert status["connector"] == {"state": "RUNNING", "worker_id": "w0:8083", "version": "4.3.1"}
    assert status["tasks"] == [
        {"id": 0, "state": "RUNNING", "worker_id": "w1:8083", "version": "4.3.1"},
        {"id": 1, "state": "FAILED", "worker_id": "w0:8083", "trace": "boom", "version": "4.3.1"},
    ]
    assert herder.task_status("sink", 1)["trace"] == "boom"
    assert herder.connector_info("sink")["tasks"] == [
        {"connector": "sink", "task": 0},
        {"connector": "sink", "task": 1},
    ]
    assert herder.owner_of("sink", 0) == "w1:8083"
    assert herder.owner_of("sink", 1) == "w0:8083"
    assert herder.member_url("w0:8083") == "http://w0:8083/"
    assert herder.leader_url() == "http://w0:8083/"
    assert not herder.is_leader()
    with pytest.raises(HerderError) as e:
        herder.task_status("sink", 2)
    assert e.value.code == 404


def test_a_stopped_connector_reads_stopped_and_a_worker_that_has_not_joined_refuses() -> None:
    herder = DistributedHerder("w1:8083", "cluster", "4.3.1", "kconnect")
    with pytest.raises(HerderError) as e:
        herder.check_readable()
    assert (e.value.code, e.value.message) == (500, REBALANCE_READ)
    view = _view()
    view["connectors"]["sink"]["target"] = "STOPPED"
    view["connectors"]["sink"]["tasks"] = []
    herder.apply_view(view)
    assert herder.connector_status("sink")["connector"]["state"] == "STOPPED"
    assert herder.connector_status("sink")["tasks"] == []
    herder.apply_view(_view(rebalancing=True))
    with pytest.raises(HerderError) as e:
        herder.check_writable()
    assert (e.value.code, e.value.message) == (409, REBALANCE_WRITE)
    herder.apply_view(_view(live=False))
    with pytest.raises(HerderError):
        herder.check_readable()


def test_a_unit_process_dies_by_its_kernel_armed_deadline_without_any_signal_from_outside() -> None:
    code = (
        "import time; from kconnect.workers.control import arm_deadline; "
        "arm_deadline(time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1_000_000 + 300); time.sleep(30)"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), timeout=25, check=False)
    assert proc.returncode == -signal.SIGKILL  # the kernel's POSIX timer, not a sleep that ended


def test_a_worker_refuses_timing_that_breaks_the_lease_margin_and_names_the_key(tmp_path: Any) -> None:
    props = tmp_path / "worker.properties"
    props.write_text(
        "bootstrap.servers=127.0.0.1:1\ngroup.id=g\nconfig.storage.topic=c\noffset.storage.topic=o\n"
        "status.storage.topic=s\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n"
        "value.converter=org.apache.kafka.connect.storage.StringConverter\nsession.timeout.ms=10000\nkconnect.coordination.lease.safety.margin.ms=10\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "kconnect.supervisor", "distributed", str(props)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "kconnect.coordination.lease.safety.margin.ms" in proc.stderr
    assert "lease margin inequality" in proc.stderr
