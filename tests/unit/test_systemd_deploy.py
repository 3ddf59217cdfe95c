"""deploy/: the systemd unit as the documented install renders it, sysusers/tmpfiles, example config."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from kconnect.supervisor.cli import connector_paths
from kconnect.supervisor.rest.listeners import plan_rest
from kconnect.workers.worker_config import WorkerConfig, load_properties

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze"


def render_unit(prefix: Path, target: Path) -> Path:
    """The unit as `docs/systemd.md` installs it, with the venv at ``prefix`` instead of /opt/kconnect."""
    text = (DEPLOY / "kconnect.service").read_text()
    target.write_text(text.replace("/opt/kconnect/", f"{prefix}/"))
    return target


def test_unit_passes_systemd_analyze_verify_with_a_real_execstart(tmp_path: Path) -> None:
    venv = Path(sys.executable).parent.parent  # this worktree's .venv: bin/kconnect exists
    assert (venv / "bin" / "kconnect").exists()
    unit = render_unit(venv, tmp_path / "kconnect.service")
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and bad values too, only warning: any output is a failure.
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_verify_catches_a_missing_binary_and_unknown_keys(tmp_path: Path) -> None:
    """The check above can fail: a unit whose ExecStart does not exist, or with a typo, is reported."""
    unit = tmp_path / "kconnect.service"
    unit.write_text((DEPLOY / "kconnect.service").read_text().replace("WatchdogSec=", "WatchdogSecs="))
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "/opt/kconnect/bin/kconnect" in result.stderr
    assert "WatchdogSecs" in result.stderr


def test_unit_declares_the_life_cycle_contract() -> None:
    lines = set((DEPLOY / "kconnect.service").read_text().splitlines())
    for line in ("Type=notify", "NotifyAccess=main", "KillMode=mixed", "Restart=on-failure", "Delegate=yes"):
        assert line in lines
    assert "ProtectControlGroups=yes" not in lines  # read-only /sys/fs/cgroup would break Delegate=yes


def test_stop_timeout_leaves_room_for_the_graceful_task_shutdown() -> None:
    unit = (DEPLOY / "kconnect.service").read_text()
    stop_s = int(re.search(r"^TimeoutStopSec=(\d+)s$", unit, re.M).group(1))  # type: ignore[union-attr]
    props = load_properties(str(DEPLOY / "etc/kconnect/worker.properties"))
    worker = WorkerConfig.from_props(props)
    assert worker.task_shutdown_graceful_timeout_ms / 1000 < stop_s
    plan_rest(worker.raw, worker.values)  # the listeners parse


def test_sysusers_and_tmpfiles_create_the_account_and_config_layout(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    sysusers, tmpfiles = shutil.which("systemd-sysusers"), shutil.which("systemd-tmpfiles")
    assert sysusers
    assert tmpfiles
    subprocess.run([sysusers, f"--root={root}", str(DEPLOY / "kconnect.sysusers.conf")], check=True, timeout=60)
    passwd = (root / "etc/passwd").read_text()
    assert re.search(r"^kconnect:x:\d+:\d+:.*:/var/lib/kconnect:/usr/sbin/nologin$", passwd, re.M), passwd
    subprocess.run([tmpfiles, f"--root={root}", "--create", str(DEPLOY / "kconnect.tmpfiles.conf")], check=True)
    assert (root / "etc/kconnect/connectors").is_dir()
    assert (root / "etc/kconnect/connectors").stat().st_mode & 0o777 == 0o750


def test_a_connector_directory_stands_for_its_config_files(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text("{}")
    (tmp_path / "a.properties").write_text("")
    (tmp_path / "README").write_text("")
    (tmp_path / "c.properties.disabled").write_text("")
    assert connector_paths([str(tmp_path), "x.properties"]) == [
        str(tmp_path / "a.properties"),
        str(tmp_path / "b.json"),
        "x.properties",
    ]
