"""Kafka Connect's REST API as a starlette app: one route table, handlers parse -> call -> render.

Handlers never run connector code and hold no state: every call goes to the supervisor over its
control socket. Errors render as Kafka Connect's ``{"error_code", "message"}`` body.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kconnect.supervisor.rest.control_client import SupervisorUnavailable, call

_HTTP_REASONS = {404: "Not Found", 405: "Method Not Allowed", 415: "Unsupported Media Type"}


class RestError(Exception):
    def __init__(self, code: int, message: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def render(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if status == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def _call(op: str, **args: Any) -> tuple[int, Any]:
    status, body = await call(op, args)
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
        return json.loads(raw)
    except ValueError as e:
        # Java answers 500 with Jackson's message here; a 400 is more truthful (documented difference).
        raise RestError(400, f"Malformed JSON: {e}") from None


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
    status, info = await _call("create_connector", name=name, config=config, initial_state=body.get("initial_state"))
    location = f"{request.base_url}connectors/{name}"
    return render(status, info, {"Location": location})


async def get_connector(request: Request) -> Response:
    return render(*await _call("connector_info", name=request.path_params["name"]))


async def delete_connector(request: Request) -> Response:
    return render(*await _call("delete_connector", name=request.path_params["name"]))


async def connector_config(request: Request) -> Response:
    return render(*await _call("connector_config", name=request.path_params["name"]))


async def connector_status(request: Request) -> Response:
    return render(*await _call("connector_status", name=request.path_params["name"]))


ROUTES = [
    Route("/", root, methods=["GET"]),
    Route("/connectors", list_connectors, methods=["GET"]),
    Route("/connectors", create_connector, methods=["POST"]),
    Route("/connectors/{name}", get_connector, methods=["GET"]),
    Route("/connectors/{name}", delete_connector, methods=["DELETE"]),
    Route("/connectors/{name}/config", connector_config, methods=["GET"]),
    Route("/connectors/{name}/status", connector_status, methods=["GET"]),
]


# --- the one exception-to-response table --------------------------------------------------------


async def _rest_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RestError)
    return JSONResponse({"error_code": exc.code, "message": exc.message}, status_code=exc.code)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    reason = _HTTP_REASONS.get(exc.status_code, exc.detail)
    return JSONResponse(
        {"error_code": exc.status_code, "message": f"HTTP {exc.status_code} {reason}"}, status_code=exc.status_code
    )


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


def create_app() -> Any:
    app = Starlette(routes=ROUTES, exception_handlers=EXCEPTION_HANDLERS)
    return _TrailingSlash(app)
