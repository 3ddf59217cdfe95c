"""A real ``NOTIFY_SOCKET`` for tests: a Unix datagram socket that records sd_notify messages.

It asks the kernel for each sender's credentials (SO_PASSCRED), as systemd does, so a test can
check that every message came from the supervisor itself (``NotifyAccess=main``).
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

_UCRED = struct.Struct("iII")  # pid, uid, gid


@dataclass(frozen=True)
class Notification:
    pid: int
    lines: tuple[str, ...]
    at: float  # time.monotonic() on receipt


class NotifySocket:
    def __init__(self, address: str) -> None:
        """``address``: a filesystem path, or ``@name`` for the abstract namespace."""
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(b"\0" + address[1:].encode() if address.startswith("@") else address)
        self.received: list[Notification] = []

    def receive(self, timeout: float) -> list[Notification]:
        """Everything that arrives within ``timeout`` seconds (also kept in ``received``)."""
        before = len(self.received)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.receive_one(left)
        return self.received[before:]

    def wait_for(self, line: str, timeout: float) -> Notification:
        """The next notification containing ``line`` (earlier ones are recorded too)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            before = len(self.received)
            self.receive_one(left)
            for n in self.received[before:]:
                if line in n.lines:
                    return n
        raise AssertionError(f"no {line!r} within {timeout} s; received: {self.received[-10:]!r}")

    def receive_one(self, timeout: float) -> None:
        """At most one notification (returns at the first one or at the timeout)."""
        self.sock.settimeout(timeout)
        try:
            data, ancillary, _flags, _addr = self.sock.recvmsg(4096, socket.CMSG_SPACE(_UCRED.size))
        except TimeoutError:
            return
        pid = -1
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = _UCRED.unpack(payload[: _UCRED.size])[0]
        self.received.append(Notification(pid, tuple(data.decode().split("\n")), time.monotonic()))

    def close(self) -> None:
        self.sock.close()


__all__ = ["Notification", "NotifySocket"]
