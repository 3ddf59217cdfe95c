"""REST listeners: from the worker's ``listeners``/``admin.listeners``/SSL/CORS/auth keys to gunicorn
command lines, validated at worker start (every error names its key).

gunicorn has one TLS configuration per server, so listeners are grouped into **one gunicorn process
per (role, scheme)**: regular ``http``, regular ``https``, admin ``http``, admin ``https``; each
group that has listeners becomes a child of the supervisor. A process knows what it serves from a
small JSON settings file (mode 0600, in the worker's private runtime directory) named by the
``KCONNECT_REST_SETTINGS`` environment variable:

* ``admin.listeners`` unset: the regular processes serve everything, ``/admin`` included;
* ``admin.listeners=`` (empty): ``/admin`` is served nowhere (404);
* ``admin.listeners=...``: ``/admin`` only there, and the admin processes serve nothing else.

TLS (Kafka Connect's rules): a regular HTTPS listener takes the ``listeners.https.``-prefixed keys
if *any* such key is set, otherwise the top-level ``ssl.*`` keys (all or nothing, no per-key
mixing); admin HTTPS listeners do the same with ``admin.listeners.https.``. Key and trust stores
must be PEM (a file, or inline ``ssl.keystore.key``/``ssl.keystore.certificate.chain``/
``ssl.truststore.certificates``); JKS and PKCS12 stores are refused with the command that converts
them. ``ssl.client.auth`` ``required``/``requested``/``none`` maps to ``CERT_REQUIRED``/
``CERT_OPTIONAL``/``CERT_NONE``; the trust store is only read when client certificates are asked for.

This module is also gunicorn's config module for the HTTPS processes (``-c python:...``): gunicorn
reads every module-level name that is one of its settings, and the only such name here is
:func:`ssl_context`, which builds the context (key password included) and never lets an HTTPS
listener fall back to plain HTTP.
"""

from __future__ import annotations

import json
import logging
import os
import re
import ssl
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kconnect.api.errors import ConfigError
from kconnect.supervisor.rest.middleware import SettingError, parse_cors, parse_credentials, parse_header_config

SETTINGS_ENV = "KCONNECT_REST_SETTINGS"
AUTH_FILE_KEY = "kconnect.rest.auth.basic.credentials.file"
AUTH_REALM_KEY = "kconnect.rest.auth.basic.realm"
_LISTENER = re.compile(r"^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$")  # Java's LISTENER_PATTERN
_CLIENT_AUTH = {"required": ssl.CERT_REQUIRED, "requested": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}

Serve = Literal["all", "api", "admin"]


@dataclass(frozen=True)
class Listener:
    scheme: str
    host: str  # "" = all interfaces
    port: int
    url: str

    @property
    def bind(self) -> str:
        host = self.host or "0.0.0.0"
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"


def parse_listener(url: str, key: str) -> Listener:
    m = _LISTENER.match(url.strip())
    if not m:
        raise ConfigError(key, url, "Listener doesn't have the right format (protocol://hostname:port).")
    scheme = m.group(1).lower()
    if scheme not in ("http", "https"):
        raise ConfigError(key, url, 'Listener protocol must be either "http" or "https".')
    port = int(m.group(3))
    if not 0 <= port <= 65535:
        raise ConfigError(key, url, "Listener port must be between 0 and 65535.")
    return Listener(scheme, m.group(2), port, url.strip())


