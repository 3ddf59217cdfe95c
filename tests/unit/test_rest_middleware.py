"""Listener-level REST behaviour without a worker: header rules, CORS, Basic auth, listener planning."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import gunicorn.config
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kconnect.api.errors import ConfigError
from kconnect.supervisor.rest import listeners
from kconnect.supervisor.rest.middleware import (
    BasicAuth,
    CrossOrigin,
    HeaderRule,
    ResponseHeaders,
    SettingError,
    csv_split,
    parse_cors,
    parse_credentials,
    parse_header_config,
)
from kconnect.workers.worker_config import WorkerConfig


async def _hello(request: Request) -> Response:
    return JSONResponse({"hello": "world"}, headers={"X-Frame-Options": "SAMEORIGIN"})


def _app() -> Any:
    return Starlette(
        routes=[
            Route("/", _hello, methods=["GET"]),
            Route("/connectors/{name}/tasks", _hello, methods=["POST"]),
            Route("/connectors/{name}/fence", _hello, methods=["PUT"]),
        ]
    )


class Answer:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code = status
        self.raw = headers
        self.text = body.decode()
        self.headers = {k.decode().lower(): v.decode() for k, v in headers}

    def get_list(self, name: str) -> list[str]:
        return [v.decode() for k, v in self.raw if k.decode().lower() == name.lower()]


class AsgiClient:
    """Calls an ASGI app in-process (one request, no network)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Answer:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
            "server": ("127.0.0.1", 8083),
            "client": ("127.0.0.1", 40000),
        }
        asyncio.run(self.app(scope, receive, send))
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return Answer(start["status"], list(start.get("headers", [])), body)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers)

    def options(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("OPTIONS", path, headers)

    def post(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", path, headers)

    def put(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("PUT", path, headers)


# --- response.http.headers.config ------------------------------------------------------------------


def test_csv_split_follows_jettys_quoting() -> None:
    assert csv_split('set A: 1, "add B: x, y" ,,add C: "q"') == ["set A: 1", "add B: x, y", "add C: q"]


def test_header_config_parses_actions_case_insensitively() -> None:
    rules = parse_header_config("SET X-Frame-Options: DENY, adddate Expires: 1000")
    assert rules == [HeaderRule("set", "X-Frame-Options", "DENY"), HeaderRule("addDate", "Expires", "1000")]
    assert rules[1].render(0.0) == "Thu, 01 Jan 1970 00:00:01 GMT"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("set", "Invalid format of header config 'set'"),
        ("replace X-A: b", "Invalid header config action: 'replace'"),
        ("set X-A", "Invalid format of header name and header value pair"),
        ("set X-A: http://x", "Invalid format of header name and header value pair"),
        ("set X-A:", "Invalid format of header name and header value pair"),
        ("set X A: b", "Invalid header name 'X A'. The '[header name]' cannot contain whitespace"),
        ("set :b", "Invalid header name ''"),
        ("setDate Expires: tomorrow", "expected a number of milliseconds"),
    ],
)
def test_header_config_errors_are_kafkas(config: str, message: str) -> None:
    with pytest.raises(SettingError, match=re.escape(message)):
        parse_header_config(config)


def test_response_headers_set_replaces_and_add_appends_on_every_response() -> None:
    rules = parse_header_config("set X-Frame-Options: DENY, add X-Trace: 1, add X-Trace: 2")
    client = AsgiClient(ResponseHeaders(_app(), rules))
    for path in ("/", "/missing"):
        r = client.get(path)
        assert r.get_list("X-Frame-Options") == ["DENY"]
        assert r.get_list("X-Trace") == ["1", "2"]


# --- CORS ---------------------------------------------------------------------------------------------


def test_cors_off_when_origin_blank_and_default_methods_are_jettys() -> None:
    assert parse_cors("  ", "PUT") is None
    policy = parse_cors("*", "")
    assert policy is not None
    assert policy.any_origin
    assert policy.methods == ("GET", "POST", "HEAD")
    with pytest.raises(SettingError):
        parse_cors("http://(", "")


def test_cors_echoes_matching_origin_and_answers_preflight() -> None:
    policy = parse_cors(r"https://.*\.example\.com", "GET,PUT")
    assert policy is not None
    client = AsgiClient(CrossOrigin(_app(), policy))
    r = client.get("/", headers={"Origin": "https://UI.example.com"})
    assert r.headers["access-control-allow-origin"] == "https://UI.example.com"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["vary"] == "Origin"
    pre = client.options("/", headers={"Origin": "https://a.example.com", "Access-Control-Request-Method": "PUT"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-methods"] == "GET,PUT"
    assert pre.headers["access-control-allow-headers"] == "Content-Type"
    assert pre.headers["access-control-max-age"] == "60"
    # Not an allowed origin (the pattern must match the whole origin): served without CORS headers.
    r = client.get("/", headers={"Origin": "https://a.example.com.evil.org"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    assert client.get("/").headers["vary"] == "Origin"


def test_star_echoes_the_origin() -> None:
    policy = parse_cors("*", "")
    assert policy is not None
    r = AsgiClient(CrossOrigin(_app(), policy)).get("/", headers={"Origin": "http://anything:1"})
    assert r.headers["access-control-allow-origin"] == "http://anything:1"


# --- Basic auth ---------------------------------------------------------------------------------------


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_credentials_file_is_jettys_property_format() -> None:
    users = parse_credentials("# comment\nalice: s3cret, admin, user\nbob=hunter2\ncarol:  pass word \n")
    assert users == {"alice": "s3cret", "bob": "hunter2", "carol": "pass word"}
    with pytest.raises(SettingError, match="no users"):
        parse_credentials("# nothing\n")
    with pytest.raises(SettingError, match="OBF"):
        parse_credentials("dave: OBF:1v2j1uum1xtv1zej1zer1xtn1uvk1v1v\n")


def test_basic_auth_requires_valid_credentials_except_internal_endpoints() -> None:
    client = AsgiClient(BasicAuth(_app(), {"alice": "s3cret", "bob": ""}, "my realm"))
    r = client.get("/")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="my realm"'
    assert r.text == "User cannot access the resource."
    assert client.get("/", headers=_basic("alice", "wrong")).status_code == 401
    assert client.get("/", headers=_basic("nobody", "s3cret")).status_code == 401
    assert client.get("/", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer abc"}).status_code == 401
    assert client.get("/", headers=_basic("alice", "s3cret")).status_code == 200
    assert client.get("/", headers=_basic("bob", "")).status_code == 200
    # Java's JaasBasicAuthFilter lets the signed internal requests through.
    assert client.post("/connectors/c/tasks").status_code == 200
    assert client.put("/connectors/c/fence").status_code == 200
    assert client.get("/connectors/c/tasks").status_code == 401


# --- listener planning ----------------------------------------------------------------------------------


def _worker(**extra: str) -> WorkerConfig:
    props = {
        "bootstrap.servers": "localhost:9092",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": "/tmp/offsets",
        **{k.replace("_", "."): v for k, v in extra.items()},
    }
    return WorkerConfig.from_props(props, log=False)


def _plan(**extra: str) -> listeners.RestPlan:
    w = _worker(**extra)
    return listeners.plan_rest(w.raw, w.values)


def test_listener_format_is_javas() -> None:
    x = listeners.parse_listener("HTTP://[::1]:8083", "listeners")
    assert (x.scheme, x.host, x.port, x.bind) == ("http", "::1", 8083, "[::1]:8083")
    assert listeners.parse_listener("http://:8083", "listeners").bind == "0.0.0.0:8083"
    for bad in ("http://host", "localhost:8083", "ws://h:1", "http://h:70000"):
        with pytest.raises(ConfigError, match="listeners"):
            listeners.parse_listener(bad, "listeners")


def test_one_process_per_role_and_scheme(tmp_path: Path) -> None:
    keystore = _keystore(tmp_path)
    plan = _plan(
        listeners="http://:8083,https://:8443,http://127.0.0.1:8084",
        admin_listeners="https://127.0.0.1:9443",
        ssl_keystore_type="PEM",
        ssl_keystore_location=str(keystore),
    )
    shape = [(p.serve, p.scheme, [x.port for x in p.listeners]) for p in plan.processes]
    assert shape == [("api", "http", [8083, 8084]), ("api", "https", [8443]), ("admin", "https", [9443])]
    assert plan.advertised.port == 8083
    assert [p.serve for p in _plan().processes] == ["all"]
    assert [p.serve for p in _plan(admin_listeners="").processes] == ["api"]
    mixed = _plan(
        listeners="https://:8443,http://:8083", rest_advertised_listener="https", ssl_keystore_location=str(keystore)
    )
    assert mixed.advertised.port == 8443


def test_https_prefix_is_all_or_nothing(tmp_path: Path) -> None:
    keystore = _keystore(tmp_path)
    # listeners.https.* present: the top-level ssl.* keys are not consulted at all.
    with pytest.raises(ConfigError, match=r"listeners\.https\.ssl\.keystore\.location"):
        _plan(
            listeners="https://:8443",
            ssl_keystore_location=str(keystore),
            **{"listeners.https.ssl.client.auth": "none"},
        )
    plan = _plan(
        listeners="https://:8443",
        ssl_keystore_location="/nonexistent",
        **{"listeners.https.ssl.keystore.location": str(keystore), "listeners.https.ssl.client.auth": "REQUIRED"},
    )
    tls = plan.processes[0].tls
    assert tls is not None
    assert tls.prefix == "listeners.https."
    assert tls.client_auth == "required"


def test_argvs_and_settings_files(tmp_path: Path) -> None:
    keystore = _keystore(tmp_path)
    plan = _plan(
        listeners="http://127.0.0.1:8083,https://127.0.0.1:8443",
        ssl_keystore_location=str(keystore),
        access_control_allow_origin="*",
    )
    out = tmp_path / "rest"
    out.mkdir()
    argvs = listeners.rest_argvs(plan, str(out))
    assert len(argvs) == 2
    assert "--certfile" not in argvs[0]
    assert argvs[1][argvs[1].index("--certfile") + 1] == str(keystore)
    env = argvs[1][argvs[1].index("--env") + 1]
    path = env.split("=", 1)[1]
    settings = json.loads(Path(path).read_text())
    assert settings["tls"]["certfile"] == str(keystore)
    assert settings["cors_origin"] == "*"
    assert Path(path).stat().st_mode & 0o077 == 0
    assert listeners.build_ssl_context(settings["tls"]) is not None


def test_listeners_module_sets_only_ssl_context_when_used_as_gunicorn_config() -> None:
    settings = {s.name for s in gunicorn.config.KNOWN_SETTINGS}
    assert {k for k in vars(listeners) if k in settings} == {"ssl_context"}


def _keystore(directory: Path) -> Path:
    key, cert = directory / "k.pem", directory / "c.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert)),
            *("-days", "1", "-subj", "/CN=localhost"),
        ],
        check=True,
        capture_output=True,
    )
    keystore = directory / "keystore.pem"
    keystore.write_text(cert.read_text() + key.read_text())
    return keystore
