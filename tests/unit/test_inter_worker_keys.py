"""Session-key signatures of internal requests and the ``inter.worker.*`` worker settings (KIP-507)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from kconnect.api.errors import ConfigError
from kconnect.workers.inter_worker_keys import (
    InterWorkerKeys,
    SignatureError,
    generate_key,
    sign,
)
from kconnect.workers.worker_config import WorkerConfig

BASE = {
    "bootstrap.servers": "localhost:9092",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "group.id": "g",
    "config.storage.topic": "c",
    "offset.storage.topic": "o",
    "status.storage.topic": "s",
}


def keys(**extra: str) -> InterWorkerKeys:
    return InterWorkerKeys.from_values(WorkerConfig.from_props({**BASE, **extra}, "distributed", log=False).values)


def test_signature_is_base64_hmac_of_the_body() -> None:
    key = b"k" * 32
    expected = base64.b64encode(hmac.new(key, b'[{"a":"b"}]', hashlib.sha256).digest()).decode()
    assert sign(key, "HmacSHA256", b'[{"a":"b"}]') == expected
    assert sign(key, "hmacsha256", b'[{"a":"b"}]') == expected  # JVM algorithm names are case-insensitive


def test_default_keys_are_256_bit_hmac_sha256() -> None:
    k = keys()
    assert (k.key_algorithm, k.signature_algorithm, k.verification_algorithms) == (
        "HmacSHA256",
        "HmacSHA256",
        ("HmacSHA256",),
    )
    assert k.key_ttl_ms == 3_600_000
    assert k.enabled
    assert len(generate_key("HmacSHA256", None)) == 32
    assert len(generate_key("HmacSHA512", 1024)) == 128


@pytest.mark.parametrize(
    ("signature", "algorithm", "key", "status", "message"),
    [
        (None, None, b"k" * 32, 400, "Internal request missing required signature"),
        ("abc=", None, b"k" * 32, 400, "Internal request missing required signature"),
        ("abc=", "HmacFoo", b"k" * 32, 400, "Algorithm HmacFoo not available"),
        ("AAAA", "HmacSHA256", None, 503, "This worker is still starting up"),
        ("AAAA", "HmacSHA256", b"k" * 32, 403, "Internal request contained invalid signature."),
        ("AAAA", "HmacSHA512", b"k" * 32, 400, "This worker does not support the 'HmacSHA512' key signing"),
    ],
)
def test_verification_answers_as_java(
    signature: str | None, algorithm: str | None, key: bytes | None, status: int, message: str
) -> None:
    with pytest.raises(SignatureError) as caught:
        keys().verify(b"[]", signature, algorithm, key)
    assert caught.value.status == status
    assert caught.value.message.startswith(message)


def test_a_correct_signature_passes_and_a_changed_body_fails() -> None:
    key = generate_key("HmacSHA256", None)
    keys().verify(b"[]", sign(key, "HmacSHA256", b"[]"), "HmacSHA256", key)
    with pytest.raises(SignatureError) as caught:
        keys().verify(b"[ ]", sign(key, "HmacSHA256", b"[]"), "HmacSHA256", key)
    assert caught.value.status == 403


def test_eager_protocol_does_not_verify() -> None:
    keys(**{"connect.protocol": "eager"}).verify(b"[]", None, None, None)


def test_rotation_rule() -> None:
    k = keys(**{"inter.worker.key.ttl.ms": "1000"})
    key = generate_key("HmacSHA256", None)
    assert k.needs_new_key(None, None, None, 0)
    assert not k.needs_new_key(key, "HmacSHA256", 10_000, 10_999)
    assert k.needs_new_key(key, "HmacSHA256", 10_000, 11_000)  # expired
    assert k.needs_new_key(key, "HmacSHA512", 10_000, 10_001)  # another algorithm
    assert k.needs_new_key(key[:16], "HmacSHA256", 10_000, 10_001)  # another size


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"inter.worker.key.generation.algorithm": "Nope"},
            "Invalid value Nope for configuration inter.worker.key.generation.algorithm: the algorithm is not",
        ),
        (
            {"inter.worker.signature.algorithm": "Nope"},
            "Invalid value Nope for configuration inter.worker.signature.algorithm: the algorithm is not supported",
        ),
        (
            {"inter.worker.verification.algorithms": "HmacSHA256,Nope"},
            "Invalid value Nope for configuration inter.worker.verification.algorithms",
        ),
        (
            {"inter.worker.signature.algorithm": "HmacSHA512"},
            "Invalid value HmacSHA512 for configuration inter.worker.signature.algorithm: Signature algorithm must be "
            "present in inter.worker.verification.algorithms list",
        ),
        (
            {"inter.worker.key.size": "16"},
            "Unable to create key generator with algorithm HmacSHA256 and key size 16",
        ),
    ],
)
def test_bad_settings_name_the_key(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        WorkerConfig.from_props({**BASE, **extra}, "distributed", log=False)
    assert str(caught.value).startswith(message)


def test_other_algorithms_are_accepted() -> None:
    k = keys(
        **{
            "inter.worker.key.generation.algorithm": "HmacSHA512",
            "inter.worker.key.size": "512",
            "inter.worker.signature.algorithm": "HmacSHA384",
            "inter.worker.verification.algorithms": "HmacSHA256,HmacSHA384",
        }
    )
    key = generate_key(k.key_algorithm, k.key_size_bits)
    assert len(key) == 64
    k.verify(b"x", sign(key, "HmacSHA384", b"x"), "HmacSHA384", key)
