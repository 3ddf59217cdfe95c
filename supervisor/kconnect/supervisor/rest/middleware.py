"""Listener-level behaviour of Kafka Connect's REST server as ASGI middleware.

* :class:`ResponseHeaders` - ``response.http.headers.config``: Jetty's ``HeaderFilter`` rules
  (``set``/``add``/``setDate``/``addDate``), applied to every response.
* :class:`CrossOrigin` - ``access.control.allow.origin`` / ``access.control.allow.methods``: what
  Jetty 12's ``CrossOriginHandler`` does as Kafka Connect 4.x configures it (origins are ``*`` or
  case-insensitive regular expressions matched against the whole ``Origin``; the origin is echoed;
  ``Access-Control-Allow-Credentials: true``; preflight max age 60 s; ``Vary: Origin`` always;
  requests from other origins are served without CORS headers). One difference: an allowed
  preflight is answered here (200, no body) instead of being passed on, because our routes have no
  ``OPTIONS`` handlers (Jersey answers it with an automatic 200).
* :class:`BasicAuth` - HTTP Basic authentication like Kafka's ``BasicAuthSecurityRestExtension``:
  every request needs valid credentials except Kafka Connect's internal, signature-authenticated
  endpoints (``POST /connectors/{name}/tasks``, ``PUT /connectors/{name}/fence``), which Java's
  ``JaasBasicAuthFilter`` exempts too. A 401 carries Java's body ``User cannot access the
  resource.`` plus a ``WWW-Authenticate`` challenge (Java sends none).

Starlette's own ``CORSMiddleware`` differs from Jetty in ways clients can see (``*`` instead of the
echoed origin, 400 for disallowed preflights, no credentials header), so it is not used.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hmac
import re
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER_ACTIONS = ("set", "add", "setDate", "addDate")


class SettingError(ValueError):
    """An invalid REST setting; the caller names the key."""


# --- response.http.headers.config ------------------------------------------------------------------


def csv_split(value: str) -> list[str]:
    """Jetty's ``StringUtil.csvSplit``: comma-separated, items trimmed, double quotes group (and are
    removed), backslash escapes inside quotes, empty items dropped."""
    items: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(value):
        c = value[i]
        if quoted:
            if c == "\\" and i + 1 < len(value):
                buf.append(value[i + 1])
                i += 2
                continue
            if c == '"':
                quoted = False
            else:
                buf.append(c)
        elif c == '"':
            quoted = True
        elif c == ",":
            items.append("".join(buf).strip())
            buf = []
        else:
            buf.append(c)
        i += 1
    items.append("".join(buf).strip())
    return [item for item in items if item]


@dataclass(frozen=True)
class HeaderRule:
    action: str  # one of HEADER_ACTIONS, canonical spelling
    name: str
    value: str  # for the date actions: an offset in milliseconds from now

    @property
    def adds(self) -> bool:
        return self.action.startswith("add")

    @property
    def is_date(self) -> bool:
        return self.action.endswith("Date")

    def render(self, now: float | None = None) -> str:
        if not self.is_date:
            return self.value
        when = (time.time() if now is None else now) + int(self.value) / 1000.0
        return email.utils.formatdate(when, usegmt=True)


def parse_header_config(value: str) -> list[HeaderRule]:
    """Parse ``response.http.headers.config`` with the checks of Kafka's ``ResponseHttpHeadersValidator``
    (and, for the date actions, Jetty's: the value must be a number of milliseconds)."""
    rules: list[HeaderRule] = []
    if not value.strip():
        return rules
    for config in csv_split(value):
        tokens = config.strip().split(None, 1)
        if len(tokens) != 2:
            raise SettingError(
                f"Invalid format of header config '{config}'. Expected: '[action] [header name]:[header value]'"
            )
        action = next((a for a in HEADER_ACTIONS if a.lower() == tokens[0].strip().lower()), None)
        if action is None:
            raise SettingError(
                f"Invalid header config action: '{tokens[0].strip()}'. Expected one of [{', '.join(HEADER_ACTIONS)}]"
            )
        header = tokens[1]
        parts = header.strip().split(":")
        while parts and parts[-1] == "":  # Java's String.split drops trailing empty strings
            parts.pop()
        if len(parts) != 2:
            raise SettingError(
                f"Invalid format of header name and header value pair '{header}'. "
                "Expected: '[header name]:[header value]'"
            )
        name = parts[0].strip()
        if not name or re.search(r"\s", name):
            raise SettingError(f"Invalid header name '{name}'. The '[header name]' cannot contain whitespace")
        rule = HeaderRule(action, name, parts[1].strip())
        if rule.is_date:
            try:
                int(rule.value)
            except ValueError:
                raise SettingError(
                    f"Invalid value '{rule.value}' for {action} {name}: expected a number of milliseconds "
                    "to add to the current time"
                ) from None
        rules.append(rule)
    return rules


class ResponseHeaders:
    """Apply ``response.http.headers.config`` rules to every response: ``set`` replaces a header of
    that name, ``add`` appends one."""

    def __init__(self, app: ASGIApp, rules: Iterable[HeaderRule]) -> None:
        self.app = app
        self.rules = list(rules)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.rules:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                now = time.time()
                for rule in self.rules:
                    raw_name = rule.name.lower().encode("latin-1")
                    if not rule.adds:
                        headers = [(k, v) for k, v in headers if k.lower() != raw_name]
                    headers.append((rule.name.encode("latin-1"), rule.render(now).encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- CORS ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorsPolicy:
    any_origin: bool
    origin_patterns: tuple[re.Pattern[str], ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...] = ("Content-Type",)
    max_age_s: int = 60

    def allows(self, origins: str) -> bool:
        if self.any_origin:
            return True
        return any(p.fullmatch(o) for o in origins.split(" ") if o.strip() for p in self.origin_patterns)


def parse_cors(allow_origin: str, allow_methods: str, extra_headers: Iterable[str] = ()) -> CorsPolicy | None:
    """``None`` when CORS is off (blank ``access.control.allow.origin``), as in Kafka Connect."""
    if not allow_origin.strip():
        return None
    any_origin = False
    patterns: list[re.Pattern[str]] = []
    for origin in allow_origin.split(","):
        origin = origin.strip()
        if not origin:
            continue
        if origin == "*":
            any_origin = True
            break
        try:
            patterns.append(re.compile(origin, re.IGNORECASE))
        except re.error as e:
            raise SettingError(f"'{origin}' is not a valid regular expression: {e}") from None
    methods: tuple[str, ...] = ("GET", "POST", "HEAD")  # Jetty's default
    if allow_methods.strip():
        methods = tuple(dict.fromkeys(allow_methods.split(",")))
    headers = tuple(dict.fromkeys(("Content-Type", *extra_headers)))
    return CorsPolicy(any_origin, tuple(patterns), methods, headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return bytes(v).decode("latin-1")
    return None


class CrossOrigin:
    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added: list[tuple[bytes, bytes]] = [(b"vary", b"Origin")]
        origin = _header(scope, b"origin")
        if origin is not None and self.policy.allows(origin):
            added += [(b"access-control-allow-origin", origin.encode("latin-1"))]
            added += [(b"access-control-allow-credentials", b"true")]
            preflight = scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None
            if preflight:
                added += [
                    (b"access-control-allow-methods", ",".join(self.policy.methods).encode("latin-1")),
                    (b"access-control-allow-headers", ",".join(self.policy.headers).encode("latin-1")),
                    (b"access-control-max-age", str(self.policy.max_age_s).encode()),
                ]
                await send(
                    {"type": "http.response.start", "status": 200, "headers": [*added, (b"content-length", b"0")]}
                )
                await send({"type": "http.response.body", "body": b""})
                return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in added}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names or k.lower() == b"vary"]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


# --- HTTP Basic authentication ----------------------------------------------------------------------

# Kafka Connect's internal endpoints, authenticated by the session-key signature (JaasBasicAuthFilter).
_INTERNAL = (("POST", re.compile(r"/?connectors/([^/]+)/tasks/?")), ("PUT", re.compile(r"/?connectors/[^/]+/fence/?")))
UNAUTHORIZED_BODY = b"User cannot access the resource."


def parse_credentials(text: str) -> dict[str, str]:
    """A Jetty ``PropertyUserStore`` file: ``user: password[,role ...]`` lines in Java properties
    syntax (``user=password`` works too). Roles are ignored; a password cannot contain a comma.
    Jetty's obfuscated forms (``OBF:``, ``MD5:``, ``CRYPT:``) are refused."""
    from kconnect.workers.worker_config import parse_properties

    users: dict[str, str] = {}
    for user, value in parse_properties(text).items():
        password = value.split(",", 1)[0].strip()
        if not user:
            raise SettingError("an entry has an empty user name")
        if password.startswith(("OBF:", "MD5:", "CRYPT:")):
            raise SettingError(f"user '{user}': Jetty's {password.split(':')[0]}: password forms are not supported")
        users[user] = password
    if not users:
        raise SettingError("the file defines no users")
    return users


class BasicAuth:
    def __init__(self, app: ASGIApp, users: dict[str, str], realm: str) -> None:
        self.app = app
        self.users = {u.encode(): p.encode() for u, p in users.items()}
        self.challenge = f'Basic realm="{realm}"'.encode("latin-1", "replace")

    def _authenticated(self, header: str | None) -> bool:
        if header is None:
            return False
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            raw = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, password = raw.partition(b":")
        if not sep:
            return False
        expected = self.users.get(user)
        # Compare against something even for an unknown user, so timing tells nothing about user names.
        ok = hmac.compare_digest(password, expected if expected is not None else b"\0" * 32)
        return ok and expected is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope["path"]
        internal = any(method == m and p.fullmatch(path.lstrip("/")) for m, p in _INTERNAL)
        if internal or self._authenticated(_header(scope, b"authorization")):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"www-authenticate", self.challenge),
                    (b"content-type", b"text/plain"),
                    (b"content-length", str(len(UNAUTHORIZED_BODY)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": UNAUTHORIZED_BODY})
