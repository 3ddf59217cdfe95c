"""Golden scenarios for client override policies and topic creation settings (issue #6).

Unlike tests/golden/scenario.py these need particular worker settings, so each entry of
:data:`WORKERS` is a worker configuration with the steps run against it. The same steps run
against Apache's ``ConnectStandalone`` (recorded into java_overrides.json by
``python -m tests.golden.record_overrides``) and against ``kconnect standalone``
(tests/integration/test_overrides_golden.py).
"""

from __future__ import annotations

from tests.golden.scenario import Request, Step, WaitUntil, state

__all__ = ["WORKERS"]

SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
VALIDATE_SOURCE = "/connector-plugins/FileStreamSourceConnector/config/validate"
VALIDATE_SINK = "/connector-plugins/FileStreamSinkConnector/config/validate"


def _source(name: str, **extra: str) -> dict[str, str]:
    return {
        "connector.class": SOURCE,
        "name": name,
        "file": "${DIR}/input.txt",
        "topic": "${TOPIC}-" + name.split("-")[0],
        **{k.replace("__", "."): v for k, v in extra.items()},
    }


def _sink(name: str, **extra: str) -> dict[str, str]:
    return {
        "connector.class": SINK,
        "name": name,
        "file": "${DIR}/out-" + name + ".txt",
        "topics": "${TOPIC}",
        **{k.replace("__", "."): v for k, v in extra.items()},
    }


_OVERRIDES = {
    "producer__override__acks": "1",
    "producer__override__foo__bar": "x",
    "producer__override__linger__ms": "5",
    "producer__override__sasl__mechanism": "PLAIN",
    "consumer__override__max__poll__records": "5",
    "admin__override__retries": "3",
}
_TOPIC_CREATION = {
    "topic__creation__default__replication__factor": "1",
    "topic__creation__default__partitions": "3",
    "topic__creation__groups": "compacted",
    "topic__creation__compacted__include": "compact.*",
    "topic__creation__compacted__partitions": "2",
    "topic__creation__compacted__cleanup__policy": "compact",
}


def _validation_steps() -> list[Step]:
    return [
        Request("validate source with overrides", "PUT", VALIDATE_SOURCE, _source("v-src", **_OVERRIDES)),
        Request(
            "validate source with overrides and topic creation",
            "PUT",
            VALIDATE_SOURCE,
            _source("v-src", **_OVERRIDES, **_TOPIC_CREATION),
        ),
        Request(
            "validate source with invalid topic creation settings (not checked by validation)",
            "PUT",
            VALIDATE_SOURCE,
            _source(
                "v-src",
                topic__creation__default__partitions="0",
                topic__creation__groups="g1",
                topic__creation__g1__include="[bad",
                topic__creation__g1__partitions="x",
            ),
        ),
        Request(
            "validate source with duplicate topic creation groups",
            "PUT",
            VALIDATE_SOURCE,
            _source("v-src", topic__creation__groups="g1,g1,default"),
        ),
        Request("validate sink with overrides", "PUT", VALIDATE_SINK, _sink("v-sink", **_OVERRIDES)),
        Request(
            "validate sink with overrides and a DLQ",
            "PUT",
            VALIDATE_SINK,
            _sink("v-sink", **_OVERRIDES, errors__deadletterqueue__topic__name="${TOPIC}-dlq"),
        ),
        Request(
            "validate an override that does not parse",
            "PUT",
            VALIDATE_SOURCE,
            _source("v-src", producer__override__linger__ms="abc"),
        ),
    ]


def _create_steps(expect_created: bool) -> list[Step]:
    steps: list[Step] = [
        Request(
            "create a source with a producer override",
            "PUT",
            "/connectors/ovr-${RUN}/config",
            _source("ovr-${RUN}", producer__override__acks="1"),
        ),
    ]
    if expect_created:
        steps += [
            WaitUntil("source with override running", "/connectors/ovr-${RUN}/status", state("RUNNING", 1), "RUNNING"),
            Request(
                "update it with invalid topic creation settings",
                "PUT",
                "/connectors/ovr-${RUN}/config",
                _source("ovr-${RUN}", producer__override__acks="1", topic__creation__default__partitions="0"),
            ),
            WaitUntil(
                "updated source fails",
                "/connectors/ovr-${RUN}/status",
                lambda status, body: status == 200 and body["connector"]["state"] == "FAILED",
                "connector FAILED",
            ),
            Request(
                "fix it with PATCH",
                "PATCH",
                "/connectors/ovr-${RUN}/config",
                {
                    "topic.creation.default.partitions": "3",
                    "topic.creation.default.replication.factor": "1",
                },
            ),
            WaitUntil("fixed source running", "/connectors/ovr-${RUN}/status", state("RUNNING", 1), "RUNNING"),
            Request("delete the source with an override", "DELETE", "/connectors/ovr-${RUN}"),
        ]
    steps += [
        Request(
            "create a source missing the default replication factor",
            "PUT",
            "/connectors/tcbad-${RUN}/config",
            _source("tcbad-${RUN}", topic__creation__default__partitions="3"),
        ),
        WaitUntil(
            "source missing the default replication factor fails",
            "/connectors/tcbad-${RUN}/status",
            lambda status, body: status == 200 and body["connector"]["state"] == "FAILED",
            "connector FAILED",
        ),
        Request("delete the failed source", "DELETE", "/connectors/tcbad-${RUN}"),
    ]
    return steps


def _pick(*names: str) -> list[Step]:
    """Some of the validation steps (each answer is ~20 kB of definitions: keep the recording small)."""
    return [step for step in _validation_steps() if step.name in names]


# name -> (worker settings, steps)
WORKERS: dict[str, tuple[dict[str, str], list[Step]]] = {
    "policy None": (
        {"connector.client.config.override.policy": "None"},
        _validation_steps() + _create_steps(expect_created=False),
    ),
    "policy Principal": (
        {"connector.client.config.override.policy": "Principal"},
        _pick("validate source with overrides", "validate sink with overrides and a DLQ"),
    ),
    "policy Allowlist": (
        {
            "connector.client.config.override.policy": "Allowlist",
            "connector.client.config.override.allowlist": "acks,retries,linger.ms",
        },
        _pick("validate source with overrides", "validate sink with overrides and a DLQ")
        + _create_steps(expect_created=True),
    ),
    "policy All": (
        {"connector.client.config.override.policy": "All"},
        _pick("validate source with overrides and topic creation", "validate sink with overrides and a DLQ"),
    ),
}
