"""Config providers: the transformer's placeholder semantics, the built-in providers on real files and
real environment variables, worker-properties resolution, reverse transformation and validation redaction."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from kconnect.api import ConfigData, ConfigError, ConfigProvider, ConfigTransformer
from kconnect.plugins.config_providers import DirectoryConfigProvider, EnvVarConfigProvider, FileConfigProvider
from kconnect.plugins.registry import PluginKind, PluginRegistry
from kconnect.workers.config_providers import (
    REDACTED_ERROR,
    SUPERVISOR_KEY_ERROR,
    ConnectorConfigResolver,
    redact_validation,
    reload_action,
    reverse_transform,
    validate_resolved,
    without_provider_keys,
)
from kconnect.workers.connector_runner import validate
from kconnect.workers.worker_config import WorkerConfig

FILE = "org.apache.kafka.common.config.provider.FileConfigProvider"
DIRECTORY = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
ENV = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"


class RecordingProvider(ConfigProvider):
    """Answers from a fixed table and records each lookup, to check what the transformer asks."""

    def __init__(self, table: dict[str, dict[str, str]], ttl: int | None = None) -> None:
        self.table = table
        self.ttl = ttl
        self.calls: list[tuple[str, frozenset[str] | None]] = []

    def configure(self, configs: Mapping[str, str]) -> None:
        pass

    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        self.calls.append((path, None if keys is None else frozenset(keys)))
        data = self.table.get(path, {})
        return ConfigData({k: v for k, v in data.items() if keys is None or k in keys}, self.ttl)


def exact(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern for exactly this message."""
    return "^" + re.escape(message) + "$"


def _file_provider(**params: str) -> FileConfigProvider:
    provider = FileConfigProvider()
    provider.configure(params)
    return provider


def _dir_provider(**params: str) -> DirectoryConfigProvider:
    provider = DirectoryConfigProvider()
    provider.configure(params)
    return provider


# --- the transformer ---------------------------------------------------------------------------


def test_placeholders_with_and_without_path_are_replaced_inside_surrounding_text() -> None:
    provider = RecordingProvider({"/secrets": {"user": "alice", "pw": "s3cret"}, "": {"HOST": "db.local"}})
    result = ConfigTransformer({"vault": provider}).transform(
        {
            "url": "jdbc:postgresql://${vault:HOST}:5432/x?user=${vault:/secrets:user}",
            "password": "${vault:/secrets:pw}",
            "plain": "no placeholder here",
        }
    )
    assert result.data == {
        "url": "jdbc:postgresql://db.local:5432/x?user=alice",
        "password": "s3cret",
        "plain": "no placeholder here",
    }
    # One lookup per path, with every key the configuration wants from it.
    assert sorted(provider.calls, key=lambda c: c[0]) == [
        ("", frozenset({"HOST"})),
        ("/secrets", frozenset({"user", "pw"})),
    ]
    assert result.ttls == {}


def test_unknown_provider_missing_key_and_provider_without_class_leave_the_placeholder() -> None:
    provider = RecordingProvider({"/p": {"k": "v"}})
    configs = {
        "a": "${nobody:/p:k}",
        "b": "x-${known:/p:missing}-y",
        "c": "${declared:/p:k}",
        "d": "${known:/p:k} and ${nobody:k}",
    }
    result = ConfigTransformer({"known": provider, "declared": None}).transform(configs)
    assert result.data == {
        "a": "${nobody:/p:k}",
        "b": "x-${known:/p:missing}-y",
        "c": "${declared:/p:k}",
        "d": "v and ${nobody:k}",
    }


def test_java_pattern_key_takes_the_rest_and_replacements_are_not_rescanned() -> None:
    provider = RecordingProvider({"/a": {"b:c": "colon key", "loop": "${p:/a:b:c}"}})
    result = ConfigTransformer({"p": provider}).transform({"x": "${p:/a:b:c}", "y": "${p:/a:loop}", "z": "${p:}"})
    # "${p:/a:b:c}": provider "p", path "/a", key "b:c" (Java's lazy groups); "${p:}" is an empty key.
    assert result.data == {"x": "colon key", "y": "${p:/a:b:c}", "z": "${p:}"}


def test_ttls_are_collected_per_path_and_negative_ttls_ignored() -> None:
    expiring = RecordingProvider({"/e": {"k": "1"}}, ttl=5000)
    never = RecordingProvider({"/n": {"k": "2"}}, ttl=-1)
    result = ConfigTransformer({"e": expiring, "n": never}).transform({"a": "${e:/e:k}", "b": "${n:/n:k}"})
    assert result.data == {"a": "1", "b": "2"}
    assert result.ttls == {"/e": 5000}


# --- FileConfigProvider --------------------------------------------------------------------------


