"""The task process's end of the supervisor link: commands in, heartbeats and offsets out."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from kconnect.ipc import messages as m
from kconnect.ipc.codec import Channel, PeerClosed
from kconnect.workers import deadline_timer

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 1.0


class SupervisorLink:
    """Non-blocking polling of supervisor commands from inside a task's main loop.

    If the supervisor goes away (its end of the socket closes) the task must not live on as an
    orphan moving data nobody tracks: ``orphaned`` becomes true and the loop stops quickly.
    """

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.stop_requested = False
        self.paused = False
        self.orphaned = False
        self._last_heartbeat = 0.0

    def poll_commands(self, timeout: float = 0.0) -> None:
        try:
            while True:
                msg = self.channel.recv(timeout)
                timeout = 0.0
                if msg is None:
                    return
                self._apply(msg)
        except (PeerClosed, ConnectionError, OSError):
            self.orphaned = True
            self.stop_requested = True

    def _apply(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        if kind == m.STOP:
            self.stop_requested = True
        elif kind == m.PAUSE:
            self.paused = True
        elif kind == m.RESUME:
            self.paused = False
        elif kind == "set_deadline":
            arm_deadline(int(msg["deadline"]))
        elif kind == "set_log_level":
            logging.getLogger(msg.get("logger") or None).setLevel(msg["level"])
        else:
            logger.warning("Ignoring unknown control message %s", kind)

    def send(self, message: dict[str, Any]) -> None:
        if self.orphaned:
            return
        try:
            self.channel.send(message)
        except OSError:
            self.orphaned = True
            self.stop_requested = True

    def heartbeat(self, stats: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        """Send ``stats`` (or what the callable returns: built only when a heartbeat is due) once a second."""
        now = time.monotonic()
        if now - self._last_heartbeat >= HEARTBEAT_INTERVAL_S:
            self._last_heartbeat = now
            self.send({"type": m.HEARTBEAT, "pid": os.getpid(), "stats": stats() if callable(stats) else stats})


def arm_deadline(deadline_boottime_ms: int) -> None:
    """Distributed mode's self-fencing: the kernel kills this process (SIGKILL from a CLOCK_BOOTTIME POSIX
    timer, see deadline_timer) when its lease deadline passes, even if the supervisor is frozen or gone, or
    this process is stopped. Re-arming replaces the timer."""
    deadline_timer.arm(deadline_boottime_ms)
