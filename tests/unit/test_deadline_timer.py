"""The kernel-armed lease deadline of a unit process: a real child process, a real POSIX timer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from kconnect.workers import deadline_timer

_NOW_MS = "time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1_000_000"


def _child(code: str) -> subprocess.Popen[str]:
    prelude = "import sys, time; from kconnect.workers.control import arm_deadline; "
    return subprocess.Popen(
        [sys.executable, "-c", prelude + code], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )


def test_a_child_that_is_not_re_armed_dies_by_sigkill_at_its_deadline() -> None:
    proc = _child(f"arm_deadline({_NOW_MS} + 300); print('armed', flush=True); time.sleep(30)")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "armed"
    assert proc.wait(timeout=25) == -signal.SIGKILL  # killed by the kernel, not a sleep that ended


def test_a_child_lives_while_it_is_re_armed_and_dies_once_re_arming_stops() -> None:
    # Re-armed every 50 ms with a 400 ms lease for 2 s (five lease lengths), then left alone.
    code = (
        "end = time.monotonic() + 2.0\n"
        "while time.monotonic() < end:\n"
        f"    arm_deadline({_NOW_MS} + 400); time.sleep(0.05)\n"
        "print('survived', flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = _child(code)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "survived"
    assert proc.wait(timeout=25) == -signal.SIGKILL


def test_a_stopped_child_is_still_killed_at_its_deadline() -> None:
    proc = _child(f"arm_deadline({_NOW_MS} + 500); print('armed', flush=True); time.sleep(30)")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "armed"
    os.kill(proc.pid, signal.SIGSTOP)  # frozen: no thread of its own could act any more
    assert proc.wait(timeout=25) == -signal.SIGKILL


def test_a_child_ignoring_sigterm_and_sigalrm_is_still_killed() -> None:
    code = (
        "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); signal.signal(signal.SIGALRM, signal.SIG_IGN); "
        f"arm_deadline({_NOW_MS} + 300); print('armed', flush=True); time.sleep(30)"
    )
    proc = _child(code)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "armed"
    assert proc.wait(timeout=25) == -signal.SIGKILL


def _kernel_timer_entries(pid: int) -> list[dict[str, str]]:
    """/proc/<pid>/timers: the kernel's own view of a process's POSIX timers (one block per timer)."""
    entries: list[dict[str, str]] = []
    with open(f"/proc/{pid}/timers") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == "ID":
                entries.append({})
            entries[-1][key.strip()] = value.strip()
    return entries


def test_the_timer_runs_on_clock_boottime_delivers_sigkill_and_round_trips_through_timer_gettime() -> None:
    # Armed in a child, since the timer would kill this test process; the child reports what it sees.
    code = (
        "from kconnect.workers import deadline_timer\n"
        f"deadline = {_NOW_MS} + 60_000\n"
        "arm_deadline(deadline)\n"
        "state = deadline_timer.state()\n"
        "left_by_clock_ms = deadline - time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1_000_000\n"
        "print(deadline_timer.using_posix_timer(), state.remaining_ns // 1_000_000, left_by_clock_ms, "
        "state.interval_ns, flush=True)\n"
        "arm_deadline(deadline + 30_000)\n"  # re-arming replaces the one timer
        "print(deadline_timer.state().remaining_ns // 1_000_000, flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = _child(code)
    try:
        assert proc.stdout is not None
        using_posix, remaining_ms, left_by_clock_ms, interval_ns = proc.stdout.readline().split()
        rearmed_remaining_ms = int(proc.stdout.readline())
        entries = _kernel_timer_entries(proc.pid)
    finally:
        proc.kill()
        proc.wait(timeout=25)
    assert using_posix == "True"
    assert int(interval_ns) == 0  # one shot
    # timer_gettime reports the time left to the absolute CLOCK_BOOTTIME deadline we armed.
    assert 0 < int(remaining_ms) <= 60_000
    assert abs(int(remaining_ms) - int(left_by_clock_ms)) < 1_000
    assert 60_000 < rearmed_remaining_ms <= 90_000
    assert len(entries) == 1, entries
    assert entries[0]["ClockID"] == str(deadline_timer.CLOCK_BOOTTIME) == "7"
    assert entries[0]["signal"].split("/")[0] == str(int(signal.SIGKILL))
    assert entries[0]["notify"].startswith("signal/")


def test_without_timer_create_the_fallback_is_setitimer_and_says_so_once() -> None:
    # Simulates a libc without timer_create (the loader found nothing); everything else is real.
    code = (
        "import logging; logging.basicConfig(level=logging.WARNING)\n"
        "from kconnect.workers import deadline_timer\n"
        "deadline_timer._loaded = True; deadline_timer._posix_timer = None\n"
        f"arm_deadline({_NOW_MS} + 5_000); arm_deadline({_NOW_MS} + 300)\n"
        "print(deadline_timer.using_posix_timer(), deadline_timer.state(), flush=True); time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from kconnect.workers.control import arm_deadline; " + code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    out, err = proc.communicate(timeout=25)
    assert proc.returncode == -signal.SIGALRM  # the interval timer's default action
    assert out.split() == ["False", "None"]
    assert err.count("falls back to setitimer") == 1, err
