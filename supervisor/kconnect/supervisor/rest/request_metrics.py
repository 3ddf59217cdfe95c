"""REST request counts and latencies, counted in each REST process and pushed to the supervisor.

Every REST server process (a gunicorn worker) counts the requests it answers by method, route
template and status code into a fixed latency histogram, and sends its cumulative counters to the
supervisor once a second when they changed (and with every scrape it serves). The supervisor sums
all processes (``metrics_book``), so one scrape of any listener shows the whole host. No shared
files, hence none of prometheus-client's multiprocess-mode housekeeping.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match

from kconnect.supervisor.metrics_render import REST_BUCKETS
from kconnect.supervisor.rest.control_client import call

logger = logging.getLogger(__name__)

PUSH_INTERVAL_S = 1.0
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"})
UNMATCHED = "unmatched"


class RequestCounters:
    """This process's cumulative counters: (method, route, code) -> [count, sum, per-bucket counts]."""

    def __init__(self) -> None:
        self.enabled = True
        self.series: dict[tuple[str, str, str], list[Any]] = {}
        self.version = 0  # bumped on every observation: pushes only happen when it moved

    def observe(self, method: str, route: str, code: int, seconds: float) -> None:
        key = (method if method in METHODS else "other", route, str(code))
        entry = self.series.get(key)
        if entry is None:
            entry = self.series[key] = [0, 0.0, [0] * (len(REST_BUCKETS) + 1)]
        entry[0] += 1
        entry[1] += seconds
        entry[2][bisect.bisect_left(REST_BUCKETS, seconds)] += 1
        self.version += 1

    def payload(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "series": [[*key, *value] for key, value in self.series.items()]}


COUNTERS = RequestCounters()


def route_template(routes: Sequence[BaseRoute], scope: dict[str, Any]) -> str:
    """The route template the request matched (``/connectors/{name}``), whatever its method."""
    path = scope.get("path", "/")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"  # as _TrailingSlash routes it
    probe = {"type": "http", "path": path, "root_path": "", "method": scope.get("method", "GET")}
    partial = None
    for route in routes:
        match, _ = route.matches(probe)
        if match is Match.FULL:
            return str(getattr(route, "path", UNMATCHED))
        if match is Match.PARTIAL and partial is None:
            partial = str(getattr(route, "path", UNMATCHED))
    return partial or UNMATCHED


class RequestMetrics:
    """Outermost ASGI middleware: times every HTTP request, including those auth or CORS answer."""

    def __init__(self, app: Any, routes: Sequence[BaseRoute], counters: RequestCounters = COUNTERS) -> None:
        self.app = app
        self.routes = routes
        self.counters = counters

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.counters.enabled:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before responding

        async def send_and_note(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.counters.observe(
                scope.get("method", "GET"), route_template(self.routes, scope), status, time.perf_counter() - started
            )


async def push_loop(counters: RequestCounters = COUNTERS) -> None:
    """Send this process's counters to the supervisor whenever they moved; stop if metrics are off."""
    pushed = -1
    while counters.enabled:
        await asyncio.sleep(PUSH_INTERVAL_S)
        if counters.version == pushed:
            continue
        version = counters.version
        try:
            status, _ = await call("rest_metrics", counters.payload(), timeout=10)
        except Exception:  # the supervisor restarting or busy: next round
            continue
        if status == 404:  # kconnect.metrics.enable=false
            counters.enabled = False
        elif status < 300:
            pushed = version


@contextlib.asynccontextmanager
async def pushing(app: Any) -> AsyncIterator[None]:
    task = asyncio.create_task(push_loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


__all__ = ["COUNTERS", "RequestCounters", "RequestMetrics", "pushing", "route_template"]
