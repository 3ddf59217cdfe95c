from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from kconnect.api.errors import ConfigError
from kconnect.workers.worker_config import (
    RestartPolicy,
    WorkerConfig,
    load_properties,
    parse_properties,
    resolve_restart_policy,
)

BASE = {
    "bootstrap.servers": "localhost:9092",
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "offset.storage.file.filename": "/tmp/connect.offsets",
}


# --- java.util.Properties ---------------------------------------------------------------------


def test_separators_and_comments() -> None:
    text = "# comment\n! also comment\n\n  a=1\nb: 2\nc 3\nd\t=\t4\ne\nf=\n  g  =  x y  \n"
    assert parse_properties(text) == {"a": "1", "b": "2", "c": "3", "d": "4", "e": "", "f": "", "g": "x y  "}


def test_continuation_lines() -> None:
    text = "k = one, \\\n    two, \\\n    three\nnext=1\n"
    assert parse_properties(text) == {"k": "one, two, three", "next": "1"}


def test_even_backslashes_do_not_continue() -> None:
    assert parse_properties("a=x\\\\\nb=y\n") == {"a": "x\\", "b": "y"}


def test_continued_line_starting_with_hash_is_not_a_comment() -> None:
    assert parse_properties("a=1\\\n#2\n") == {"a": "1#2"}


def test_escapes() -> None:
    props = parse_properties("tab=a\\tb\nnl=a\\nb\nuni=\\u00e9t\\u00E9\nother=\\q\nkey\\ with\\=eq=v\n")
    assert props == {"tab": "a\tb", "nl": "a\nb", "uni": "été", "other": "q", "key with=eq": "v"}


def test_malformed_unicode_escape() -> None:
    with pytest.raises(ValueError, match=re.escape("Malformed")):
        parse_properties("a=\\u12x4\n")


def test_crlf_and_duplicates(tmp_path: Path) -> None:
    p = tmp_path / "w.properties"
    p.write_bytes(b"a=1\r\nb=2\r\na=3\r\n")
    assert load_properties(p) == {"a": "3", "b": "2"}


def test_latin1_fallback(tmp_path: Path) -> None:
    p = tmp_path / "w.properties"
    p.write_bytes("name=caf\xe9\n".encode("iso-8859-1"))
    assert load_properties(p) == {"name": "café"}


# --- WorkerConfig ------------------------------------------------------------------------------


def test_defaults() -> None:
    w = WorkerConfig.from_props(BASE)
    assert w.bootstrap_servers == ("localhost:9092",)
    assert w.header_converter == "org.apache.kafka.connect.storage.SimpleHeaderConverter"
    assert w.offset_flush_interval_ms == 60000
    assert w.offset_flush_timeout_ms == 5000
    assert w.task_shutdown_graceful_timeout_ms == 5000
    assert w.listeners == ("http://:8083",)
    assert w.rest_advertised_host_name is None
    assert w.connector_client_config_override_policy == "All"
    assert w.restart_policy == RestartPolicy()
    assert w.offset_storage_file_filename == "/tmp/connect.offsets"


def test_load(tmp_path: Path) -> None:
    p = tmp_path / "w.properties"
    p.write_text("\n".join(f"{k}={v}" for k, v in BASE.items()) + "\nbootstrap.servers=a:1, b:2\n")
    w = WorkerConfig.load(p)
    assert w.bootstrap_servers == ("a:1", "b:2")
    assert w.bootstrap_servers_str == "a:1,b:2"


@pytest.mark.parametrize(
    "key", ["bootstrap.servers", "key.converter", "value.converter", "offset.storage.file.filename"]
)
def test_required_keys(key: str) -> None:
    props = {k: v for k, v in BASE.items() if k != key}
    with pytest.raises(ConfigError, match=f'Missing required configuration "{key}" which has no default value.'):
        WorkerConfig.from_props(props)


def test_invalid_value_names_the_key() -> None:
    with pytest.raises(ConfigError) as e:
        WorkerConfig.from_props({**BASE, "offset.flush.interval.ms": "soon"})
    assert str(e.value) == "Invalid value soon for configuration offset.flush.interval.ms: Not a number of type LONG"
    assert e.value.name == "offset.flush.interval.ms"


