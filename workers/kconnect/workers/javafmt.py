"""Java's textual forms where Kafka Connect puts them into user-visible messages.

Kafka Connect sometimes embeds a ``HashMap`` in an error message (``Connector config {a=1, b=2}
contains no connector type``). Its iteration order is a pure function of the keys' ``hashCode``
and the table size, so we reproduce it exactly instead of approximating it.
"""

from __future__ import annotations

from collections.abc import Mapping


def java_string_hash(s: str) -> int:
    """``String.hashCode()``: over UTF-16 code units, as a signed 32-bit int."""
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def _spread(h: int) -> int:
    u = h & 0xFFFFFFFF
    return u ^ (u >> 16)


def _capacity(size: int) -> int:
    """Table size of ``new HashMap<>(otherMap)`` holding ``size`` entries.

    The copy constructor sizes the table as ``tableSizeFor((int) (size / 0.75f + 1))`` (the
    smallest power of two at least that), which is what Kafka Connect's messages print.
    """
    wanted = int(size / 0.75 + 1.0)
    capacity = 1
    while capacity < wanted:
        capacity *= 2
    return capacity


def java_hashmap_order(keys: list[str]) -> list[str]:
    """The iteration order of ``new HashMap<>(m)`` where ``m`` iterates ``keys`` in this order."""
    mask = _capacity(len(keys)) - 1
    indexed = [(_spread(java_string_hash(k)) & mask, i, k) for i, k in enumerate(keys)]
    return [k for _, _, k in sorted(indexed)]


def java_hashmap_put_order(keys: list[str]) -> list[str]:
    """The iteration order of a ``new HashMap<>()`` filled by ``put`` in this order (default capacity 16,
    doubling past 0.75 load): how Jackson-parsed JSON objects and most connector-built maps iterate."""
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2
    mask = capacity - 1
    indexed = [(_spread(java_string_hash(k)) & mask, i, k) for i, k in enumerate(keys)]
    return [k for _, _, k in sorted(indexed)]


def java_map_string(mapping: Mapping[str, str]) -> str:
    """``HashMap.toString()`` of a string map: ``{k1=v1, k2=v2}`` in Java's iteration order."""
    return "{" + ", ".join(f"{k}={mapping[k]}" for k in java_hashmap_order(list(mapping))) + "}"
