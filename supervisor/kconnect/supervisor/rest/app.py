"""Kafka Connect's REST API as a starlette app: one route table, handlers parse -> call -> render.

Handlers never run connector code and hold no state: every call goes to the supervisor over its
control socket. Errors render as Kafka Connect's ``{"error_code", "message"}`` body.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kconnect.supervisor.loglevels import PY_LEVEL
from kconnect.supervisor.metrics_render import render as render_metrics
from kconnect.supervisor.rest.control_client import SupervisorUnavailable, call
from kconnect.supervisor.rest.forward import (
    CURRENT_REQUEST,
    FORWARD_STATUS,
    ForwardRequest,
    forwarding,
    may_forward,
)
from kconnect.supervisor.rest.openapi import openapi_document
from kconnect.supervisor.rest.request_metrics import COUNTERS, RequestMetrics, pushing

_HTTP_REASONS = {404: "Not Found", 405: "Method Not Allowed", 415: "Unsupported Media Type"}


class RestError(Exception):
    def __init__(self, code: int, message: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class JavaJSONResponse(JSONResponse):
    """JSON as Jackson writes it: UTF-8, with unpaired surrogates (legal in Java strings) escaped."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _path_segment(name: str) -> str:
    """A connector name as one URI path segment, percent-encoded as Java's UriBuilder.path does.

    HTTP header values are latin-1: a raw name such as "\U000302fe" in ``Location`` was a 500.
    """
    return quote(name, safe="!$&'()*+,;=:@")