# --- TLS -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsConfig:
    """PEM material for one HTTPS process: file paths, or inline PEM text to write out."""

    prefix: str  # "listeners.https." / "admin.listeners.https." / "" (top-level ssl.* keys)
    certfile: str | None = None
    keyfile: str | None = None
    cert_pem: str | None = None
    key_pem: str | None = None
    key_password: str | None = field(default=None, repr=False)
    client_auth: str = "none"
    cafile: str | None = None
    ca_pem: str | None = None

    def materialize(self, directory: str) -> dict[str, Any]:
        """The settings a process needs, inline PEM written to 0600 files in ``directory``."""

        def write(name: str, text: str) -> str:
            path = os.path.join(directory, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text if text.endswith("\n") else text + "\n")
            return path

        tag = self.prefix.replace(".", "-") or "ssl-"
        certfile = self.certfile or write(f"{tag}chain.pem", self.cert_pem or "")
        keyfile = self.keyfile or (write(f"{tag}key.pem", self.key_pem) if self.key_pem else certfile)
        cafile = self.cafile or (write(f"{tag}ca.pem", self.ca_pem) if self.ca_pem else None)
        return {
            "certfile": certfile,
            "keyfile": keyfile,
            "key_password": self.key_password,
            "cafile": cafile,
            "client_auth": self.client_auth,
        }


def build_ssl_context(tls: Mapping[str, Any]) -> ssl.SSLContext:
    """The server-side context for materialized TLS settings (see :meth:`TlsConfig.materialize`)."""
    cert_reqs = _CLIENT_AUTH[tls["client_auth"]]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if cert_reqs != ssl.CERT_NONE:
        if tls.get("cafile"):
            context.load_verify_locations(cafile=tls["cafile"])
        else:
            context.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls["certfile"], tls["keyfile"], password=tls.get("key_password") or None)
    context.verify_mode = cert_reqs
    return context


