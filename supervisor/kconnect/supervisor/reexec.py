"""Restart in place (SIGUSR2): the supervisor re-executes its own command line, like gunicorn's USR2.

The master stops every child gracefully first (in distributed mode the coordinator writes LEAVE(restart)
once every unit process has exited, so the units stay parked for this worker id and come back to it), then
``Master.run`` raises :class:`RestartInPlace`. The exception travels up through the CLI's ``finally`` blocks
(runtime directories removed, as on a plain exit) to ``cli.main``, which calls :func:`exec_self`: the same
interpreter runs the same command line again in the same process (same pid, so systemd's main PID, the
journal stream and a test's ``Popen`` stay valid). ``worker.properties`` is read again and newly installed
code is imported, exactly as at a fresh start.

Exec is safe here because the supervisor holds no librdkafka client and starts no threads. Python opens
every descriptor close-on-exec (PEP 446); :func:`close_on_exec` makes sure of it for the few a library
might have made inheritable, so no socket survives into the new image and the REST processes (which own
the listening sockets, and are gone by now) leave the port free to bind again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import NoReturn

from kconnect.supervisor.sdnotify import Notifier

logger = logging.getLogger(__name__)


class RestartInPlace(Exception):  # a request, not an error
    """Raised by ``Master.run`` after the graceful stop of a SIGUSR2: the caller re-executes."""


def command_line() -> tuple[str, list[str]]:
    """The interpreter and the full command line this process was started with (``-m`` included)."""
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])
    return sys.executable or argv[0], argv


def close_on_exec(keep: tuple[int, ...] = (0, 1, 2)) -> int:
    """Mark every open descriptor except ``keep`` close-on-exec; returns how many were inheritable."""
    changed = 0
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in keep:
            continue
        with contextlib.suppress(OSError):  # the listing's own descriptor is already closed
            if os.get_inheritable(fd):
                os.set_inheritable(fd, False)
                changed += 1
    return changed


def ignore_until_ready() -> None:
    """SIGUSR2's default action kills; until the master installs its handler (start-up: Kafka probe, connector
    validation) a restart request is ignored instead. SIG_IGN survives exec, so set before it this also
    covers the new image's interpreter start-up."""
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)


def exec_self() -> NoReturn:
    """Replace this process by a fresh run of the same command line (never returns)."""
    executable, argv = command_line()
    leaked = close_on_exec()
    if leaked:
        logger.warning("Closed %d inheritable descriptor(s) before the re-exec", leaked)
    logger.info("Restarting in place: exec %s", " ".join(argv))
    # The new image pings from its own main loop only after start-up (Kafka probe, join); one ping now
    # gives it a full WatchdogSec for that.
    Notifier().watchdog()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    ignore_until_ready()
    try:
        os.execv(executable, argv)
    except OSError as e:
        # E.g. the interpreter went away with an upgrade that replaced the virtualenv. Exit non-zero: the
        # service manager (Restart=on-failure) starts ExecStart afresh, and in distributed mode the units are
        # still parked for this worker id.
        logger.error("Restart in place failed: cannot exec %s: %s", executable, e)
        sys.exit(1)


__all__ = ["RestartInPlace", "close_on_exec", "command_line", "exec_self", "ignore_until_ready"]