def test_file_provider_reads_java_properties_syntax(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.properties"
    secrets.write_text(
        "# comment\ndb.user = alice\ndb.password:p\\u00e4ss\\=word\nlong.value = first \\\n    second\ntab\\tkey=t\n",
        encoding="utf-8",
    )
    provider = _file_provider()
    assert provider.get(str(secrets)).data == {
        "db.user": "alice",
        "db.password": "päss=word",
        "long.value": "first second",
        "tab\tkey": "t",
    }
    assert provider.get(str(secrets), {"db.user", "absent"}).data == {"db.user": "alice"}
    assert provider.get("").data == {}


def test_file_provider_errors_name_the_file(tmp_path: Path) -> None:
    provider = _file_provider()
    missing = tmp_path / "nope.properties"
    with pytest.raises(ConfigError, match=exact(f"Could not read properties from file {missing}")):
        provider.get(str(missing), {"k"})
    with pytest.raises(ConfigError, match=re.escape("Could not read properties from file ")):
        provider.get(str(tmp_path), {"k"})  # a directory
    latin1 = tmp_path / "latin1.properties"
    latin1.write_bytes("k=caf\xe9\n".encode("latin-1"))  # Java reads it with a strict UTF-8 reader
    with pytest.raises(ConfigError, match=re.escape("Could not read properties from file ")):
        provider.get(str(latin1), {"k"})
    with pytest.raises(RuntimeError, match=exact("The provider has not been configured yet.")):
        FileConfigProvider().get(str(latin1))


def test_allowed_paths_confine_the_file_provider(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    inside = allowed / "in.properties"
    inside.write_text("k=inside\n")
    sibling = tmp_path / "allowed2"
    sibling.mkdir()
    (sibling / "x.properties").write_text("k=sibling\n")
    (tmp_path / "out.properties").write_text("k=outside\n")
    provider = _file_provider(**{"allowed.paths": f"{allowed},{tmp_path / 'allowed'}"})
    assert provider.get(str(inside), {"k"}).data == {"k": "inside"}
    assert provider.get(f"{allowed}/./in.properties", {"k"}).data == {"k": "inside"}
    # Outside (by traversal, by character prefix, or plainly): nothing is read, no error.
    assert provider.get(f"{allowed}/../out.properties", {"k"}).data == {}
    assert provider.get(str(sibling / "x.properties"), {"k"}).data == {}
    assert provider.get(str(tmp_path / "out.properties"), {"k"}).data == {}
    assert provider.get("in.properties", {"k"}).data == {}  # relative: never under an absolute path


def test_allowed_paths_must_be_absolute_and_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=exact("Path relative/dir is not absolute")):
        _file_provider(**{"allowed.paths": "relative/dir"})
    with pytest.raises(ConfigError, match=exact(f"Path  {tmp_path} is not absolute")):
        _dir_provider(**{"allowed.paths": f"{tmp_path}, {tmp_path}"})  # Java does not trim the items
    with pytest.raises(ConfigError, match=exact(f"Path {tmp_path}/missing does not exist")):
        _file_provider(**{"allowed.paths": f"{tmp_path}/x/../missing"})


# --- DirectoryConfigProvider ---------------------------------------------------------------------


def test_directory_provider_maps_file_names_to_contents(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "db-password").write_text("p@ss\n")
    (secrets / "api.key").write_text("k\r\ney")
    (secrets / "nested").mkdir()
    (secrets / "nested" / "deep").write_text("no")
    provider = _dir_provider()
    assert provider.get(str(secrets)).data == {"db-password": "p@ss\n", "api.key": "k\r\ney"}
    assert provider.get(str(secrets), {"db-password", "nested", "nope"}).data == {"db-password": "p@ss\n"}
    assert provider.get(str(secrets / "db-password")).data == {}  # not a directory
    assert provider.get("").data == {}
    binary = tmp_path / "binary"
    binary.mkdir()
    (binary / "blob").write_bytes(b"\xffraw")
    with pytest.raises(ConfigError, match=exact(f"Could not read file {binary / 'blob'} for property blob")):
        provider.get(str(binary), {"blob"})
    confined = _dir_provider(**{"allowed.paths": str(tmp_path / "secrets" / "nested")})
    assert confined.get(str(secrets)).data == {}
    assert confined.get(str(secrets / "nested")).data == {"deep": "no"}


# --- EnvVarConfigProvider ------------------------------------------------------------------------


def test_env_provider_reads_the_process_environment_with_an_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_TEST_DB_PASSWORD", "from-env")
    monkeypatch.setenv("KC_TEST_OTHER", "other")
    provider = EnvVarConfigProvider()
    provider.configure({})
    assert provider.get("", {"KC_TEST_DB_PASSWORD", "KC_TEST_UNSET"}).data == {"KC_TEST_DB_PASSWORD": "from-env"}
    assert provider.get("").data["KC_TEST_OTHER"] == "other"
    limited = EnvVarConfigProvider()
    limited.configure({"allowlist.pattern": "KC_TEST_DB_.*"})
    assert limited.get("", {"KC_TEST_DB_PASSWORD", "KC_TEST_OTHER"}).data == {"KC_TEST_DB_PASSWORD": "from-env"}
    partial = EnvVarConfigProvider()
    partial.configure({"allowlist.pattern": "KC_TEST_DB"})  # must match the whole name (Java's matches())
    assert partial.get("", {"KC_TEST_DB_PASSWORD"}).data == {}
    with pytest.raises(ConfigError, match=exact("Path is not supported for EnvVarConfigProvider, invalid value '/x'")):
        provider.get("/x", {"KC_TEST_OTHER"})
    # The environment is captured when the provider is created.
    monkeypatch.setenv("KC_TEST_LATE", "late")
    assert provider.get("", {"KC_TEST_LATE"}).data == {}


# --- registry ------------------------------------------------------------------------------------


def test_builtins_are_registered_under_apache_names_and_aliases_and_third_party_by_dotted_path() -> None:
    registry = PluginRegistry.from_entry_points()
    for name in (FILE, "FileConfigProvider", "File"):
        assert registry.config_provider_class(name) is FileConfigProvider
    for name in (DIRECTORY, "DirectoryConfigProvider", "Directory"):
        assert registry.config_provider_class(name) is DirectoryConfigProvider
    for name in (ENV, "EnvVarConfigProvider", "EnvVar"):
        assert registry.config_provider_class(name) is EnvVarConfigProvider
    from tests.support.plugins import TtlFileConfigProvider

    assert registry.config_provider_class("tests.support.plugins.TtlFileConfigProvider") is TtlFileConfigProvider
    # Config providers are never listed by GET /connector-plugins (Java does not list them either).
    listed = {p["class"] for p in registry.connector_plugins_json(connectors_only=False)}
    assert FILE not in listed
    assert registry.describe(PluginKind.CONFIG_PROVIDER, "File").type == "configprovider"


# --- worker properties ---------------------------------------------------------------------------


def _worker_props(**extra: str) -> dict[str, str]:
    return {
        "bootstrap.servers": "localhost:9092",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": "/tmp/unused.offsets",
        **extra,
    }


def test_worker_properties_resolve_their_own_placeholders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_TEST_OFFSETS", str(tmp_path / "offsets.dat"))
    client = tmp_path / "client.properties"
    client.write_text("password=hunter2\n")
    props = _worker_props(
        **{
            "config.providers": "env,file,bare",
            "config.providers.env.class": ENV,
            "config.providers.env.param.allowlist.pattern": "KC_TEST_.*",
            "config.providers.file.class": "FileConfigProvider",
            "offset.storage.file.filename": "${env:KC_TEST_OFFSETS}",
            "producer.sasl.jaas.config": f"x password='${{file:{client}:password}}';",
            "consumer.client.rack": "${bare:rack}",
        }
    )
    worker = WorkerConfig.from_props(props, log=False)
    assert worker.offset_storage_file_filename == str(tmp_path / "offsets.dat")
    assert worker.raw["producer.sasl.jaas.config"] == "x password='hunter2';"
    assert worker.raw["consumer.client.rack"] == "${bare:rack}"  # "bare" has no class: left as is
    assert worker.config_providers == ("env", "file", "bare")


def test_worker_property_with_an_unknown_provider_class_names_the_key() -> None:
    props = _worker_props(**{"config.providers": "vault", "config.providers.vault.class": "com.example.Nope"})
    with pytest.raises(ConfigError) as info:
        WorkerConfig.from_props(props, log=False)
    assert str(info.value) == (
        "Invalid value com.example.Nope for configuration config.providers.vault.class: "
        "Could not load config provider class or one of its dependencies"
    )


# --- connector configs ---------------------------------------------------------------------------


def test_connector_configs_resolve_lazily_and_task_configs_reverse_transform(tmp_path: Path) -> None:
    secrets = tmp_path / "s.properties"
    secrets.write_text("file=/data/out.txt\ntopic=orders\nttl.ms=2500\n")
    worker = WorkerConfig.from_props(
        _worker_props(
            **{
                "config.providers": "file, ttl",
                "config.providers.file.class": FILE,
                "config.providers.ttl.class": "tests.support.plugins.TtlFileConfigProvider",
            }
        ),
        log=False,
    )
    raw = {
        "connector.class": "FileStreamSink",
        "file": f"${{file:{secrets}:file}}",
        "topics": f"${{ttl:{secrets}:topic}}",
        "tasks.max": "1",
    }
    resolver = ConnectorConfigResolver(worker)
    plain = resolver.transform({"a": "b"})
    assert plain.data == {"a": "b"}
    assert resolver._providers is None  # no placeholder: no provider was created
    result = resolver.transform(raw)
    resolver.close()
    assert result.data == {**raw, "file": "/data/out.txt", "topics": "orders"}
    assert result.ttls == {str(secrets): 2500}
    # A task config built from the resolved values gets the placeholders back; other keys stay.
    task = {"file": "/data/out.txt", "topics": "orders", "task.class": "X", "batch": "1"}
    assert reverse_transform(raw, [task]) == [{**task, "file": raw["file"], "topics": raw["topics"]}]
    assert reload_action({}) == "restart"
    assert reload_action({"config.action.reload": "NONE"}) == "none"


def test_validation_runs_on_resolved_values_and_redacts_them(tmp_path: Path) -> None:
    secrets = tmp_path / "s.properties"
    secrets.write_text("file=/very/secret/path.txt\ntasks=not-a-number\n")
    worker_props = _worker_props(**{"config.providers": "file", "config.providers.file.class": FILE})
    config = {
        "connector.class": "FileStreamSink",
        "name": "v",
        "topics": "t",
        "file": f"${{file:{secrets}:file}}",
        "tasks.max": f"${{file:{secrets}:tasks}}",
        "errors.tolerance": "${vault:/nowhere:nothing}",  # unknown provider: validated (and shown) as written
        "config.providers": "evil",
        "config.providers.evil.class": FILE,
    }
    registry = PluginRegistry.from_entry_points()
    infos = validate_resolved(lambda c: validate(registry, worker_props, c), worker_props, config, registry)
    values = {c["value"]["name"]: c["value"] for c in infos["configs"]}
    assert values["file"]["value"] == config["file"]
    assert values["file"]["errors"] == []
    assert values["tasks.max"]["value"] == config["tasks.max"]
    assert values["tasks.max"]["errors"] == [REDACTED_ERROR.format(key="tasks.max")]
    assert values["errors.tolerance"]["value"] == "${vault:/nowhere:nothing}"
    assert "Invalid value ${vault:/nowhere:nothing}" in values["errors.tolerance"]["errors"][0]
    assert infos["error_count"] == sum(len(v["errors"]) for v in values.values())
    rendered = repr(infos)
    assert "/very/secret/path.txt" not in rendered
    assert "not-a-number" not in rendered
    assert without_provider_keys(config).keys() == config.keys() - {"config.providers", "config.providers.evil.class"}


def test_placeholders_in_keys_the_supervisor_reads_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_TEST_BACKOFF", "500")
    worker_props = _worker_props(**{"config.providers": "env", "config.providers.env.class": ENV})
    config = {
        "connector.class": "FileStreamSink",
        "name": "v",
        "topics": "t",
        "kconnect.task.restart.initial.backoff.ms": "${env:KC_TEST_BACKOFF}",
    }
    registry = PluginRegistry.from_entry_points()
    infos = validate_resolved(lambda c: validate(registry, worker_props, c), worker_props, config, registry)
    values = {c["value"]["name"]: c["value"] for c in infos["configs"]}
    key = "kconnect.task.restart.initial.backoff.ms"
    assert values[key]["errors"] == [SUPERVISOR_KEY_ERROR.format(key=key)]
    assert infos["error_count"] == 1


def test_redaction_leaves_values_without_placeholders_alone() -> None:
    infos = {
        "name": "X",
        "error_count": 1,
        "groups": [],
        "configs": [{"definition": None, "value": {"name": "a", "value": "1", "errors": ["bad 1"]}}],
    }
    assert redact_validation(infos, {"a": "1"}, {"a": "1"}) is infos


def test_env_var_values_resolve_in_connector_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_TEST_TOPIC", "from-env-topic")
    worker = WorkerConfig.from_props(
        _worker_props(**{"config.providers": "env", "config.providers.env.class": "EnvVar"}), log=False
    )
    resolver = ConnectorConfigResolver(worker)
    try:
        assert resolver.transform({"topics": "${env:KC_TEST_TOPIC}"}).data == {"topics": "from-env-topic"}
        with pytest.raises(ConfigError, match="Path is not supported"):
            resolver.transform({"topics": "${env:/p:KC_TEST_TOPIC}"})
    finally:
        resolver.close()


def test_file_provider_ends_lines_only_where_java_does(tmp_path: Path) -> None:
    secrets = tmp_path / "s.properties"
    secrets.write_text("a=one\u2028still one\x85and\x0cthis\r\nb=two\rc=three\n", encoding="utf-8", newline="")
    assert _file_provider().get(str(secrets)).data == {
        "a": "one\u2028still one\x85and\x0cthis",
        "b": "two",
        "c": "three",
    }
