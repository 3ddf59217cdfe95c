from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from kconnect.api.errors import ConfigError
from kconnect.workers.clients import (
    admin_config,
    connector_client_overrides,
    consumer_config,
    parse_jaas_config,
    producer_config,
    translate,
)
from kconnect.workers.worker_config import WorkerConfig

BASE = {
    "bootstrap.servers": "broker:9092",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "offset.storage.file.filename": "/tmp/offsets",
}
PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p\\"w";'


def worker(**extra: str) -> WorkerConfig:
    return WorkerConfig.from_props({**BASE, **{k.replace("_", "."): v for k, v in extra.items()}}, log=False)


def wk(props: dict[str, str]) -> WorkerConfig:
    return WorkerConfig.from_props({**BASE, **props}, log=False)


# --- Connect's defaults ------------------------------------------------------------------------------


def test_producer_defaults() -> None:
    conf = producer_config(worker(), "my-conn", 3)
    assert conf == {
        "bootstrap.servers": "broker:9092",
        "client.id": "connector-producer-my-conn-3",
        "enable.idempotence": "false",
        "acks": "all",
        "max.in.flight.requests.per.connection": "1",
        "message.timeout.ms": "2147483647",
        "queue.buffering.max.kbytes": "32768",
        "partitioner": "murmur2_random",
    }
    assert "statistics.interval.ms" not in conf


def test_consumer_defaults() -> None:
    s = consumer_config(worker(), "my-conn", 0)
    assert s.config == {
        "bootstrap.servers": "broker:9092",
        "group.id": "connect-my-conn",
        "client.id": "connector-consumer-my-conn-0",
        "group.instance.id": "connect-my-conn-0",
        "session.timeout.ms": "10000",
        "enable.auto.commit": "false",
        "auto.offset.reset": "earliest",
        "isolation.level": "read_uncommitted",
        "queued.max.messages.kbytes": "16384",
        "queued.min.messages": "10000",
        "fetch.queue.backoff.ms": "10",
    }
    assert s.max_poll_records == 500


def test_admin_defaults() -> None:
    conf = admin_config(worker(), "c", 1)
    assert conf == {"bootstrap.servers": "broker:9092", "client.id": "connector-adminclient-c-1"}


# --- precedence --------------------------------------------------------------------------------------


def test_precedence_top_level_prefixed_override() -> None:
    w = wk(
        {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.jaas.config": PLAIN_JAAS,
            "producer.sasl.mechanism": "SCRAM-SHA-256",
            "producer.linger.ms": "50",
            "producer.acks": "1",
        }
    )
    conf = producer_config(w, "c", 0, {"acks": "0", "compression.type": "lz4"})
    assert conf["security.protocol"] == "sasl_plaintext"
    assert conf["sasl.mechanism"] == "SCRAM-SHA-256"  # producer.* beats top level
    assert conf["sasl.username"] == "u"
    assert conf["sasl.password"] == 'p"w'
    assert conf["linger.ms"] == "50"
    assert conf["acks"] == "0"  # connector override beats producer.*
    assert conf["compression.type"] == "lz4"


def test_top_level_non_security_keys_do_not_reach_producer_but_reach_admin() -> None:
    w = wk({"request.timeout.ms": "1234", "retry.backoff.ms": "77", "client.id": "wk"})
    assert "retry.backoff.ms" not in producer_config(w, "c", 0)
    admin = admin_config(w, "c", 0)
    assert admin["retry.backoff.ms"] == "77"
    assert admin["client.id"] == "wk"  # as in Java: non-prefixed worker keys win over the default id
    assert "request.timeout.ms" not in admin  # a producer-only property in librdkafka


def test_consumer_overrides_and_group() -> None:
    w = wk({"consumer.max.poll.records": "100", "consumer.fetch.max.wait.ms": "50"})
    s = consumer_config(w, "c", 0, connector_client_overrides({"consumer.override.group.id": "mine"}, "consumer"))
    assert s.config["group.id"] == "mine"
    assert s.config["fetch.wait.max.ms"] == "50"
    assert "max.poll.records" not in s.config
    assert s.max_poll_records == 100


