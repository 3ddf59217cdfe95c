#!/usr/bin/env python
# ruff: noqa: RUF001, RUF002  (the report prints en dashes and multiplication signs on purpose)
"""Exactly-once source cost: records/s of a FileStreamSource task with and without transactions.

    python tests/bench/bench_eos.py [--records N] [--reps K]

One real broker serves the run. Each run starts one real source task process (as a distributed
master starts it, tests/support/task_process.py) reading a file of N short lines into a fresh
1-partition topic, in a rotating order of variants:

    alo        at-least-once (exactly.once.source.support=disabled), offset.flush.interval.ms=1000
    eos-poll   exactly-once, transaction.boundary=poll (a transaction per poll batch of 2000 records)
    eos-1s     exactly-once, transaction.boundary=interval, transaction.boundary.interval.ms=1000

The bench reads the topic with a ``read_committed`` consumer. A run's rate is N over the time from the
task's HELLO (sent once its set-up is done: producer, ``init_transactions``, offsets read, task start)
to the last record becoming readable (``run``), and over the time from spawning the process (``e2e``,
which adds the set-up). Medians and min–max spreads over the repetitions are printed, with each
variant's ``run`` ratio to ``alo`` of the same repetition.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]  # noqa: E402

from kconnect.supervisor.devbroker.broker import KafkaBroker  # noqa: E402
from kconnect.workers.exactly_once import task_settings  # noqa: E402
from tests.support.task_process import TaskProcess  # noqa: E402

VARIANTS: dict[str, dict[str, str]] = {
    "alo": {},
    "eos-poll": {"transaction.boundary": "poll"},
    "eos-1s": {"transaction.boundary": "interval", "transaction.boundary.interval.ms": "1000"},
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class EosBench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.n: int = args.records
        self.work = Path(tempfile.mkdtemp(prefix="kconnect-bench-eos-"))
        self.broker = KafkaBroker(self.work / "broker", fast_startup=False, heap=args.broker_heap)
        self.results: list[dict[str, Any]] = []
        self.source = self.work / "numbers.txt"

    def start(self) -> None:
        t = time.monotonic()
        self.broker.start()
        log(f"broker {self.broker.bootstrap_servers} ready in {time.monotonic() - t:.1f}s")
        self.source.write_text("".join(f"{i:09d}\n" for i in range(self.n)))
        self.admin = AdminClient({"bootstrap.servers": self.broker.bootstrap_servers})
        self.offsets_topic = "bench-eos-offsets"
        self._create(NewTopic(self.offsets_topic, 5, 1, config={"cleanup.policy": "compact"}))

    def _create(self, topic: NewTopic) -> None:
        self.admin.create_topics([topic])[topic.topic].result(30)

    def stop(self) -> None:
        self.broker.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def run_variant(self, rep: int, variant: str) -> None:
        bootstrap = self.broker.bootstrap_servers
        suffix = uuid.uuid4().hex[:6]
        topic = f"bench-eos-{variant}-{suffix}"
        self._create(NewTopic(topic, 1, 1))
        eos = variant != "alo"
        worker = {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-eos",
            "config.storage.topic": "bench-eos-configs",
            "status.storage.topic": "bench-eos-status",
            "offset.storage.topic": self.offsets_topic,
            "offset.flush.interval.ms": "1000",
            "exactly.once.source.support": "enabled" if eos else "disabled",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        }
        name = f"bench-{variant}-{suffix}"
        config = {"name": name, "connector.class": "FileStreamSource", "file": str(self.source), "topic": topic}
        config.update(VARIANTS[variant])
        settings = task_settings(worker, config, name, 0, offset_flush_interval_ms=1000)
        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"bench-{suffix}",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
            }
        )
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        task = TaskProcess(
            connector=name,
            task_id=0,
            worker_props=worker,
            connector_config=config,
            task_config=config,
            exactly_once=settings.to_boot() if settings else None,
        )
        t0 = time.monotonic()
        task.start()
        seen, last = 0, 0.0
        deadline = t0 + 300
        while seen < self.n and time.monotonic() < deadline:
            msgs = consumer.consume(10000, 0.5)
            got = sum(1 for m in msgs if m.error() is None)
            if got:
                last = time.monotonic()
                seen += got
        task.stop()
        consumer.close()
        self.admin.delete_topics([topic])
        assert seen == self.n, f"{variant}: read {seen} of {self.n}"
        assert not task.failures, task.failures
        row = {
            "variant": variant,
            "rep": rep,
            "run": self.n / max(1e-6, last - task.hello_at),
            "e2e": self.n / (last - t0),
            "txns": task.last_stats.get("transactions_committed"),
        }
        self.results.append(row)
        log(
            f"  {variant:<9} rep {rep}: {row['run']:>9,.0f} rec/s run  {row['e2e']:>9,.0f} rec/s e2e"
            + (f"  ({row['txns']} transactions by the last heartbeat)" if eos else "")
        )

    def run(self) -> None:
        names = list(VARIANTS)
        for rep in range(self.args.reps):
            order = names[rep % len(names) :] + names[: rep % len(names)]
            log(f"=== repetition {rep + 1}/{self.args.reps} (order: {', '.join(order)}) ===")
            for variant in order:
                self.run_variant(rep, variant)

    def report(self) -> None:
        print()
        print("=" * 96)
        print(f"kconnect exactly-once source cost: FileStreamSource, {self.n:,} lines x 10 B, {self.args.reps} reps")
        span = "min–max"
        print(f"{'variant':<10} {'run median':>14} {span:>21} {'e2e median':>12} {span:>21} {'vs alo':>7}")
        for variant in VARIANTS:
            rows = [r for r in self.results if r["variant"] == variant]
            if not rows:
                continue
            st = [r["run"] for r in rows]
            e2e = [r["e2e"] for r in rows]
            ratios = []
            for r in rows:
                base = next((b for b in self.results if b["variant"] == "alo" and b["rep"] == r["rep"]), None)
                if base:
                    ratios.append(r["run"] / base["run"])
            ratio = f"{statistics.median(ratios):.2f}×" if ratios else ""
            print(
                f"{variant:<10} {statistics.median(st):>14,.0f} {f'{min(st):,.0f}–{max(st):,.0f}':>21} "
                f"{statistics.median(e2e):>12,.0f} {f'{min(e2e):,.0f}–{max(e2e):,.0f}':>21} {ratio:>7}"
            )
        print("(vs alo: median over reps of the run-rate ratio to the at-least-once run of the same repetition)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--broker-heap", default="512m")
    args = parser.parse_args(argv)
    bench = EosBench(args)
    try:
        bench.start()
        bench.run()
        bench.report()
    finally:
        bench.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
