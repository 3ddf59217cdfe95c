"""Session keys and request signatures of Kafka Connect's internal REST endpoints (KIP-507).

The leader of a distributed cluster writes a random key to the config topic (``session-key``); every
worker reads it, and internal requests (``POST /connectors/{c}/tasks``, ``PUT /connectors/{c}/fence``)
carry an HMAC of their body under that key. The algorithm names are the JVM's (``HmacSHA256``...), matched
case-insensitively as ``javax.crypto.Mac.getInstance`` does; the hash functions are :mod:`hashlib`'s.

This module is the worker-config side too: ``inter.worker.*`` validation lives here so the config
parser only calls small hooks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ALGORITHM_HEADER",
    "MAC_ALGORITHMS",
    "SIGNATURE_HEADER",
    "InterWorkerKeys",
    "SignatureError",
    "canonical_algorithm",
    "generate_key",
    "sign",
    "validate_inter_worker_settings",
]

SIGNATURE_HEADER = "X-Connect-Authorization"
ALGORITHM_HEADER = "X-Connect-Request-Signature-Algorithm"

# JVM Mac / KeyGenerator name -> (hashlib name, the KeyGenerator's default key size in bits).
# SunJCE's HMAC key generators default to the digest's block of output bits, MD5 and SHA-1 to 512 bits.
MAC_ALGORITHMS: Mapping[str, tuple[str, int]] = {
    "HmacMD5": ("md5", 512),
    "HmacSHA1": ("sha1", 512),
    "HmacSHA224": ("sha224", 224),
    "HmacSHA256": ("sha256", 256),
    "HmacSHA384": ("sha384", 384),
    "HmacSHA512": ("sha512", 512),
    "HmacSHA512/224": ("sha512_224", 224),
    "HmacSHA512/256": ("sha512_256", 256),
    "HmacSHA3-224": ("sha3_224", 224),
    "HmacSHA3-256": ("sha3_256", 256),
    "HmacSHA3-384": ("sha3_384", 384),
    "HmacSHA3-512": ("sha3_512", 512),
}
_BY_LOWER = {name.lower(): name for name in MAC_ALGORITHMS}
MIN_KEY_BITS = 40  # SunJCE's HMAC key generators refuse shorter keys


class SignatureError(Exception):
    """An internal request whose signature cannot be checked or is wrong: ``status`` and Java's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _hash_available(name: str) -> bool:
    try:
        hashlib.new(MAC_ALGORITHMS[name][0])
    except (ValueError, KeyError):
        return False
    return True


def canonical_algorithm(name: str) -> str | None:
    """The JVM spelling of a supported HMAC algorithm, or None (``Mac.getInstance`` is case-insensitive)."""
    found = _BY_LOWER.get(name.strip().lower())
    return found if found is not None and _hash_available(found) else None


def supported() -> list[str]:
    return [name for name in MAC_ALGORITHMS if _hash_available(name)]


