#!/usr/bin/env python
# ruff: noqa: RUF001  (the report prints en dashes and multiplication signs on purpose)
"""Foundation benchmark: kconnect against the raw confluent-kafka loops it is built on.

    python tests/bench/bench_foundation.py [--records N] [--reps K] [--quick] [--only a,b,c]

One real Kafka broker (standard JVM flags, not the test suite's fast-startup ones) and one
``kconnect standalone`` worker serve the whole run. Each repetition runs, alternating which system
goes first:

(a) null sink: a raw ``Consumer.consume(num_messages=...)`` consume-and-drop loop against a kconnect
    sink task that drops records (``tests/bench/null_sink.py``), ByteArrayConverter for key and value;
(b) file sink: a raw consume/decode/write-lines loop against FileStreamSink with StringConverter;
(c) file source: a raw read-lines/produce loop against FileStreamSource with StringConverter.

Both sides use the client settings kconnect computes (``kconnect.workers.clients``). Sink runs read a
topic pre-filled once per repetition (1 partition, N records of 100 bytes), each with a fresh consumer
group; source runs each write a fresh topic. Raw loops run in a fresh Python process of their own
(this file with ``--raw-child``) and are timed from client creation; kconnect is timed from
``POST /connectors``. Where possible a steady-state rate is also given: first to last record (null
sink), or between 10 % and 90 % of the output (file size / topic high watermark sampled every 0.1 s).

Memory: USS (private) and RSS of every kconnect task process idle (connector created on an empty
topic / empty file, sampled after it settled) and under load (max of samples every 0.5 s), of the
supervisor, and of a bare raw-client process for comparison.

Not collected by pytest (the file name does not start with ``test_``). ``make bench`` runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RECORD_SIZE = 100
MB = 1024 * 1024

TARGET_NULL_SINK_RATIO = 0.9
TARGET_IDLE_TASK_USS_MB = 25.0


def record_value(i: int) -> bytes:
    """Record ``i``: 100 ASCII bytes, no line terminator (valid UTF-8, so StringConverter round-trips)."""
    head = b"%010d " % i
    return head + b"x" * (RECORD_SIZE - len(head))


# ==================================================================================================
# Raw loops: run in a child process (``--raw-child SPEC``), print one JSON line, import nothing else.
# ==================================================================================================


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _check(msg: Any) -> bool:
    """True if ``msg`` carries a record; raise on a real error (as kconnect's loop does)."""
    err = msg.error()
    if err is None:
        return True
    from confluent_kafka import KafkaError, KafkaException

    if err.code() == KafkaError._PARTITION_EOF:
        return False
    if err.fatal() or not err.retriable():
        raise KafkaException(err)
    return False


def raw_consume_drop(spec: dict[str, Any]) -> dict[str, Any]:
    from confluent_kafka import Consumer

    n, batch = spec["records"], spec["batch"]
    t0, cpu0 = time.time(), _cpu()
    consumer = Consumer(spec["conf"])
    consumer.subscribe([spec["topic"]])
    consume = consumer.consume
    count = 0
    first_ts = cpu_first = 0.0
    first_batch = 0
    while count < n:
        msgs = consume(num_messages=batch, timeout=0.5)
        if not msgs:
            continue
        k = 0
        for msg in msgs:
            if msg.error() is None or _check(msg):
                k += 1
        if not count and k:
            first_ts, first_batch, cpu_first = time.time(), k, _cpu() - cpu0
        count += k
    last_ts, cpu1 = time.time(), _cpu()
    consumer.close()
    return {
        "t0": t0,
        "t_done": last_ts,
        "t_first": first_ts,
        "cpu_first": cpu_first,
        "first_ts": first_ts,
        "first_batch": first_batch,
        "last_ts": last_ts,
        "count": count,
        "cpu": cpu1 - cpu0,
    }


def raw_file_sink(spec: dict[str, Any]) -> dict[str, Any]:
    """What FileStreamSink + StringConverter do, minus the framework: decode, join lines, buffered write."""
    from confluent_kafka import Consumer

    n, batch = spec["records"], spec["batch"]
    t0, cpu0 = time.time(), _cpu()
    consumer = Consumer(spec["conf"])
    consumer.subscribe([spec["topic"]])
    consume = consumer.consume
    count = 0
    first_ts = cpu_first = 0.0
    with open(spec["file"], "ab", buffering=256 * 1024) as out:
        write = out.write
        while count < n:
            msgs = consume(num_messages=batch, timeout=0.5)
            if not msgs:
                continue
            lines = [
                msg.value().decode("utf-8", "replace") + "\n" for msg in msgs if msg.error() is None or _check(msg)
            ]
            if lines:
                if not count:
                    first_ts, cpu_first = time.time(), _cpu() - cpu0
                write("".join(lines).encode("utf-8", "replace"))
                count += len(lines)
        out.flush()
        os.fsync(out.fileno())
    t_done, cpu1 = time.time(), _cpu()
    consumer.close()
    return {
        "t0": t0,
        "t_done": t_done,
        "t_first": first_ts,
        "cpu_first": cpu_first,
        "count": count,
        "cpu": cpu1 - cpu0,
    }


def raw_produce(spec: dict[str, Any]) -> dict[str, Any]:
    """Read lines, produce each (without its terminator) as a value; poll every 2000 lines; flush at end."""
    from confluent_kafka import Producer

    topic = spec["topic"]
    t0, cpu0 = time.time(), _cpu()
    producer = Producer(spec["conf"])
    produce, poll = producer.produce, producer.poll
    count = 0
    with open(spec["file"], "rb", buffering=256 * 1024) as f:
        for line in f:
            value = line[:-1]
            while True:
                try:
                    produce(topic, value)
                    break
                except BufferError:
                    poll(0.05)
            count += 1
            if count % 2000 == 0:
                poll(0)
    remaining = producer.flush(600)
    t_done, cpu1 = time.time(), _cpu()
    return {
        "t0": t0,
        "t_done": t_done,
        "t_first": t0,
        "cpu_first": 0.0,
        "count": count,
        "unflushed": remaining,
        "cpu": cpu1 - cpu0,
    }


def raw_idle(spec: dict[str, Any]) -> dict[str, Any]:
    """A bare client process doing nothing (consumer on an empty topic, or an idle producer)."""
    from confluent_kafka import Consumer, Producer

    end = time.monotonic() + spec["seconds"]
    if spec["kind"] == "consumer":
        consumer = Consumer(spec["conf"])
        consumer.subscribe([spec["topic"]])
        while time.monotonic() < end:
            consumer.consume(num_messages=spec.get("batch", 500), timeout=0.5)
        consumer.close()
    else:
        producer = Producer(spec["conf"])
        while time.monotonic() < end:
            producer.poll(0.5)
    return {}


RAW_MODES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "consume_drop": raw_consume_drop,
    "file_sink": raw_file_sink,
    "produce": raw_produce,
    "idle": raw_idle,
}


