from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kconnect.ipc.codec import MAX_FRAME_BYTES, Channel, FrameError, FrameReader, PeerClosed, encode

values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text() | st.binary(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), values, max_size=5), st.integers(1, 17))
def test_frames_round_trip_whatever_the_chunking(body: dict[str, object], chunk: int) -> None:
    msg = {**body, "type": "x"}
    data = encode(msg) * 2
    reader = FrameReader()
    out = []
    for i in range(0, len(data), chunk):
        out.extend(reader.feed(data[i : i + chunk]))
    assert out == [msg, msg]


def test_oversized_announced_frame_is_refused() -> None:
    with pytest.raises(FrameError):
        list(FrameReader().feed(struct.pack(">I", MAX_FRAME_BYTES + 1)))


def test_frame_must_be_a_typed_map() -> None:
    import msgpack

    body = msgpack.packb([1, 2])
    with pytest.raises(FrameError):
        list(FrameReader().feed(struct.pack(">I", len(body)) + body))


def test_channel_timeout_and_peer_close() -> None:
    a, b = socket.socketpair()
    ca, cb = Channel(a), Channel(b)
    assert cb.recv(timeout=0.01) is None
    ca.send({"type": "hello", "n": 1})
    assert cb.recv(timeout=1) == {"type": "hello", "n": 1}
    ca.close()
    with pytest.raises(PeerClosed):
        cb.recv(timeout=1)
    cb.close()