def test_override_policy() -> None:
    w = wk({"connector.client.config.override.policy": "None"})
    with pytest.raises(ConfigError) as e:
        producer_config(w, "c", 0, {"acks": "1"})
    assert "The 'None' policy does not allow 'acks' to be overridden in the connector configuration." in str(e.value)
    w = wk({"connector.client.config.override.policy": "Principal"})
    producer_config(w, "c", 0, {"security.protocol": "SSL"})
    with pytest.raises(ConfigError, match=re.escape("'Principal' policy")):
        producer_config(w, "c", 0, {"linger.ms": "1"})


# --- translation table --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("java", "client", "expected"),
    [
        ({"max.request.size": "2000000"}, "producer", {"message.max.bytes": "2000000"}),
        ({"delivery.timeout.ms": "120000"}, "producer", {"message.timeout.ms": "120000"}),
        ({"buffer.memory": "10000000"}, "producer", {"queue.buffering.max.kbytes": "9766"}),
        (
            {"batch.size": "65536", "linger.ms": "10", "retries": "5"},
            "producer",
            {"batch.size": "65536", "linger.ms": "10", "retries": "5"},
        ),
        (
            {"compression.type": "zstd", "compression.zstd.level": "5"},
            "producer",
            {"compression.type": "zstd", "compression.level": "5"},
        ),
        ({"compression.type": "lz4", "compression.zstd.level": "5"}, "producer", {"compression.type": "lz4"}),
        (
            {"receive.buffer.bytes": "-1", "send.buffer.bytes": "131072"},
            "producer",
            {"socket.receive.buffer.bytes": "0", "socket.send.buffer.bytes": "131072"},
        ),
        (
            {"fetch.max.wait.ms": "100", "fetch.min.bytes": "1024"},
            "consumer",
            {"fetch.wait.max.ms": "100", "fetch.min.bytes": "1024"},
        ),
        ({"auto.offset.reset": "none"}, "consumer", {"auto.offset.reset": "error"}),
        ({"auto.offset.reset": "LATEST"}, "consumer", {"auto.offset.reset": "latest"}),
        (
            {
                "partition.assignment.strategy": "org.apache.kafka.clients.consumer.RangeAssignor,"
                "org.apache.kafka.clients.consumer.RoundRobinAssignor"
            },
            "consumer",
            {"partition.assignment.strategy": "range,roundrobin"},
        ),
        (
            {"partition.assignment.strategy": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"},
            "consumer",
            {"partition.assignment.strategy": "cooperative-sticky"},
        ),
        (
            {"group.instance.id": "i1", "session.timeout.ms": "30000", "max.poll.interval.ms": "600000"},
            "consumer",
            {"group.instance.id": "i1", "session.timeout.ms": "30000", "max.poll.interval.ms": "600000"},
        ),
        ({"max.block.ms": "1000", "metrics.num.samples": "3"}, "producer", {}),
        ({"key.serializer": "org.apache.kafka.common.serialization.ByteArraySerializer"}, "producer", {}),
        ({"queue.buffering.max.messages": "1000"}, "producer", {"queue.buffering.max.messages": "1000"}),
        ({"session.timeout.ms": "30000"}, "producer", {}),  # consumer-only property dropped for producers
    ],
)
def test_translation_table(java: dict[str, str], client: str, expected: dict[str, str]) -> None:
    out, _ = translate(java, client)  # type: ignore[arg-type]
    assert out == expected


