"""sd_notify(3) over ``NOTIFY_SOCKET``: the few lines of the protocol the supervisor needs.

A datagram of ``KEY=VALUE`` lines sent to the Unix socket systemd names in ``NOTIFY_SOCKET``
(a path, or an abstract name written with a leading ``@``). Written here rather than taken from
the ``sdnotify`` package because that one ignores ``WATCHDOG_USEC``/``WATCHDOG_PID`` and keeps
retrying silently; the protocol itself is a single ``sendto``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Mapping, MutableMapping

# What systemd hands the main process; children must not inherit it (gunicorn, for one, sends its
# own READY=1 when it sees NOTIFY_SOCKET, and NotifyAccess=main would log every such datagram).
SYSTEMD_ENV_KEYS = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


def socket_address(value: str) -> str | bytes | None:
    """The address to send to for a ``NOTIFY_SOCKET`` value (``@name`` is Linux's abstract namespace)."""
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    return None  # vsock addresses (vsock:CID:PORT) are for VMs; the supervisor does not run there


def watchdog_usec(env: Mapping[str, str], pid: int) -> int | None:
    """The watchdog timeout systemd expects us to honour, or None (sd_watchdog_enabled(3)'s rules)."""
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    owner = env.get("WATCHDOG_PID", "")
    if owner:
        try:
            if int(owner) != pid:
                return None  # meant for another process (we were started by a wrapper that forked)
        except ValueError:
            return None
    return usec


class Notifier:
    """Sends sd_notify messages; every method is a no-op when not started by systemd."""

    def __init__(self, env: Mapping[str, str] | None = None, pid: int | None = None) -> None:
        env = os.environ if env is None else env
        self.address = socket_address(env.get("NOTIFY_SOCKET", ""))
        usec = watchdog_usec(env, os.getpid() if pid is None else pid)
        # sd_watchdog_enabled(3) recommends pinging at half the timeout.
        self.watchdog_interval_s: float | None = usec / 2_000_000 if usec is not None else None
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *lines: str) -> bool:
        """Send one datagram with ``lines``; False if there is no socket or the send failed."""
        if self.address is None or not lines:
            return False
        if self._sock is None:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.setblocking(False)  # never let a full socket queue stall the main loop
        try:
            self._sock.sendto("\n".join(lines).encode(), self.address)
            return True
        except OSError:
            return False

    def ready(self, status: str | None = None) -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def stopping(self, status: str | None = None) -> bool:
        return self.notify("STOPPING=1", *([f"STATUS={status}"] if status else []))

    def reloading(self, status: str | None = None) -> bool:
        """RELOADING=1 before a restart in place; READY=1 follows from the new image. systemd 253+ needs
        MONOTONIC_USEC= beside it to tell this reload from an earlier one (Type=notify-reload)."""
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1_000
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={usec}", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None


def strip_systemd_env(env: MutableMapping[str, str]) -> None:
    """Remove what systemd gave the main process from a child's environment."""
    for key in SYSTEMD_ENV_KEYS:
        env.pop(key, None)


__all__ = ["SYSTEMD_ENV_KEYS", "Notifier", "socket_address", "strip_systemd_env", "watchdog_usec"]
