"""REST listeners on a real standalone worker: several listeners (http and https, each scheme in its
own gunicorn process), admin.listeners separation, CORS, custom response headers, Basic auth, and
start-time refusal of bad listener settings."""

from __future__ import annotations

import base64
import json
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kconnect.supervisor.devbroker.broker import KafkaBroker, free_port
from tests.support.worker import Worker

pytestmark = pytest.mark.kafka


def _openssl() -> str:
    path = shutil.which("openssl")
    assert path, "the openssl command line tool is needed to make a test certificate"
    return path


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost: (keystore PEM with key + cert, CA PEM)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            _openssl(),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    keystore = directory / "keystore.pem"
    keystore.write_text(cert.read_text() + key.read_text())
    return keystore, cert


class Response:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def request(url: str, method: str = "GET", headers: dict[str, str] | None = None, ca: Path | None = None) -> Response:
    context = ssl.create_default_context(cafile=str(ca)) if ca is not None else None
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60, context=context) as resp:
            return Response(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def wait_listening(w: Worker, url: str, ca: Path | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert w.proc is not None
        if w.proc.poll() is not None:
            raise AssertionError(f"worker exited with {w.proc.returncode}:\n{w.log_tail()}")
        try:
            request(url, ca=ca)
            return
        except (OSError, ssl.SSLError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up:\n{w.log_tail()}")


@pytest.fixture(scope="module")
def tls_worker(tmp_path_factory: pytest.TempPathFactory, kafka_broker: KafkaBroker) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("rest-listeners")
    keystore, ca = make_cert(work)
    https_port, admin_port = free_port(), free_port()
    w = Worker(work, kafka_broker.bootstrap_servers)
    w.props.update(
        {
            "listeners": f"http://127.0.0.1:{w.port},https://127.0.0.1:{https_port}",
            "admin.listeners": f"http://127.0.0.1:{admin_port}",
            "listeners.https.ssl.keystore.type": "PEM",
            "listeners.https.ssl.keystore.location": str(keystore),
            "access.control.allow.origin": r"https://ui\.example\.com,http://localhost:3000",
            "access.control.allow.methods": "GET,POST,PUT,DELETE",
            "response.http.headers.config": 'set X-Frame-Options: DENY, add X-Custom: a, "add X-Custom: b, c", '
            "addDate Expires: 60000",
        }
    )
    w.start()
    https = f"https://127.0.0.1:{https_port}"
    wait_listening(w, https + "/", ca)
    admin = f"http://127.0.0.1:{admin_port}"
    wait_listening(w, admin + "/admin/loggers")
    yield {"worker": w, "http": f"http://127.0.0.1:{w.port}", "https": https, "admin": admin, "ca": ca}
    w.stop()


def test_https_listener_answers_over_tls_with_the_generated_ca(tls_worker: dict[str, Any]) -> None:
    r = request(tls_worker["https"] + "/", ca=tls_worker["ca"])
    assert r.status == 200
    assert r.json()["version"] == "4.3.1"
    plain = request(tls_worker["http"] + "/")
    assert plain.status == 200
    # The HTTPS port never speaks plain HTTP, and an unknown CA is refused.
    with pytest.raises((OSError, ssl.SSLError)):
        request(tls_worker["https"].replace("https://", "http://") + "/")
    with pytest.raises(urllib.error.URLError):
        request(tls_worker["https"] + "/", ca=None)


def test_admin_endpoints_only_on_the_admin_listener(tls_worker: dict[str, Any]) -> None:
    admin = request(tls_worker["admin"] + "/admin/loggers")
    assert admin.status == 200
    assert "root" in admin.json()
    for base, ca in ((tls_worker["http"], None), (tls_worker["https"], tls_worker["ca"])):
        r = request(base + "/admin/loggers", ca=ca)
        assert r.status == 404, (base, r.status, r.body)
        assert r.json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
    # The admin listener serves nothing else.
    assert request(tls_worker["admin"] + "/connectors").status == 404
    assert request(tls_worker["admin"] + "/").status == 404


def test_cors_preflight_and_simple_requests(tls_worker: dict[str, Any]) -> None:
    pre = request(
        tls_worker["http"] + "/connectors",
        method="OPTIONS",
        headers={"Origin": "https://ui.example.com", "Access-Control-Request-Method": "PUT"},
    )
    assert pre.status == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "https://ui.example.com"
    assert pre.headers["Access-Control-Allow-Methods"] == "GET,POST,PUT,DELETE"
    assert pre.headers["Access-Control-Allow-Credentials"] == "true"
    assert pre.headers["Access-Control-Max-Age"] == "60"
    assert "Origin" in pre.headers.get_all("Vary")

    simple = request(tls_worker["http"] + "/connectors", headers={"Origin": "http://localhost:3000"})
    assert simple.status == 200
    assert simple.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert simple.json() == []

    other = request(tls_worker["http"] + "/connectors", headers={"Origin": "https://evil.example.org"})
    assert other.status == 200  # served, as Jetty does, but without CORS headers
    assert "Access-Control-Allow-Origin" not in other.headers
    denied = request(
        tls_worker["http"] + "/connectors",
        method="OPTIONS",
        headers={"Origin": "https://evil.example.org", "Access-Control-Request-Method": "PUT"},
    )
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_custom_response_headers_on_every_response(tls_worker: dict[str, Any]) -> None:
    for r in (
        request(tls_worker["http"] + "/"),
        request(tls_worker["http"] + "/no-such-path"),
        request(tls_worker["https"] + "/connectors", ca=tls_worker["ca"]),
        request(tls_worker["admin"] + "/admin/loggers"),
    ):
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers.get_all("X-Custom") == ["a", "b, c"]
        expires = r.headers["Expires"]
        assert expires.endswith(" GMT")
        from email.utils import parsedate_to_datetime

        ahead = parsedate_to_datetime(expires).timestamp() - time.time()
        assert 30 < ahead <= 61, expires


def test_basic_auth_and_disabled_admin_endpoints(tmp_path: Path, kafka_broker: KafkaBroker) -> None:
    creds = tmp_path / "users.properties"
    creds.write_text("# Jetty property-file format\nalice: s3cret,admin\nbob = hunter2\n")
    w = Worker(
        tmp_path,
        kafka_broker.bootstrap_servers,
        {
            "kconnect.rest.auth.basic.credentials.file": str(creds),
            "kconnect.rest.auth.basic.realm": "connect-test",
            "admin.listeners": "",
        },
    )
    w.start(wait=False)
    base = f"http://127.0.0.1:{w.port}"
    try:
        wait_listening(w, base + "/")

        def basic(user: str, password: str) -> dict[str, str]:
            return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

        anonymous = request(base + "/connectors")
        assert anonymous.status == 401
        assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="connect-test"'
        assert anonymous.body == b"User cannot access the resource."
        assert request(base + "/", headers=basic("alice", "wrong")).status == 401
        assert request(base + "/", headers=basic("mallory", "s3cret")).status == 401
        ok = request(base + "/connectors", headers=basic("alice", "s3cret"))
        assert ok.status == 200, ok.body
        assert ok.json() == []
        assert request(base + "/", headers=basic("bob", "hunter2")).status == 200
        # admin.listeners set to an empty value: /admin is served nowhere.
        assert request(base + "/admin/loggers", headers=basic("alice", "s3cret")).status == 404
        assert request(base + "/admin/loggers").status == 401
    finally:
        w.stop()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"listeners": "ftp://127.0.0.1:8083"}, "listeners"),
        ({"listeners": "http://127.0.0.1"}, "Listener doesn't have the right format"),
        ({"listeners": "https://127.0.0.1:{port}"}, "ssl.keystore.location"),
        ({"listeners": "https://127.0.0.1:{port}", "ssl.keystore.location": "{jks}"}, "keytool -importkeystore"),
        ({"listeners.https.ssl.client.auth": "sometimes", "listeners": "https://127.0.0.1:{port}"}, "client.auth"),
        ({"response.http.headers.config": "replace X-A: b"}, "response.http.headers.config"),
        ({"access.control.allow.origin": "http://(unclosed"}, "access.control.allow.origin"),
        ({"kconnect.rest.auth.basic.credentials.file": "/nonexistent/users"}, "kconnect.rest.auth.basic"),
        ({"admin.listeners": "http://127.0.0.1:{port}"}, "binds the same address"),
    ],
)
def test_bad_listener_settings_stop_the_worker_at_start_naming_the_key(
    tmp_path: Path, extra: dict[str, str], expected: str
) -> None:
    port = free_port()
    jks = tmp_path / "keystore.jks"
    jks.write_bytes(b"\xfe\xed\xfe\xed" + b"\0" * 60)
    props = {
        "bootstrap.servers": "127.0.0.1:1",  # never contacted: the listener settings fail first
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": str(tmp_path / "offsets"),
        "listeners": f"http://127.0.0.1:{port}",
    }
    props.update({k: v.format(port=port, jks=jks) for k, v in extra.items()})
    worker_file = tmp_path / "worker.properties"
    worker_file.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    proc = subprocess.run(
        [sys.executable, "-m", "kconnect.supervisor", "standalone", str(worker_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Invalid worker configuration" in proc.stderr
    assert expected in proc.stderr, proc.stderr