def generate_key(algorithm: str, size_bits: int | None) -> bytes:
    """A fresh random key for ``algorithm``; ``size_bits`` None takes the algorithm's default size."""
    name = canonical_algorithm(algorithm)
    if name is None:
        raise ValueError(f"unsupported key generation algorithm {algorithm}")
    bits = MAC_ALGORITHMS[name][1] if size_bits is None else size_bits
    return secrets.token_bytes((bits + 7) // 8)


def key_length(algorithm: str, size_bits: int | None) -> int:
    """The byte length of keys :func:`generate_key` makes (a key of another length is rotated away)."""
    name = canonical_algorithm(algorithm) or "HmacSHA256"
    bits = MAC_ALGORITHMS[name][1] if size_bits is None else size_bits
    return (bits + 7) // 8


def sign(key: bytes, algorithm: str, body: bytes) -> str:
    """The ``X-Connect-Authorization`` value: base64 of the HMAC of the exact body bytes."""
    name = canonical_algorithm(algorithm)
    if name is None:
        raise ValueError(f"unsupported signature algorithm {algorithm}")
    return base64.b64encode(hmac.new(key, body, MAC_ALGORITHMS[name][0]).digest()).decode("ascii")


@dataclass(frozen=True, slots=True)
class InterWorkerKeys:
    """A worker's ``inter.worker.*`` settings and the checks Java's herder makes on internal requests."""

    key_algorithm: str
    key_size_bits: int | None
    key_ttl_ms: int
    signature_algorithm: str
    verification_algorithms: tuple[str, ...]
    enabled: bool  # connect.protocol=sessioned: eager/compatible clusters do not sign (Java's protocol < V2)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> InterWorkerKeys:
        def canon(name: str) -> str:
            return canonical_algorithm(name) or name

        return cls(
            key_algorithm=canon(str(values["inter.worker.key.generation.algorithm"])),
            key_size_bits=values["inter.worker.key.size"],
            key_ttl_ms=int(values["inter.worker.key.ttl.ms"]),
            signature_algorithm=canon(str(values["inter.worker.signature.algorithm"])),
            verification_algorithms=tuple(canon(str(a)) for a in values["inter.worker.verification.algorithms"]),
            enabled=str(values.get("connect.protocol", "sessioned")).lower() == "sessioned",
        )

    def needs_new_key(self, key: bytes | None, algorithm: str | None, created_ms: int | None, now_ms: int) -> bool:
        """The leader's rotation rule: no key yet, an expired one, or one of another algorithm or size."""
        if not self.enabled:
            return False
        if key is None or algorithm is None or created_ms is None:
            return True
        if self.key_ttl_ms > 0 and created_ms + self.key_ttl_ms <= now_ms:
            return True
        return (canonical_algorithm(algorithm) or algorithm) != self.key_algorithm or len(key) != key_length(
            self.key_algorithm, self.key_size_bits
        )

    def verify(self, body: bytes, signature: str | None, algorithm: str | None, key: bytes | None) -> None:
        """Java's checks in order; raises :class:`SignatureError` with Java's status and message."""
        if not self.enabled:
            return
        if signature is None or algorithm is None:
            raise SignatureError(400, "Internal request missing required signature")
        name = canonical_algorithm(algorithm)
        if name is None:
            raise SignatureError(400, f"Algorithm {algorithm} not available")
        try:
            expected = base64.b64decode(signature.strip(), validate=True)
        except (binascii.Error, ValueError) as e:
            raise SignatureError(400, f"Illegal base64 signature: {e}") from None
        if name not in self.verification_algorithms:
            raise SignatureError(
                400,
                f"This worker does not support the '{name}' key signing algorithm used by other workers. "
                f"This worker is currently configured to use: [{', '.join(self.verification_algorithms)}]. "
                "Check that all workers' configuration files permit the same set of signature algorithms, "
                "and correct any misconfigured worker and restart it.",
            )
        if key is None:
            raise SignatureError(
                503,
                "This worker is still starting up and has not been able to read a session key "
                "from the config topic yet",
            )
        actual = hmac.new(key, body, MAC_ALGORITHMS[name][0]).digest()
        if not hmac.compare_digest(actual, expected):
            raise SignatureError(403, "Internal request contained invalid signature.")


def _unsupported(key: str, value: object) -> tuple[str, str]:
    return key, (
        f"Invalid value {value} for configuration {key}: the algorithm is not supported by this worker; "
        f"the supported algorithms are: [{', '.join(supported())}]"
    )


def validate_inter_worker_settings(values: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first bad ``inter.worker.*`` setting as (key, message), or None (DistributedConfig's checks)."""
    key_algorithm = str(values["inter.worker.key.generation.algorithm"])
    if canonical_algorithm(key_algorithm) is None:
        return _unsupported("inter.worker.key.generation.algorithm", key_algorithm)
    signature = str(values["inter.worker.signature.algorithm"])
    if canonical_algorithm(signature) is None:
        return _unsupported("inter.worker.signature.algorithm", signature)
    verification: Sequence[str] = values["inter.worker.verification.algorithms"]
    if not verification:
        key = "inter.worker.verification.algorithms"
        return (
            key,
            f"Invalid value [] for configuration {key}: At least one signature verification algorithm must be provided",
        )
    for algorithm in verification:
        if canonical_algorithm(str(algorithm)) is None:
            return _unsupported("inter.worker.verification.algorithms", algorithm)
    size = values["inter.worker.key.size"]
    if size is not None and size < MIN_KEY_BITS:
        return "inter.worker.key.size", (
            f"Unable to create key generator with algorithm {key_algorithm} and key size {size}: "
            f"Key length must be at least {MIN_KEY_BITS} bits"
        )
    canonical_verification = {canonical_algorithm(str(a)) for a in verification}
    if canonical_algorithm(signature) not in canonical_verification:
        key = "inter.worker.signature.algorithm"
        return key, (
            f"Invalid value {signature} for configuration {key}: "
            "Signature algorithm must be present in inter.worker.verification.algorithms list"
        )
    return None