@pytest.mark.parametrize(
    ("java", "client", "message"),
    [
        (
            {"value.serializer": "io.confluent.kafka.serializers.KafkaAvroSerializer"},
            "producer",
            "Invalid value io.confluent.kafka.serializers.KafkaAvroSerializer for configuration value.serializer: "
            "Kafka Connect always uses byte-array",
        ),
        ({"no.such.setting": "1"}, "producer", "configuration no.such.setting: Unknown producer configuration"),
        (
            {"partition.assignment.strategy": "org.apache.kafka.clients.consumer.StickyAssignor"},
            "consumer",
            "has no librdkafka equivalent",
        ),
        ({"auto.offset.reset": "by_duration:P1D"}, "consumer", "String must be one of: latest, earliest, none"),
        ({"interceptor.classes": "com.example.I"}, "producer", "interceptors cannot run"),
        ({"partitioner.class": "com.example.P"}, "producer", "custom Java partitioners"),
        ({"security.protocol": "TLS"}, "producer", "String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
        ({"interceptors": "x"}, "producer", "cannot be set from a configuration file"),
    ],
)
def test_refusals(java: dict[str, str], client: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as e:
        translate(java, client)  # type: ignore[arg-type]
    assert message in str(e.value)


def test_refusal_names_the_key_the_user_wrote() -> None:
    w = wk({"producer.value.serializer": "com.example.Ser"})
    with pytest.raises(ConfigError, match=re.escape("configuration producer.value.serializer:")):
        producer_config(w, "c", 0)
    with pytest.raises(ConfigError, match=re.escape("configuration producer.override.bogus.key:")):
        producer_config(worker(), "c", 0, {"bogus.key": "1"})


def test_serializer_ignored_with_debug_note(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kconnect.workers.clients")
    translate({"key.deserializer": "org.apache.kafka.common.serialization.ByteArrayDeserializer"}, "consumer")
    assert any("key.deserializer" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records)


# --- SASL -------------------------------------------------------------------------------------------------


def test_scram_jaas() -> None:
    out, _ = translate(
        {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required\n"
            "  username=alice\n  password='x';".replace("'x'", '"s3cr;et"'),
        },
        "producer",
    )
    assert out == {
        "security.protocol": "sasl_ssl",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "alice",
        "sasl.password": "s3cr;et",
    }


def test_kerberos_jaas() -> None:
    out, _ = translate(
        {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "GSSAPI",
            "sasl.kerberos.service.name": "kafka",
            "sasl.kerberos.kinit.cmd": "/usr/bin/kinit",
            "sasl.jaas.config": "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true "
            'storeKey=true keyTab="/etc/k.keytab" principal="connect@EXAMPLE.COM";',
        },
        "consumer",
    )
    assert out["sasl.kerberos.keytab"] == "/etc/k.keytab"
    assert out["sasl.kerberos.principal"] == "connect@EXAMPLE.COM"
    assert out["sasl.kerberos.service.name"] == "kafka"
    assert "sasl.kerberos.kinit.cmd" not in out


def test_oauth_oidc_jaas() -> None:
    out, _ = translate(
        {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "OAUTHBEARER",
            "sasl.login.callback.handler.class": (
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"
            ),
            "sasl.oauthbearer.token.endpoint.url": "https://idp/token",
            "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
            'clientId="id" clientSecret="sec" scope="kafka";',
        },
        "producer",
    )
    assert out["sasl.oauthbearer.method"] == "oidc"
    assert out["sasl.oauthbearer.client.id"] == "id"
    assert out["sasl.oauthbearer.client.secret"] == "sec"
    assert out["sasl.oauthbearer.scope"] == "kafka"
    assert out["sasl.oauthbearer.token.endpoint.url"] == "https://idp/token"


def test_unsupported_login_modules() -> None:
    with pytest.raises(ConfigError, match=re.escape("OAuthBearerLoginModule is supported only")):
        translate(
            {
                "security.protocol": "SASL_SSL",
                "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            },
            "producer",
        )
    with pytest.raises(ConfigError, match=re.escape("login module com.example.Custom is not supported")):
        translate({"security.protocol": "SASL_SSL", "sasl.jaas.config": "com.example.Custom required a=b;"}, "admin")
    with pytest.raises(ConfigError, match=re.escape("Java login callback handlers")):
        translate({"security.protocol": "SASL_SSL", "sasl.login.callback.handler.class": "com.example.H"}, "admin")


def test_jaas_parser_errors_hide_the_value() -> None:
    with pytest.raises(ConfigError) as e:
        parse_jaas_config('org.example.M required password="secret"')
    assert "secret" not in str(e.value)
    assert "[hidden]" in str(e.value)


def test_sasl_keys_ignored_without_sasl_protocol() -> None:
    out, _ = translate({"sasl.jaas.config": "com.example.Custom required;", "sasl.mechanism": "PLAIN"}, "producer")
    assert out == {}


# --- SSL ----------------------------------------------------------------------------------------------------


def test_ssl_ignored_when_protocol_is_plaintext(tmp_path: Path) -> None:
    jks = tmp_path / "rest.jks"
    jks.write_bytes(b"\xfe\xed\xfe\xed" + b"\0" * 20)
    # top-level ssl.* meant for an HTTPS REST listener must not break plaintext clients
    w = wk({"ssl.keystore.location": str(jks), "ssl.keystore.password": "pw", "listeners": "https://:8443"})
    assert "ssl.keystore.location" not in producer_config(w, "c", 0)
    assert "ssl.keystore.location" not in admin_config(w, "c", 0)


def test_pem_stores(tmp_path: Path) -> None:
    out, _ = translate(
        {
            "security.protocol": "SSL",
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": "/etc/ca.pem",
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": "/etc/client.pem",
            "ssl.key.password": "kp",
            "ssl.endpoint.identification.algorithm": "",
        },
        "producer",
    )
    assert out == {
        "security.protocol": "ssl",
        "ssl.ca.location": "/etc/ca.pem",
        "ssl.certificate.location": "/etc/client.pem",
        "ssl.key.location": "/etc/client.pem",
        "ssl.key.password": "kp",
        "ssl.endpoint.identification.algorithm": "none",
    }


def test_inline_pem() -> None:
    out, _ = translate(
        {
            "security.protocol": "SSL",
            "ssl.truststore.type": "PEM",
            "ssl.truststore.certificates": "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----",
            "ssl.keystore.type": "PEM",
            "ssl.keystore.key": "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----",
            "ssl.keystore.certificate.chain": "-----BEGIN CERTIFICATE-----\nC\n-----END CERTIFICATE-----",
            "ssl.endpoint.identification.algorithm": "https",
        },
        "consumer",
    )
    assert out["ssl.ca.pem"].startswith("-----BEGIN CERTIFICATE-----\nCA")
    assert out["ssl.key.pem"].startswith("-----BEGIN PRIVATE KEY-----")
    assert out["ssl.certificate.pem"].startswith("-----BEGIN CERTIFICATE-----\nC")
    assert out["ssl.endpoint.identification.algorithm"] == "https"


def test_pkcs12_keystore(tmp_path: Path) -> None:
    p12 = tmp_path / "client.p12"
    p12.write_bytes(b"\x30\x82\x01\x00")
    for declared in ("PKCS12", None):  # a JKS-typed (default) store that is really PKCS12 reads as PKCS12
        java = {
            "security.protocol": "SSL",
            "ssl.keystore.location": str(p12),
            "ssl.keystore.password": "pw",
            "ssl.key.password": "pw",
        }
        if declared:
            java["ssl.keystore.type"] = declared
        out, _ = translate(java, "producer")
        assert out == {"security.protocol": "ssl", "ssl.keystore.location": str(p12), "ssl.keystore.password": "pw"}


def test_jks_refused(tmp_path: Path) -> None:
    jks = tmp_path / "ks.jks"
    jks.write_bytes(b"\xfe\xed\xfe\xed" + b"\0" * 20)
    with pytest.raises(ConfigError) as e:
        translate({"security.protocol": "SSL", "ssl.keystore.location": str(jks)}, "producer")
    assert "configuration ssl.keystore.type" in str(e.value)
    assert "keytool -importkeystore" in str(e.value)
    with pytest.raises(ConfigError) as e:
        translate(
            {"security.protocol": "SSL", "ssl.truststore.type": "JKS", "ssl.truststore.location": str(jks)}, "producer"
        )
    assert "configuration ssl.truststore.type" in str(e.value)
    assert "openssl pkcs12" in str(e.value)


def test_pkcs12_truststore_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        translate(
            {"security.protocol": "SSL", "ssl.truststore.type": "PKCS12", "ssl.truststore.location": "/etc/trust.p12"},
            "producer",
        )
    assert "only from PEM files" in str(e.value)
    assert "openssl pkcs12 -in /etc/trust.p12 -nokeys -out truststore.pem" in str(e.value)


def test_java_cipher_suite_names_refused() -> None:
    with pytest.raises(ConfigError, match=re.escape("OpenSSL names")):
        translate(
            {"security.protocol": "SSL", "ssl.cipher.suites": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}, "producer"
        )


# --- librdkafka accepts what we produce ------------------------------------------------------------------


def test_librdkafka_accepts_configs() -> None:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient

    w = wk(
        {
            "bootstrap.servers": "127.0.0.1:1",
            "producer.linger.ms": "20",
            "producer.compression.type": "lz4",
            "producer.buffer.memory": "8388608",
            "consumer.fetch.max.wait.ms": "100",
            "consumer.partition.assignment.strategy": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
            "consumer.max.partition.fetch.bytes": "2097152",
            "admin.retry.backoff.ms": "200",
        }
    )
    p = Producer(producer_config(w, "c", 0))
    p.flush(0)
    c = Consumer(consumer_config(w, "c", 0).config)
    c.close()
    AdminClient(admin_config(w, "c", 0))
