"""Per-task limits: config keys, finding our cgroups, mechanism detection, and the RSS watchdog.

Detection is tested on recorded ``/proc`` texts (layouts this machine cannot show), on fake cgroup
trees in a temporary directory (what the v1/v2 back ends write), and on this machine itself. The
watchdog test kills a real process that really holds the memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kconnect.api.errors import ConfigError
from kconnect.supervisor import limits
from kconnect.supervisor.limits import CGROUP_V1, CGROUP_V2, RSS_WATCHDOG, CgroupLayout, TaskLimiter, locate_cgroups
from kconnect.workers.connector_config import ConnectorConfig, validate_connector_config
from kconnect.workers.task_limits import TaskLimits, resolve_task_limits
from kconnect.workers.worker_config import WorkerConfig
from tests.unit.test_connector_config import SINK_CLS, by_name, file_sink_def

MIB = 1024 * 1024

# --- config keys -------------------------------------------------------------------------------


def test_connector_values_replace_the_worker_defaults_key_by_key() -> None:
    worker = {"kconnect.task.memory.max.bytes": str(512 * MIB), "kconnect.task.cpu.quota": "2"}
    assert resolve_task_limits(worker, {}) == TaskLimits(512 * MIB, 2.0)
    assert resolve_task_limits(worker, {"kconnect.task.cpu.quota": "0.5"}) == TaskLimits(512 * MIB, 0.5)
    assert resolve_task_limits({}, {"kconnect.task.memory.max.bytes": str(64 * MIB)}) == TaskLimits(64 * MIB, None)
    assert resolve_task_limits({}, None) == TaskLimits()
    assert not TaskLimits().any
    # A blank connector value does not erase the worker's default.
    assert resolve_task_limits(worker, {"kconnect.task.cpu.quota": " "}).cpu_quota == 2.0


def test_worker_config_rejects_bad_limits_naming_the_key() -> None:
    base = {
        "bootstrap.servers": "b:9092",
        "key.converter": "x",
        "value.converter": "x",
        "offset.storage.file.filename": "f",
    }
    ok = WorkerConfig.from_props({**base, "kconnect.task.memory.max.bytes": str(MIB * 100)}, log=False)
    assert ok.get("kconnect.task.memory.max.bytes") == 100 * MIB
    assert ok.get("kconnect.task.cpu.quota") is None
    assert ok.get("kconnect.task.limits.mechanism") == "auto"
    with pytest.raises(ConfigError, match=r"kconnect\.task\.cpu\.quota.*at least 0\.01"):
        WorkerConfig.from_props({**base, "kconnect.task.cpu.quota": "0"}, log=False)
    with pytest.raises(ConfigError, match=r"kconnect\.task\.memory\.max\.bytes.*at least 16777216"):
        WorkerConfig.from_props({**base, "kconnect.task.memory.max.bytes": "1000"}, log=False)
    with pytest.raises(ConfigError, match=r"kconnect\.task\.limits\.mechanism"):
        WorkerConfig.from_props({**base, "kconnect.task.limits.mechanism": "setrlimit"}, log=False)


def test_connector_validation_reports_limit_errors_per_field() -> None:
    cdef = file_sink_def()
    props = {
        "name": "s",
        "connector.class": SINK_CLS,
        "topics": "t",
        "kconnect.task.cpu.quota": "half",
        "kconnect.task.memory.max.bytes": "10",
    }
    infos = validate_connector_config(SINK_CLS, "sink", cdef, cdef.validate_all(props), props)
    configs = by_name(infos)
    assert configs["kconnect.task.cpu.quota"]["definition"]["group"] == "kconnect"
    assert configs["kconnect.task.cpu.quota"]["value"]["errors"] == [
        "Invalid value half for configuration kconnect.task.cpu.quota: Not a number of type DOUBLE"
    ]
    assert configs["kconnect.task.memory.max.bytes"]["value"]["errors"] == [
        "Invalid value 10 for configuration kconnect.task.memory.max.bytes: Value must be at least 16777216"
    ]
    # Not supplied: not listed, so Java's key set stays Java's.
    plain = {"name": "s", "connector.class": SINK_CLS, "topics": "t"}
    assert "kconnect.task.cpu.quota" not in by_name(
        validate_connector_config(SINK_CLS, "sink", cdef, cdef.validate_all(plain), plain)
    )
    with pytest.raises(ConfigError, match=r"kconnect\.task\.cpu\.quota"):
        ConnectorConfig.from_props({**plain, "kconnect.task.cpu.quota": "-1"}, "sink")


# --- finding our cgroups ----------------------------------------------------------------------

THIS_MACHINE_CGROUP = """\
9:name=systemd:/
4:memory:/process_api/8bbb
2:cpuacct:/
1:cpu:/
0::/
"""
THIS_MACHINE_MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""


def test_v1_controllers_map_to_their_mounts() -> None:
    layout = locate_cgroups(THIS_MACHINE_CGROUP, THIS_MACHINE_MOUNTINFO)
    assert layout.v1_dirs["memory"] == "/sys/fs/cgroup/memory/process_api/8bbb"
    assert layout.v1_dirs["cpu"] == "/sys/fs/cgroup/cpu"
    assert layout.v2_dir == "/sys/fs/cgroup/unified"  # hybrid: the v2 tree exists (without memory)


def test_systemd_unified_layout() -> None:
    layout = locate_cgroups(
        "0::/system.slice/kconnect.service\n",
        "25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n",
    )
    assert layout == CgroupLayout(v2_dir="/sys/fs/cgroup/system.slice/kconnect.service", v1_dirs={})


def test_combined_controllers_and_namespaced_mount_roots() -> None:
    layout = locate_cgroups(
        "5:cpu,cpuacct:/docker/abc/inner\n3:memory:/elsewhere\n",
        "40 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "41 31 0:30 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
    )
    assert layout.v1_dirs["cpu"] == "/sys/fs/cgroup/cpu,cpuacct/inner"
    assert layout.v1_dirs["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct/inner"
    assert "memory" not in layout.v1_dirs  # our group is outside what is mounted: unreachable


# --- back ends on fake cgroup trees -----------------------------------------------------------


def _fake_v1(root: Path) -> CgroupLayout:
    for controller, files in (("memory", ["memory.limit_in_bytes"]), ("cpu", ["cpu.cfs_quota_us"])):
        (root / controller).mkdir()
        for name in files:
            (root / controller / name).write_text("x")
    return CgroupLayout(v1_dirs={"memory": str(root / "memory"), "cpu": str(root / "cpu")})


def test_v1_without_limit_files_is_not_a_cgroup_and_falls_back_to_the_watchdog(tmp_path: Path) -> None:
    (tmp_path / "memory").mkdir()
    backend = limits.detect("auto", CgroupLayout(v1_dirs={"memory": str(tmp_path / "memory")}))
    assert backend.mechanism == RSS_WATCHDOG
    assert os.listdir(tmp_path / "memory") == []  # the probe group was removed again
    assert limits.detect("auto", CgroupLayout(v1_dirs={"memory": "/nonexistent/memory"})).mechanism == RSS_WATCHDOG


def test_v1_stale_parents_of_dead_supervisors_are_swept(tmp_path: Path) -> None:
    layout = _fake_v1(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / "memory" / f"kconnect-{dead.pid}"
    (stale / "1-x-0").mkdir(parents=True)
    alive = tmp_path / "memory" / "kconnect-1"  # pid 1 exists: never touched
    alive.mkdir()
    # A plain directory has no memory.limit_in_bytes in the new group: refused, but the sweep ran.
    with contextlib.suppress(OSError):
        limits._try_v1(layout, "kconnect-test")
    assert not stale.exists()
    assert alive.exists()


def test_v2_delegated_subtree_gets_controllers_and_limit_files(tmp_path: Path) -> None:
    group = tmp_path / "kconnect.service"
    group.mkdir()
    (group / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (group / "cgroup.subtree_control").write_text("")
    (group / "cgroup.type").write_text("domain\n")
    (group / "cgroup.procs").write_text(f"{os.getpid()}\n")
    backend = limits._try_v2(CgroupLayout(v2_dir=str(group)), "kconnect-test")
    assert backend.mechanism == CGROUP_V2
    assert backend.cpu_supported
    # The service group had a process: it moved into a leaf before handing controllers down.
    assert (group / "supervisor" / "cgroup.procs").read_text() == "0"
    assert (group / "cgroup.subtree_control").read_text() == "+memory +cpu"
    assert (group / "kconnect-test" / "cgroup.subtree_control").read_text() == "+memory +cpu"
    procs = backend.create("1-c-0", TaskLimits(256 * MIB, 0.5))
    task = group / "kconnect-test" / "1-c-0"
    assert procs == [str(task / "cgroup.procs")]
    assert (task / "memory.max").read_text() == str(256 * MIB)
    assert (task / "cpu.max").read_text() == "50000 100000"
    assert not backend.oom_killed("1-c-0")
    (task / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n")
    assert backend.oom_killed("1-c-0")


def test_v2_after_a_restart_in_place_uses_the_delegated_group_again(tmp_path: Path) -> None:
    """SIGUSR2 re-exec: the supervisor now sits in its own ``supervisor`` leaf; it must not nest another one."""
    group = tmp_path / "kconnect.service"
    group.mkdir()
    (group / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (group / "cgroup.subtree_control").write_text("")
    (group / "cgroup.type").write_text("domain\n")
    (group / "cgroup.procs").write_text(f"{os.getpid()}\n")
    limits._try_v2(CgroupLayout(v2_dir=str(group)), "kconnect-first")
    leaf = group / "supervisor"
    (leaf / "cgroup.controllers").write_text("cpu memory\n")  # what the kernel shows in the leaf
    (leaf / "cgroup.subtree_control").write_text("")
    (leaf / "cgroup.type").write_text("domain\n")
    (group / "cgroup.procs").write_text("")  # the supervisor lives in the leaf now
    backend = limits._try_v2(CgroupLayout(v2_dir=str(leaf)), "kconnect-again")
    assert backend.mechanism == CGROUP_V2
    assert (group / "kconnect-again" / "cgroup.subtree_control").read_text() == "+memory +cpu"
    assert not (leaf / "supervisor").exists()
    assert not (leaf / "kconnect-again").exists()


def test_v2_without_the_memory_controller_is_not_used(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("hugetlb\n")
    with pytest.raises(OSError, match="memory controller"):
        limits._try_v2(CgroupLayout(v2_dir=str(tmp_path)), "kconnect-test")


def test_v1_oom_evidence(tmp_path: Path) -> None:
    backend = limits._CgroupV1(str(tmp_path), None)
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
    assert not backend.oom_killed("g")
    (tmp_path / "g" / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    assert backend.oom_killed("g")
    (tmp_path / "g" / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\n")  # kernel < 4.13
    (tmp_path / "g" / "memory.failcnt").write_text("3\n")
    assert backend.oom_killed("g")


# --- real processes -------------------------------------------------------------------------------


def _hog(nbytes: int) -> subprocess.Popen[bytes]:
    code = (
        f"import sys, time; b = bytearray({nbytes}); sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(60)"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)


def _wait_dead(limiter: TaskLimiter, proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        limiter.check()
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the process was not killed")


def test_watchdog_kills_a_process_past_its_limit_and_explains_why() -> None:
    limiter = TaskLimiter(limits.detect("watchdog"))
    placement = limiter.prepare("c", 0, TaskLimits(memory_max_bytes=64 * MIB, cpu_quota=None))
    assert placement is not None
    assert placement.watchdog_memory == 64 * MIB
    proc = _hog(200 * MIB)
    limiter.attach(proc.pid, placement)
    status = _wait_dead(limiter, proc)
    assert os.WIFSIGNALED(status)
    assert os.WTERMSIG(status) == signal.SIGKILL
    cause = limiter.exit_cause(proc.pid, status)
    assert cause is not None
    assert cause.startswith(
        f"Task process exceeded its memory limit of {64 * MIB} bytes (kconnect.task.memory.max.bytes)"
    )
    assert "killed by the supervisor (RSS watchdog: RSS was " in cause
    limiter.release(proc.pid)
    assert limiter.by_pid == {}


def test_a_process_under_its_limit_is_left_alone_and_a_normal_exit_is_not_blamed_on_it() -> None:
    limiter = TaskLimiter(limits.detect("watchdog"))
    placement = limiter.prepare("c", 0, TaskLimits(memory_max_bytes=512 * MIB))
    assert placement is not None
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1)"])
    limiter.attach(proc.pid, placement)
    while proc.poll() is None:
        limiter.check()
        time.sleep(0.05)
    assert proc.returncode == 0
    assert limiter.exit_cause(proc.pid, 0) is None
    assert limiter.prepare("c", 1, TaskLimits()) is None  # no limits: nothing to place


def test_detection_on_this_machine_places_a_process_in_its_own_groups() -> None:
    """Whatever this host offers: cgroups are proven by /proc/<pid>/cgroup, the watchdog by a kill."""
    limiter = TaskLimiter(limits.detect("auto"))
    print(f"\nmechanism detected on this machine: {limiter.mechanism}")
    try:
        placement = limiter.prepare("conn/with odd name", 3, TaskLimits(memory_max_bytes=64 * MIB, cpu_quota=0.5))
        assert placement is not None
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"],
            stdin=subprocess.PIPE,
            preexec_fn=placement.join_in_child,
        )
        limiter.attach(proc.pid, placement)
        if limiter.mechanism == RSS_WATCHDOG:
            assert placement.watchdog_memory == 64 * MIB
        else:
            layout = limits.read_layout(proc.pid)
            dirs: list[Any] = [layout.v2_dir] if limiter.mechanism == CGROUP_V2 else list(layout.v1_dirs.values())
            assert any(str(d).endswith("/1-conn_with_odd_name-3") for d in dirs), layout
            if limiter.mechanism == CGROUP_V1:
                assert Path(layout.v1_dirs["memory"], "memory.limit_in_bytes").read_text().strip() == str(64 * MIB)
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()
        assert limiter.exit_cause(proc.pid, 0) is None
        limiter.release(proc.pid)
        for directory in limiter.backend.group_dirs(placement.name):
            assert not os.path.exists(directory)  # removed after reaping
    finally:
        limiter.close()
    for parent in limiter.backend.parents():
        assert not os.path.exists(parent)  # removed at stop
