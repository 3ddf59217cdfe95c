#!/usr/bin/env python

"""kconnect against Java Kafka Connect 4.3.1 on the same broker, records and converters.

    python tests/bench/bench_vs_java.py [--records N] [--reps K] [--connectors C]

For each repetition, alternating which system goes first, both standalone workers run:

* FileStreamSource: one file of N 100-byte lines -> a fresh topic; timed from POST /connectors
  until the topic's high watermark reaches N.
* FileStreamSink: a topic pre-filled once with N records -> a file; timed from POST /connectors
  until the file holds all N lines.

Both use StringConverter for keys and values. Printed per system: records/s (median, min-max),
CPU seconds per million records (the worker's whole process tree), peak RSS and USS of the tree,
and the kconnect/Java ratios. Then REST latency: C FileStreamSink connectors on an idle topic,
with a source pipeline moving data at full speed, and 300 timed GET /connectors?expand=status.

Not collected by pytest; ``make bench-java`` runs it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from confluent_kafka import Consumer, Producer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kconnect.supervisor.devbroker.broker import KafkaBroker
from tests.support.java_connect import JavaConnect
from tests.support.worker import Worker, count_lines

LINE = "x" * 99  # 100 bytes with the newline


class Sampler:
    """Samples a process tree's CPU time and memory every 0.25 s while a run is going on."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak_rss = 0
        self.peak_uss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def tree(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.tree():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = uss = 0
            for p in self.tree():
                try:
                    info = p.memory_full_info()
                    rss += info.rss
                    uss += info.uss
                except psutil.Error:
                    pass
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_uss = max(self.peak_uss, uss)
            self._stop.wait(0.25)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def high_watermark(bootstrap: str, topic: str) -> int:
    from confluent_kafka import TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "hw-probe"})
    try:
        return int(c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1])
    except Exception:
        return 0
    finally:
        c.close()