def raw_child_main(spec_json: str) -> int:
    spec = json.loads(spec_json)
    result = RAW_MODES[spec["mode"]](spec)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


# ==================================================================================================
# The parent: broker, worker, runs, sampling, reporting.
# ==================================================================================================


class MemSampler(threading.Thread):
    """Samples USS and RSS of the processes it is told about every ``interval`` s; keeps the maxima."""

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True, name="mem-sampler")
        import psutil

        self.psutil = psutil
        self.interval = interval
        self.lock = threading.Lock()
        self.procs: dict[str, Any] = {}
        self.peak: dict[str, tuple[int, int]] = {}
        self.stopped = threading.Event()

    def track(self, label: str, pid: int) -> None:
        with self.lock:
            if label not in self.procs:
                with contextlib.suppress(self.psutil.Error):
                    self.procs[label] = self.psutil.Process(pid)

    def reset(self) -> dict[str, tuple[int, int]]:
        with self.lock:
            out, self.peak, self.procs = self.peak, {}, {}
        return out

    def sample_once(self) -> None:
        with self.lock:
            procs = list(self.procs.items())
        for label, proc in procs:
            try:
                info = proc.memory_full_info()
            except self.psutil.Error:
                continue
            with self.lock:
                uss, rss = self.peak.get(label, (0, 0))
                self.peak[label] = (max(uss, info.uss), max(rss, info.rss))

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample_once()


def mem_of(pid: int) -> tuple[int, int]:
    import psutil

    info = psutil.Process(pid).memory_full_info()
    return info.uss, info.rss


