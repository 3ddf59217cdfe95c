"""Forwarding a REST request to another worker of a distributed cluster (Java's ``forward`` parameter).

A client's request carries no ``forward`` parameter: it may be forwarded with ``forward=true``; that worker
may forward once more with ``forward=false``; a request with ``forward=false`` is never forwarded again,
so a request takes at most two hops (Kafka Connect's RestServer rule).
"""

from __future__ import annotations

from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

FORWARD_TIMEOUT_S = 90.0
NO_MORE_HOPS = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"


def may_forward(request: Request) -> bool:
    return request.query_params.get("forward", "").lower() != "false"


async def forward(request: Request, base_url: str) -> Response:
    hop = "false" if request.query_params.get("forward", "").lower() == "true" else "true"
    params: dict[str, Any] = {k: v for k, v in request.query_params.items() if k != "forward"}
    params["forward"] = hop
    headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "authorization")}
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