def wait(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark run did not complete")
        time.sleep(0.05)


def run_one(system: str, kind: str, broker: KafkaBroker, work: Path, src: Path, topic: str, n: int) -> dict[str, Any]:
    work.mkdir(parents=True)
    worker: Any = (
        JavaConnect(work, broker.bootstrap_servers, heap="1g", fast_startup=False)
        if system == "java"
        else Worker(work, broker.bootstrap_servers)
    )
    if system == "java":
        worker.start()
        pid = worker.pid
    else:
        worker.start()
        pid = worker.proc.pid
    try:
        out = work / "out.txt"
        if kind == "source":
            config = {"connector.class": "FileStreamSource", "file": str(src), "topic": topic, "batch.size": "2000"}
            done = lambda: high_watermark(broker.bootstrap_servers, topic) >= n  # noqa: E731
        else:
            config = {"connector.class": "FileStreamSink", "file": str(out), "topics": topic}
            done = lambda: count_lines(out) >= n  # noqa: E731
        with Sampler(pid) as sampler:
            cpu0 = sampler.cpu_seconds()
            t0 = time.monotonic()
            # A name per run: sinks of the same name share the consumer group connect-<name> (and its offsets).
            name = f"bench-{kind}-{work.name}"
            status, body = worker.rest.call("POST", "/connectors", {"name": name, "config": config})
            assert status == 201, (status, body)
            wait(done, 1800)
            elapsed = time.monotonic() - t0
            cpu = sampler.cpu_seconds() - cpu0
        return {"rate": n / elapsed, "cpu_per_m": cpu / (n / 1e6), "rss": sampler.peak_rss, "uss": sampler.peak_uss}
    finally:
        worker.stop()


def rest_latency(system: str, broker: KafkaBroker, work: Path, src: Path, connectors: int, n: int) -> list[float]:
    work.mkdir(parents=True)
    worker: Any = (
        JavaConnect(work, broker.bootstrap_servers, heap="1g", fast_startup=False)
        if system == "java"
        else Worker(work, broker.bootstrap_servers)
    )
    worker.start()
    idle = f"idle-{system}-{time.time_ns()}"
    broker.create_topic(idle, partitions=1)
    try:
        for i in range(connectors):
            cfg = {"connector.class": "FileStreamSink", "file": str(work / f"o{i}.txt"), "topics": idle}
            worker.rest.call("POST", "/connectors", {"name": f"s{i}", "config": cfg})
        busy = f"busy-{system}-{time.time_ns()}"
        cfg = {"connector.class": "FileStreamSource", "file": str(src), "topic": busy}
        worker.rest.call("POST", "/connectors", {"name": "mover", "config": cfg})
        time.sleep(5)  # let the tasks start and the source get going
        latencies = []
        for _ in range(300):
            t0 = time.perf_counter()
            status, body = worker.rest.call("GET", "/connectors?expand=status")
            latencies.append(time.perf_counter() - t0)
            assert status == 200
            assert len(body) == connectors + 1
        return latencies
    finally:
        worker.stop()


def fmt_spread(values: list[float], scale: float = 1.0, digits: int = 0) -> str:
    med = statistics.median(values) * scale
    return f"{med:,.{digits}f} ({min(values) * scale:,.{digits}f}-{max(values) * scale:,.{digits}f})"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--connectors", type=int, default=50)
    args = ap.parse_args()
    n = args.records
    root = Path(tempfile.mkdtemp(prefix="kconnect-bench-java-"))
    src = root / "input.txt"
    with open(src, "w") as f:
        chunk = (LINE + "\n") * 10_000
        for _ in range(n // 10_000):
            f.write(chunk)
        f.write((LINE + "\n") * (n % 10_000))
    broker = KafkaBroker(root / "broker", fast_startup=False)
    broker.start()
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    try:
        sink_topic = "bench-sink-input"
        broker.create_topic(sink_topic, partitions=1)
        p = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 20, "batch.size": 1_000_000})
        for _ in range(n):
            while True:
                try:
                    p.produce(sink_topic, LINE.encode())
                    break
                except BufferError:
                    p.poll(0.1)
        p.flush(600)
        for rep in range(args.reps):
            order = ["java", "kconnect"] if rep % 2 == 0 else ["kconnect", "java"]
            for kind in ("source", "sink"):
                for system in order:
                    topic = f"bench-src-{system}-{rep}" if kind == "source" else sink_topic
                    r = run_one(system, kind, broker, root / f"{system}-{kind}-{rep}", src, topic, n)
                    results.setdefault((system, kind), []).append(r)
                    print(
                        f"rep {rep} {kind:6} {system:8} {r['rate']:>12,.0f} rec/s  cpu {r['cpu_per_m']:.2f} s/M  "
                        f"rss {r['rss'] / 1e6:.0f} MB  uss {r['uss'] / 1e6:.0f} MB",
                        flush=True,
                    )
        lat: dict[str, list[float]] = {}
        for system in ("java", "kconnect"):
            lat[system] = rest_latency(system, broker, root / f"{system}-rest", src, args.connectors, n)
    finally:
        broker.stop()
    print(f"\n{n:,} records of 100 bytes, {args.reps} repetitions, StringConverter; median (min-max)")
    print(
        f"{'benchmark':10} {'system':9} {'records/s':>32} {'CPU s per M':>24} {'peak RSS MB':>22} {'peak USS MB':>22}"
    )
    for kind in ("source", "sink"):
        for system in ("java", "kconnect"):
            rs = results[(system, kind)]
            print(
                f"{kind:10} {system:9} {fmt_spread([r['rate'] for r in rs]):>32} "
                f"{fmt_spread([r['cpu_per_m'] for r in rs], digits=2):>24} "
                f"{fmt_spread([r['rss'] for r in rs], 1e-6):>22} {fmt_spread([r['uss'] for r in rs], 1e-6):>22}"
            )
        ratios = [
            k["rate"] / j["rate"] for k, j in zip(results[("kconnect", kind)], results[("java", kind)], strict=True)
        ]
        print(f"{'':10} kconnect/java throughput: {fmt_spread(ratios, digits=2)}x")
    for system in ("java", "kconnect"):
        xs = sorted(lat[system])
        print(
            f"REST GET /connectors?expand=status with {args.connectors} connectors, {system}: "
            f"p50 {xs[len(xs) // 2] * 1000:.1f} ms  p99 {xs[int(len(xs) * 0.99)] * 1000:.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
