"""Normalise a REST response so that only what MUST differ between two workers is removed.

Removed or replaced (everything else — status code, content type, JSON structure, keys, values, error
messages — is compared as is):

* run-specific strings, substituted back to the scenario's placeholders: ``${DIR}``, ``${TOPIC}``,
  ``${RUN}``, ``${BOOTSTRAP}``, the worker's base URL (``${URL}``, also in ``Location``), its
  ``host:port`` (``${WORKER_ID}``) and the Kafka cluster id (``${CLUSTER_ID}``);
* ``worker_id`` values -> ``${WORKER_ID}``; ``trace`` values -> ``<stack trace>`` (the key stays);
  numeric ``last_modified`` values -> ``<timestamp>`` (``null`` stays ``null``); ``commit`` -> ``<commit>``;
* versions: ``version`` values, and any string equal to a version the worker reports, -> ``${VERSION}``;
* unordered lists: connector-name lists and ``topics`` lists are sorted, plugin lists are sorted by
  class (then type);
* kconnect's own ``kconnect.*`` keys, which only appear in a config group named ``kconnect``: dropped
  from ``/config/validate`` results (with their errors from ``error_count``) and from plugin config lists;
* the ``loggers`` view of ``GET /admin/loggers``: the JVM and Python know different sets of loggers,
  so only the shape, ``root`` and the scenario's own ``golden.*`` loggers are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["KCONNECT_GROUP", "VIEWS", "normalise"]

KCONNECT_GROUP = "kconnect"
SCENARIO_LOGGER_PREFIX = "golden."

_VERSIONISH = re.compile(r"^\d+\.\d+")


def _substitute(text: str, replacements: list[tuple[str, str]]) -> str:
    for actual, placeholder in replacements:
        if actual and actual in text:
            text = text.replace(actual, placeholder)
    return text


def _walk(value: Any, replacements: list[tuple[str, str]], versions: set[str], key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {_substitute(k, replacements): _walk(v, replacements, versions, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, replacements, versions, key) for v in value]
    if key == "worker_id" and isinstance(value, str):
        return "${WORKER_ID}"
    if key == "trace" and isinstance(value, str):
        return "<stack trace>"
    if key == "last_modified" and isinstance(value, int | float) and not isinstance(value, bool):
        return "<timestamp>"
    if key == "commit" and isinstance(value, str):
        return "<commit>"
    if isinstance(value, str):
        if value in versions or (key == "version" and _VERSIONISH.match(value)):
            return "${VERSION}"
        return _substitute(value, replacements)
    return value


def _sort_key(value: Any) -> str:
    if isinstance(value, dict):
        return "\0".join(str(value.get(k, "")) for k in ("class", "type", "version"))
    return str(value)


def _drop_kconnect_group(body: Any) -> Any:
    """Remove kconnect's own config keys (group ``kconnect``) from validate results and ConfigKeyInfo lists."""
    if isinstance(body, dict) and isinstance(body.get("configs"), list):
        kept, dropped_errors = [], 0
        for entry in body["configs"]:
            definition = entry.get("definition") if isinstance(entry, dict) else None
            if isinstance(definition, dict) and definition.get("group") == KCONNECT_GROUP:
                value = entry.get("value") or {}
                dropped_errors += len(value.get("errors") or [])
                continue
            kept.append(entry)
        body = {**body, "configs": kept}
        if isinstance(body.get("groups"), list):
            body["groups"] = [g for g in body["groups"] if g != KCONNECT_GROUP]
        if dropped_errors and isinstance(body.get("error_count"), int):
            body["error_count"] -= dropped_errors
        return body
    if isinstance(body, list) and all(isinstance(e, dict) and "definition" not in e for e in body):
        return [e for e in body if not (e.get("group") == KCONNECT_GROUP and "name" in e and "type" in e)]
    return body


def _loggers_view(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    well_formed = all(
        isinstance(v, dict)
        and set(v) == {"level", "last_modified"}
        and isinstance(v["level"], str)
        and (v["last_modified"] is None or isinstance(v["last_modified"], int | str))
        for v in body.values()
    )
    names = list(body)
    return {
        "<every entry is {level, last_modified}>": well_formed,
        "<sorted by logger name>": names == sorted(names),
        "root": body.get("root"),
        **{k: v for k, v in body.items() if k.startswith(SCENARIO_LOGGER_PREFIX)},
    }


VIEWS: dict[str, Callable[[Any], Any]] = {"loggers": _loggers_view}


def _path_only(path: str) -> str:
    return path.split("?", 1)[0].rstrip("/") or "/"


def _order_unordered(method: str, path: str, body: Any) -> Any:
    p = _path_only(path)
    if method == "GET" and p == "/connectors" and isinstance(body, list):
        return sorted(body, key=_sort_key)
    if method == "GET" and p == "/connector-plugins" and isinstance(body, list):
        return sorted(body, key=_sort_key)
    if p.endswith("/topics") and isinstance(body, dict):
        return {
            k: (
                {**v, "topics": sorted(v["topics"])} if isinstance(v, dict) and isinstance(v.get("topics"), list) else v
            )
            for k, v in body.items()
        }
    return body


def normalise(
    *,
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body: Any,
    text: str | None,
    replacements: Mapping[str, str],
    versions: set[str],
    view: str | None = None,
) -> dict[str, Any]:
    """The comparable form of one response. ``path`` is the scenario's (placeholder) path.

    ``replacements`` maps run-specific strings to their placeholders; ``body`` is the parsed JSON
    body (``None`` when empty or not JSON, then ``text`` has the raw text).
    """
    ordered = sorted(replacements.items(), key=lambda kv: len(kv[0]), reverse=True)
    versions = {v for v in versions if v and _VERSIONISH.match(v)}
    out: dict[str, Any] = {"status": status}
    ctype = headers.get("content-type")
    out["content_type"] = ctype.split(";", 1)[0].strip().lower() if ctype else None
    location = headers.get("location")
    if location is not None:
        out["location"] = _substitute(location, ordered)
    norm = _walk(body, ordered, versions)
    norm = _drop_kconnect_group(norm)
    norm = _order_unordered(method, path, norm)
    if view is not None:
        norm = VIEWS[view](norm)
    out["body"] = norm
    if text is not None:
        out["text"] = _substitute(text, ordered)
    return out