def _store_kind(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(4096)
    if b"-----BEGIN" in head:
        return "PEM"
    if head[:4] == b"\xfe\xed\xfe\xed":
        return "JKS"
    if head[:4] == b"\xce\xce\xce\xce":
        return "JCEKS"
    if head[:1] == b"\x30":
        return "PKCS12"
    return "unknown"


def _keystore_refusal(kind: str, location: str) -> str:
    pkcs12 = location
    steps = ""
    if kind in ("JKS", "JCEKS"):
        pkcs12 = "keystore.p12"
        steps = (
            f"`keytool -importkeystore -srckeystore {location} -srcstoretype {kind} -destkeystore keystore.p12 "
            "-deststoretype PKCS12` and then "
        )
    return (
        f"the REST server reads PEM key stores only, not {kind} ({location}). Convert it with {steps}"
        f"`openssl pkcs12 -in {pkcs12} -out keystore.pem` (add -nodes for an unencrypted key, otherwise set "
        "ssl.key.password), then set ssl.keystore.type=PEM and ssl.keystore.location to the PEM file"
    )


def tls_config(raw: Mapping[str, str], prefix: str) -> TlsConfig:
    """The TLS settings of an HTTPS listener group, with Kafka's all-or-nothing ``prefix`` rule."""
    if any(k.startswith(prefix) for k in raw):
        values = {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}
        origin = prefix
    else:
        values = dict(raw)
        origin = ""

    def key(name: str) -> str:
        return origin + name

    client_auth = values.get("ssl.client.auth", "none").strip().lower()
    if client_auth not in _CLIENT_AUTH:
        raise ConfigError(
            key("ssl.client.auth"), values.get("ssl.client.auth"), "String must be one of: required, requested, none"
        )
    declared = values.get("ssl.keystore.type", "JKS").strip().upper()
    location = values.get("ssl.keystore.location")
    key_pem = values.get("ssl.keystore.key")
    chain_pem = values.get("ssl.keystore.certificate.chain")
    tls: dict[str, Any] = {"prefix": origin, "client_auth": client_auth, "key_password": values.get("ssl.key.password")}
    if key_pem or chain_pem:
        if declared != "PEM":
            raise ConfigError(
                key("ssl.keystore.type"), declared, "ssl.keystore.key and ssl.keystore.certificate.chain require PEM"
            )
        if not (key_pem and chain_pem):
            raise ConfigError(
                key("ssl.keystore.key"), "[hidden]", "ssl.keystore.key and ssl.keystore.certificate.chain go together"
            )
        tls.update(cert_pem=chain_pem, key_pem=key_pem)
    elif location:
        try:
            kind = _store_kind(location)
        except OSError as e:
            raise ConfigError(key("ssl.keystore.location"), location, f"cannot read the key store: {e}") from None
        if kind != "PEM":
            raise ConfigError(key("ssl.keystore.type"), declared, _keystore_refusal(kind, location))
        tls.update(certfile=location, keyfile=location)
    else:
        raise ConfigError(
            key("ssl.keystore.location"),
            None,
            "an HTTPS listener needs a PEM key store (ssl.keystore.location, or ssl.keystore.key with "
            f"ssl.keystore.certificate.chain){' under ' + prefix if origin else ''}",
        )
    if client_auth != "none":
        ca_location = values.get("ssl.truststore.location")
        ca_pem = values.get("ssl.truststore.certificates")
        ca_type = values.get("ssl.truststore.type", "JKS").strip().upper()
        if ca_pem:
            if ca_type != "PEM":
                raise ConfigError(key("ssl.truststore.type"), ca_type, "ssl.truststore.certificates requires PEM")
            tls["ca_pem"] = ca_pem
        elif ca_location:
            try:
                kind = _store_kind(ca_location)
            except OSError as e:
                raise ConfigError(key("ssl.truststore.location"), ca_location, f"cannot read: {e}") from None
            if kind != "PEM":
                raise ConfigError(
                    key("ssl.truststore.type"),
                    ca_type,
                    f"the REST server reads PEM trust stores only, not {kind} ({ca_location}). Export the CA "
                    f"certificates with `openssl pkcs12 -in {ca_location} -nokeys -out truststore.pem` (for JKS, "
                    "first `keytool -importkeystore ... -deststoretype PKCS12`), then set ssl.truststore.type=PEM",
                )
            tls["cafile"] = ca_location
    config = TlsConfig(**tls)
    with tempfile.TemporaryDirectory(prefix="kconnect-tls-") as scratch:
        try:
            build_ssl_context(config.materialize(scratch))
        except (OSError, ssl.SSLError, ValueError) as e:
            name = "ssl.keystore.key" if key_pem else "ssl.keystore.location"
            shown = "[hidden]" if key_pem else location
            raise ConfigError(
                key(name), shown, f"cannot load the certificate chain and private key (or trust store): {e}"
            ) from None
    return config


# --- the plan ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestProcess:
    """One gunicorn process: listeners sharing a role and a scheme."""

    serve: Serve
    scheme: str
    listeners: tuple[Listener, ...]
    tls: TlsConfig | None


@dataclass(frozen=True)
class RestPlan:
    processes: tuple[RestProcess, ...]
    advertised: Listener
    headers: str
    cors_origin: str
    cors_methods: str
    auth_file: str | None
    auth_realm: str


def _advertised(listeners: tuple[Listener, ...], advertised_scheme: str | None) -> Listener:
    """Java's ``RestServer.advertisedUrl``: the first listener of the advertised protocol."""
    scheme = (advertised_scheme or "").lower() or ("http" if any(x.scheme == "http" for x in listeners) else "https")
    return next((x for x in listeners if x.scheme == scheme), listeners[0])


def plan_rest(raw: Mapping[str, str], values: Mapping[str, Any]) -> RestPlan:
    """Validate every REST listener key of a parsed worker config; raises :class:`ConfigError`."""
    regular = tuple(parse_listener(u, "listeners") for u in values["listeners"])
    admin_urls = values["admin.listeners"]
    admin = tuple(parse_listener(u, "admin.listeners") for u in admin_urls or ())
    seen: dict[tuple[str, int], str] = {}
    for key, group in (("listeners", regular), ("admin.listeners", admin)):
        for x in group:
            addr = (x.host, x.port)
            if x.port != 0 and addr in seen:
                raise ConfigError(key, x.url, f"binds the same address as {seen[addr]}")
            seen[addr] = x.url
    processes: list[RestProcess] = []
    serve_regular: Serve = "all" if admin_urls is None else "api"
    for serve, group, prefix in (
        (serve_regular, regular, "listeners.https."),
        ("admin", admin, "admin.listeners.https."),
    ):
        for scheme in ("http", "https"):
            members = tuple(x for x in group if x.scheme == scheme)
            if members:
                tls = tls_config(raw, prefix) if scheme == "https" else None
                processes.append(RestProcess(serve, scheme, members, tls))
    headers = values["response.http.headers.config"] or ""
    try:
        parse_header_config(headers)
    except SettingError as e:
        raise ConfigError("response.http.headers.config", headers, str(e)) from None
    origin, methods = values["access.control.allow.origin"] or "", values["access.control.allow.methods"] or ""
    try:
        parse_cors(origin, methods)
    except SettingError as e:
        raise ConfigError("access.control.allow.origin", origin, str(e)) from None
    auth_file = values.get(AUTH_FILE_KEY)
    realm = values.get(AUTH_REALM_KEY) or "Kafka Connect"
    if auth_file:
        read_credentials(auth_file)
    if '"' in realm:
        raise ConfigError(AUTH_REALM_KEY, realm, "the realm cannot contain a double quote")
    return RestPlan(
        tuple(processes),
        _advertised(regular, values.get("rest.advertised.listener")),
        headers,
        origin,
        methods,
        auth_file or None,
        realm,
    )


def read_credentials(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as f:
            return parse_credentials(f.read())
    except OSError as e:
        raise ConfigError(AUTH_FILE_KEY, path, f"cannot read the credentials file: {e.strerror or e}") from None
    except (SettingError, ValueError) as e:
        raise ConfigError(AUTH_FILE_KEY, path, str(e)) from None


def rest_argvs(plan: RestPlan, directory: str) -> list[list[str]]:
    """One gunicorn command line per process; writes each process's settings file into ``directory``."""
    argvs: list[list[str]] = []
    for i, process in enumerate(plan.processes):
        settings: dict[str, Any] = {
            "serve": process.serve,
            "headers": plan.headers,
            "cors_origin": plan.cors_origin,
            "cors_methods": plan.cors_methods,
            "auth_file": plan.auth_file,
            "auth_realm": plan.auth_realm,
            "tls": process.tls.materialize(directory) if process.tls is not None else None,
        }
        path = os.path.join(directory, f"rest-{i}-{process.serve}-{process.scheme}.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(settings, f)
        argv = [sys.executable, "-m", "gunicorn", "-k", "asgi", "--workers", "1"]
        for listener in process.listeners:
            argv += ["--bind", listener.bind]
        argv += ["--log-level", "warning", "--graceful-timeout", "5", "--env", f"{SETTINGS_ENV}={path}"]
        if settings["tls"] is not None:
            # gunicorn turns TLS on when a certificate is set; the context itself comes from ssl_context().
            argv += ["-c", f"python:{__name__}", "--certfile", settings["tls"]["certfile"]]
            argv += ["--keyfile", settings["tls"]["keyfile"]]
        argv.append("kconnect.supervisor.rest.app:create_app()")
        argvs.append(argv)
    return argvs


def load_settings(path: str | None = None) -> dict[str, Any]:
    """The settings of this REST process (defaults when started without a settings file)."""
    path = path or os.environ.get(SETTINGS_ENV)
    if not path:
        return {"serve": "all", "headers": "", "cors_origin": "", "cors_methods": "", "auth_file": None, "tls": None}
    with open(path, encoding="utf-8") as f:
        settings: dict[str, Any] = json.load(f)
    return settings


def ssl_context(conf: Any, default_ssl_context_factory: Any) -> ssl.SSLContext:
    """gunicorn's ``ssl_context`` hook for our HTTPS processes."""
    try:
        tls = load_settings(conf.env.get(SETTINGS_ENV))["tls"]
        if tls is None:
            context: ssl.SSLContext = default_ssl_context_factory()
            return context
        return build_ssl_context(tls)
    except Exception:
        # gunicorn would log this and serve plain HTTP on the HTTPS port: exit instead (3 = boot error).
        logging.getLogger("kconnect.rest").exception("Cannot set up TLS for the REST server")
        os._exit(3)
