"""``GET /openapi.json``: the REST API's OpenAPI document (``openapi.yaml``, shipped next to this module) as JSON.

The YAML is the one source; tests check that its paths and methods are exactly the app's ROUTES.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

DOCUMENT = "openapi.yaml"


@functools.cache
def load_document() -> dict[str, Any]:
    """The OpenAPI document, parsed once per process."""
    text = resources.files("kconnect.supervisor.rest").joinpath(DOCUMENT).read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise ValueError(f"{DOCUMENT} is not a YAML mapping")
    return document


async def openapi_document(request: Request) -> Response:
    return JSONResponse(load_document())


__all__ = ["load_document", "openapi_document"]