def test_duplicate_bootstrap_servers() -> None:
    with pytest.raises(
        ConfigError, match=re.escape("Configuration 'bootstrap.servers' values must not be duplicated.")
    ):
        WorkerConfig.from_props({**BASE, "bootstrap.servers": "a:1,a:1"})


def test_override_policy_values() -> None:
    with pytest.raises(ConfigError, match=re.escape("connector.client.config.override.policy")):
        WorkerConfig.from_props({**BASE, "connector.client.config.override.policy": "Some"})


def test_unknown_keys_warn_and_jvm_keys_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kconnect.workers.worker_config")
    WorkerConfig.from_props(
        {
            **BASE,
            "no.such.key": "1",
            "plugin.path": "/opt/plugins",
            "metric.reporters": "x",
            "producer.linger.ms": "10",
            "key.converter.schemas.enable": "false",
            "security.protocol": "SSL",
            "ssl.truststore.location": "/x",
            "sasl.mechanism": "PLAIN",
            "config.providers": "file",
            "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
            "kconnect.task.restart.enable": "false",
            "access.control.allow.origin": "*",
            "rest.extension.classes": "",
        }
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["The configuration 'no.such.key' was supplied but isn't a known config."]
    infos = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert "plugin.path" in infos
    assert "metric.reporters" in infos
    assert "rest.extension.classes" in infos


def test_distributed_mode_keys() -> None:
    props = {k: v for k, v in BASE.items() if k != "offset.storage.file.filename"}
    with pytest.raises(ConfigError, match=re.escape('"group.id"')):
        WorkerConfig.from_props(props, "distributed")
    w = WorkerConfig.from_props(
        {
            **props,
            "group.id": "g",
            "config.storage.topic": "c",
            "offset.storage.topic": "o",
            "status.storage.topic": "s",
        },
        "distributed",
    )
    assert w.group_id == "g"
    assert w.get("offset.storage.partitions") == 25


def test_immutable_and_prefix_helper() -> None:
    w = WorkerConfig.from_props({**BASE, "producer.acks": "1", "producer.linger.ms": "5"})
    assert w.originals_with_prefix("producer.") == {"acks": "1", "linger.ms": "5"}
    assert w.originals_with_prefix("producer.", strip=False) == {"producer.acks": "1", "producer.linger.ms": "5"}
    with pytest.raises(AttributeError):
        w.offset_flush_interval_ms = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        w.raw["x"] = "y"  # type: ignore[index]


# --- restart policy -----------------------------------------------------------------------------


def test_restart_policy_from_worker_and_connector() -> None:
    w = WorkerConfig.from_props(
        {**BASE, "kconnect.task.restart.initial.backoff.ms": "500", "kconnect.task.restart.max.attempts": "10"}
    )
    assert w.restart_policy.initial_backoff_ms == 500
    p = resolve_restart_policy(w, {"kconnect.task.restart.max.attempts": "2", "unrelated": "x"})
    assert p == RestartPolicy(initial_backoff_ms=500, max_attempts=2)
    assert resolve_restart_policy(w, {"kconnect.task.restart.enable": "false"}).enabled is False


def test_restart_policy_backoff() -> None:
    p = RestartPolicy(initial_backoff_ms=1000, max_backoff_ms=5000, max_attempts=3)
    assert [p.backoff_ms(n) for n in (1, 2, 3, 4, 100)] == [1000, 2000, 4000, 5000, 5000]
    assert p.allows(3)
    assert not p.allows(4)
    assert RestartPolicy().allows(10**6)
    assert not RestartPolicy(enabled=False).allows(1)


def test_restart_policy_invalid() -> None:
    with pytest.raises(ConfigError, match=re.escape("kconnect.task.restart.max.attempts: Value must be at least -1")):
        WorkerConfig.from_props({**BASE, "kconnect.task.restart.max.attempts": "-2"})
    w = WorkerConfig.from_props(BASE)
    with pytest.raises(ConfigError, match=re.escape("kconnect.task.restart.max.backoff.ms")):
        resolve_restart_policy(w, {"kconnect.task.restart.max.backoff.ms": "10"})
