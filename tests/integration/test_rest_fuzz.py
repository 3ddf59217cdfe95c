"""REST fuzzing with schemathesis: every operation of the OpenAPI document (rest/openapi.yaml, served
at /openapi.json) against a real standalone worker on the session broker.

Asserted for every generated request (valid and invalid ones): the answer is documented (status,
Content-Type, headers, body schema), a 5xx is one of the documented server errors (a request timing
out, a connector's alter_offsets hook refusing, validation of a config without or with an
unknown connector.class, a config value that is a JSON object or array) and never anything else,
and the worker keeps serving afterwards. The 5xx bugs found so far are listed in KNOWN_BUGS
(tolerated by message, each with a strict-xfail reproducer at the end of the file).

Side effects stay in a throwaway directory: the worker runs with its cwd and every path under
tmp_path, and every config body the fuzzer sends has its ``file`` (FileStream connectors) pointed
into that directory, so a connector created by the fuzzer can read or write nothing else (and a
FileStreamSource never falls back to reading stdin).

Bounded: a fixed seed, derandomized generation, a few examples per operation, no timing assertions.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import kconnect.supervisor.rest
from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.supervisor.rest.app import INTERNAL_ROUTES, ROUTES
from kconnect.supervisor.rest.openapi import load_document
from tests.support.worker import Worker

pytestmark = pytest.mark.kafka

SEED = 20_431  # any fixed value: the run is derandomized, failures replay
MAX_EXAMPLES = 6  # per operation, fuzzing phase (examples and coverage phases add theirs): ~90 s in all on 2 cores

BAD_REQUEST = "org.apache.kafka.connect.runtime.rest.errors.BadRequestException: "
CONFIG_BODY_OPERATIONS = {
    ("PUT", "/connectors/{name}/config"),
    ("PATCH", "/connectors/{name}/config"),
    ("PUT", "/connector-plugins/{plugin_type}/config/validate"),
}


class FuzzEnv:
    def __init__(self, worker: Worker, sandbox: Path, topic: str) -> None:
        self.worker = worker
        self.sandbox = sandbox
        self.topic = topic


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory, kafka_broker: KafkaBroker) -> Iterator[FuzzEnv]:
    work = tmp_path_factory.mktemp("fuzz-worker")
    sandbox = work / "files"
    sandbox.mkdir()
    worker = Worker(
        work,
        kafka_broker.bootstrap_servers,
        {
            "kconnect.connector.operation.timeout.ms": "10000",
            # A stopped sink's static consumer-group member is dropped after the session timeout, and
            # altering its offsets waits for that: keep it short.
            "consumer.session.timeout.ms": "6000",
        },
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)  # the supervisor and every child it starts run in the throwaway directory
        worker.start()
    yield FuzzEnv(worker, sandbox, f"fuzz-{uuid.uuid4().hex[:8]}")
    worker.stop()


# The document is the packaged YAML (the worker serves the same at /openapi.json: see
# test_the_worker_serves_the_document). Loading it at import keeps collection off the network;
# the worker's URL is given per call. (schemathesis.pytest.from_fixture would load it from the
# worker, but its lazy collection does not work with pytest 9.2: it sets Function._nodeid.)
DOCUMENT = Path(kconnect.supervisor.rest.__file__).with_name("openapi.yaml")
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "request-timeout": 120,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            # Replaced by documented_server_errors_only below (500 is documented, for some causes only).
            "not_a_server_error": {"enabled": False},
            # Kafka Connect is lenient by design (unknown query parameters ignored, booleans read
            # leniently, connector configs validated into a 200/400 rather than by the schema).
            "negative_data_rejection": {"enabled": False},
            "positive_data_acceptance": {"enabled": False},
            "missing_required_header": {"enabled": False},
            # Java's 405 carries no Allow header (Connect's exception mapper rebuilds the response);
            # kconnect does the same. test_wrong_methods_are_405 checks the 405s instead.
            "unsupported_method": {"enabled": False},
        },
    }
)
schema = schemathesis.openapi.from_path(DOCUMENT, config=CONFIG)


# Server errors the fuzzer finds that are kconnect bugs may be tolerated here while they are open, so
# the rest of each operation stays under test: bug -> (operations, message pattern, what is wrong),
# each with a strict-xfail reproducer. Bugs A-F found this way are fixed; their reproducers at the
# end of the file are now ordinary regression tests.
CONFIG_OPERATIONS = {("POST", "/connectors"), *CONFIG_BODY_OPERATIONS}
BODY_OPERATIONS = {
    *CONFIG_OPERATIONS,
    ("PATCH", "/connectors/{name}/offsets"),
    ("PUT", "/admin/loggers/{logger}"),
}
KNOWN_BUGS: dict[str, tuple[set[tuple[str, str]], str, str]] = {}  # none open; see the regression tests below


def documented_server_errors_only(ctx: Any, response: Any, case: Any) -> None:
    """A 5xx must be one of the documented server errors; anything else is a kconnect bug."""
    if response.status_code < 500:
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    assert isinstance(message, str), f"5xx without an error body: {response.status_code} {response.text!r}"
    operation = (case.method.upper(), case.operation.path)
    if response.status_code == 500 and message.startswith("Request timed out"):
        return
    if (
        response.status_code == 500
        and operation == ("PUT", "/connector-plugins/{plugin_type}/config/validate")
        and message.startswith(BAD_REQUEST)
        and ("contains no connector type" in message or "Failed to find any class that implements Connector" in message)
    ):
        return
    if (
        response.status_code == 500
        and (operation in CONFIG_BODY_OPERATIONS or operation == ("POST", "/connectors"))
        and message.startswith("Cannot deserialize value of type `java.lang.String` from ")
    ):
        return  # Jackson's answer to a config value that is a JSON object or array (Java: 500 as well)
    if response.status_code == 500 and any(
        operation in operations and re.search(pattern, message) for operations, pattern, _ in KNOWN_BUGS.values()
    ):
        return
    if response.status_code == 500 and operation in (
        ("PATCH", "/connectors/{name}/offsets"),
        ("DELETE", "/connectors/{name}/offsets"),
    ):
        # Only the connector's alter_offsets hook refusing (FileStream's messages), or the sink's
        # consumer group still having members.
        assert re.search(r"offset|partition|Failed to alter consumer group offsets", message, re.IGNORECASE), message
        return
    raise AssertionError(f"undocumented server error {response.status_code}: {message!r}")


def _sandbox(case: Any, env: FuzzEnv) -> None:
    """Point any FileStream file into the sandbox; keep created topics unique to this run."""
    operation = (case.method.upper(), case.operation.path)
    config: Any = None
    if operation == ("POST", "/connectors") and isinstance(case.body, dict):
        config = case.body.get("config")
    elif operation in CONFIG_BODY_OPERATIONS:
        config = case.body
    if isinstance(config, dict):
        config["file"] = str(env.sandbox / "fuzz.txt")
        for key in ("topic", "topics"):
            if config.get(key) == "connect-test":
                config[key] = env.topic
    # A "/" in a path parameter makes another path (routed to Jersey's bare 404, no Content-Type).
    for key, value in (case.path_parameters or {}).items():
        if isinstance(value, str) and "/" in value:
            case.path_parameters[key] = value.replace("/", "_")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_fuzz(case: Any, fuzz_env: FuzzEnv) -> None:
    _sandbox(case, fuzz_env)
    case.call_and_validate(
        base_url=fuzz_env.worker.rest.base, additional_checks=[documented_server_errors_only], timeout=120
    )


def _concrete(path: str) -> str:
    return re.sub(r"{task}", "0", re.sub(r"{\w+}", "x", path))


def test_the_worker_serves_the_document(fuzz_env: FuzzEnv) -> None:
    assert fuzz_env.worker.rest.get("/openapi.json") == load_document()


def test_wrong_methods_are_405(fuzz_env: FuzzEnv) -> None:
    served: dict[str, set[str]] = {}
    for route in [*ROUTES, *INTERNAL_ROUTES]:  # the internal POST .../tasks and PUT .../fence are served too
        served.setdefault(route.path, set()).update(route.methods or ())
    for path, methods in served.items():
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            status, body = fuzz_env.worker.rest.call(method, _concrete(path), {} if method != "GET" else None)
            assert (status, body) == (405, {"error_code": 405, "message": "HTTP 405 Method Not Allowed"}), (
                method,
                path,
            )


# --- regression tests for the server errors the fuzzer (A, B, D, F) and probing (C, E) found -------------


def _source(env: FuzzEnv) -> dict[str, str]:
    return {"connector.class": "FileStreamSource", "file": str(env.sandbox / "bugs.txt"), "topic": env.topic}


def test_bug_a_offsets_entry_that_is_not_an_object(fuzz_env: FuzzEnv) -> None:
    rest = fuzz_env.worker.rest
    assert rest.call("POST", "/connectors", {"name": "bug-a", "config": _source(fuzz_env)})[0] == 201
    assert rest.call("PUT", "/connectors/bug-a/stop") == (204, None)
    status, body = rest.call("PATCH", "/connectors/bug-a/offsets", {"offsets": [[None, None]]})
    assert "object has no attribute" not in str(body), (status, body)


def test_bug_b_validate_with_a_null_name(fuzz_env: FuzzEnv) -> None:
    config = {**_source(fuzz_env), "name": None}
    status, body = fuzz_env.worker.rest.call("PUT", "/connector-plugins/FileStreamSource/config/validate", config)
    assert status == 200, body  # a validation error on "name", as for any null value


def test_bug_c_nul_in_the_connector_name(fuzz_env: FuzzEnv) -> None:
    rest = fuzz_env.worker.rest
    config = {**_source(fuzz_env), "name": "bug\u0000c"}
    status, body = rest.call("PUT", "/connector-plugins/FileStreamSource/config/validate", config)
    assert status == 200, body  # "String may not contain control sequences" on "name", as in Java
    status, body = rest.call("POST", "/connectors", {"name": "bug\u0000c", "config": _source(fuzz_env)})
    assert status == 400, body


def test_bug_d_task_number_beyond_a_java_int(fuzz_env: FuzzEnv) -> None:
    status, body = fuzz_env.worker.rest.call("GET", f"/connectors/bug-d/tasks/{2**64}/status")
    assert status == 404, body  # Java: the path parameter is not an Integer -> 404 HTTP 404 Not Found


def test_bug_f_lone_surrogate_in_a_body(fuzz_env: FuzzEnv) -> None:
    rest = fuzz_env.worker.rest
    status, body = rest.call("PUT", "/admin/loggers/bug-f", b'{"level": "\\ud800"}')
    assert status == 404, body  # Java: invalid log level


def test_the_worker_keeps_serving_and_touched_no_file_outside_its_directory(fuzz_env: FuzzEnv) -> None:
    worker = fuzz_env.worker
    assert worker.proc is not None
    assert worker.proc.poll() is None, worker.log_tail()
    status, info = worker.rest.call("GET", "/")
    assert status == 200, (status, info)
    assert info["kafka_cluster_id"]
    status, health = worker.rest.call("GET", "/health")
    assert (status, health["status"]) == (200, "healthy"), health
    repo = Path(__file__).resolve().parents[2]
    assert not [p.name for p in repo.iterdir() if p.name in ("fuzz.txt", "in.txt", "out.txt")]


# Last: BUG-E used to kill the supervisor (a non-string initial_state raised outside request handling).
def test_bug_e_non_string_initial_state_kills_the_worker(fuzz_env: FuzzEnv) -> None:
    worker = fuzz_env.worker
    assert worker.proc is not None
    children = psutil.Process(worker.proc.pid).children(recursive=True)
    request = {"name": "bug-e", "config": _source(fuzz_env), "initial_state": {"not": "a string"}}
    alive = False
    try:
        status, body = worker.rest.call("POST", "/connectors", request)
        assert status in (400, 500), body
        assert worker.rest.call("GET", "/")[0] == 200, "the worker must survive a bad request"
        alive = True
    finally:
        if not alive:  # the supervisor is dying: do not leave its children (REST server, tasks) behind
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.proc.wait(10)
            for child in children:
                with contextlib.suppress(psutil.Error):
                    child.kill()
