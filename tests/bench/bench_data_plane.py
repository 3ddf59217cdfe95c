#!/usr/bin/env python
# ruff: noqa: RUF001, RUF002  (the report prints en dashes and multiplication signs on purpose)
"""Data-plane cost benchmark: what SMTs and error tolerance cost a FileStreamSink pipeline.

    python tests/bench/bench_data_plane.py [--records N] [--reps K]

One real broker and one ``kconnect standalone`` worker (the foundation benchmark's infrastructure,
``tests/bench/bench_foundation.py``) serve the whole run. Each repetition pre-fills one topic with N
schemaless JSON records of about 100 bytes and then runs, in a rotating order, one FileStreamSink
connector per variant with JsonConverter (schemas.enable=false) on values:

    plain      no transforms, errors.tolerance=none (the default)
    smt3       InsertField (static field) + ReplaceField (exclude) + Cast (string -> int32)
    tolerant   errors.tolerance=all, errors.log.enable=true, a DLQ topic (no record fails: this is
               the cost of having error handling switched on)

A run is timed from ``POST /connectors`` until the output file holds N lines; the steady rate is the
10 %..90 % slope of the line count. Medians and min–max spreads over the repetitions are printed, with
each variant's ratio to ``plain`` of the same repetition. Exactly-once sources come with distributed
mode and are not measured here yet.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench.bench_foundation import Bench, log, rate_between  # noqa: E402

JSON_CONV = "org.apache.kafka.connect.json.JsonConverter"
STRING_CONV = "org.apache.kafka.connect.storage.StringConverter"

VARIANTS: dict[str, dict[str, str]] = {
    "plain": {},
    "smt3": {
        "transforms": "insert,drop,cast",
        "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.insert.static.field": "source",
        "transforms.insert.static.value": "bench",
        "transforms.drop.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
        "transforms.drop.exclude": "pad",
        "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
        "transforms.cast.spec": "n:int32",
    },
    "tolerant": {
        "errors.tolerance": "all",
        "errors.log.enable": "true",
        "errors.deadletterqueue.topic.name": "bench-dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    },
}


def json_record(i: int) -> bytes:
    head = b'{"id":%d,"n":"%d","name":"record","pad":"' % (i, i % 1000)
    return head + b"x" * max(0, 98 - len(head)) + b'"}'


class LineCounter:
    """Counts lines of a growing file incrementally (reads only what was appended)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pos = 0
        self.lines = 0

    def __call__(self) -> int:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                chunk = f.read()
        except FileNotFoundError:
            return 0
        self.pos += len(chunk)
        self.lines += chunk.count(b"\n")
        return self.lines


class DataPlaneBench(Bench):
    def prefill_json(self, topic: str) -> None:
        from confluent_kafka import Producer

        self.create_topic(topic)
        p = Producer({"bootstrap.servers": self.broker.bootstrap_servers, "acks": "1", "linger.ms": "50"})
        for i in range(self.n):
            while True:
                try:
                    p.produce(topic, json_record(i), partition=0)
                    break
                except BufferError:
                    p.poll(0.05)
            if i % 5000 == 0:
                p.poll(0)
        assert p.flush(300) == 0
        assert self.high_watermark(topic) == self.n
        log(f"pre-filled {topic} with {self.n:,} JSON records")

    def run_variant(self, rep: int, topic: str, variant: str) -> dict[str, Any]:
        name = f"dp-{variant}-r{rep}"
        out = self.work / f"{name}.out"
        count = LineCounter(out)
        config = {
            "connector.class": "FileStreamSink",
            "tasks.max": "1",
            "topics": topic,
            "file": str(out),
            "key.converter": STRING_CONV,
            "value.converter": JSON_CONV,
            "value.converter.schemas.enable": "false",
            **VARIANTS[variant],
        }

        def done(last: int | None) -> float | None:
            return time.time() if (last or 0) >= self.n else None

        r = self.run_kconnect(name, config, done, progress=count)
        lines = count()
        assert lines == self.n, f"{name}: {lines} lines, expected {self.n}"
        with open(out, "rb") as f:
            first = f.readline()
        out.unlink()
        steady = rate_between(r["samples"], self.n)
        row = {
            "variant": variant,
            "rep": rep,
            "rate": self.n / (r["t_done"] - r["t0"]),
            "steady": steady,
            "cpu_us_per_rec": r["cpu"] / self.n * 1e6,
            "first_line": first.decode(errors="replace").strip(),
        }
        self.results.append(row)
        log(
            f"  {variant:<9} rep {rep}: {row['rate']:>9,.0f} rec/s e2e  "
            + (f"{steady:>9,.0f} rec/s steady  " if steady else "")
            + f"cpu {row['cpu_us_per_rec']:.2f} µs/rec   first line: {row['first_line'][:70]}"
        )
        return row

    def run(self) -> None:
        names = list(VARIANTS)
        for rep in range(self.args.reps):
            order = names[rep % len(names) :] + names[: rep % len(names)]
            log(f"=== repetition {rep + 1}/{self.args.reps} (order: {', '.join(order)}) ===")
            topic = f"bench-dp-r{rep}"
            self.prefill_json(topic)
            for variant in order:
                self.run_variant(rep, topic, variant)
                time.sleep(self.args.pause)
            self.delete_topics([topic])

    def report(self) -> None:
        print()
        print("=" * 100)
        print(
            f"kconnect data-plane cost: FileStreamSink, {self.n:,} JSON records x ~100 B, {self.args.reps} reps, "
            "1 partition, 1 task"
        )
        span = "min–max"
        print(f"{'variant':<10} {'e2e median':>12} {span:>21} {'steady median':>14} {span:>21} {'vs plain':>9}")
        for variant in VARIANTS:
            rows = [r for r in self.results if r["variant"] == variant]
            if not rows:
                continue
            e2e = [r["rate"] for r in rows]
            st = [r["steady"] for r in rows if r["steady"]]
            ratios = []
            for r in rows:
                base = next((b for b in self.results if b["variant"] == "plain" and b["rep"] == r["rep"]), None)
                if base:
                    ratios.append(r["rate"] / base["rate"])
            ratio = f"{statistics.median(ratios):.2f}×" if ratios else ""
            st_txt = f"{statistics.median(st):>14,.0f} {f'{min(st):,.0f}–{max(st):,.0f}':>21}" if st else ""
            print(
                f"{variant:<10} {statistics.median(e2e):>12,.0f} {f'{min(e2e):,.0f}–{max(e2e):,.0f}':>21} "
                f"{st_txt} {ratio:>9}"
            )
        print("(vs plain: median over reps of the e2e ratio to the plain run of the same repetition)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--broker-heap", default="1g")
    parser.add_argument("--flush-interval-ms", type=int, default=5000)
    parser.add_argument("--pause", type=float, default=2.0)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--results", default=None)
    args = parser.parse_args(argv)
    bench = DataPlaneBench(args)
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