def render(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if status == 204 or body is None:
        return Response(status_code=status, headers=headers)  # Java sends no body and no Content-Type
    return JavaJSONResponse(body, status_code=status, headers=headers)


def _bare_json(status: int, body: Any) -> Response:
    """Jersey's own errors (unknown path, wrong method or media type) carry JSON but no Content-Type."""
    return Response(json.dumps(body).encode(), status_code=status)


async def _call(op: str, **args: Any) -> tuple[int, Any]:
    logger.debug("REST call %s", op)
    request = CURRENT_REQUEST.get()
    if request is not None and not may_forward(request):
        args["forwarded"] = True  # Java's forward=false: this request took its last hop
    status, body = await call(op, args)
    if status == FORWARD_STATUS and isinstance(body, dict) and body.get("forward_to"):
        # Distributed mode: another worker must answer (the leader, or the worker running the unit).
        raise ForwardRequest(str(body["forward_to"]))
    if status >= 400:
        message = body.get("message") if isinstance(body, dict) else str(body)
        raise RestError(status, message)
    return status, body


def _coerce_config(raw: Any) -> dict[str, Any]:
    """Jackson coerces JSON numbers and booleans in a Map<String,String> to strings; nulls stay."""
    if not isinstance(raw, dict):
        raise RestError(400, "Connector configuration must be a JSON object")
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if isinstance(v, bool):
            out[str(k)] = "true" if v else "false"
        elif v is None or isinstance(v, str):
            out[str(k)] = v
        elif isinstance(v, int | float):
            out[str(k)] = json.dumps(v)
        else:
            raise RestError(500, f"Cannot deserialize value of type `java.lang.String` from {type(v).__name__}")
    return out


async def _json_body(request: Request) -> Any:
    ctype = request.headers.get("content-type", "application/json")
    if "json" not in ctype:
        raise RestError(415, "HTTP 415 Unsupported Media Type")
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError as e:
        # Java answers 500 with Jackson's message here; a 400 is more truthful (documented difference).
        raise RestError(400, f"Malformed JSON: {e}") from None
    return body


# --- handlers ---------------------------------------------------------------------------------


async def root(request: Request) -> Response:
    return render(*await _call("server_info"))


async def list_connectors(request: Request) -> Response:
    expand = request.query_params.getlist("expand")
    return render(*await _call("list_connectors", expand=expand))


async def create_connector(request: Request) -> Response:
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise RestError(400, "Request body must be a JSON object")
    name = str(body.get("name") or "").strip()
    config = _coerce_config(body.get("config") or {})
    if "name" in config and config["name"] != name:
        raise RestError(
            400, f"Connector name configuration ({config['name']}) doesn't match connector name in the URL ({name})"
        )
    config["name"] = name
    initial_state = body.get("initial_state")
    if initial_state is not None and (
        not isinstance(initial_state, str) or initial_state.upper() not in ("RUNNING", "PAUSED", "STOPPED")
    ):
        raise RestError(400, f"Invalid initial state {json.dumps(initial_state)}: expected RUNNING, PAUSED or STOPPED")
    status, info = await _call("create_connector", name=name, config=config, initial_state=initial_state)
    location = f"{request.base_url}connectors/{_path_segment(name)}"
    return render(status, info, {"Location": location})


def _name(request: Request) -> str:
    return str(request.path_params["name"])


def _task(request: Request) -> int:
    raw = str(request.path_params["task"])
    # Jersey converts the path segment to a Java int; anything else is an unmatched path (404).
    if not raw.lstrip("-").isdigit() or not -(2**31) <= int(raw) < 2**31:
        raise RestError(404, "HTTP 404 Not Found")
    return int(raw)


async def get_connector(request: Request) -> Response:
    return render(*await _call("connector_info", name=_name(request)))


async def delete_connector(request: Request) -> Response:
    return render(*await _call("delete_connector", name=_name(request)))


async def connector_config(request: Request) -> Response:
    return render(*await _call("connector_config", name=_name(request)))


async def put_connector_config(request: Request) -> Response:
    name = _name(request)
    config = _coerce_config(await _json_body(request))
    if "name" in config and config["name"] != name:
        raise RestError(
            400, f"Connector name configuration ({config['name']}) doesn't match connector name in the URL ({name})"
        )
    status, info = await _call("put_config", name=name, config=config)
    headers = {"Location": f"{request.base_url}connectors/{_path_segment(name)}"} if status == 201 else None
    return render(status, info, headers)


async def patch_connector_config(request: Request) -> Response:
    return render(*await _call("patch_config", name=_name(request), patch=_coerce_config(await _json_body(request))))


async def connector_status(request: Request) -> Response:
    return render(*await _call("connector_status", name=_name(request)))


async def connector_tasks(request: Request) -> Response:
    return render(*await _call("connector_tasks", name=_name(request)))


async def tasks_config(request: Request) -> Response:
    return render(*await _call("tasks_config", name=_name(request)))


async def task_status(request: Request) -> Response:
    return render(*await _call("task_status", name=_name(request), task=_task(request)))


async def restart_task(request: Request) -> Response:
    return render(*await _call("restart_task", name=_name(request), task=_task(request)))


async def restart_connector(request: Request) -> Response:
    q = request.query_params
    return render(
        *await _call(
            "restart_connector",
            name=_name(request),
            include_tasks=q.get("includeTasks", "false"),
            only_failed=q.get("onlyFailed", "false"),
        )
    )


async def pause(request: Request) -> Response:
    return render(*await _call("pause", name=_name(request)))


async def resume(request: Request) -> Response:
    return render(*await _call("resume", name=_name(request)))


async def stop(request: Request) -> Response:
    return render(*await _call("stop", name=_name(request)))


async def get_offsets(request: Request) -> Response:
    return render(*await _call("get_offsets", name=_name(request)))


async def alter_offsets(request: Request) -> Response:
    return render(*await _call("alter_offsets", name=_name(request), body=await _json_body(request)))


async def reset_offsets(request: Request) -> Response:
    return render(*await _call("reset_offsets", name=_name(request)))


async def connector_topics(request: Request) -> Response:
    return render(*await _call("connector_topics", name=_name(request)))


async def reset_topics(request: Request) -> Response:
    return render(*await _call("reset_topics", name=_name(request)))


# --- internal (worker-to-worker) endpoints: signed with the session key (docs/distributed.md) ----------


def _signature_args(request: Request, raw: bytes) -> dict[str, Any]:
    # The exact body bytes travel to the supervisor, which verifies the HMAC with the session key.
    return {
        "name": _name(request),
        "body": base64.b64encode(raw).decode("ascii"),
        "signature": request.headers.get("x-connect-authorization"),
        "algorithm": request.headers.get("x-connect-request-signature-algorithm"),
    }


async def internal_task_configs(request: Request) -> Response:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError as e:
        raise RestError(400, f"Malformed JSON: {e}") from None
    if not isinstance(body, list):
        raise RestError(400, "Task configurations must be a JSON array of objects")
    configs = [_coerce_config(item) for item in body]
    return render(*await _call("internal_task_configs", configs=configs, **_signature_args(request, raw)))


async def internal_fence(request: Request) -> Response:
    return render(*await _call("internal_fence", **_signature_args(request, await request.body())))


async def list_plugins(request: Request) -> Response:
    connectors_only = request.query_params.get("connectorsOnly", "true").lower() != "false"
    return render(*await _call("plugins", connectors_only=connectors_only))


async def plugin_config(request: Request) -> Response:
    return render(
        *await _call("plugin_config", plugin=request.path_params["plugin"], version=request.query_params.get("version"))
    )


async def validate_config(request: Request) -> Response:
    config = _coerce_config(await _json_body(request))
    return render(*await _call("validate", config=config, plugin_type=request.path_params["plugin_type"]))


async def health(request: Request) -> Response:
    # Java's WorkerStatus body in every case, never the error format.
    try:
        status, body = await call("health", {}, timeout=10)
    except SupervisorUnavailable:
        return JSONResponse({"status": "starting", "message": "Worker is still starting up."}, status_code=503)
    except TimeoutError:
        message = "Worker was unable to handle this request and may be unable to handle other requests."
        return JSONResponse({"status": "unhealthy", "message": message}, status_code=500)
    return render(status, body)


async def metrics(request: Request) -> Response:
    # The supervisor hands over its snapshot; reading psutil and rendering happen here, off its loop.
    _, snapshot = await _call("metrics", rest=COUNTERS.payload())
    body = await asyncio.to_thread(render_metrics, snapshot)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def get_loggers(request: Request) -> Response:
    return render(*await _call("get_loggers"))


async def get_logger(request: Request) -> Response:
    return render(*await _call("get_logger", logger=request.path_params["logger"]))


async def set_logger(request: Request) -> Response:
    body = await _json_body(request)
    level = body.get("level") if isinstance(body, dict) else None
    if not level:
        raise RestError(400, "Desired 'level' parameter was not specified in request.")
    scope = request.query_params.get("scope", "worker").lower()
    return render(*await _call("set_logger", logger=request.path_params["logger"], level=str(level), scope=scope))


ROUTES = [
    Route("/", root, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
    Route("/openapi.json", openapi_document, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/connectors", list_connectors, methods=["GET"]),
    Route("/connectors", create_connector, methods=["POST"]),
    Route("/connectors/{name}", get_connector, methods=["GET"]),
    Route("/connectors/{name}", delete_connector, methods=["DELETE"]),
    Route("/connectors/{name}/config", connector_config, methods=["GET"]),
    Route("/connectors/{name}/config", put_connector_config, methods=["PUT"]),
    Route("/connectors/{name}/config", patch_connector_config, methods=["PATCH"]),
    Route("/connectors/{name}/status", connector_status, methods=["GET"]),
    Route("/connectors/{name}/tasks", connector_tasks, methods=["GET"]),
    Route("/connectors/{name}/tasks-config", tasks_config, methods=["GET"]),  # removed in Java 4.x; kcctl calls it
    Route("/connectors/{name}/tasks/{task}/status", task_status, methods=["GET"]),
    Route("/connectors/{name}/tasks/{task}/restart", restart_task, methods=["POST"]),
    Route("/connectors/{name}/restart", restart_connector, methods=["POST"]),
    Route("/connectors/{name}/pause", pause, methods=["PUT"]),
    Route("/connectors/{name}/resume", resume, methods=["PUT"]),
    Route("/connectors/{name}/stop", stop, methods=["PUT"]),
    Route("/connectors/{name}/offsets", get_offsets, methods=["GET"]),
    Route("/connectors/{name}/offsets", alter_offsets, methods=["PATCH"]),
    Route("/connectors/{name}/offsets", reset_offsets, methods=["DELETE"]),
    Route("/connectors/{name}/topics", connector_topics, methods=["GET"]),
    Route("/connectors/{name}/topics/reset", reset_topics, methods=["PUT"]),
    Route("/connector-plugins", list_plugins, methods=["GET"]),
    Route("/connector-plugins/{plugin}/config", plugin_config, methods=["GET"]),
    Route("/connector-plugins/{plugin_type}/config/validate", validate_config, methods=["PUT"]),
    Route("/admin/loggers", get_loggers, methods=["GET"]),
    Route("/admin/loggers/{logger}", get_logger, methods=["GET"]),
    Route("/admin/loggers/{logger}", set_logger, methods=["PUT"]),
]

# Worker-to-worker endpoints: served on the regular listeners, hidden from openapi.yaml as in Java.
INTERNAL_ROUTES = [
    Route("/connectors/{name}/tasks", internal_task_configs, methods=["POST"]),
    Route("/connectors/{name}/fence", internal_fence, methods=["PUT"]),
]


# --- the one exception-to-response table --------------------------------------------------------


async def _rest_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RestError)
    body = {"error_code": exc.code, "message": exc.message}
    if exc.code == 415:  # raised by Jersey itself, before Connect's exception mapper
        return _bare_json(exc.code, body)
    return JavaJSONResponse(body, status_code=exc.code)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    reason = _HTTP_REASONS.get(exc.status_code, exc.detail)
    return _bare_json(exc.status_code, {"error_code": exc.status_code, "message": f"HTTP {exc.status_code} {reason}"})


async def _unavailable(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error_code": 503, "message": str(exc)}, status_code=503)


async def _unexpected(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error_code": 500, "message": str(exc) or None}, status_code=500)


EXCEPTION_HANDLERS = {
    RestError: _rest_error,
    HTTPException: _http_error,
    SupervisorUnavailable: _unavailable,
    TimeoutError: _unexpected,
    Exception: _unexpected,
}


class _TrailingSlash:
    """Jersey tolerates trailing slashes (kcctl calls ``/connectors/``); strip them before routing."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and len(scope["path"]) > 1 and scope["path"].endswith("/"):
            scope = dict(scope)
            scope["path"] = scope["path"].rstrip("/") or "/"
        await self.app(scope, receive, send)


logger = logging.getLogger(__name__)

LOGGER_SYNC_INTERVAL_S = 2.0


@contextlib.asynccontextmanager
async def _follow_logger_levels(app: Any) -> AsyncIterator[None]:
    """Apply /admin/loggers changes in this REST process too: every process of the worker follows them.

    The supervisor pushes levels to the processes it talks to; this one asks every couple of
    seconds (a cheap local call), so a change reaches it within that interval.
    """

    async def follow() -> None:
        applied: dict[str, str] = {}
        while True:
            await asyncio.sleep(LOGGER_SYNC_INTERVAL_S)
            try:
                status, levels = await call("get_loggers", {}, timeout=5)
            except Exception:  # the supervisor restarting or busy: try again next round
                continue
            if status != 200 or not isinstance(levels, dict):
                continue
            for name, item in levels.items():
                level = item.get("level") if isinstance(item, dict) else None
                if level in PY_LEVEL and applied.get(name) != level:
                    logging.getLogger(None if name == "root" else name).setLevel(PY_LEVEL[level])
                    applied[name] = level

    task = asyncio.create_task(follow())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    async with _follow_logger_levels(app), pushing(app):
        yield


def create_app() -> Any:
    """The ASGI app of one REST server process, shaped by its listener settings (see
    ``rest/listeners.py``): which routes it serves (``admin.listeners``), then, outermost first,
    response headers, CORS, Basic authentication."""
    from kconnect.supervisor.rest import middleware as mw
    from kconnect.supervisor.rest.listeners import load_settings, read_credentials
    from kconnect.workers.logformat import make_formatter

    # The REST process's entrypoint: its log lines go to the stderr it shares with the supervisor.
    if not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(make_formatter("[rest]"))
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
    settings = load_settings()
    serve = settings.get("serve", "all")
    routes = [
        Route(r.path, forwarding(r.endpoint), methods=r.methods, name=r.name)
        for r in [*ROUTES, *INTERNAL_ROUTES]
        if serve == "all" or (r.path.startswith("/admin/") or r.path == "/admin") == (serve == "admin")
    ]
    app: Any = _TrailingSlash(Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS, lifespan=_lifespan))
    auth_file = settings.get("auth_file")
    if auth_file:
        app = mw.BasicAuth(app, read_credentials(auth_file), settings.get("auth_realm") or "Kafka Connect")
    cors = mw.parse_cors(
        settings.get("cors_origin") or "", settings.get("cors_methods") or "", ["Authorization"] if auth_file else []
    )
    if cors is not None:
        app = mw.CrossOrigin(app, cors)
    rules = mw.parse_header_config(settings.get("headers") or "")
    if rules:
        app = mw.ResponseHeaders(app, rules)
    return RequestMetrics(app, routes)  # outermost: counts what auth and CORS answer too
