"""Config providers with a real worker and broker: placeholders resolve only inside the task and
connector processes, REST shows them as written, validation redacts, and TTLs restart connectors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer

from kconnect.supervisor.devbroker.broker import KafkaBroker
from kconnect.workers.config_providers import REDACTED_ERROR
from tests.integration.test_standalone import topic_values
from tests.support.worker import Worker, count_lines, wait_for

pytestmark = pytest.mark.kafka

FILE = "org.apache.kafka.common.config.provider.FileConfigProvider"
ENV = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"


def _produce(broker: KafkaBroker, topic: str, values: list[str]) -> None:
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers})
    for v in values:
        producer.produce(topic, v.encode())
    assert producer.flush(30) == 0


def test_placeholders_resolve_in_tasks_and_never_in_rest(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "resolved-out.txt"
    offsets = tmp_path / "offsets-from-env.dat"
    secrets = tmp_path / "secrets.properties"
    secrets.write_text(f"sink.file={out}\ntopic={unique_topic}\nbad.tasks=not-a-number\n")
    # The worker process (and its children) inherit this environment variable.
    monkeypatch.setenv("KC_IT_OFFSETS_FILE", str(offsets))
    w = Worker(
        tmp_path,
        kafka_broker.bootstrap_servers,
        {
            "config.providers": "file,env",
            "config.providers.file.class": FILE,
            "config.providers.file.param.allowed.paths": str(tmp_path),
            "config.providers.env.class": ENV,
            "config.providers.env.param.allowlist.pattern": "KC_IT_.*",
            "offset.storage.file.filename": "${env:KC_IT_OFFSETS_FILE}",
        },
    )
    source_file = tmp_path / "in.txt"
    source_file.write_text("".join(f"line {i}\n" for i in range(20)))
    file_ref = f"${{file:{secrets}:sink.file}}"
    topic_ref = f"${{file:{secrets}:topic}}"
    sink_config = {"connector.class": "FileStreamSink", "file": file_ref, "topics": topic_ref}
    try:
        w.start()
        w.create("src", {"connector.class": "FileStreamSource", "file": str(source_file), "topic": topic_ref})
        assert topic_values(kafka_broker, unique_topic, 20) == [f"line {i}".encode() for i in range(20)]
        w.create("sink", sink_config)
        wait_for(lambda: count_lines(out) >= 20, 60, "the sink to write to the file its placeholder names")
        assert out.read_text().splitlines() == [f"line {i}" for i in range(20)]

        # REST shows the configs as written, task configs included (reverse-transformed).
        assert w.rest.get("/connectors/sink/config") == {**sink_config, "name": "sink"}
        tasks = w.rest.get("/connectors/sink/tasks")
        assert tasks[0]["config"]["file"] == file_ref
        assert tasks[0]["config"]["topics"] == topic_ref
        assert w.rest.get("/connectors/sink/tasks-config")["sink-0"]["file"] == file_ref
        assert w.rest.get("/connectors/src/tasks")[0]["config"]["topic"] == topic_ref
        everything = json.dumps(
            [w.rest.get(f"/connectors/{n}{p}") for n in ("src", "sink") for p in ("", "/config", "/tasks")]
        )
        assert str(out) not in everything
        assert '"' + unique_topic + '"' not in everything

        # Validation checks the resolved values but shows placeholders, and hides errors that would quote them.
        status, infos = w.rest.call(
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            {**sink_config, "tasks.max": f"${{file:{secrets}:bad.tasks}}"},
        )
        assert status == 200, infos
        values = {c["value"]["name"]: c["value"] for c in infos["configs"]}
        assert values["file"] == {**values["file"], "value": file_ref, "errors": []}
        assert values["topics"]["value"] == topic_ref
        assert values["tasks.max"]["errors"] == [REDACTED_ERROR.format(key="tasks.max")]
        assert values["name"]["errors"]  # no name in a bare validate request, as in Java
        assert infos["error_count"] == 2
        assert "not-a-number" not in json.dumps(infos)
        assert str(out) not in json.dumps(infos)
        # A create with that config is refused with the redacted message.
        status, body = w.rest.call(
            "PUT", "/connectors/bad/config", {**sink_config, "tasks.max": f"${{file:{secrets}:bad.tasks}}"}
        )
        assert status == 400, body
        assert REDACTED_ERROR.format(key="tasks.max") in body["message"]
        assert "not-a-number" not in body["message"]

        # worker.properties placeholders were resolved when the worker started: offsets go to the env's path.
        wait_for(offsets.exists, 60, "the source offsets to be flushed to the file named by ${env:...}")
    finally:
        w.stop()


@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_ttl_restarts_the_connector_with_fresh_values_unless_reload_is_none(
    tmp_path: Path, kafka_broker: KafkaBroker, unique_topic: str, mode: str
) -> None:
    """A TTL expiry restarts the connector and its tasks (on the worker that runs them, in distributed mode),
    which resolve their values afresh; ``config.action.reload=none`` keeps a connector as it is."""
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    kept, not_taken = tmp_path / "kept.txt", tmp_path / "not-taken.txt"
    expiring = tmp_path / "expiring.properties"
    fixed = tmp_path / "fixed.properties"
    # The test provider reports the file's own "ttl.ms" as the TTL of what it returns.
    expiring.write_text(f"out={first}\nttl.ms=5000\n")
    fixed.write_text(f"out={kept}\nttl.ms=1000\n")
    props = {"config.providers": "ttl", "config.providers.ttl.class": "tests.support.plugins.TtlFileConfigProvider"}
    if mode == "distributed":
        from tests.integration.test_distributed import timing_profile

        props |= timing_profile(f"ttl-{uuid.uuid4().hex[:8]}")
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, props, mode=mode)
    reloading_topic, fixed_topic = unique_topic + "-reload", unique_topic + "-fixed"
    try:
        w.start()
        wait_for(lambda: w.rest.call("GET", "/connectors")[0] == 200, 60, "the worker to join")
        w.create(
            "reloading",
            {"connector.class": "FileStreamSink", "topics": reloading_topic, "file": f"${{ttl:{expiring}:out}}"},
        )
        w.create(
            "fixed",
            {
                "connector.class": "FileStreamSink",
                "topics": fixed_topic,
                "file": f"${{ttl:{fixed}:out}}",
                "config.action.reload": "none",
            },
        )
        _produce(kafka_broker, reloading_topic, [f"a{i}" for i in range(5)])
        _produce(kafka_broker, fixed_topic, [f"x{i}" for i in range(5)])
        wait_for(lambda: count_lines(first) >= 5, 90, "the first records in the first resolved file")
        wait_for(lambda: count_lines(kept) >= 5, 90, "the reload=none connector's records")
        fixed_pids = sorted(w.task_pids("fixed"))
        assert len(fixed_pids) == 2  # its connector and its task process

        # New values, and no TTL any more: the next expiry restarts the connector and its task, which
        # resolve the new file; after that nothing expires. Records keep coming until the switch shows.
        expiring.write_text(f"out={second}\n")
        fixed.write_text(f"out={not_taken}\n")
        produced: list[str] = []

        def switched() -> bool:
            produced.append(f"b{len(produced)}")
            _produce(kafka_broker, reloading_topic, produced[-1:])
            return count_lines(second) >= 1

        wait_for(switched, 90, "records after the TTL restart in the newly resolved file", interval=0.5)
        _produce(kafka_broker, reloading_topic, ["last"])
        wait_for(lambda: "last" in second.read_text().splitlines(), 60, "the last record in the new file")
        before, after = first.read_text().splitlines(), second.read_text().splitlines()
        olds = {f"a{i}" for i in range(5)}
        # Nothing lost (the sink is at-least-once, so a restart may repeat a record), and each record
        # went to the file resolved when it was consumed: no old record in the new file.
        assert olds <= set(before) <= olds | set(produced)
        assert set(after) <= set(produced) | {"last"}
        assert set(produced) | {"last"} <= set(before) | set(after)
        assert "Restarting connector reloading and its tasks: config provider values expired" in w.log_tail(600)
        status = wait_for(
            lambda: (
                (s := w.status("reloading"))["connector"]["state"] == "RUNNING"
                and [t["state"] for t in s["tasks"]] == ["RUNNING"]
                and s
            ),
            60,
            "the restarted connector and task RUNNING",
        )
        assert status["connector"]["worker_id"] == status["tasks"][0]["worker_id"]
        assert w.rest.get("/connectors/reloading/config")["file"] == f"${{ttl:{expiring}:out}}"

        # reload=none: its 1 s TTL expired long ago (the other connector's 5 s one did), yet nothing
        # restarted and it still writes where it did.
        _produce(kafka_broker, fixed_topic, ["y"])
        wait_for(lambda: count_lines(kept) >= 6, 60, "the reload=none connector's later record")
        assert sorted(w.task_pids("fixed")) == fixed_pids
        assert not not_taken.exists()
    finally:
        w.stop()
