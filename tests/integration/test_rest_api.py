"""The REST API's lifecycle endpoints on a real standalone worker, checked against real processes and data."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.support.worker import Worker, count_lines, wait_for

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory, kafka_broker: KafkaBroker) -> Iterator[Worker]:
    w = Worker(
        tmp_path_factory.mktemp("rest-worker"),
        kafka_broker.bootstrap_servers,
        {"kconnect.connector.operation.timeout.ms": "4000"},
    )
    w.start()
    yield w
    w.stop()


def produce(broker: KafkaBroker, topic: str, values: list[str]) -> None:
    p = Producer({"bootstrap.servers": broker.bootstrap_servers})
    for v in values:
        p.produce(topic, v.encode())
    p.flush(30)


def state(w: Worker, name: str) -> tuple[str, list[str]]:
    s = w.status(name)
    return s["connector"]["state"], [t["state"] for t in s["tasks"]]


def test_pause_keeps_the_task_process_but_stops_the_data_and_resume_continues(
    tmp_path: Path, worker: Worker, unique_topic: str
) -> None:
    src = tmp_path / "in.txt"
    src.write_text("".join(f"a{i}\n" for i in range(100)))
    out = tmp_path / "out.txt"
    worker.create("p-src", {"connector.class": "FileStreamSource", "file": str(src), "topic": unique_topic})
    worker.create("p-sink", {"connector.class": "FileStreamSink", "file": str(out), "topics": unique_topic})
    wait_for(lambda: count_lines(out) == 100, 60, "the first lines")
    pid = worker.task_pids("p-src", "source_task")
    assert worker.rest.call("PUT", "/connectors/p-src/pause") == (202, None)
    wait_for(lambda: state(worker, "p-src") == ("PAUSED", ["PAUSED"]), 10, "PAUSED")
    with open(src, "a") as f:
        f.write("".join(f"b{i}\n" for i in range(100)))
    time.sleep(2)
    assert count_lines(out) == 100, "a paused source must not move data"
    assert worker.task_pids("p-src", "source_task") == pid, "pause keeps the task process alive"
    assert worker.rest.call("PUT", "/connectors/p-src/resume") == (202, None)
    wait_for(lambda: count_lines(out) == 200, 30, "the lines written while paused")
    assert state(worker, "p-src") == ("RUNNING", ["RUNNING"])


def test_stop_ends_the_processes_keeps_the_config_and_resume_restarts(
    tmp_path: Path, worker: Worker, unique_topic: str
) -> None:
    src = tmp_path / "in.txt"
    src.write_text("x\n")
    worker.create("s-src", {"connector.class": "FileStreamSource", "file": str(src), "topic": unique_topic})
    wait_for(lambda: state(worker, "s-src") == ("RUNNING", ["RUNNING"]), 30, "RUNNING")
    assert worker.rest.call("PUT", "/connectors/s-src/stop") == (204, None)
    assert worker.task_pids("s-src") == [], "stop answers after the processes are gone"
    assert state(worker, "s-src") == ("STOPPED", [])
    assert worker.rest.get("/connectors/s-src/tasks") == []
    assert worker.rest.get("/connectors/s-src/config")["file"] == str(src)
    assert worker.rest.call("PUT", "/connectors/s-src/resume") == (202, None)
    wait_for(lambda: state(worker, "s-src") == ("RUNNING", ["RUNNING"]), 30, "RUNNING again")


def test_restart_only_failed_tasks_restarts_exactly_the_failed_process(
    tmp_path: Path, worker: Worker, unique_topic: str
) -> None:
    src = tmp_path / "in.txt"
    src.write_text("x\n")
    worker.create(
        "r-src",
        {
            "connector.class": "FileStreamSource",
            "file": str(src),
            "topic": unique_topic,
            "kconnect.task.restart.enable": "false",
        },
    )
    wait_for(lambda: state(worker, "r-src") == ("RUNNING", ["RUNNING"]), 30, "RUNNING")
    [connector_pid] = worker.task_pids("r-src", "connector")
    [task_pid] = worker.task_pids("r-src", "source_task")
    os.kill(task_pid, signal.SIGKILL)
    wait_for(lambda: state(worker, "r-src") == ("RUNNING", ["FAILED"]), 30, "the task FAILED (restarts are off)")
    status, body = worker.rest.call("POST", "/connectors/r-src/restart?includeTasks=true&onlyFailed=true")
    assert status == 202
    assert body["connector"]["state"] == "RUNNING", "onlyFailed leaves the running connector alone"
    assert [t["state"] for t in body["tasks"]] == ["RESTARTING"]
    wait_for(lambda: state(worker, "r-src") == ("RUNNING", ["RUNNING"]), 30, "the task RUNNING again")
    assert worker.task_pids("r-src", "connector") == [connector_pid]
    assert worker.task_pids("r-src", "source_task") not in ([], [task_pid])
    # A single-task restart replaces exactly that process.
    [task_pid] = worker.task_pids("r-src", "source_task")
    assert worker.rest.call("POST", "/connectors/r-src/tasks/0/restart") == (204, None)
    wait_for(lambda: worker.task_pids("r-src", "source_task") not in ([], [task_pid]), 30, "a new task process")
    assert worker.rest.call("POST", "/connectors/r-src/tasks/7/restart") == (
        404,
        {"error_code": 404, "message": "Task r-src-7 not found"},
    )


def test_source_offsets_can_be_read_rewound_and_reset_only_when_stopped(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    src = tmp_path / "in.txt"
    src.write_text("one\ntwo\nthree\n")
    out = tmp_path / "out.txt"
    worker.create("o-src", {"connector.class": "FileStreamSource", "file": str(src), "topic": unique_topic})
    worker.create("o-sink", {"connector.class": "FileStreamSink", "file": str(out), "topics": unique_topic})
    wait_for(lambda: count_lines(out) == 3, 30, "three lines")
    offsets = wait_for(
        lambda: (o := worker.rest.get("/connectors/o-src/offsets"))["offsets"] and o, 30, "committed offsets"
    )
    assert offsets == {"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": 14}}]}
    patch = {"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": 4}}]}
    status, body = worker.rest.call("PATCH", "/connectors/o-src/offsets", patch)
    assert status == 400
    assert body["message"].startswith("Connectors must be in the STOPPED state")
    assert worker.rest.call("PUT", "/connectors/o-src/stop") == (204, None)
    assert worker.rest.call("PATCH", "/connectors/o-src/offsets", patch) == (
        200,
        {"message": "The offsets for this connector have been altered successfully"},
    )
    assert worker.rest.get("/connectors/o-src/offsets") == {
        "offsets": [{"partition": {"filename": str(src)}, "offset": {"position": 4}}]
    }
    # Resuming re-reads from byte 4: "two" and "three" arrive again.
    worker.rest.call("PUT", "/connectors/o-src/resume")
    wait_for(lambda: count_lines(out) == 5, 30, "the rewound lines")
    assert out.read_text().splitlines() == ["one", "two", "three", "two", "three"]
    worker.rest.call("PUT", "/connectors/o-src/stop")
    assert worker.rest.call("DELETE", "/connectors/o-src/offsets")[0] == 200
    assert worker.rest.get("/connectors/o-src/offsets") == {"offsets": []}
    bad = {"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": -1}}]}
    status, body = worker.rest.call("PATCH", "/connectors/o-src/offsets", bad)
    assert status == 500
    assert "non-negative" in body["message"]


def test_sink_offsets_are_the_consumer_group_and_can_be_rewound(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    produce(kafka_broker, unique_topic, [f"m{i}" for i in range(10)])
    out = tmp_path / "out.txt"
    worker.create("k-sink", {"connector.class": "FileStreamSink", "file": str(out), "topics": unique_topic})
    wait_for(lambda: count_lines(out) == 10, 30, "ten records")
    expected = {"partition": {"kafka_topic": unique_topic, "kafka_partition": 0}, "offset": {"kafka_offset": 10}}
    wait_for(lambda: worker.rest.get("/connectors/k-sink/offsets") == {"offsets": [expected]}, 30, "committed")
    assert worker.rest.call("PUT", "/connectors/k-sink/stop") == (204, None)
    rewind = {
        "offsets": [{"partition": {"kafka_topic": unique_topic, "kafka_partition": "0"}, "offset": {"kafka_offset": 7}}]
    }
    assert worker.rest.call("PATCH", "/connectors/k-sink/offsets", rewind) == (
        200,
        {"message": "The offsets for this connector have been altered successfully"},
    )
    worker.rest.call("PUT", "/connectors/k-sink/resume")
    wait_for(lambda: count_lines(out) == 13, 60, "records 7..9 redelivered")
    assert out.read_text().splitlines()[-3:] == ["m7", "m8", "m9"]


def test_put_config_creates_then_updates_and_patch_deletes_keys(
    tmp_path: Path, worker: Worker, unique_topic: str
) -> None:
    src = tmp_path / "in.txt"
    src.write_text("")
    config = {"connector.class": "FileStreamSource", "file": str(src), "topic": unique_topic}
    status, info = worker.rest.call("PUT", "/connectors/c-src/config", config)
    assert status == 201
    assert info["config"] == {**config, "name": "c-src"}
    status, info = worker.rest.call("PUT", "/connectors/c-src/config", {**config, "batch.size": "10"})
    assert status == 200
    assert info["config"]["batch.size"] == "10"
    status, info = worker.rest.call("PATCH", "/connectors/c-src/config", {"batch.size": None, "topic": "other"})
    assert status == 200
    assert info["config"] == {**config, "topic": "other", "name": "c-src"}
    assert worker.rest.get("/connectors/c-src/config") == {**config, "topic": "other", "name": "c-src"}
    status, body = worker.rest.call("PUT", "/connectors/c-src/config", {**config, "name": "other"})
    assert (status, body["message"]) == (
        400,
        "Connector name configuration (other) doesn't match connector name in the URL (c-src)",
    )
    assert worker.rest.call("PATCH", "/connectors/nope/config", {"a": "b"}) == (
        404,
        {"error_code": 404, "message": "Connector nope not found"},
    )
    assert worker.rest.call("DELETE", "/connectors/c-src") == (204, None)
    wait_for(lambda: worker.task_pids("c-src") == [], 30, "the deleted connector's processes to exit")


def test_plugins_listing_config_and_validate(worker: Worker) -> None:
    listing = worker.rest.get("/connector-plugins")
    assert {"class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "type": "sink", "version": "4.3.1"} in (
        listing
    )
    assert {p["type"] for p in listing} == {"source", "sink"}
    everything = worker.rest.get("/connector-plugins?connectorsOnly=false")
    assert {"converter", "header_converter"} <= {p["type"] for p in everything}
    keys = [k["name"] for k in worker.rest.get("/connector-plugins/FileStreamSource/config")]
    assert keys[:3] == ["file", "topic", "batch.size"]
    status, body = worker.rest.call("GET", "/connector-plugins/NoSuchThing/config")
    assert (status, body["message"]) == (404, "Unknown plugin NoSuchThing.")
    status, infos = worker.rest.call(
        "PUT", "/connector-plugins/FileStreamSinkConnector/config/validate", {"connector.class": "FileStreamSink"}
    )
    assert status == 200
    assert infos["name"] == "FileStreamSink"
    # Java puts the topics message on both topics and topics.regex, and name is required.
    assert infos["error_count"] == 3
    topics = next(c for c in infos["configs"] if c["definition"] and c["definition"]["name"] == "topics")
    assert topics["value"]["errors"] == ["Must configure one of topics or topics.regex"]
    status, body = worker.rest.call(
        "PUT", "/connector-plugins/FileStreamSource/config/validate", {"connector.class": "FileStreamSink"}
    )
    assert (status, body["message"]) == (
        400,
        "Included connector type FileStreamSink does not match request type FileStreamSource",
    )


def test_logger_levels_reach_running_and_later_task_processes(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    config = {
        "connector.class": "tests.support.plugins.RecordingSinkConnector",
        "topics": unique_topic,
        "record.file": str(tmp_path / "r.txt"),
        "events.file": str(tmp_path / "e.txt"),
    }
    worker.create("l-sink", config)
    wait_for(lambda: state(worker, "l-sink") == ("RUNNING", ["RUNNING"]), 30, "RUNNING")
    status, affected = worker.rest.call("PUT", "/admin/loggers/tests.support.plugins", {"level": "DEBUG"})
    assert (status, affected) == (200, ["tests.support.plugins"])
    logger_info = worker.rest.get("/admin/loggers/tests.support.plugins")
    assert logger_info["level"] == "DEBUG"
    time.sleep(1.0)  # a task applies control messages between batches (its consume() waits up to 0.5 s)
    produce(kafka_broker, unique_topic, ["x"])
    wait_for(lambda: "put 1 records" in worker.log_tail(400), 30, "a DEBUG line from the running task process")
    # A task process started after the change gets the level at bootstrap.
    worker.create("l-sink2", {**config, "record.file": str(tmp_path / "r2.txt")})
    wait_for(lambda: worker.log_tail(400).count("put 1 records") >= 2, 30, "a DEBUG line from the new task process")
    assert worker.rest.call("PUT", "/admin/loggers/tests.support.plugins", {"level": "NOPE"}) == (
        404,
        {"error_code": 404, "message": "invalid log level 'NOPE'."},  # Java's code and wording
    )


def test_logger_levels_reach_the_rest_processes_too(worker: Worker) -> None:
    status, _ = worker.rest.call("PUT", "/admin/loggers/kconnect.supervisor.rest", {"level": "DEBUG"})
    assert status == 200

    def rest_logged_debug() -> bool:
        worker.rest.get("/connectors")
        return "DEBUG [rest] REST call list_connectors" in worker.log_tail(200)

    wait_for(rest_logged_debug, 30, "a DEBUG line from the REST process", interval=0.5)
    worker.rest.call("PUT", "/admin/loggers/kconnect.supervisor.rest", {"level": "INFO"})


def test_a_hanging_validate_never_blocks_the_rest_plane(tmp_path: Path, worker: Worker, unique_topic: str) -> None:
    config = {
        "connector.class": "tests.support.plugins.HangingValidateConnector",
        "topics": unique_topic,
        "record.file": str(tmp_path / "r.txt"),
        "events.file": str(tmp_path / "e.txt"),
        "hang.ms": "30000",
    }
    result: dict[str, object] = {}

    def create() -> None:
        started = time.monotonic()
        result["response"] = worker.rest.call("POST", "/connectors", {"name": "hang", "config": config})
        result["took"] = time.monotonic() - started

    thread = threading.Thread(target=create)
    thread.start()
    time.sleep(0.5)
    latencies = []
    while thread.is_alive() and len(latencies) < 20:
        t0 = time.monotonic()
        assert isinstance(worker.rest.get("/connectors"), list)
        latencies.append(time.monotonic() - t0)
        time.sleep(0.1)
    thread.join(60)
    latencies.sort()
    print(
        f"GET /connectors while validate hangs: n={len(latencies)} "
        f"median={latencies[len(latencies) // 2] * 1000:.1f} ms "
        f"max={latencies[-1] * 1000:.1f} ms; create answered after {result['took']:.1f} s"
    )
    assert latencies, "the REST plane answered while the validation hung"
    assert result["response"] == (500, {"error_code": 500, "message": "Request timed out"})
    assert worker.rest.call("GET", "/connectors/hang")[0] == 404


def test_health_and_topics(tmp_path: Path, worker: Worker, unique_topic: str) -> None:
    assert worker.rest.get("/health") == {
        "status": "healthy",
        "message": "Worker has completed startup and is ready to handle requests.",
    }
    src = tmp_path / "in.txt"
    src.write_text("t\n")
    worker.create("t-src", {"connector.class": "FileStreamSource", "file": str(src), "topic": unique_topic})
    wait_for(lambda: worker.rest.get("/connectors/t-src/topics") == {"t-src": {"topics": [unique_topic]}}, 30, "topics")
    assert worker.rest.call("PUT", "/connectors/t-src/topics/reset") == (202, None)
    assert worker.rest.get("/connectors/unknown/topics") == {"unknown": {"topics": []}}
    assert json.loads(json.dumps(worker.rest.get("/connectors/t-src/tasks")))[0]["id"] == {
        "connector": "t-src",
        "task": 0,
    }


def test_location_header_percent_encodes_names_outside_latin1(tmp_path: Path, worker: Worker) -> None:
    """Found by the fuzz test: a name such as "\U000302fe" made the Location header a 500."""
    import http.client
    import json
    from urllib.parse import quote, unquote, urlsplit

    src = tmp_path / "in.txt"
    src.write_text("")
    config = {"connector.class": "FileStreamSource", "file": str(src), "topic": "loc-topic"}
    for method, name in (("PUT", "é \U000302fe x"), ("POST", "名前 \U000302fe")):
        host, port = urlsplit(worker.rest.base).netloc.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        if method == "PUT":
            path, body = f"/connectors/{quote(name, safe='')}/config", config
        else:
            path, body = "/connectors", {"name": name, "config": config}
        conn.request(method, path, json.dumps(body), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 201, (method, resp.status)
        location = resp.getheader("Location")
        assert location is not None
        assert location.isascii()
        assert unquote(location.rsplit("/connectors/", 1)[1]) == name
        conn.close()
        assert worker.rest.call("DELETE", f"/connectors/{quote(name, safe='')}")[0] == 204
