#!/usr/bin/env python
"""Metrics benchmark: what /metrics costs a task, next to the noise floor, and what a scrape costs.

    python tests/bench/bench_metrics.py [--records N] [--reps K] [--tasks T] [--restarts R]

One real Kafka broker and two ``kconnect standalone`` workers, identical except for
``kconnect.metrics.enable`` (true / false). Each repetition runs the null sink (a sink task that
drops records, ``tests/bench/null_sink.py``, reusing bench_foundation's pieces) over the same
pre-filled topic four times, in an order that alternates between repetitions:
metrics on (A), metrics off (A), metrics on (B), metrics off (B). Throughput is the task's steady
rate (first to last record). Printed: the medians, the on/off ratio, and the A/A ratios of each
setting against itself, which are the noise floor the on/off difference should stay within.

Then the scrape: median time of ``GET /metrics`` with T sink tasks running (real processes, each
read with psutil), and the rendering alone for 1,000 synthetic tasks. Last, R real task restarts
(``POST .../tasks/0/restart``, each a new process): series count and scrape time before and after.
prometheus-client's multiprocess mode is not used (nothing is written per pid), so there is no file
count to watch; what must stay bounded is the exposition itself.

Not collected by pytest (the file name does not start with ``test_``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench.bench_foundation import record_value  # noqa: E402

BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def prefill(broker: Any, topic: str, n: int, partitions: int = 1) -> None:
    from confluent_kafka import Producer

    broker.create_topic(topic, partitions)
    p = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": "50", "acks": "1"})
    for i in range(n):
        while True:
            try:
                p.produce(topic, record_value(i), partition=i % partitions)
                break
            except BufferError:
                p.poll(0.05)
    assert p.flush(120) == 0


def null_sink_run(worker: Any, name: str, topic: str, n: int, work: Path) -> float:
    """Steady records/s of one null sink task reading ``n`` records of ``topic``."""
    from tests.support.worker import wait_for

    stats = work / f"{name}.json"
    worker.create(
        name,
        {
            "connector.class": "tests.bench.null_sink.NullSinkConnector",
            "tasks.max": "1",
            "topics": topic,
            "key.converter": BYTES,
            "value.converter": BYTES,
            "expected.records": str(n),
            "stats.file": str(stats),
        },
    )
    wait_for(stats.exists, 120 + n / 10_000, f"{name} to read {n} records", interval=0.1)
    s = json.loads(stats.read_text())
    worker.rest.call("DELETE", f"/connectors/{name}")
    wait_for(lambda: not worker.task_pids(connector=name), 60, f"{name} processes to exit")
    return float((s["count"] - s["first_batch"]) / (s["last_ts"] - s["first_ts"]))


def scrape_seconds(worker: Any) -> tuple[float, int]:
    t = time.perf_counter()
    with urllib.request.urlopen(worker.rest.base + "/metrics", timeout=60) as resp:
        body = resp.read()
    return time.perf_counter() - t, len(body)


def render_seconds(tasks: int) -> float:
    from kconnect.supervisor.metrics_render import render
    from tests.unit.test_metrics_render import snapshot

    snap = snapshot()
    template = snap["tasks"][0]
    snap["tasks"] = [{**template, "connector": f"c{i // 10}", "task": i % 10, "pid": None} for i in range(tasks)]
    snap["connectors"] = [{"name": f"c{i}", "state": "running", "pid": None, "exits": {}} for i in range(tasks // 10)]
    times = []
    for _ in range(5):
        t = time.perf_counter()
        render(snap)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def series_count(worker: Any) -> int:
    with urllib.request.urlopen(worker.rest.base + "/metrics", timeout=60) as resp:
        lines = resp.read().decode().splitlines()
    return sum(1 for line in lines if line and not line.startswith("#") and "kconnect_rest_request" not in line)


def restart_scrapes(worker: Any, restarts: int) -> None:
    """``restarts`` real restarts of task 0 of connector ``many``; the exposition must not grow."""
    from tests.support.worker import wait_for

    # One restart first: task 0 then has its exit-reason series (reason "stopped"), which later
    # restarts only count up; from there on the number of series must not move.
    assert worker.rest.call("POST", "/connectors/many/tasks/0/restart")[0] == 204
    time.sleep(3)
    before_series = series_count(worker)
    before_ms = statistics.median(scrape_seconds(worker)[0] for _ in range(5)) * 1000
    t0 = time.monotonic()
    for i in range(restarts):
        old = set(worker.task_pids("many", "sink_task"))
        status, _ = worker.rest.call("POST", "/connectors/many/tasks/0/restart")
        assert status == 204, status

        def replaced(o: set[int] = old) -> bool:  # the old process gone, its successor running
            now = set(worker.task_pids("many", "sink_task"))
            return len(now) == len(o) and now != o

        wait_for(replaced, 60, f"restart {i + 1}", interval=0.05)
        if (i + 1) % 100 == 0:
            log(f"{i + 1} restarts")
    elapsed = time.monotonic() - t0
    wait_for(lambda: all(t["state"] == "RUNNING" for t in worker.status("many")["tasks"]), 120, "all RUNNING")
    time.sleep(2)
    after_series = series_count(worker)
    after_ms = statistics.median(scrape_seconds(worker)[0] for _ in range(5)) * 1000
    print()
    print(f"{restarts} real task restarts in {elapsed:.0f} s (no multiprocess files: nothing per pid is kept)")
    print(f"  series (REST request series excluded) before / after: {before_series} / {after_series}")
    print(f"  GET /metrics median before / after: {before_ms:.1f} ms / {after_ms:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=16, help="sink tasks running during the scrape timing")
    parser.add_argument("--restarts", type=int, default=1000, help="real task restarts before the last scrape")
    args = parser.parse_args(argv)
    from kconnect.supervisor.devbroker.broker import KafkaBroker
    from tests.support.worker import Worker, wait_for

    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    work = Path(tempfile.mkdtemp(prefix="kconnect-bench-metrics-"))
    broker = KafkaBroker(work / "broker")
    broker.start()
    workers: dict[str, Any] = {}
    try:
        for setting, enable in (("on", "true"), ("off", "false")):
            (work / setting).mkdir()
            workers[setting] = Worker(
                work / setting, broker.bootstrap_servers, {"kconnect.metrics.enable": enable}
            ).start()
        topic = "bench-metrics"
        prefill(broker, topic, args.records)
        log(f"broker and two workers up; {topic} holds {args.records:,} records")
        rates: dict[str, list[float]] = {"on-A": [], "off-A": [], "on-B": [], "off-B": []}
        for rep in range(args.reps):
            order = list(rates) if rep % 2 == 0 else list(reversed(rates))
            for run in order:
                rate = null_sink_run(workers[run.split("-")[0]], f"null-{run}-{rep}", topic, args.records, work)
                rates[run].append(rate)
                log(f"rep {rep} {run:5}: {rate:,.0f} records/s")
        med = {k: statistics.median(v) for k, v in rates.items()}
        on = statistics.median(rates["on-A"] + rates["on-B"])
        off = statistics.median(rates["off-A"] + rates["off-B"])
        print()
        print(f"null sink, {args.records:,} records, {args.reps} reps (medians of steady records/s):")
        for k, v in med.items():
            print(f"  {k:6} {v:12,.0f}")
        print(f"  metrics on / off          {on / off:.3f}")
        print(f"  A/A noise floor: on A/B   {med['on-A'] / med['on-B']:.3f}")
        print(f"  A/A noise floor: off A/B  {med['off-A'] / med['off-B']:.3f}")
        noise = max(abs(1 - med["on-A"] / med["on-B"]), abs(1 - med["off-A"] / med["off-B"]))
        verdict = "within" if abs(1 - on / off) <= noise else "OUTSIDE"
        print(f"  difference {abs(1 - on / off):.1%} vs noise {noise:.1%}: {verdict} the noise")

        # Scrape time with many real task processes.
        many = "bench-metrics-many"
        prefill(broker, many, 0, partitions=args.tasks)
        w = workers["on"]
        w.create(
            "many",
            {
                "connector.class": "tests.bench.null_sink.NullSinkConnector",
                "tasks.max": str(args.tasks),
                "topics": many,
                "key.converter": BYTES,
                "value.converter": BYTES,
            },
        )

        def all_running() -> bool:
            tasks = w.status("many")["tasks"]
            return len(tasks) == args.tasks and all(t["state"] == "RUNNING" for t in tasks)

        wait_for(all_running, 300, f"{args.tasks} tasks RUNNING", interval=1.0)
        time.sleep(2)  # every task has sent a heartbeat
        scrapes = [scrape_seconds(w) for _ in range(10)]
        print()
        median_ms = statistics.median(s for s, _ in scrapes) * 1000
        print(
            f"GET /metrics with {args.tasks} running sink tasks: median {median_ms:.1f} ms",
            f"({scrapes[-1][1] / 1024:.0f} KiB)",
        )
        print(f"rendering alone, 1,000 synthetic tasks (no processes to read): {render_seconds(1000) * 1000:.0f} ms")
        if args.restarts:
            restart_scrapes(w, args.restarts)
    finally:
        for worker in workers.values():
            worker.stop()
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
