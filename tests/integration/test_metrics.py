"""GET /metrics against a real worker and broker: counters equal the records read back, a killed
task shows its restart and exit reason, a FAILED task keeps its metrics (docs/metrics.md)."""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kconnect.supervisor.devbroker.broker import KafkaBroker, free_port
from kconnect.supervisor.rest.app import ROUTES
from tests.integration.test_standalone import file_sink, file_source, topic_values
from tests.support.worker import RestClient, Worker, count_lines, wait_for

pytestmark = pytest.mark.kafka

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def documented_labels() -> set[str]:
    """The label names of docs/metrics.md's "Labels (the complete list)" table."""
    text = DOC.read_text()
    table = text.split("## Labels (the complete list)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])}


# The values of the labels whose values the worker chooses (docs/metrics.md); the others carry
# names the user chose (connector, topic) or numbers (task, partition, code).
REASON = re.compile(r"stopped|exception|signal:SIG[A-Z0-9]+|exit:\d+|heartbeat_timeout|startup_timeout|memory_limit")
STATES = {"unassigned", "running", "paused", "stopped", "failed", "restarting"}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "other"}
ROUTE_TEMPLATES = {str(getattr(r, "path", "")) for r in ROUTES} | {"unmatched"}


def assert_bounded_cardinality(text: str, labels: set[str]) -> None:
    """Every label of every sample is in the documented list, and every worker-chosen value too."""
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("kconnect_"), family.name
        for s in family.samples:
            extra = set(s.labels) - labels - ({"le"} if s.name.endswith("_bucket") else set())
            assert not extra, f"{s.name} has undocumented labels {extra}"
            assert s.labels.get("task", "0").isdigit(), s
            assert s.labels.get("partition", "0").isdigit(), s
            assert s.labels.get("code", "200").isdigit(), s
            assert s.labels.get("state", "running") in STATES, s
            assert s.labels.get("method", "GET") in METHODS, s
            assert s.labels.get("route", "unmatched") in ROUTE_TEMPLATES, s
            assert REASON.fullmatch(s.labels.get("reason", "stopped")), s


def scrape(worker: Worker) -> Samples:
    """Every sample of one scrape, parsed by prometheus-client's own parser.

    Each scrape is also checked for bounded cardinality against docs/metrics.md's label list.
    """
    with urllib.request.urlopen(worker.rest.base + "/metrics", timeout=60) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = resp.read().decode()
    assert_bounded_cardinality(text, DOCUMENTED_LABELS)
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


DOCUMENTED_LABELS = documented_labels()


