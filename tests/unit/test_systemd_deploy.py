"""deploy/: the systemd unit as the documented install renders it, sysusers/tmpfiles, example config."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from kconnect.supervisor.cli import connector_paths
from kconnect.supervisor.rest.listeners import plan_rest
from kconnect.workers.worker_config import WorkerConfig, load_properties

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze"


REPO = DEPLOY.parent
# Paths the documented install writes to; under test they are re-rooted into a scratch directory.
_SYSTEM_PATH = re.compile(r"(?<=[\s=])(/opt/|/etc/|/usr/lib/)")
_ROOTED_TOOLS = ("systemd-sysusers", "systemd-tmpfiles")
_INTERACTIVE = ("$EDITOR", "systemctl", "journalctl")


def documented_install_commands() -> list[str]:
    """The shell lines of docs/systemd.md's Install block, comments and blank lines dropped."""
    doc = (REPO / "docs" / "systemd.md").read_text()
    block = doc.split("## Install", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line]


def rerooted(line: str, root: Path) -> str:
    """``line`` acting on ``root`` instead of ``/``: system paths prefixed, systemd tools given --root."""
    word = line.split()[0]
    if word in _ROOTED_TOOLS:
        return f"{word} --root={root} {line[len(word) :].strip()}"
    if line.startswith("systemd-analyze verify "):  # its argument is a path inside the root
        return f"{SYSTEMD_ANALYZE} verify --root={root} {line.split(maxsplit=2)[2]}"
    line = _SYSTEM_PATH.sub(lambda m: f"{root}{m.group(1)}", " " + line)[1:]
    if word == "install" and " -g kconnect " in line:  # the group exists in the root, not on this host
        gid = next(g.split(":")[2] for g in (root / "etc/group").read_text().splitlines() if g.startswith("kconnect:"))
        line = line.replace(" -g kconnect ", f" -g {gid} ")
    return line


def test_unit_as_installed_by_the_documented_commands_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """docs/systemd.md's install block, run line by line into a scratch root: the real venv and pip
    install of this checkout, the unit copied verbatim, then the documented ``systemd-analyze verify``
    (which fails when ``ExecStart``'s binary does not exist)."""
    root = tmp_path / "root"
    for host_dir in ("etc/systemd/system", "usr/lib/systemd", "usr/lib/sysusers.d", "usr/lib/tmpfiles.d"):
        (root / host_dir).mkdir(parents=True)  # what any systemd host has before the install
    # The host's own units (sysinit.target, ...) that verify resolves the unit's dependencies against.
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "bin").mkdir()
    shutil.copy2("/bin/kill", root / "bin/kill")  # ExecReload='s binary, part of every host (procps/util-linux)
    commands = documented_install_commands()
    ran = []
    verify = None
    for line in commands:
        if line.split()[0] in _INTERACTIVE:
            continue
        command = rerooted(line, root)
        result = subprocess.run(
            ["bash", "-ec", command], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, (line, command, result.stdout[-2000:], result.stderr[-2000:])
        ran.append(line.split()[0])
        if line.startswith("systemd-analyze verify"):
            verify = result
    assert ran[:2] == ["python3", "/opt/kconnect/bin/pip"], ran
    assert "systemd-analyze" in ran, ran
    # The unit verified is the shipped one, byte for byte, and its ExecStart binary is the pip-installed one.
    installed = root / "etc/systemd/system/kconnect.service"
    assert installed.read_bytes() == (DEPLOY / "kconnect.service").read_bytes()
    exec_start = re.search(r"^ExecStart=(\S+)", installed.read_text(), re.M).group(1)  # type: ignore[union-attr]
    binary = root / exec_start.lstrip("/")
    assert binary.is_file(), binary
    usage = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert (usage.returncode, "standalone" in usage.stdout) == (0, True), usage
    # verify exits 0 on unknown keys and bad values too, only warning: any output is a failure.
    assert verify is not None
    assert (verify.stdout, verify.stderr) == ("", "")


def test_rerooting_leaves_nothing_pointing_at_the_host() -> None:
    root = Path("/scratch")
    assert rerooted("install -m 0644 deploy/kconnect.service /etc/systemd/system/kconnect.service", root) == (
        "install -m 0644 deploy/kconnect.service /scratch/etc/systemd/system/kconnect.service"
    )
    assert rerooted("python3 -m venv /opt/kconnect", root) == "python3 -m venv /scratch/opt/kconnect"
    assert rerooted("systemd-tmpfiles --create kconnect.conf", root) == (
        "systemd-tmpfiles --root=/scratch --create kconnect.conf"
    )
    assert rerooted("systemd-analyze verify /etc/systemd/system/kconnect.service", root) == (
        f"{SYSTEMD_ANALYZE} verify --root=/scratch /etc/systemd/system/kconnect.service"
    )


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
