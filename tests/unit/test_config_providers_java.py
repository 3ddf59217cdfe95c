"""kconnect's ConfigTransformer and built-in providers against Apache Kafka 4.3.1's, live, on the same files.

tests/java/ConfigProviderVectors.java runs Java's classes on the cases below (placeholders of every shape,
properties-file syntax, allowed.paths, directories, environment variables, error messages); the same cases
run through kconnect's classes and the answers must be identical. The files live in a temporary directory,
so the vectors are produced live rather than committed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kconnect.api import ConfigError, ConfigProvider, ConfigTransformer
from kconnect.plugins.registry import PluginRegistry
from kconnect.workers.config_providers import resolve_worker_variables

pytestmark = pytest.mark.java

ROOT = Path(__file__).resolve().parents[2]
JAVA_SOURCE = ROOT / "tests" / "java" / "ConfigProviderVectors.java"
PKG = "org.apache.kafka.common.config.provider."
FILE, DIRECTORY, ENV = PKG + "FileConfigProvider", PKG + "DirectoryConfigProvider", PKG + "EnvVarConfigProvider"
ENVIRONMENT = {"KC_VEC_USER": "alice", "KC_VEC_TOKEN": "t0k=en", "OTHER_VEC": "hidden"}


def _files(root: Path) -> None:
    (root / "secrets").mkdir()
    (root / "secrets" / "db.properties").write_text(
        "# a comment\n"
        "! another\n"
        "user = alice\n"
        "password:p\\u00e4ss\\=w\\:rd\n"
        "spaced\\ key = v\n"
        "multi = one, \\\n"
        "        two\n"
        "dup=first\n"
        "dup=second\n"
        "loop=${file:" + str(root / "secrets" / "db.properties") + ":user}\n"
        "colon:key=c\n"
        "empty=\n"
        "unicode=caf\u00e9 \u2603\n",
        encoding="utf-8",
    )
    (root / "secrets" / "latin1.properties").write_bytes("k=caf\xe9\n".encode("latin-1"))
    (root / "secrets2").mkdir()
    (root / "secrets2" / "x.properties").write_text("user=sibling\n")
    (root / "outside.properties").write_text("user=outside\n")
    (root / "mounted").mkdir()
    (root / "mounted" / "db-password").write_text("s3cret\n")
    (root / "mounted" / "api.key").write_text("k\r\ney\u2028", encoding="utf-8")
    (root / "binary").mkdir()
    (root / "binary" / "blob").write_bytes(b"\xffraw")
    (root / "mounted" / ".hidden").write_text("h")
    (root / "mounted" / "nested").mkdir()
    (root / "mounted" / "nested" / "deep").write_text("d")


def _cases(root: Path) -> list[dict[str, Any]]:
    db = root / "secrets" / "db.properties"
    file_only = {"file": {"class": FILE, "params": {}}}
    confined = {"file": {"class": FILE, "params": {"allowed.paths": str(root / "secrets")}}}
    cases: list[dict[str, Any]] = [
        {
            "name": "file-placeholder-shapes",
            "providers": file_only,
            "configs": {
                "plain": "no placeholders",
                "whole": f"${{file:{db}:user}}",
                "inside": f"jdbc://${{file:{db}:user}}:${{file:{db}:password}}@host",
                "spaced-key": f"${{file:{db}:spaced key}}",
                "continued": f"${{file:{db}:multi}}",
                "duplicate": f"${{file:{db}:dup}}",
                "not-rescanned": f"${{file:{db}:loop}}",
                "colon-in-key": f"${{file:{db}:colon:key}}",
                "empty-value": f"${{file:{db}:empty}}",
                "unicode": f"${{file:{db}:unicode}}",
                "missing-key": f"x ${{file:{db}:nope}} y",
                "unknown-provider": f"${{vault:{db}:user}}",
                "no-path": "${file:user}",
                "empty-path": "${file::user}",
                "empty-key": "${file:}",
                "dollar-dollar": f"$${{file:{db}:user}}",
                "unclosed": f"${{file:{db}:user",
                "nested-braces": f"${{file:{db}:${{file:{db}:user}}}}",
            },
        },
        {
            "name": "file-allowed-paths",
            "providers": confined,
            "configs": {
                "inside": f"${{file:{db}:user}}",
                "dot": f"${{file:{root}/secrets/./db.properties:user}}",
                "traversal": f"${{file:{root}/secrets/../outside.properties:user}}",
                "sibling-prefix": f"${{file:{root}/secrets2/x.properties:user}}",
                "outside": f"${{file:{root}/outside.properties:user}}",
                "relative": "${file:secrets/db.properties:user}",
            },
        },
        {"name": "file-missing", "providers": file_only, "configs": {"a": f"${{file:{root}/nope.properties:k}}"}},
        {"name": "file-directory", "providers": file_only, "configs": {"a": f"${{file:{root}/secrets:k}}"}},
        {
            "name": "file-not-utf8",
            "providers": file_only,
            "configs": {"a": f"${{file:{root}/secrets/latin1.properties:k}}"},
        },
        {
            "name": "allowed-relative",
            "providers": {"file": {"class": FILE, "params": {"allowed.paths": "relative/dir"}}},
            "configs": {},
        },
        {
            "name": "allowed-missing",
            "providers": {"file": {"class": FILE, "params": {"allowed.paths": f"{root}/x/../missing"}}},
            "configs": {},
        },
        {
            "name": "allowed-untrimmed",
            "providers": {"dir": {"class": DIRECTORY, "params": {"allowed.paths": f"{root}, {root}"}}},
            "configs": {},
        },
        {
            "name": "directory",
            "providers": {"dir": {"class": DIRECTORY, "params": {}}},
            "configs": {
                "password": f"${{dir:{root}/mounted:db-password}}",
                "crlf": f"${{dir:{root}/mounted:api.key}}",
                "hidden": f"${{dir:{root}/mounted:.hidden}}",
                "subdirectory": f"${{dir:{root}/mounted:nested}}",
                "a-file-not-a-dir": f"${{dir:{root}/mounted/db-password:x}}",
                "no-path": "${dir:db-password}",
            },
        },
        {
            "name": "directory-not-utf8",
            "providers": {"dir": {"class": DIRECTORY, "params": {}}},
            "configs": {"blob": f"${{dir:{root}/binary:blob}}"},
        },
        {
            "name": "directory-allowed-paths",
            "providers": {"dir": {"class": DIRECTORY, "params": {"allowed.paths": f"{root}/mounted/nested"}}},
            "configs": {"denied": f"${{dir:{root}/mounted:db-password}}", "ok": f"${{dir:{root}/mounted/nested:deep}}"},
        },
        {
            "name": "env",
            "providers": {"env": {"class": ENV, "params": {"allowlist.pattern": "KC_VEC_.*"}}},
            "configs": {
                "user": "${env:KC_VEC_USER}",
                "both": "${env:KC_VEC_USER}/${env:KC_VEC_TOKEN}",
                "not-allowed": "${env:OTHER_VEC}",
                "unset": "${env:KC_VEC_UNSET}",
            },
        },
        {
            "name": "env-partial-pattern",
            "providers": {"env": {"class": ENV, "params": {"allowlist.pattern": "KC_VEC"}}},
            "configs": {"user": "${env:KC_VEC_USER}"},
        },
        {
            "name": "env-with-path",
            "providers": {"env": {"class": ENV, "params": {}}},
            "configs": {"user": "${env:/some/path:KC_VEC_USER}"},
        },
        {
            "name": "worker-properties",
            "worker": {
                # Split on commas as written: " env" is not "env", so ${env:...} stays unresolved here.
                "config.providers": "file, env,bare",
                "config.providers.file.class": FILE,
                "config.providers.file.param.allowed.paths": str(root / "secrets"),
                "config.providers. env.class": ENV,
                "config.providers.env.class": ENV,
                "sasl.jaas.config": f"user='${{file:{db}:user}}' password='${{file:{db}:password}}';",
                "from.env": "${env:KC_VEC_USER}",
                "bare": "${bare:x}",
                "param.itself": "${file:" + str(root / "outside.properties") + ":user}",
            },
        },
        {
            "name": "worker-properties-unknown-class",
            "worker": {"config.providers": "vault", "config.providers.vault.class": "com.example.NoSuchProvider"},
        },
        {
            "name": "two-providers",
            "providers": {**file_only, "env": {"class": ENV, "params": {}}},
            "configs": {"mixed": f"${{env:KC_VEC_USER}}@${{file:{db}:password}}"},
        },
    ]
    return cases


def _describe(e: BaseException) -> str:
    name = "ConfigException" if isinstance(e, ConfigError) else type(e).__name__
    return f"{name}: {e}"


def _kconnect(case: dict[str, Any]) -> dict[str, Any]:
    registry = PluginRegistry.from_entry_points()
    out: dict[str, Any] = {"name": case["name"]}
    if "worker" in case:
        try:
            out["originals"] = dict(sorted(resolve_worker_variables(case["worker"], registry).items()))
        except Exception as e:
            out["error"] = _describe(e)
        return out
    providers: dict[str, ConfigProvider] = {}
    try:
        for name, spec in case["providers"].items():
            provider = registry.config_provider_class(spec["class"])()
            provider.configure(spec["params"])
            providers[name] = provider
    except Exception as e:
        out["configure_error"] = _describe(e)
        return out
    try:
        result = ConfigTransformer(providers).transform(case["configs"])
    except Exception as e:
        out["error"] = _describe(e)
        return out
    out["data"] = dict(sorted(result.data.items()))
    out["ttls"] = dict(sorted(result.ttls.items()))
    return out


def test_transformer_and_builtin_providers_answer_like_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kconnect.supervisor.devbroker import jars

    try:
        classpath = jars.classpath()
        java = jars.java_executable()
    except jars.KafkaJarsError as e:  # pragma: no cover - depends on the machine
        pytest.fail(f"Java or the Kafka jars are unavailable: {e}")
    root = tmp_path / "files"
    root.mkdir()
    _files(root)
    cases = _cases(root)
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    answers_file = tmp_path / "java-answers.jsonl"
    proc = subprocess.run(
        [java, "-cp", classpath, str(JAVA_SOURCE), str(cases_file), str(answers_file)],
        capture_output=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env={**os.environ, **ENVIRONMENT},
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    java_answers = [json.loads(line) for line in answers_file.read_text(encoding="utf-8").split("\n") if line]
    assert [a["name"] for a in java_answers] == [c["name"] for c in cases]

    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    for case, expected in zip(cases, java_answers, strict=True):
        assert _kconnect(case) == expected, case["name"]