def cpu_of(pid: int) -> float:
    import psutil

    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return float("nan")
    return float(t.user + t.system)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def rate_between(samples: list[tuple[float, int]], total: int, lo: float = 0.1, hi: float = 0.9) -> float | None:
    """Rate (units/s) between the first samples at or past ``lo`` and ``hi`` of ``total``."""
    a = next(((t, v) for t, v in samples if v >= lo * total), None)
    b = next(((t, v) for t, v in samples if v >= hi * total), None)
    if a is None or b is None or b[0] <= a[0]:
        return None
    return (b[1] - a[1]) / (b[0] - a[0])


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.n: int = args.records
        self.work = Path(args.workdir or tempfile.mkdtemp(prefix="kconnect-bench-")).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.results: list[dict[str, Any]] = []
        self.idle: dict[str, Any] = {}
        self.sampler = MemSampler()
        self.broker: Any = None
        self.worker: Any = None
        self.watch: Any = None
        self.source_file = self.work / "source-input.txt"

    # --- infrastructure ------------------------------------------------------------------------
    def start(self) -> None:
        from confluent_kafka import Consumer

        from kconnect.supervisor.devbroker.broker import KafkaBroker
        from tests.support.worker import Worker

        log(f"work dir {self.work}")
        self.broker = KafkaBroker(self.work / "broker", fast_startup=False, heap=self.args.broker_heap)
        t = time.monotonic()
        self.broker.start()
        log(f"broker {self.broker.bootstrap_servers} ready in {time.monotonic() - t:.1f}s (pid {self.broker.pid})")
        # Task processes import tests.bench.null_sink: they inherit the supervisor's environment.
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(REPO), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
        )
        wdir = self.work / "worker"
        wdir.mkdir(exist_ok=True)
        self.worker = Worker(
            wdir,
            self.broker.bootstrap_servers,
            {"offset.flush.interval.ms": str(self.args.flush_interval_ms)},
        )
        self.worker.start()
        log(f"worker up (supervisor pid {self.worker.proc.pid}, REST {self.worker.rest.base})")
        self.watch = Consumer({"bootstrap.servers": self.broker.bootstrap_servers, "group.id": "bench-watch"})
        self.sampler.start()

    def stop(self) -> None:
        self.sampler.stopped.set()
        if self.watch is not None:
            with contextlib.suppress(Exception):
                self.watch.close()
        if self.worker is not None and self.worker.proc is not None:
            rc = self.worker.stop()
            log(f"worker stopped (exit {rc})")
        if self.broker is not None:
            self.broker.stop()
            log("broker stopped")
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    def worker_config(self) -> Any:
        from kconnect.workers.worker_config import WorkerConfig

        return WorkerConfig.from_props(self.worker.props, log=False)

    def consumer_settings(self, name: str) -> tuple[dict[str, str], int]:
        from kconnect.workers import clients

        s = clients.consumer_config(self.worker_config(), name, 0)
        return dict(s.config), s.max_poll_records

    def producer_settings(self, name: str) -> dict[str, str]:
        from kconnect.workers import clients

        return dict(clients.producer_config(self.worker_config(), name, 0))

    def create_topic(self, name: str) -> None:
        self.broker.create_topic(name, 1)

    def delete_topics(self, names: Iterable[str]) -> None:
        fs = self.broker.admin().delete_topics(list(names), operation_timeout=30)
        for f in fs.values():
            with contextlib.suppress(Exception):
                f.result(30)

    def high_watermark(self, topic: str) -> int:
        from confluent_kafka import TopicPartition

        _low, high = self.watch.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        return int(high)

    def prefill(self, topic: str) -> None:
        from confluent_kafka import Producer

        self.create_topic(topic)
        p = Producer(
            {
                "bootstrap.servers": self.broker.bootstrap_servers,
                "acks": "1",
                "linger.ms": "50",
                "batch.num.messages": "10000",
                "queue.buffering.max.kbytes": str(256 * 1024),
            }
        )
        t = time.monotonic()
        produce, poll = p.produce, p.poll
        for i in range(self.n):
            v = record_value(i)
            while True:
                try:
                    produce(topic, v, partition=0)
                    break
                except BufferError:
                    poll(0.05)
            if i % 5000 == 0:
                poll(0)
        left = p.flush(300)
        assert left == 0, f"pre-fill: {left} records unflushed"
        hw = self.high_watermark(topic)
        assert hw == self.n, f"pre-fill of {topic}: high watermark {hw} != {self.n}"
        dt = time.monotonic() - t
        log(f"pre-filled {topic} with {self.n:,} records in {dt:.1f}s ({self.n / dt:,.0f} rec/s, acks=1 linger 50)")

    def write_source_file(self) -> None:
        t = time.monotonic()
        with open(self.source_file, "wb") as f:
            step = 100_000
            for start in range(0, self.n, step):
                f.write(b"".join(record_value(i) + b"\n" for i in range(start, min(self.n, start + step))))
        log(
            f"wrote {self.source_file} ({self.source_file.stat().st_size / MB:,.0f} MiB) in {time.monotonic() - t:.1f}s"
        )

    # --- kconnect helpers ---------------------------------------------------------------------
    def task_pid(self, name: str) -> int | None:
        pids = self.worker.task_pids(connector=name, role=None)
        roles = [p for p in pids if self._role(p) in ("sink_task", "source_task")]
        return roles[0] if roles else None

    @staticmethod
    def _role(pid: int) -> str:
        import psutil

        try:
            argv = psutil.Process(pid).cmdline()
        except psutil.Error:
            return ""
        return argv[argv.index("--role") + 1] if "--role" in argv else ""

    def check_alive(self, name: str) -> None:
        if self.worker.proc.poll() is not None:
            raise RuntimeError(f"worker exited ({self.worker.proc.returncode}):\n{self.worker.log_tail()}")
        status, body = self.worker.rest.call("GET", f"/connectors/{name}/status")
        if status == 200:
            for t in body.get("tasks", []):
                if t.get("state") == "FAILED":
                    raise RuntimeError(f"{name} task FAILED:\n{t.get('trace')}")

    def delete_connector(self, name: str) -> None:
        from tests.support.worker import wait_for

        status, body = self.worker.rest.call("DELETE", f"/connectors/{name}")
        if status not in (200, 204):
            raise RuntimeError(f"DELETE {name}: {status} {body}")
        wait_for(lambda: not self.worker.task_pids(connector=name), 60, f"{name} processes to exit")

    def run_kconnect(
        self,
        name: str,
        config: dict[str, str],
        done: Callable[[int | None], float | None],
        progress: Callable[[], int] | None = None,
    ) -> dict[str, Any]:
        """Create the connector, wait for ``done()`` to return a completion time, delete it.

        Returns the timings, the sampled progress, the task's CPU and memory peaks.
        """
        sup = self.worker.proc.pid
        self.sampler.reset()
        self.sampler.track("supervisor", sup)
        self.sampler.track("broker", self.broker.pid)
        cpu_sup0, cpu_broker0 = cpu_of(sup), cpu_of(self.broker.pid)
        deadline = time.monotonic() + 180 + self.n / 5000
        samples: list[tuple[float, int]] = []
        t_post = time.time()
        self.worker.create(name, config)
        pid: int | None = None
        next_check = time.monotonic() + 2
        t_done: float | None = None
        task_cpu = float("nan")
        cpu_samples: list[tuple[float, float]] = []
        while True:
            if pid is None:
                pid = self.task_pid(name)
                if pid is not None:
                    self.sampler.track("task", pid)
            if pid is not None:
                cpu_samples.append((time.time(), cpu_of(pid)))
            last: int | None = None
            if progress is not None:
                last = progress()
                samples.append((time.time(), last))
            t_done = done(last)
            if t_done is not None:
                break
            if time.monotonic() > next_check:
                self.check_alive(name)
                next_check = time.monotonic() + 2
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: not done before the deadline\n{self.worker.log_tail()}")
            time.sleep(0.05 if progress is None else 0.1)
        if pid is not None:
            task_cpu = cpu_of(pid)
        cpu_sup, cpu_broker = cpu_of(sup) - cpu_sup0, cpu_of(self.broker.pid) - cpu_broker0
        self.sampler.sample_once()
        peaks = self.sampler.reset()
        self.delete_connector(name)
        return {
            "t0": t_post,
            "t_done": t_done,
            "samples": samples,
            "cpu": task_cpu,
            "cpu_samples": cpu_samples,
            "cpu_supervisor": cpu_sup,
            "cpu_broker": cpu_broker,
            "peak": peaks,
        }

    def run_raw(
        self, spec: dict[str, Any], progress: Callable[[], int] | None = None, sample_every: float = 0.1
    ) -> dict[str, Any]:
        self.sampler.reset()
        self.sampler.track("broker", self.broker.pid)
        cpu_broker0 = cpu_of(self.broker.pid)
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--raw-child", json.dumps(spec)],
            stdout=subprocess.PIPE,
        )
        self.sampler.track("task", proc.pid)
        samples: list[tuple[float, int]] = []
        deadline = time.monotonic() + 180 + self.n / 5000
        while proc.poll() is None:
            if progress is not None:
                samples.append((time.time(), progress()))
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"raw {spec['mode']} did not finish")
            time.sleep(sample_every)
        out = proc.stdout.read().decode() if proc.stdout else ""
        proc.wait()
        if proc.returncode != 0:
            raise RuntimeError(f"raw {spec['mode']} exited {proc.returncode}: {out}")
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        result["samples"] = samples
        result["cpu_broker"] = cpu_of(self.broker.pid) - cpu_broker0
        self.sampler.sample_once()
        result["peak"] = self.sampler.reset()
        return result

    # --- the benchmarks --------------------------------------------------------------------------
    def record(self, bench: str, system: str, rep: int, r: dict[str, Any], steady: float | None, **extra: Any) -> None:
        elapsed = r["t_done"] - r["t0"]
        t_first = r.get("t_first")
        if "cpu_first" in r:
            cpu_first = r["cpu_first"]
        elif t_first is not None:
            # the task's CPU time when its first record went through (the last sample before it)
            cpu_first = max((c for t, c in r.get("cpu_samples", []) if t <= t_first), default=0.0)
        else:
            cpu_first = 0.0
        row = {
            "bench": bench,
            "system": system,
            "rep": rep,
            "elapsed": elapsed,
            "rate": self.n / elapsed,
            "steady": steady,
            "cpu_us_per_rec": r["cpu"] / self.n * 1e6,
            "cpu_steady_us_per_rec": (r["cpu"] - cpu_first) / self.n * 1e6,
            "cpu_startup_s": cpu_first,
            "first_record_s": None if t_first is None else t_first - r["t0"],
            "cpu_broker_us_per_rec": r.get("cpu_broker", float("nan")) / self.n * 1e6,
            "cpu_supervisor_s": r.get("cpu_supervisor"),
            "peak": {k: [v[0] / MB, v[1] / MB] for k, v in r.get("peak", {}).items()},
            **extra,
        }
        self.results.append(row)
        pk = row["peak"].get("task", [float("nan")] * 2)
        sup = row["peak"].get("supervisor")
        log(
            f"  {bench} {system:<8} rep {rep}: {elapsed:7.2f}s  {row['rate']:>10,.0f} rec/s e2e"
            + (f"  {steady:>10,.0f} rec/s steady" if steady else "")
            + f"  cpu {row['cpu_steady_us_per_rec']:.2f} µs/rec after 1st record"
            + f" (total {row['cpu_us_per_rec']:.2f}, broker {row['cpu_broker_us_per_rec']:.2f})"
            + f"  task peak USS {pk[0]:.1f} / RSS {pk[1]:.1f} MB"
            + (f"  supervisor peak USS {sup[0]:.1f} MB, cpu {row['cpu_supervisor_s']:.2f}s" if sup else "")
            + (f"  first record {row['first_record_s']:.2f}s" if row["first_record_s"] is not None else "")
            + "".join(f"  {k}={v}" for k, v in extra.items())
        )
        self.save()

    def save(self) -> None:
        text = json.dumps({"args": vars(self.args), "results": self.results, "idle": self.idle}, indent=1)
        (self.work / "results.json").write_text(text)
        if self.args.results:
            Path(self.args.results).write_text(text)

    def bench_null_sink(self, rep: int, topic: str, system: str) -> None:
        name = f"null-{system}-r{rep}"
        if system == "raw":
            conf, batch = self.consumer_settings(name)
            r = self.run_raw({"mode": "consume_drop", "conf": conf, "batch": batch, "topic": topic, "records": self.n})
            assert r["count"] == self.n, r
            steady = (self.n - r["first_batch"]) / (r["last_ts"] - r["first_ts"])
            self.record("(a)", system, rep, r, steady)
            return
        stats = self.work / f"{name}.json"
        bytes_conv = "org.apache.kafka.connect.converters.ByteArrayConverter"

        def done(_last: int | None) -> float | None:
            if not stats.exists():
                return None
            return float(json.loads(stats.read_text())["last_ts"])

        r = self.run_kconnect(
            name,
            {
                "connector.class": "tests.bench.null_sink.NullSinkConnector",
                "tasks.max": "1",
                "topics": topic,
                "key.converter": bytes_conv,
                "value.converter": bytes_conv,
                "expected.records": str(self.n),
                "stats.file": str(stats),
            },
            done,
        )
        s = json.loads(stats.read_text())
        assert s["count"] == self.n, s
        steady = (s["count"] - s["first_batch"]) / (s["last_ts"] - s["first_ts"])
        r["t_first"] = s["first_ts"]
        self.record("(a)", system, rep, r, steady)

    def bench_file_sink(self, rep: int, topic: str, system: str) -> None:
        name = f"file-{system}-r{rep}"
        out = self.work / f"{name}.out"
        expected = self.n * (RECORD_SIZE + 1)

        def size() -> int:
            try:
                return out.stat().st_size
            except FileNotFoundError:
                return 0

        if system == "raw":
            conf, batch = self.consumer_settings(name)
            r = self.run_raw(
                {
                    "mode": "file_sink",
                    "conf": conf,
                    "batch": batch,
                    "topic": topic,
                    "records": self.n,
                    "file": str(out),
                },
                progress=size,
            )
            extra: dict[str, Any] = {}
        else:
            string_conv = "org.apache.kafka.connect.storage.StringConverter"

            def done(last: int | None) -> float | None:
                return time.time() if (last or 0) >= expected else None

            r = self.run_kconnect(
                name,
                {
                    "connector.class": "FileStreamSink",
                    "tasks.max": "1",
                    "topics": topic,
                    "file": str(out),
                    "key.converter": string_conv,
                    "value.converter": string_conv,
                },
                done,
                progress=size,
            )
            # The sink's write buffer is emptied only by flush() at offset commit: the tail waits for it.
            tail_from = next((t for t, v in r["samples"] if v >= expected - 256 * 1024), r["t_done"])
            extra = {"tail_s": round(r["t_done"] - tail_from, 2)}
        final = size()
        assert final == expected, f"{name}: output {final} bytes, expected {expected}"
        with open(out, "rb") as f:
            f.seek(-(RECORD_SIZE + 1), os.SEEK_END)
            last = f.read()
        assert last == record_value(self.n - 1) + b"\n", last
        steady = rate_between(r["samples"], expected)
        steady = steady / (RECORD_SIZE + 1) if steady else None
        if system != "raw":
            r["t_first"] = next((t for t, v in r["samples"] if v > 0), None)
        out.unlink()
        self.record("(b)", system, rep, r, steady, **extra)

    def bench_file_source(self, rep: int, system: str) -> None:
        name = f"src-{system}-r{rep}"
        topic = f"bench-{name}"
        self.create_topic(topic)

        def hw() -> int:
            return self.high_watermark(topic)

        if system == "raw":
            r = self.run_raw(
                {
                    "mode": "produce",
                    "conf": self.producer_settings(name),
                    "topic": topic,
                    "file": str(self.source_file),
                    "records": self.n,
                },
                progress=hw,
                sample_every=0.1,
            )
            assert r["unflushed"] == 0, r
            assert r["count"] == self.n, r
        else:
            string_conv = "org.apache.kafka.connect.storage.StringConverter"

            def done(last: int | None) -> float | None:
                return time.time() if (last or 0) >= self.n else None

            r = self.run_kconnect(
                name,
                {
                    "connector.class": "FileStreamSource",
                    "tasks.max": "1",
                    "topic": topic,
                    "file": str(self.source_file),
                    "key.converter": string_conv,
                    "value.converter": string_conv,
                },
                done,
                progress=hw,
            )
        final = hw()
        assert final == self.n, f"{topic}: high watermark {final}, expected {self.n}"
        if system != "raw":
            r["t_first"] = next((t for t, v in r["samples"] if v > 0), None)
        self.record("(c)", system, rep, r, rate_between(r["samples"], self.n))
        self.delete_topics([topic])

    # --- idle memory -------------------------------------------------------------------------------
    def measure_idle(self) -> None:
        from tests.support.worker import wait_for

        log("idle memory: creating connectors on an empty topic / empty file")
        topic = "bench-idle"
        self.create_topic(topic)
        empty = self.work / "idle-input.txt"
        empty.write_bytes(b"")
        string_conv = "org.apache.kafka.connect.storage.StringConverter"
        bytes_conv = "org.apache.kafka.connect.converters.ByteArrayConverter"
        conns = {
            "idle-null": {
                "connector.class": "tests.bench.null_sink.NullSinkConnector",
                "topics": topic,
                "key.converter": bytes_conv,
                "value.converter": bytes_conv,
            },
            "idle-filesink": {
                "connector.class": "FileStreamSink",
                "topics": topic,
                "file": str(self.work / "idle.out"),
                "key.converter": string_conv,
                "value.converter": string_conv,
            },
            "idle-filesource": {
                "connector.class": "FileStreamSource",
                "topic": "bench-idle-src",
                "file": str(empty),
                "key.converter": string_conv,
                "value.converter": string_conv,
            },
        }
        self.create_topic("bench-idle-src")
        sup = self.worker.proc.pid
        sup_before = mem_of(sup)
        for name, cfg in conns.items():
            self.worker.create(name, {"tasks.max": "1", **cfg})
        for name in conns:
            wait_for(
                lambda n=name: (s := self.worker.status(n))["tasks"] and s["tasks"][0]["state"] == "RUNNING",
                60,
                f"{name} RUNNING",
            )
        # Raw baselines: bare Python + confluent-kafka client processes, idle.
        cconf, batch = self.consumer_settings("idle-raw")
        raws = {
            "raw consumer": subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--raw-child",
                    json.dumps(
                        {
                            "mode": "idle",
                            "kind": "consumer",
                            "conf": cconf,
                            "batch": batch,
                            "topic": topic,
                            "seconds": 12,
                        }
                    ),
                ],
                stdout=subprocess.DEVNULL,
            ),
            "raw producer": subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--raw-child",
                    json.dumps(
                        {"mode": "idle", "kind": "producer", "conf": self.producer_settings("idle-raw"), "seconds": 12}
                    ),
                ],
                stdout=subprocess.DEVNULL,
            ),
        }
        time.sleep(6)  # let consumers join and every process settle into its idle loop
        import psutil

        rows: dict[str, list[float]] = {}
        for _ in range(3):
            procs: dict[str, int] = {"supervisor": sup}
            for child in psutil.Process(sup).children(recursive=True):
                try:
                    argv = child.cmdline()
                except psutil.Error:
                    continue
                if "--role" in argv:
                    label = f"{argv[argv.index('--role') + 1]} {argv[argv.index('--connector') + 1]}"
                else:
                    label = "rest " + ("master" if child.ppid() == sup else f"worker {child.pid}")
                procs[label] = child.pid
            for label, p in raws.items():
                procs[label] = p.pid
            for label, pid in procs.items():
                with contextlib.suppress(psutil.Error):
                    uss, rss = mem_of(pid)
                    prev = rows.get(label, [0.0, 0.0])
                    rows[label] = [max(prev[0], uss / MB), max(prev[1], rss / MB)]
            time.sleep(0.5)
        for p in raws.values():
            p.wait(30)
        for name in conns:
            self.delete_connector(name)
        self.delete_topics([topic, "bench-idle-src"])
        self.idle = {"processes": rows, "supervisor_before_connectors_mb": [sup_before[0] / MB, sup_before[1] / MB]}
        self.save()
        log("idle memory (max of 3 samples, MB):")
        for label, (uss, rss) in sorted(rows.items()):
            log(f"  {label:<34} USS {uss:7.1f}   RSS {rss:7.1f}")
        log(f"  supervisor before any connector: USS {sup_before[0] / MB:.1f}  RSS {sup_before[1] / MB:.1f}")

    # --- driver ------------------------------------------------------------------------------------
    def run(self) -> None:
        only = set(self.args.only.split(","))
        if "c" in only:
            self.write_source_file()
        self.measure_idle()
        for rep in range(self.args.reps):
            order = ["raw", "kconnect"] if rep % 2 == 0 else ["kconnect", "raw"]
            log(f"=== repetition {rep + 1}/{self.args.reps} (order: {' then '.join(order)}) ===")
            if only & {"a", "b"}:
                topic = f"bench-sink-r{rep}"
                self.prefill(topic)
                if "a" in only:
                    for system in order:
                        self.bench_null_sink(rep, topic, system)
                        time.sleep(self.args.pause)
                if "b" in only:
                    for system in order:
                        self.bench_file_sink(rep, topic, system)
                        time.sleep(self.args.pause)
                self.delete_topics([topic])
            if "c" in only:
                for system in order:
                    self.bench_file_source(rep, system)
                    time.sleep(self.args.pause)

    # --- report ------------------------------------------------------------------------------------
    def report(self) -> None:
        print()
        print("=" * 118)
        print(
            f"kconnect foundation benchmark: {self.n:,} records x {RECORD_SIZE} B, {self.args.reps} reps, "
            f"alternating; 1 partition, 1 task; offset.flush.interval.ms={self.args.flush_interval_ms}; "
            f"broker heap {self.args.broker_heap}"
        )
        print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; {self._versions()}")
        print("e2e = N / (done - start); start = client creation (raw) or POST /connectors (kconnect).")
        print(
            "steady = (a) first to last record seen by the loop/task; (b),(c) 10%..90% of output bytes / "
            "high watermark sampled every 0.1 s."
        )
        print("=" * 118)
        hdr = (
            f"{'benchmark':<16} {'system':<9} {'e2e median rec/s':>16} {'min–max':>21} {'ratio':>7}   "
            f"{'steady median':>13} {'min–max':>21} {'ratio':>7}   {'cpu µs/rec*':>11}"
        )
        print(hdr)
        print("-" * len(hdr))
        titles = {"(a)": "(a) null sink", "(b)": "(b) file sink", "(c)": "(c) file source"}
        ratios: dict[str, tuple[float | None, float | None]] = {}
        for bench, title in titles.items():
            base: tuple[float, float | None] | None = None
            for i, system in enumerate(("raw", "kconnect")):
                rows = [r for r in self.results if r["bench"] == bench and r["system"] == system]
                if not rows:
                    continue
                e2e = [r["rate"] for r in rows]
                st = [r["steady"] for r in rows if r["steady"]]
                cpu = statistics.median(r["cpu_steady_us_per_rec"] for r in rows)
                e_med = statistics.median(e2e)
                s_med = statistics.median(st) if st else None
                if system == "raw":
                    base = (e_med, s_med)
                    e_ratio = s_ratio = ""
                else:
                    er = e_med / base[0] if base else None
                    sr = s_med / base[1] if base and base[1] and s_med else None
                    ratios[bench] = (er, sr)
                    e_ratio = f"{er:.2f}×" if er else ""
                    s_ratio = f"{sr:.2f}×" if sr else ""
                e_span = f"{min(e2e):,.0f}–{max(e2e):,.0f}"
                s_span = f"{min(st):,.0f}–{max(st):,.0f}" if st else ""
                s_txt = f"{s_med:,.0f}" if s_med else "n/a"
                print(
                    f"{title if i == 0 else '':<16} {system:<9} {e_med:>16,.0f} {e_span:>21} {e_ratio:>7}   "
                    f"{s_txt:>13} {s_span:>21} {s_ratio:>7}   {cpu:>11.2f}"
                )
        print("* CPU of the task process (raw: the loop's process) after its first record, per record, median.")
        print()
        print("Per-rep paired ratios kconnect/raw (e2e; steady):")
        for bench in titles:
            pairs = []
            for rep in range(self.args.reps):
                a = [r for r in self.results if r["bench"] == bench and r["rep"] == rep]
                raw = next((r for r in a if r["system"] == "raw"), None)
                kc = next((r for r in a if r["system"] == "kconnect"), None)
                if raw and kc:
                    s = f"{kc['steady'] / raw['steady']:.2f}" if kc["steady"] and raw["steady"] else "n/a"
                    pairs.append(f"{kc['rate'] / raw['rate']:.2f}; {s}")
            if pairs:
                print(f"  {titles[bench]:<16} " + "   ".join(pairs))
        print("Time to first record (s) [raw: from client creation; kconnect: from POST]; file-sink tail (s):")
        for bench in titles:
            for system in ("raw", "kconnect"):
                rows = [r for r in self.results if r["bench"] == bench and r["system"] == system]
                firsts = [f"{r['first_record_s']:.2f}" for r in rows if r["first_record_s"] is not None]
                tails = [f"{r['tail_s']:.2f}" for r in rows if r.get("tail_s") is not None]
                if firsts:
                    print(
                        f"  {titles[bench]:<16} {system:<9} first record: {', '.join(firsts)}"
                        + (f"   tail (last 256 KiB -> complete): {', '.join(tails)}" if tails else "")
                    )
        print()
        print(f"Memory (MB): {'USS':>8} {'RSS':>8}")
        idle = self.idle.get("processes", {})
        for label, (uss, rss) in sorted(idle.items()):
            print(f"  idle  {label:<32} {uss:8.1f} {rss:8.1f}")
        for bench, title in titles.items():
            for system in ("raw", "kconnect"):
                rows = [r for r in self.results if r["bench"] == bench and r["system"] == system]
                if not rows:
                    continue
                tu = max(r["peak"].get("task", [0, 0])[0] for r in rows)
                tr = max(r["peak"].get("task", [0, 0])[1] for r in rows)
                who = "raw loop process" if system == "raw" else "task process"
                print(f"  load  {title + ' ' + who:<32} {tu:8.1f} {tr:8.1f}   (max over reps)")
        sups = [r["peak"]["supervisor"] for r in self.results if "supervisor" in r["peak"]]
        if sups:
            print(
                f"  load  {'supervisor':<32} {max(s[0] for s in sups):8.1f} {max(s[1] for s in sups):8.1f}"
                f"   (max over kconnect runs)"
            )
        sup_cpu = [r["cpu_supervisor_s"] / r["elapsed"] * 100 for r in self.results if r.get("cpu_supervisor_s")]
        if sup_cpu:
            print(f"  supervisor CPU during kconnect runs: median {statistics.median(sup_cpu):.2f}% of one core")
        print()
        print("Design targets (not asserted):")
        a = ratios.get("(a)")
        if a:
            verdict = [
                f"{k} {v:.2f}× {'meets' if v >= TARGET_NULL_SINK_RATIO else 'MISSES'}"
                for k, v in (("e2e", a[0]), ("steady", a[1]))
                if v
            ]
            print(f"  null sink >= {TARGET_NULL_SINK_RATIO}× raw: " + "; ".join(verdict))
        task_idle = {k: v for k, v in idle.items() if k.startswith(("sink_task", "source_task"))}
        for label, (uss, _rss) in sorted(task_idle.items()):
            ok = "meets" if uss <= TARGET_IDLE_TASK_USS_MB else "MISSES"
            print(f"  idle task USS <= {TARGET_IDLE_TASK_USS_MB:.0f} MB: {label} {uss:.1f} MB {ok}")
        print(f"(raw data: {self.work / 'results.json'})" if self.args.keep else "")

    @staticmethod
    def _versions() -> str:
        import confluent_kafka

        from kconnect.supervisor.devbroker import jars

        return (
            f"confluent-kafka {confluent_kafka.version()[0]}, librdkafka {confluent_kafka.libversion()[0]}, "
            f"Kafka {jars.KAFKA_VERSION}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=None, help="records per run (default 10,000,000)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000,000 records x 2 reps")
    parser.add_argument("--only", default="a,b,c", help="benchmarks to run, e.g. a or a,c")
    parser.add_argument("--flush-interval-ms", type=int, default=5000, help="worker offset.flush.interval.ms")
    parser.add_argument("--broker-heap", default="1g")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between runs")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (broker data, results.json)")
    parser.add_argument("--results", default=None, help="also write the raw results (JSON) to this file")
    parser.add_argument("--raw-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.raw_child is not None:
        return raw_child_main(args.raw_child)
    if args.records is None:
        args.records = 1_000_000 if args.quick else 10_000_000
    if args.reps is None:
        args.reps = 2 if args.quick else 3
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    bench = Bench(args)
    try:
        bench.start()
        bench.run()
    except BaseException:
        log("run aborted; partial results follow")
        with contextlib.suppress(Exception):
            bench.report()
        raise
    finally:
        bench.stop()
    bench.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
