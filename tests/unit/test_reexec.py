"""Restart in place (SIGUSR2): the master's signal handling, systemd's RELOADING=1, and a real re-exec."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kconnect.supervisor import reexec
from kconnect.supervisor.herder import StandaloneHerder
from kconnect.supervisor.master import Master
from kconnect.supervisor.offsets_file import OffsetsFile
from kconnect.supervisor.sdnotify import Notifier
from kconnect.workers.worker_config import RestartPolicy
from tests.support.notify_socket import NotifySocket


def _master(tmp_path: Path) -> Master:
    return Master(
        worker_props={},
        herder=StandaloneHerder("w:1", "cluster", "4.3.0", "x"),
        offsets=OffsetsFile(str(tmp_path / "offsets")),
        policy_for=lambda config: RestartPolicy(),
        shutdown_timeout_ms=1000,
        rest_argv=None,
        control_path=str(tmp_path / "control.sock"),
    )


def test_reloading_carries_the_monotonic_time(tmp_path: Path) -> None:
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    try:
        assert Notifier({"NOTIFY_SOCKET": notify.address}).reloading("again")
        (message,) = notify.receive(0.3)
        assert message.lines[0] == "RELOADING=1"
        assert message.lines[1].startswith("MONOTONIC_USEC=")
        assert abs(int(message.lines[1].split("=")[1]) - reexec_now_usec()) < 5_000_000
        assert message.lines[2] == "STATUS=again"
    finally:
        notify.close()


def reexec_now_usec() -> int:
    import time

    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1_000


def test_sigusr2_drains_with_reloading_and_run_asks_for_the_re_exec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    monkeypatch.setenv("NOTIFY_SOCKET", notify.address)
    master = _master(tmp_path)
    master.open_control_socket()
    master.install_signals()
    try:
        os.kill(os.getpid(), signal.SIGUSR2)  # the real signal, through the real handler and queue
        with pytest.raises(reexec.RestartInPlace):
            master.run()  # no children: the drain ends at once; cleanup ran, then the request
        assert master.restart_in_place
        lines = [line for n in notify.receive(0.3) for line in n.lines]
        assert "RELOADING=1" in lines
        assert "STOPPING=1" not in lines
        assert not os.path.exists(master.control_path)  # cleaned up before the exec
        replies: list[tuple[int, object]] = []
        master.ops.op_health({}, lambda status, body: replies.append((status, body)))
        assert replies[-1][0] == 503  # draining: /health says so, as for a stop
    finally:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        notify.close()


def test_sigterm_during_the_restart_drain_turns_it_into_a_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    monkeypatch.setenv("NOTIFY_SOCKET", notify.address)
    master = _master(tmp_path)
    master.signals.put(signal.SIGUSR2)
    master._handle_signals()
    assert master.restart_in_place
    assert master.stopping_since is not None
    master.signals.put(signal.SIGUSR2)  # a second USR2 changes nothing
    master.signals.put(signal.SIGTERM)
    master._handle_signals()
    assert not master.restart_in_place
    assert master.run() == 0  # a plain stop now: no RestartInPlace
    master.lifecycle.close()
    lines = [line for n in notify.receive(0.3) for line in n.lines]
    notify.close()
    assert [x for x in lines if x in ("RELOADING=1", "STOPPING=1")] == ["RELOADING=1", "STOPPING=1"]


def test_close_on_exec_marks_inheritable_descriptors(tmp_path: Path) -> None:
    r, w = os.pipe()
    try:
        os.set_inheritable(w, True)
        assert reexec.close_on_exec() >= 1
        assert not os.get_inheritable(w)
        assert all(os.get_inheritable(fd) for fd in (0, 1, 2) if _is_open(fd) and os.get_inheritable(fd))
    finally:
        os.close(r)
        os.close(w)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def test_exec_self_runs_the_same_command_line_in_the_same_process(tmp_path: Path) -> None:
    """A real re-exec: same pid, same argv (``-m`` included), and a descriptor made inheritable is gone."""
    script = tmp_path / "again.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, signal, sys
            from kconnect.supervisor import reexec
            if os.environ.get("ROUND") == "2":
                fd = int(os.environ["LEAK_FD"])
                try:
                    os.fstat(fd)
                    leaked = True
                except OSError:
                    leaked = False
                usr2 = signal.getsignal(signal.SIGUSR2) is signal.SIG_IGN
                print(f"second {os.getpid()} {sys.argv[1:]} leaked={leaked} usr2-ignored={usr2}", flush=True)
                sys.exit(0)
            os.environ["ROUND"] = "2"
            r, w = os.pipe()
            os.set_inheritable(w, True)
            os.environ["LEAK_FD"] = str(w)
            sys.argv[1] = "changed"  # not what runs again: the original command line does
            print(f"first {os.getpid()}", flush=True)
            reexec.exec_self()
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")]))}
    env.pop("ROUND", None)
    out = subprocess.run(
        [sys.executable, str(script), "placeholder"], capture_output=True, text=True, env=env, timeout=60, check=True
    ).stdout.split("\n")
    first_pid = out[0].split()[1]
    # orig_argv is the command line as started: the placeholder comes back, not what the first round wrote.
    # SIGUSR2 is ignored from the exec until the new image's master installs its handler (else it would kill).
    assert out[1] == f"second {first_pid} ['placeholder'] leaked=False usr2-ignored=True", out


def test_a_failed_exec_exits_non_zero_with_a_clear_error(tmp_path: Path) -> None:
    script = tmp_path / "gone.py"
    script.write_text(
        "import logging, sys\n"
        "from kconnect.supervisor import reexec\n"
        "logging.basicConfig()\n"
        "sys.executable = '/nonexistent/python3'  # the interpreter an upgrade removed\n"
        "reexec.exec_self()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert "Restart in place failed: cannot exec /nonexistent/python3" in done.stderr
