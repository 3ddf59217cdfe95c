"""The leader's session-key duty (KIP-507), run by the coordinator child.

The leader writes a ``session-key`` record to the config topic when the topic holds none, when the one it
holds is older than ``inter.worker.key.ttl.ms``, or when it was made with another algorithm or size than
this worker's ``inter.worker.key.*`` settings (Java's ``checkForKeyRotation``). Every worker reads the key
back from the config topic; the master verifies internal requests with it (``internal_requests.py``).
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from typing import Any

from kconnect.supervisor.stores.formats import SessionKey
from kconnect.workers.inter_worker_keys import InterWorkerKeys, generate_key

logger = logging.getLogger(__name__)

RETRY_S = 1.0  # a failed write is retried at most this often (the loop runs every 20 ms)


def wall_ms() -> int:
    """The key's creation timestamp is wall-clock time, as Java's (other workers compare it to their clocks)."""
    return int(time.time() * 1000)


class SessionKeyRotation:
    def __init__(self, keys: InterWorkerKeys, write: Callable[[bytes, str, int], None]) -> None:
        self.keys = keys
        self._write = write
        self._tried_at = 0.0

    def tick(self, is_leader: bool, current: SessionKey | None) -> bool:
        """Write a new key if this worker leads and the current one is missing or stale; True if written."""
        if not is_leader or not self.keys.enabled:
            return False
        now = wall_ms()
        if current is not None and not self.keys.needs_new_key(
            current.key, current.algorithm, current.creation_timestamp, now
        ):
            return False
        if time.monotonic() - self._tried_at < RETRY_S:
            return False
        self._tried_at = time.monotonic()
        reason = "none distributed yet" if current is None else "the current one expired or does not match"
        try:
            key = generate_key(self.keys.key_algorithm, self.keys.key_size_bits)
            self._write(key, self.keys.key_algorithm, now)
        except Exception as e:  # the config topic unavailable: retried next second
            logger.warning("Failed to write a new session key to the config topic: %s", e)
            return False
        logger.info("Distributed a new session key (%s)", reason)
        return True


def key_view(current: SessionKey | None) -> dict[str, Any] | None:
    """The key as the master's view carries it (JSON-safe)."""
    if current is None:
        return None
    return {
        "key": base64.b64encode(current.key).decode("ascii"),
        "algorithm": current.algorithm,
        "creation_timestamp": current.creation_timestamp,
    }
