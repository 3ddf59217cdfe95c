"""The DELIBERATE differences between kconnect's REST answers and Java Kafka Connect 4.3's: one table.

Rows whose ``what`` starts with ``NOT YET IMPLEMENTED`` are the exception: gaps, not choices, kept
here so the rest of the diff guards against regressions meanwhile; each names the issue that
closes it, and that issue must delete the row.

Every other difference the golden scenario finds is a bug. Each row says what differs and why, and
turns Java's recorded (normalised) response into the response kconnect must give:

* ``expect(java, recorded)``: ``java`` is Java's response to the step, ``recorded`` all of Java's
  responses by step name (to refer to another step, e.g. an earlier config);
* ``steps`` names the scenario steps the row covers (``per_step`` overrides ``expect`` for some),
  or ``when`` selects every step whose Java response matches;
* ``mask`` is applied to kconnect's response before comparing: it blanks free text that cannot
  match (e.g. a JSON parser's message) while the key's presence and type are still checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.golden.scenario import MISSING, NULLV, PUT, SCENARIO

__all__ = ["DIFFERENCES", "Difference", "apply_differences"]

Response = dict[str, Any]
Expect = Callable[[Response, Mapping[str, Response]], Response]

PARSE_ERROR = "<JSON parse error>"
NULL_VALUE_ERROR = "Null value can not be supplied as the configuration value."
INVALID_NULL_CONFIG = (
    "Connector configuration is invalid and contains the following 1 error(s):\n"
    f"{NULL_VALUE_ERROR}\n"
    "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
)


def _same(resp: Response) -> Response:
    return resp


def _error(status: int, message: str) -> Callable[[Response, Mapping[str, Response]], Response]:
    def expect(java: Response, recorded: Mapping[str, Response]) -> Response:
        return {
            **{k: v for k, v in java.items() if k != "location"},  # an error has no Location
            "status": status,
            "content_type": "application/json",
            "body": {"error_code": status, "message": message},
        }

    return expect


@dataclass(frozen=True)
class Difference:
    what: str
    java: str
    kconnect: str
    reason: str
    expect: Expect
    steps: tuple[str, ...] = ()
    when: Callable[[Response], bool] | None = None
    per_step: Mapping[str, Expect] = field(default_factory=dict)
    mask: Callable[[Response], Response] = _same

    def covers(self, step: str, java: Response) -> bool:
        return step in self.steps or step in self.per_step or (self.when is not None and self.when(java))


# --- row helpers ------------------------------------------------------------------------------------


def _mask_parse_message(resp: Response) -> Response:
    body = resp.get("body")
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return {**resp, "body": {**body, "message": PARSE_ERROR}}
    return resp


def _has_config_key_info(value: Any) -> bool:
    if isinstance(value, dict):
        return "order_in_group" in value or any(_has_config_key_info(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_config_key_info(v) for v in value)
    return False


def _add_order(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _add_order(v) for k, v in value.items()}
        if "order_in_group" in out and "display_name" in out:
            out["order"] = out["order_in_group"]
        return out
    if isinstance(value, list):
        return [_add_order(v) for v in value]
    return value


def _tasks_config(java: Response, recorded: Mapping[str, Response]) -> Response:
    tasks = recorded["get source tasks"]["body"]
    body = {f"{t['id']['connector']}-{t['id']['task']}": t["config"] for t in tasks}
    return {**java, "status": 200, "content_type": "application/json", "body": body}


def _validate_null_topic(java: Response, recorded: Mapping[str, Response]) -> Response:
    body = dict(java["body"])
    configs = []
    for entry in body["configs"]:
        if entry["value"]["name"] == "topic":
            entry = {**entry, "value": {**entry["value"], "errors": [NULL_VALUE_ERROR]}}
        configs.append(entry)
    body["configs"] = configs
    body["error_count"] += 1
    return {**java, "body": body}


def _config_unchanged(java: Response, recorded: Mapping[str, Response]) -> Response:
    return {**java, "body": recorded["put config: get"]["body"]}


def _patch_name_rejected(java: Response, recorded: Mapping[str, Response]) -> Response:
    return _error(
        400, f"Connector name configuration (some-other-name) doesn't match connector name in the URL ({PUT})"
    )(java, recorded)


# --- the table ----------------------------------------------------------------------------------------

DIFFERENCES: list[Difference] = [
    Difference(
        what="a request body that is not valid JSON",
        java="500, message = Jackson's parse error (Connect's Jersey app registers no 400 mapper for it)",
        kconnect="400, message = the parse error in Python's wording",
        reason="the client sent a bad request: 400 is the truthful code; the parser's text cannot match anyway",
        steps=(
            "validate: malformed JSON",
            "create: malformed JSON",
            "put config: malformed JSON",
            "patch source offsets: malformed JSON",
        ),
        expect=_error(400, PARSE_ERROR),
        mask=_mask_parse_message,
    ),
    Difference(
        what="ConfigKeyInfo ordinal key (GET /connector-plugins/{p}/config, PUT .../config/validate)",
        java='"order_in_group" only (4.2+)',
        kconnect='both "order_in_group" and "order" (the <=4.1 name), same value',
        reason="Kafka UI's client schema still reads `order`; an extra key breaks no client",
        expect=lambda java, recorded: {**java, "body": _add_order(java.get("body"))},
        when=lambda java: _has_config_key_info(java.get("body")),
    ),
    Difference(
        what="GET /connectors/{name}/tasks-config",
        java="404 (endpoint removed in 4.0, KIP-970)",
        kconnect='200 {"<name>-<task>": task config} as in Kafka <= 3.9',
        reason="kcctl's `describe` still calls it; keeping a removed read-only endpoint breaks nobody",
        steps=("get source tasks-config (removed in 4.0)",),
        expect=_tasks_config,
    ),
    Difference(
        what="null values in a connector config (POST /connectors, PUT /config, validate)",
        java=(
            "validation ignores them; POST/PUT store the config, answer 500 'Non-string value found in original "
            "settings for key <k>: null' and leave a FAILED connector behind"
        ),
        kconnect=(
            "a validation error on the key ('Null value can not be supplied ...'); POST/PUT answer 400, nothing stored"
        ),
        reason="storing a config that can never start is a bug; the 400 is what Java's own error text intends",
        steps=(),
        expect=_error(400, INVALID_NULL_CONFIG),
        per_step={
            "validate: source with a null value": _validate_null_topic,
            "create: null config value": _error(400, INVALID_NULL_CONFIG),
            "create: null config value, then get": _error(404, f"Connector {NULLV} not found"),
            "create: null config value, then get status": _error(404, f"No status found for connector {NULLV}"),
            "create: null config value, then delete": _error(404, f"Connector {NULLV} not found"),
            "put config: null value": _error(400, INVALID_NULL_CONFIG),
            "put config: get after null value": _config_unchanged,
        },
    ),
    Difference(
        what="stop / restart / task restart of an unknown connector",
        java=(
            "standalone herder: 500 'No connector `<n>` configured' (stop), 500 with a NullPointerException text "
            "(restart), 500 'Failed to start task <n>-0 since it is not a recognizable type' (task restart)"
        ),
        kconnect="404 as Java's distributed herder: 'Unknown connector <n>' / 'Unknown connector: <n>'",
        reason=(
            "the standalone answers are internal errors (one is an NPE); 404 is what the same request gets "
            "in distributed mode"
        ),
        per_step={
            "unknown: stop": _error(404, f"Unknown connector {MISSING}"),
            "unknown: restart": _error(404, f"Unknown connector: {MISSING}"),
            "unknown: restart task": _error(404, f"Unknown connector: {MISSING}"),
        },
        expect=lambda java, recorded: java,
    ),
    Difference(
        what="PATCH /connectors/{name}/config with a different 'name'",
        java="200: the stored config's name becomes the other name",
        kconnect="400 'Connector name configuration (...) doesn't match connector name in the URL (...)', as PUT",
        reason="a connector whose config names another connector is inconsistent; PUT and POST already reject it",
        per_step={"patch config: name mismatch": _patch_name_rejected},
        expect=lambda java, recorded: java,
    ),
]


def _check_rows() -> None:
    seen: dict[str, str] = {}
    names = {step.name for step in SCENARIO}
    for row in DIFFERENCES:
        for step in (*row.steps, *row.per_step):
            if step not in names:
                raise AssertionError(f"DIFFERENCES row {row.what!r} names step {step!r}, which is not in the scenario")
            if step in seen:
                raise AssertionError(f"step {step!r} is in two rows of DIFFERENCES ({seen[step]!r}, {row.what!r})")
            seen[step] = row.what


_check_rows()


def apply_differences(
    step: str,
    java: Response,
    kconnect: Response,
    recorded: Mapping[str, Response],
    table: list[Difference] | None = None,
) -> tuple[Response, Response, list[Difference]]:
    """(what kconnect must answer, kconnect's answer as compared, the rows applied); default table: standalone."""
    applied = []
    for row in DIFFERENCES if table is None else table:
        if row.covers(step, java):
            expect = row.per_step.get(step, row.expect)
            java = expect(java, recorded)
            kconnect = row.mask(kconnect)
            applied.append(row)
    return java, kconnect, applied


# --- distributed mode ---------------------------------------------------------------------------------
# tests/integration/test_rest_golden_distributed.py: one kconnect distributed worker vs one Java
# ConnectDistributed worker. The standalone rows that are about the REST layer (shared by both modes)
# apply as they are; the standalone-herder row does not (Java's distributed herder already answers 404).

_STANDALONE_HERDER_ONLY = {"stop / restart / task restart of an unknown connector"}

DISTRIBUTED_DIFFERENCES: list[Difference] = [row for row in DIFFERENCES if row.what not in _STANDALONE_HERDER_ONLY]
