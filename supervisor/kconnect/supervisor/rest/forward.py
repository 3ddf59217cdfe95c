"""Forwarding a REST request to another worker of a distributed cluster (Java's ``forward`` parameter).

A client's request carries no ``forward`` parameter: it may be forwarded with ``forward=true``; that worker
may forward once more with ``forward=false``; a request with ``forward=false`` is never forwarded again,
so a request takes at most two hops (Kafka Connect's RestServer rule).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

FORWARD_TIMEOUT_S = 90.0
# The supervisor answers an operation with this status and {"forward_to": url} when another worker must
# handle it; the REST process then forwards the HTTP request (the supervisor never blocks on HTTP).
FORWARD_STATUS = 307
_FORWARDED_HEADERS = frozenset(
    ("content-type", "authorization", "x-connect-authorization", "x-connect-request-signature-algorithm")
)
CURRENT_REQUEST: ContextVar[Request | None] = ContextVar("kconnect_rest_request", default=None)

Endpoint = Callable[[Request], Awaitable[Response]]


class ForwardRequest(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def forwarding(endpoint: Any) -> Endpoint:
    """Wrap a route endpoint: remember its request for ``_call`` and forward when asked to."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        token = CURRENT_REQUEST.set(request)
        try:
            response: Response = await endpoint(request)
            return response
        except ForwardRequest as target:
            return await forward(request, target.url)
        finally:
            CURRENT_REQUEST.reset(token)

    return wrapped


def may_forward(request: Request) -> bool:
    return request.query_params.get("forward", "").lower() != "false"


async def forward(request: Request, base_url: str) -> Response:
    hop = "false" if request.query_params.get("forward", "").lower() == "true" else "true"
    params: dict[str, Any] = {k: v for k, v in request.query_params.items() if k != "forward"}
    params["forward"] = hop
    # The body goes on byte for byte, so an internal request's signature headers stay valid at the next hop.
    headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED_HEADERS}
    async with httpx.AsyncClient(timeout=FORWARD_TIMEOUT_S) as client:
        answer = await client.request(
            request.method,
            base_url.rstrip("/") + request.url.path,
            params=params,
            content=await request.body(),
            headers=headers,
        )
    out_headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-type"}
    return Response(answer.content, status_code=answer.status_code, headers=out_headers)
