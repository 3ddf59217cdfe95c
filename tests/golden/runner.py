"""Run the golden scenario against a worker's REST API, normalise, record and compare."""

from __future__ import annotations

import difflib
import http.client
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.golden.differences import Difference, apply_differences
from tests.golden.normalise import normalise
from tests.golden.scenario import INPUT_LINES, SCENARIO, Request, Step, WaitUntil

__all__ = [
    "RECORDED_FILE",
    "Run",
    "compare",
    "load_recorded",
    "run_scenario",
    "save_recorded",
]

RECORDED_FILE = Path(__file__).with_name("java_responses.json")
REQUEST_TIMEOUT_S = 60.0

Response = dict[str, Any]


@dataclass
class Run:
    """One execution of the scenario against one worker: the values behind the placeholders."""

    base_url: str
    bootstrap: str
    files_dir: Path
    cluster_id: str | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    version: str = "undefined"  # filled by prepare(): the FileStream plugins' version
    versions: set[str] = field(default_factory=set)
    # Distributed workers (Java's as well as ours) answer a read with 500 "rebalance is expected" while the
    # rebalance a config write triggered is pending; clients retry. A GET step retries for this many seconds.
    settle_reads: float = 0.0

    @property
    def topic(self) -> str:
        return f"golden-{self.run_id}"

    def placeholders(self) -> dict[str, str]:
        return {
            "${DIR}": str(self.files_dir),
            "${TOPIC}": self.topic,
            "${RUN}": self.run_id,
            "${BOOTSTRAP}": self.bootstrap,
            "${VERSION}": self.version,
        }

    def replacements(self) -> dict[str, str]:
        """Run-specific string -> placeholder, for the normaliser."""
        host_port = urlsplit(self.base_url).netloc
        out = {
            str(self.files_dir): "${DIR}",
            self.topic: "${TOPIC}",
            self.run_id: "${RUN}",
            self.bootstrap: "${BOOTSTRAP}",
            self.base_url: "${URL}",
            host_port: "${WORKER_ID}",
        }
        if self.cluster_id:
            out[self.cluster_id] = "${CLUSTER_ID}"
        return out

    def fill(self, value: Any) -> Any:
        """Substitute the placeholders in a scenario value (strings, keys, nested)."""
        if isinstance(value, str):
            for placeholder, actual in self.placeholders().items():
                value = value.replace(placeholder, actual)
            return value
        if isinstance(value, dict):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def prepare(self) -> None:
        """Write the FileStream input and learn the versions the worker reports."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        (self.files_dir / "input.txt").write_text("".join(f"{line}\n" for line in INPUT_LINES))
        status, _, body, _ = http_call(self.base_url, "GET", "/")
        if status == 200 and isinstance(body, dict) and isinstance(body.get("version"), str):
            self.versions.add(body["version"])
        status, _, body, _ = http_call(self.base_url, "GET", "/connector-plugins?connectorsOnly=false")
        if status == 200 and isinstance(body, list):
            for plugin in body:
                if isinstance(plugin, dict) and isinstance(plugin.get("version"), str):
                    self.versions.add(plugin["version"])
                    if plugin.get("class", "").endswith(".FileStreamSinkConnector"):
                        self.version = plugin["version"]


def http_call(
    base_url: str, method: str, path: str, data: bytes | None = None, content_type: str | None = None
) -> tuple[int, dict[str, str], Any, str | None]:
    """(status, lower-cased headers, parsed JSON body or None, raw text when the body is not JSON)."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=REQUEST_TIMEOUT_S)
    try:
        headers = {"Accept": "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except OSError as e:
            return 0, {}, None, f"<no response: {type(e).__name__}: {e}>"
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        if not raw:
            return resp.status, hdrs, None, None
        text = raw.decode("utf-8", "replace")
        try:
            return resp.status, hdrs, json.loads(text), None
        except ValueError:
            return resp.status, hdrs, None, text
    finally:
        conn.close()


def _request(run: Run, step: Request | WaitUntil) -> tuple[int, dict[str, str], Any, str | None]:
    path = run.fill(step.path)
    data: bytes | None = None
    ctype: str | None = None
    if isinstance(step, Request) and step.has_body():
        text = run.fill(step.raw) if step.raw is not None else json.dumps(run.fill(step.body))
        data = text.encode()
        ctype = step.content_type or "application/json"
    return http_call(run.base_url, step.method, path, data, ctype)


def _is_missing_route(status: int, body: Any) -> bool:
    """A generic 404/405 (no such route): polling will not change it."""
    return (
        status in (404, 405)
        and isinstance(body, dict)
        and isinstance(body.get("message"), str)
        and body["message"].startswith("HTTP 40")
    )


def run_scenario(
    run: Run, steps: list[Step] | None = None, *, strict: bool = False, wait_budget: float = 150.0
) -> list[Response]:
    """Run every step (never stops early) and return the normalised responses, in order.

    ``strict``: a ``WaitUntil`` that times out raises (used when recording Java). Otherwise it is
    recorded with ``"wait_timed_out"`` and the scenario goes on; the waits of one run share
    ``wait_budget`` seconds of polling, so a worker that never reaches a state cannot make the run
    slow. Only polling counts: a wall-clock budget was used up by slow requests under load and then
    starved the last waits (a source resumed after /stop).
    """
    run.prepare()
    replacements = run.replacements()
    results: list[Response] = []
    budget_left = wait_budget  # only time spent polling counts: a slow request must not starve later waits
    for step in steps if steps is not None else SCENARIO:
        timed_out = False
        if isinstance(step, WaitUntil):
            began = time.monotonic()
            deadline = began + (step.timeout if strict else min(step.timeout, max(0.5, budget_left)))
            while True:
                status, headers, body, text = _request(run, step)
                if step.until(status, body):
                    break
                if time.monotonic() > deadline or (not strict and _is_missing_route(status, body)):
                    timed_out = True
                    break
                time.sleep(0.1)
            budget_left -= time.monotonic() - began
            if timed_out and strict:
                raise AssertionError(
                    f"step {step.name!r}: timed out after {step.timeout}s waiting for {step.what} "
                    f"(last: {status} {body if body is not None else text!r})"
                )
        else:
            status, headers, body, text = _request(run, step)
            settle_until = time.monotonic() + run.settle_reads
            while step.method == "GET" and _rebalance_expected(status, body) and time.monotonic() < settle_until:
                time.sleep(0.2)  # a transient answer both sides give right after a config write: ask again
                status, headers, body, text = _request(run, step)
        resp: Response = {"step": step.name, "method": step.method, "path": step.path}
        resp.update(
            normalise(
                method=step.method,
                path=step.path,
                status=status,
                headers=headers,
                body=body,
                text=text,
                replacements=replacements,
                versions=run.versions,
                view=step.view,
            )
        )
        if timed_out and isinstance(step, WaitUntil):
            resp["wait_timed_out"] = step.what
        results.append(resp)
    return results


def _rebalance_expected(status: int, body: Any) -> bool:
    return status == 500 and isinstance(body, dict) and "rebalance is expected" in str(body.get("message"))


# --- recorded file --------------------------------------------------------------------------------


STANDALONE_COMMENT = (
    "Normalised responses of Apache Kafka Connect (ConnectStandalone) to tests/golden/scenario.py. "
    "Generated by `python -m tests.golden.record`; do not edit by hand."
)


def save_recorded(
    responses: list[Response],
    meta: dict[str, Any],
    path: Path = RECORDED_FILE,
    comment: str = STANDALONE_COMMENT,
) -> None:
    doc = {
        "_comment": comment,
        **meta,
        "steps": responses,
    }
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def load_recorded(path: Path = RECORDED_FILE) -> list[Response]:
    doc = json.loads(path.read_text())
    steps: list[Response] = doc["steps"]
    return steps


# --- comparison -----------------------------------------------------------------------------------


def _compact(resp: Response) -> str:
    parts = [str(resp.get("status"))]
    ctype = resp.get("content_type")
    if ctype != "application/json":
        parts.append(f"[Content-Type: {ctype}]" if ctype else "[no Content-Type]")
    if "location" in resp:
        parts.append(f"Location: {resp['location']}")
    if resp.get("body") is not None:
        parts.append(json.dumps(resp["body"], sort_keys=True, ensure_ascii=False))
    if resp.get("text") is not None:
        parts.append(repr(resp["text"][:300]))
    if "wait_timed_out" in resp:
        parts.append(f"(wait timed out: {resp['wait_timed_out']})")
    return " ".join(parts)


def _comparable(resp: Response) -> Response:
    return {k: v for k, v in resp.items() if k not in ("step", "method", "path")}


def _describe(index: int, expected: Response, actual: Response, note: str, max_lines: int) -> str:
    head = f"[{index}] {expected['step']} — {expected['method']} {expected['path']}{note}"
    java, ours = _compact(expected), _compact(actual)
    if len(java) + len(ours) <= 600:
        return f"{head}\n    java:     {java}\n    kconnect: {ours}"
    a = json.dumps(_comparable(expected), indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(_comparable(actual), indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    diff = list(difflib.unified_diff(a, b, "java", "kconnect", n=2, lineterm=""))
    if len(diff) > max_lines:
        diff = [*diff[:max_lines], f"... ({len(diff) - max_lines} more diff lines)"]
    return head + "\n" + "\n".join("    " + line for line in diff)


def compare(
    expected: list[Response],
    actual: list[Response],
    *,
    apply_deliberate: bool = True,
    max_lines: int = 40,
    left: str = "java",
    differences: list[Difference] | None = None,
    record_command: str = "python -m tests.golden.record",
) -> list[str]:
    """One readable paragraph per differing step (empty list: identical after normalisation)."""
    problems: list[str] = []
    actual_by_step = {r["step"]: r for r in actual}
    recorded = {r["step"]: r for r in expected}
    for index, exp in enumerate(expected, 1):
        act = actual_by_step.get(exp["step"])
        if act is None:
            problems.append(f"[{index}] {exp['step']} — {exp['method']} {exp['path']}: not run")
            continue
        note = ""
        if apply_deliberate:
            exp, act, rows = apply_differences(exp["step"], exp, act, recorded, differences)
            if rows:
                note = " (deliberate difference applied: " + "; ".join(row.what for row in rows) + ")"
        if _comparable(exp) != _comparable(act):
            problems.append(_describe(index, exp, act, note, max_lines).replace("java:", f"{left}:", 1))
    expected_names = {r["step"] for r in expected}
    for extra in actual:
        if extra["step"] not in expected_names:
            problems.append(f"[-] {extra['step']}: not in the recorded responses (re-record: {record_command})")
    return problems