def test_the_documented_label_list_is_the_issues_list() -> None:
    """The check above reads its list from the doc: the doc must hold exactly the agreed labels."""
    agreed = {"worker", "connector", "task", "state", "topic", "partition", "method", "route", "code", "reason"}
    assert agreed == DOCUMENTED_LABELS


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The one sample called ``name`` whose labels include ``labels`` (None if there is none)."""
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


@pytest.fixture
def worker(tmp_path: Path, kafka_broker: KafkaBroker) -> Iterator[Worker]:
    w = Worker(tmp_path, kafka_broker.bootstrap_servers)
    yield w
    w.stop()


def test_counters_equal_the_records_moved_by_a_filestream_pipeline(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=2)
    total = 5000
    src = tmp_path / "in.txt"
    src.write_text("".join(f"line-{i}\n" for i in range(total)))
    out = tmp_path / "out.txt"
    worker.start()
    worker.create("src", file_source("src", src, unique_topic))
    worker.create("sink", file_sink("sink", out, unique_topic))
    wait_for(lambda: count_lines(out) >= total, 120, "every line in the sink file")
    in_topic = topic_values(kafka_broker, unique_topic, total)
    assert len(in_topic) == total
    assert count_lines(out) == total
    src_task = {"connector": "src", "task": "0"}
    sink_task = {"connector": "sink", "task": "0"}

    def settled() -> Samples | None:
        s = scrape(worker)
        done = (
            value(s, "kconnect_source_task_write_records_total", **src_task) == total
            and value(s, "kconnect_sink_task_send_records_total", **sink_task) == total
            and value(s, "kconnect_sink_task_active_records", **sink_task) == 0
            and value(s, "kconnect_sink_task_record_lag_max_records", **sink_task) == 0
            # librdkafka's statistics arrive every few seconds: wait for a report that covers both partitions
            and all(
                value(s, "kconnect_consumer_lag_records", topic=unique_topic, partition=p, **sink_task) == 0
                for p in ("0", "1")
            )
        )
        return s if done else None

    s = wait_for(settled, 60, "the counters to reach the records moved", interval=1.0)
    # Kafka Connect's groups: what the source polled and wrote is what the topic holds; what the
    # sink read and put is what the file holds.
    assert value(s, "kconnect_source_task_poll_records_total", **src_task) == len(in_topic)
    assert value(s, "kconnect_source_task_write_records_total", **src_task) == len(in_topic)
    assert value(s, "kconnect_source_task_active_records", **src_task) == 0
    assert value(s, "kconnect_sink_task_read_records_total", **sink_task) == count_lines(out)
    assert value(s, "kconnect_sink_task_send_records_total", **sink_task) == count_lines(out)
    assert value(s, "kconnect_sink_task_partition_count", **sink_task) == 2
    assert (value(s, "kconnect_sink_task_offset_commit_completion_total", **sink_task) or 0) >= 1
    batches = value(s, "kconnect_task_batches_total", **src_task) or 0
    assert 1 <= batches <= total  # per batch, never per record
    assert value(s, "kconnect_source_task_poll_batch_duration_seconds_count", **src_task) == batches
    assert value(s, "kconnect_sink_task_put_batch_duration_seconds_count", **sink_task) == value(
        s, "kconnect_task_batches_total", **sink_task
    )
    # Statuses, worker counts, librdkafka statistics (lag of both partitions is 0 once caught up).
    assert value(s, "kconnect_task_status", state="running", **src_task) == 1
    assert value(s, "kconnect_task_status", state="failed", **src_task) == 0
    assert value(s, "kconnect_connector_status", connector="sink", state="running") == 1
    assert value(s, "kconnect_worker_task_count") == 2
    assert value(s, "kconnect_worker_connector_count") == 2
    assert value(s, "kconnect_worker_connector_tasks", connector="src", state="running") == 1
    assert value(s, "kconnect_worker_task_startup_success_total") == 2
    assert value(s, "kconnect_worker_task_startup_failure_total") == 0
    for partition in ("0", "1"):
        assert value(s, "kconnect_consumer_lag_records", topic=unique_topic, partition=partition, **sink_task) == 0
    assert value(s, "kconnect_producer_queue_messages", **src_task) is not None
    # Processes, observed by the supervisor.
    for labels in (src_task, sink_task):
        assert (value(s, "kconnect_task_process_cpu_seconds_total", **labels) or 0) > 0
        assert (value(s, "kconnect_task_process_resident_memory_bytes", **labels) or 0) > 10_000_000
        assert (value(s, "kconnect_task_process_unique_memory_bytes", **labels) or 0) > 0
        assert (value(s, "kconnect_task_process_open_fds", **labels) or 0) > 3
        assert value(s, "kconnect_task_restarts_total", **labels) == 0
        assert value(s, "kconnect_task_error_records_skipped_total", **labels) == 0
    assert (value(s, "kconnect_supervisor_process_resident_memory_bytes") or 0) > 0
    assert (value(s, "kconnect_rest_processes") or 0) >= 2  # gunicorn arbiter and its worker
    # REST: the two creations were counted under their route template, the scrapes too.
    assert value(s, "kconnect_rest_requests_total", method="POST", route="/connectors", code="201") == 2
    worker.rest.call("GET", "/connectors/nope/status")
    s = scrape(worker)
    assert value(s, "kconnect_rest_requests_total", method="GET", route="/connectors/{name}/status", code="404") == 1
    assert (value(s, "kconnect_rest_requests_total", method="GET", route="/metrics", code="200") or 0) >= 2
    assert (
        value(
            s,
            "kconnect_rest_request_duration_seconds_bucket",
            method="POST",
            route="/connectors",
            code="201",
            le="+Inf",
        )
        == 2
    )


def test_a_killed_task_shows_its_restart_and_a_failed_task_keeps_its_metrics(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    total = 2000
    src = tmp_path / "in.txt"
    src.write_text("".join(f"r{i}\n" for i in range(total)))
    worker.start()
    worker.create("restarting", file_source("restarting", src, unique_topic))
    worker.create("failing", file_source("failing", src, unique_topic, **{"kconnect.task.restart.enable": "false"}))
    restarting = {"connector": "restarting", "task": "0"}
    failing = {"connector": "failing", "task": "0"}

    def both_wrote_everything() -> bool:
        s = scrape(worker)
        return all(value(s, "kconnect_source_task_write_records_total", **t) == total for t in (restarting, failing))

    wait_for(both_wrote_everything, 90, "both sources to write the file", interval=1.0)
    assert len(topic_values(kafka_broker, unique_topic, 2 * total)) == 2 * total
    victims = worker.task_pids("restarting", "source_task") + worker.task_pids("failing", "source_task")
    assert len(victims) == 2
    for pid in victims:
        os.kill(pid, signal.SIGKILL)

    def after_kill() -> Samples | None:
        s = scrape(worker)
        ok = (
            value(s, "kconnect_task_restarts_total", **restarting) == 1
            and value(s, "kconnect_task_status", state="running", **restarting) == 1
            and value(s, "kconnect_task_status", state="failed", **failing) == 1
        )
        return s if ok else None

    s = wait_for(after_kill, 60, "the restart and the FAILED status in the metrics", interval=1.0)
    for labels in (restarting, failing):
        assert value(s, "kconnect_task_exits_total", reason="signal:SIGKILL", **labels) == 1
        assert value(s, "kconnect_task_last_exit_info", reason="signal:SIGKILL", **labels) == 1
        assert (value(s, "kconnect_task_last_exit_timestamp_seconds", **labels) or 0) > time.time() - 120
    # The FAILED task's last counters stay visible (Java drops them): what it wrote before dying.
    assert value(s, "kconnect_source_task_write_records_total", **failing) == total
    assert value(s, "kconnect_source_task_poll_records_total", **failing) == total
    assert value(s, "kconnect_task_restarts_total", **failing) == 0
    assert value(s, "kconnect_task_process_cpu_seconds_total", **failing) is None  # no process any more
    assert value(s, "kconnect_worker_connector_tasks", connector="failing", state="failed") == 1
    assert value(s, "kconnect_worker_task_startup_attempts_total") == 3
    failed_status = worker.status("failing")["tasks"][0]
    assert failed_status["state"] == "FAILED"
    assert "Task process was killed by SIGKILL" in failed_status["trace"], failed_status
    # The restarted task is a new process that counts from 0 again (it resumes after the stored offsets).
    assert victims[0] not in worker.task_pids("restarting", "source_task")

    # A task that raises (its file cannot be created): FAILED with its stack trace over REST, and its
    # series stay in the scrapes that follow, with the exit reason ``exception``.
    raising = {"connector": "raising", "task": "0"}
    worker.create(
        "raising",
        file_sink(
            "raising", tmp_path / "no-such-dir" / "out.txt", unique_topic, **{"kconnect.task.restart.enable": "false"}
        ),
    )
    wait_for(lambda: worker.status("raising")["tasks"][0]["state"] == "FAILED", 60, "the raising task FAILED")
    trace = worker.status("raising")["tasks"][0]["trace"]
    assert "Traceback" in trace, trace
    assert "no-such-dir" in trace, trace
    for _ in range(3):  # several heartbeat periods later, still there
        s = scrape(worker)
        assert value(s, "kconnect_task_status", state="failed", **raising) == 1
        assert value(s, "kconnect_task_exits_total", reason="exception", **raising) == 1
        assert value(s, "kconnect_task_last_exit_info", reason="exception", **raising) == 1
        assert value(s, "kconnect_task_error_records_skipped_total", **raising) == 0
        assert value(s, "kconnect_task_status", state="failed", **failing) == 1
        assert value(s, "kconnect_source_task_write_records_total", **failing) == total
        time.sleep(1)
    assert worker.status("raising")["tasks"][0]["state"] == "FAILED"
    assert worker.status("failing")["tasks"][0]["state"] == "FAILED"


def test_metrics_can_be_switched_off(tmp_path: Path, kafka_broker: KafkaBroker) -> None:
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, {"kconnect.metrics.enable": "false"})
    try:
        w.start()
        status, body = w.rest.call("GET", "/metrics")
        assert status == 404
        assert "kconnect.metrics.enable" in body["message"]
    finally:
        w.stop()


def test_requests_served_by_another_rest_process_reach_the_scrape(tmp_path: Path, kafka_broker: KafkaBroker) -> None:
    """The admin listener runs in its own gunicorn process: its counters arrive by its periodic push."""
    admin_port = free_port()
    w = Worker(tmp_path, kafka_broker.bootstrap_servers, {"admin.listeners": f"http://127.0.0.1:{admin_port}"})
    try:
        w.start()
        admin = RestClient(f"http://127.0.0.1:{admin_port}")
        for _ in range(3):
            admin.get("/admin/loggers")
        with urllib.request.urlopen(w.rest.base + "/metrics/", timeout=60) as resp:
            assert resp.status == 200  # a trailing slash is tolerated, as on every route
        status, _ = admin.call("GET", "/metrics")
        assert status == 404  # not served on the admin listener

        def counted() -> Samples | None:
            s = scrape(w)
            return s if value(s, "kconnect_rest_requests_total", route="/admin/loggers", code="200") == 3 else None

        s = wait_for(counted, 30, "the admin listener's requests in the main listener's scrape", interval=0.5)
        assert value(s, "kconnect_rest_requests_total", method="GET", route="unmatched", code="404") == 1
        assert (value(s, "kconnect_rest_processes") or 0) >= 4  # two gunicorn arbiters and their workers
    finally:
        w.stop()


def test_restarts_do_not_grow_the_exposition(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    """Every task restart is a new process, but the series stay one set per task (no per-pid leftovers)."""
    kafka_broker.create_topic(unique_topic, partitions=1)
    src = tmp_path / "in.txt"
    src.write_text("a\nb\n")
    worker.start()
    worker.create("src", file_source("src", src, unique_topic))
    labels = {"connector": "src", "task": "0"}
    sizes = []
    for restarts in range(1, 5):
        old = worker.task_pids("src", "source_task")
        assert worker.rest.call("POST", "/connectors/src/tasks/0/restart")[0] == 204
        wait_for(lambda o=old: (p := worker.task_pids("src", "source_task")) and p != o, 30, f"restart {restarts}")

        def seen(n: int = restarts) -> Samples | None:
            s = scrape(worker)
            running = value(s, "kconnect_task_status", state="running", **labels) == 1
            return s if running and value(s, "kconnect_task_restarts_total", **labels) == n else None

        s = wait_for(seen, 30, f"restart {restarts} in the metrics", interval=0.5)
        sizes.append(len([k for k in s if not k[0].startswith("kconnect_rest_request")]))
        assert value(s, "kconnect_task_exits_total", reason="stopped", **labels) == restarts
    assert sizes[1] == sizes[3], sizes


def test_a_paused_source_keeps_reporting_and_counts_paused_time(
    tmp_path: Path, kafka_broker: KafkaBroker, worker: Worker, unique_topic: str
) -> None:
    kafka_broker.create_topic(unique_topic, partitions=1)
    src = tmp_path / "in.txt"
    src.write_text("a\nb\n")
    worker.start()
    worker.create("src", file_source("src", src, unique_topic))
    labels = {"connector": "src", "task": "0"}
    wait_for(lambda: value(scrape(worker), "kconnect_task_status", state="running", **labels) == 1, 30, "RUNNING")
    assert worker.rest.call("PUT", "/connectors/src/pause")[0] == 202

    def paused_a_while() -> Samples | None:
        s = scrape(worker)
        paused = value(s, "kconnect_task_status", state="paused", **labels) == 1
        return s if paused and (value(s, "kconnect_task_paused_seconds_total", **labels) or 0) >= 2 else None

    # Paused time only grows through heartbeats: the paused task keeps sending them.
    s = wait_for(paused_a_while, 30, "paused time in the metrics", interval=0.5)
    assert (value(s, "kconnect_task_running_seconds_total", **labels) or 0) > 0
    assert value(s, "kconnect_source_task_write_records_total", **labels) == 2


def test_the_cardinality_check_rejects_undocumented_labels_and_values() -> None:
    """The check run on every scrape above can fail (no broker needed)."""
    ok = 'kconnect_task_exits_total{worker="w",connector="c",task="0",reason="signal:SIGKILL"} 1\n'
    assert_bounded_cardinality(ok, DOCUMENTED_LABELS)
    for bad in (
        'kconnect_task_exits_total{worker="w",connector="c",task="0",pid="4711"} 1\n',
        'kconnect_task_exits_total{worker="w",connector="c",task="0",reason="boom: no such file"} 1\n',
        'kconnect_rest_requests_total{worker="w",method="GET",route="/connectors/abc",code="200"} 1\n',
    ):
        with pytest.raises(AssertionError):
            assert_bounded_cardinality(bad, DOCUMENTED_LABELS)
