"""Length-prefixed msgpack frames: the only wire format between kconnect processes.

A frame is a 4-byte big-endian length followed by one msgpack map with a ``"type"`` key. Records
never travel this way (they go task <-> Kafka directly); only control messages do, so frames are
small and a hard size cap turns a bug into a clear error instead of a memory blow-up.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import Any

import msgpack

MAX_FRAME_BYTES = 64 * 1024 * 1024
_HEADER = struct.Struct(">I")

Message = dict[str, Any]


class FrameError(Exception):
    """The peer sent something that is not a valid frame."""


class PeerClosed(Exception):
    """The other end closed the connection."""


def encode(message: Message) -> bytes:
    # surrogatepass: a REST client may send JSON strings with unpaired surrogate escapes (valid JSON,
    # and valid Java strings); they must cross process boundaries intact rather than fail.
    body = msgpack.packb(message, use_bin_type=True, unicode_errors="surrogatepass")
    if len(body) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(body)} bytes exceeds the {MAX_FRAME_BYTES} byte limit")
    return _HEADER.pack(len(body)) + body


def _decode(body: bytes) -> Message:
    msg = msgpack.unpackb(body, raw=False, strict_map_key=False, unicode_errors="surrogatepass")
    if not isinstance(msg, dict) or "type" not in msg:
        raise FrameError("frame is not a message map with a 'type'")
    return msg


class FrameReader:
    """Incremental decoder for a non-blocking stream: feed bytes, iterate complete messages."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> Iterator[Message]:
        self._buf += data
        while len(self._buf) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buf)
            if length > MAX_FRAME_BYTES:
                raise FrameError(f"announced frame of {length} bytes exceeds the limit")
            end = _HEADER.size + length
            if len(self._buf) < end:
                return
            body = bytes(self._buf[_HEADER.size : end])
            del self._buf[:end]
            yield _decode(body)


class Channel:
    """A blocking message channel over a connected stream socket (used by child processes)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._reader = FrameReader()
        self._pending: list[Message] = []

    def send(self, message: Message) -> None:
        self.sock.sendall(encode(message))

    def recv(self, timeout: float | None = None) -> Message | None:
        """Return the next message, or None if ``timeout`` passes first. Raises PeerClosed."""
        if self._pending:
            return self._pending.pop(0)
        self.sock.settimeout(timeout)
        try:
            while not self._pending:
                try:
                    data = self.sock.recv(65536)
                except TimeoutError:
                    return None
                except BlockingIOError:
                    return None
                if not data:
                    raise PeerClosed()
                self._pending.extend(self._reader.feed(data))
        finally:
            self.sock.settimeout(None)
        return self._pending.pop(0)

    def request(self, message: Message, timeout: float) -> Message:
        """Send and wait for one reply (callers use one channel per outstanding request)."""
        self.send(message)
        reply = self.recv(timeout)
        if reply is None:
            raise TimeoutError(f"no reply within {timeout:.1f} s")
        return reply

    def close(self) -> None:
        self.sock.close()
