"""Kernel-armed lease deadline of a distributed unit process (self-fencing).

The process creates one POSIX timer, ``timer_create(CLOCK_BOOTTIME, SIGEV_SIGNAL = SIGKILL)``, and arms
it with ``TIMER_ABSTIME`` at its lease deadline; every lease renewal re-arms the same timer. Why these
choices (coordination-review.md, erratum 9):

* SIGKILL: the kernel delivers it at the deadline with no handler, no GIL and no thread of ours involved,
  and it kills even a SIGSTOPped process, so a frozen task never resumes to produce after its lease ended.
  Linux accepts any signal number up to SIGRTMAX for a POSIX timer, SIGKILL included (the tests check it).
* CLOCK_BOOTTIME: the lease is counted on this clock (the deadline arrives in CLOCK_BOOTTIME ms). It keeps
  counting while the host is suspended and never jumps with wall-clock steps. ``setitimer(ITIMER_REAL)``
  runs on CLOCK_MONOTONIC in Linux, which stops during suspend: a host waking from suspend would run its
  tasks past their leases (counted on CLOCK_BOOTTIME) by as long as it slept.
* TIMER_ABSTIME: the deadline is absolute, so the delay between reading the clock and arming adds nothing.

Where ``timer_create`` is missing (no symbol in libc/librt, or the kernel refuses the clock), the process
falls back to ``setitimer`` with SIGALRM at its default action (terminate), and says so once in the log.
POSIX timers are not inherited across ``fork()``; the timer is re-created in a forked child that arms.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)

CLOCK_BOOTTIME = 7  # <linux/time.h>
TIMER_ABSTIME = 1
SIGEV_SIGNAL = 0
_SIGEVENT_SIZE = 64  # sizeof(struct sigevent) on Linux, every architecture


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class _Sigevent(ctypes.Structure):
    # union sigval, int sigev_signo, int sigev_notify, then a union padded to 64 bytes in total.
    _fields_ = [
        ("sigev_value", ctypes.c_void_p),
        ("sigev_signo", ctypes.c_int),
        ("sigev_notify", ctypes.c_int),
        ("_pad", ctypes.c_byte * (_SIGEVENT_SIZE - ctypes.sizeof(ctypes.c_void_p) - 2 * ctypes.sizeof(ctypes.c_int))),
    ]


@dataclass(frozen=True)
class TimerState:
    """What the kernel holds for this process's deadline timer (``timer_gettime``)."""

    remaining_ns: int  # 0 = disarmed
    interval_ns: int


class _PosixTimer:
    def __init__(self, library: ctypes.CDLL) -> None:
        self._lib = library
        self._lib.timer_create.argtypes = [ctypes.c_int, ctypes.POINTER(_Sigevent), ctypes.POINTER(ctypes.c_void_p)]
        self._lib.timer_settime.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.POINTER(_Itimerspec),
            ctypes.POINTER(_Itimerspec),
        ]
        self._lib.timer_gettime.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Itimerspec)]
        self._timer_id: int | None = None
        self._owner_pid = 0

    def _ensure_created(self) -> int:
        if self._timer_id is not None and self._owner_pid == os.getpid():
            return self._timer_id
        event = _Sigevent()
        event.sigev_notify = SIGEV_SIGNAL
        event.sigev_signo = signal.SIGKILL
        timer_id = ctypes.c_void_p()
        if self._lib.timer_create(CLOCK_BOOTTIME, ctypes.byref(event), ctypes.byref(timer_id)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timer_create(CLOCK_BOOTTIME, SIGKILL): {os.strerror(err)}")
        self._timer_id = timer_id.value or 0  # glibc hands out the kernel's id; the first one is 0 (NULL)
        self._owner_pid = os.getpid()
        return self._timer_id

    def arm_at(self, deadline_boottime_ns: int) -> None:
        timer_id = self._ensure_created()
        spec = _Itimerspec()
        # A deadline of 0 would disarm the timer; a passed deadline fires at once, which is what we want.
        deadline = max(deadline_boottime_ns, 1)
        spec.it_value.tv_sec, spec.it_value.tv_nsec = divmod(deadline, 1_000_000_000)
        if self._lib.timer_settime(timer_id, TIMER_ABSTIME, ctypes.byref(spec), None) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timer_settime: {os.strerror(err)}")

    def state(self) -> TimerState | None:
        if self._timer_id is None or self._owner_pid != os.getpid():
            return None
        current = _Itimerspec()
        if self._lib.timer_gettime(self._timer_id, ctypes.byref(current)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timer_gettime: {os.strerror(err)}")
        return TimerState(
            remaining_ns=current.it_value.tv_sec * 1_000_000_000 + current.it_value.tv_nsec,
            interval_ns=current.it_interval.tv_sec * 1_000_000_000 + current.it_interval.tv_nsec,
        )


def _load_posix_timer() -> _PosixTimer | None:
    # glibc >= 2.17 has timer_create in libc; older ones only in librt.
    for name in ("c", "rt"):
        path = ctypes.util.find_library(name)
        if path is None:
            continue
        try:
            library = ctypes.CDLL(path, use_errno=True)
        except OSError:
            continue
        if hasattr(library, "timer_create"):
            return _PosixTimer(library)
    return None


_posix_timer: _PosixTimer | None = None
_loaded = False
_use_fallback = False


def _timer() -> _PosixTimer | None:
    global _posix_timer, _loaded
    if not _loaded:
        _posix_timer = _load_posix_timer()
        _loaded = True
    return _posix_timer


def _fall_back(reason: str) -> None:
    global _use_fallback
    if not _use_fallback:
        logger.warning(
            "POSIX timer_create(CLOCK_BOOTTIME, SIGKILL) is unavailable (%s); the lease deadline falls back to "
            "setitimer(ITIMER_REAL) with SIGALRM, which stops counting while the host is suspended",
            reason,
        )
    _use_fallback = True


def arm(deadline_boottime_ms: int) -> None:
    """Have the kernel kill this process at ``deadline_boottime_ms`` (CLOCK_BOOTTIME); re-arming replaces it."""
    if not _use_fallback:
        posix_timer = _timer()
        if posix_timer is None:
            _fall_back("no timer_create in libc or librt")
        else:
            try:
                posix_timer.arm_at(deadline_boottime_ms * 1_000_000)
                return
            except OSError as e:
                _fall_back(str(e))
    left_ms = deadline_boottime_ms - time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1_000_000
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, max(left_ms, 1) / 1000.0)


def state() -> TimerState | None:
    """The armed POSIX timer as the kernel reports it, or None when none was created in this process."""
    posix_timer = None if _use_fallback else _timer()
    return None if posix_timer is None else posix_timer.state()


def using_posix_timer() -> bool:
    return not _use_fallback and _timer() is not None
