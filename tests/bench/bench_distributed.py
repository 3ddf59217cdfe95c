#!/usr/bin/env python
# ruff: noqa: RUF001  (the report prints en dashes on purpose)
"""Distributed-mode timing benchmark: heartbeat round trips and rebalance convergence / task downtime.

    python tests/bench/bench_distributed.py [--profile ci|prod|both] [--reps K] [--quick]
                                            [--latency-seconds S] [--workers N] [--scenarios join,leave,...]

Starts its own Kafka broker (``KafkaBroker``) and N (default 3) ``kconnect distributed`` workers per timing
profile, creates a FileStreamSource (1 task) and a 6-task FileStreamSink (9 units with the two connector
instances), then measures:

(a) heartbeat round trips: every worker logs each of its own heartbeats read back from the coordination
    topic (``kconnect.coordinator.heartbeat`` at DEBUG, switched on through ``PUT /admin/loggers``):
    produce -> LogAppendTime (``append``), LogAppendTime -> read back (``read``), produce -> read back
    (``rtt``, what a lease renewal waits for) and the broker-time gap between consecutive own heartbeats
    (``gap``, what the referee compares with ``session.timeout.ms``). Median / p99 / max over all workers,
    once idle and once under a data load (the bench appends 40,000 lines/s to the source file, more than
    the pipeline ships, so the source task, the six sink tasks and the broker keep the cores busy; the
    report gives the lines/s the sink tasks wrote meanwhile).
(b) per scenario and repetition: ``join`` (a new worker), ``leave`` (SIGTERM of that worker), ``kill9``
    (SIGKILL of a non-leader supervisor, not restarted: its units move after lease + delay), ``leader-kill``
    (SIGKILL of the leader as the referee computes it), ``restart`` (SIGUSR2: restart in place of one worker,
    a different one each repetition; converged once every unit it ran has a new process and all are RUNNING;
    "moved away" counts units that ended on another worker, which happens when the re-exec and re-join take
    longer than ``kconnect.coordination.restart.park.ms``). Convergence = event -> every unit runs exactly once
    on a live worker and every live worker's REST status shows both connectors and all tasks RUNNING (for a
    join also: the newcomer holds at least floor(units / workers) units). Task downtime = for each unit
    whose process changed, creation time of the new process - last time the old one was seen alive (units
    sampled every ~0.1 s; a kill's orphaned unit processes exit on their own). After a kill a fresh worker
    joins so every repetition starts from N workers.

Profiles: ``ci`` is the timing profile of tests/integration/test_distributed.py (lease 8 s, heartbeat 500 ms,
scheduled.rebalance.max.delay.ms 6 s); ``prod`` sets no timing key (kconnect's defaults: lease 20 s,
heartbeat 1 s, delay 300 s, initial delay 3 s, debounce 1 s). With ``prod`` a kill takes over five minutes
per repetition, so ``--quick`` skips both kill scenarios of every profile whose delay exceeds 60 s (``prod``;
``ci`` keeps them) and the report says so.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import os
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import psutil  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]  # noqa: E402

from kconnect.supervisor.coordination import referee as ref  # noqa: E402
from kconnect.supervisor.coordination.params import from_worker_properties  # noqa: E402
from tests.integration.test_distributed import timing_profile  # noqa: E402
from tests.support.worker import Worker, count_lines, wait_for  # noqa: E402

SINK_TASKS = 6
UNITS = {("src", -1), ("src", 0), ("sink", -1), *{("sink", i) for i in range(SINK_TASKS)}}
HB_LINE = re.compile(r"Heartbeat seq=\d+ append=(-?\d+) read=(-?\d+) rtt=(-?\d+) gap=(\w+)")
Unit = tuple[str, int]
QUICK_MAX_DELAY_MS = 60_000  # --quick skips kill scenarios of profiles with a longer scheduled delay


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def prod_profile(group: str) -> dict[str, str]:
    """The CI profile's storage keys without any timing key: kconnect's production defaults."""
    timing = {
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "scheduled.rebalance.max.delay.ms",
        "task.shutdown.graceful.timeout.ms",
    }
    return {k: v for k, v in timing_profile(group).items() if k not in timing and not k.startswith("kconnect.")}


PROFILES = {"ci": timing_profile, "prod": prod_profile}


@dataclass
class Cluster:
    work: Path
    bootstrap: str
    group: str
    props: dict[str, str]
    workers: list[Worker] = field(default_factory=list)
    lines: int = 0

    @property
    def source_file(self) -> Path:
        return self.work / "input.txt"

    def add(self) -> Worker:
        work = self.work / f"w{len(self.workers)}"
        work.mkdir()
        w = Worker(work, self.bootstrap, self.props, mode="distributed")
        self.workers.append(w)
        return w

    def live(self) -> list[Worker]:
        return [w for w in self.workers if w.proc is not None and w.proc.poll() is None]

    def write_lines(self, n: int) -> None:
        with open(self.source_file, "a", encoding="utf-8") as f:
            f.write("".join(f"line-{i:09d}\n" for i in range(self.lines, self.lines + n)))
        self.lines += n

    def unit_pids(self) -> dict[Unit, tuple[Worker, int]]:
        out: dict[Unit, tuple[Worker, int]] = {}
        for w in self.live():
            with contextlib.suppress(psutil.Error, AssertionError):
                for pid in w.task_pids():
                    try:
                        args = dict(itertools.pairwise(psutil.Process(pid).cmdline()))
                    except psutil.Error:
                        continue
                    if args.get("--role") in ("connector", "source_task", "sink_task"):
                        out[(args.get("--connector", ""), int(args.get("--task", "-1")))] = (w, pid)
        return out

    def statuses_running(self) -> bool:
        for w in self.live():
            for name, tasks in (("src", 1), ("sink", SINK_TASKS)):
                try:
                    status, body = w.rest.call("GET", f"/connectors/{name}/status")
                except OSError:
                    return False
                if status != 200 or body["connector"]["state"] != "RUNNING" or len(body["tasks"]) != tasks:
                    return False
                if any(t["state"] != "RUNNING" for t in body["tasks"]):
                    return False
        return True

    def leader(self) -> Worker:
        topic = f"{self.group}-configs-coordination"
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"b-{uuid.uuid4().hex}"})
        _, end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        consumer.assign([TopicPartition(topic, 0, 0)])
        triples: list[tuple[bytes, int, int]] = []
        while len(triples) < end:
            for msg in consumer.consume(1000, timeout=1.0):
                if msg.error() is None:
                    triples.append((msg.value() or b"", msg.timestamp()[1], msg.offset() or 0))
        consumer.close()
        lead = ref.leader(ref.fold(triples))
        assert lead is not None, "no leader in the coordination topic"
        return next(w for w in self.workers if lead.worker_id.endswith(f":{w.port}"))

    def debug_heartbeats(self, w: Worker) -> None:
        status, body = w.rest.call("PUT", "/admin/loggers/kconnect.coordinator.heartbeat", {"level": "DEBUG"})
        assert status == 200, (status, body)

    def stop(self) -> None:
        for w in self.workers:
            if w.proc is not None and w.proc.poll() is None:
                w.stop(timeout=30)


# --- heartbeat round trips --------------------------------------------------------------------------------


def log_sizes(cluster: Cluster) -> dict[Path, int]:
    return {w.log_path: w.log_path.stat().st_size for w in cluster.live()}


def heartbeat_samples(since: dict[Path, int]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {"append": [], "read": [], "rtt": [], "gap": []}
    for path, offset in since.items():
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        for m in HB_LINE.finditer(text):
            out["append"].append(int(m.group(1)))
            out["read"].append(int(m.group(2)))
            out["rtt"].append(int(m.group(3)))
            if m.group(4) != "None":
                out["gap"].append(int(m.group(4)))
    return out


def pct(values: list[int] | list[float], q: float) -> float:
    s = sorted(values)
    return float(s[min(len(s) - 1, math.ceil(q * len(s)) - 1)]) if s else float("nan")


def describe_ms(values: list[int]) -> str:
    if not values:
        return "no samples"
    return (
        f"n={len(values):4d} median {statistics.median(values):7.1f}  p99 {pct(values, 0.99):7.1f}  "
        f"max {max(values):7.1f} ms"
    )


class Load(threading.Thread):
    """Keeps the source file ahead of the FileStreamSource task so the pipeline never idles."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.stop_flag = threading.Event()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            self.cluster.write_lines(20_000)
            self.stop_flag.wait(0.5)


# --- scenarios --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    converge_s: float
    downtimes_s: list[float]  # one per unit whose process changed


def watch(cluster: Cluster, event_at: float, settled: Any, timeout: float) -> Outcome:
    """Samples unit processes until ``settled(pids)``; returns convergence time and per-unit downtimes."""
    last_seen: dict[Unit, tuple[int, float]] = {}  # unit -> (pid, last wall time seen alive)
    before = {u: pid for u, (_w, pid) in cluster.unit_pids().items()}
    for u, pid in before.items():
        last_seen[u] = (pid, event_at)
    replaced: dict[Unit, float] = {}
    deadline = time.monotonic() + timeout
    while True:
        now = time.time()
        pids = cluster.unit_pids()
        for u, (_w, pid) in pids.items():
            old = last_seen.get(u)
            if old is not None and old[0] != pid and u not in replaced:
                try:
                    created = psutil.Process(pid).create_time()
                except psutil.Error:
                    created = now
                replaced[u] = max(0.0, created - old[1])
            if old is None or old[0] == pid:
                last_seen[u] = (pid, now)
        if set(pids) == UNITS and settled(pids) and cluster.statuses_running():
            converged = time.time() - event_at
            # A unit that was absent before the event (cannot happen from a settled start) counts from it.
            for u in UNITS - set(before):
                replaced.setdefault(u, converged)
            return Outcome(converged, sorted(replaced.values()))
        if time.monotonic() > deadline:
            raise AssertionError(f"no convergence within {timeout} s; units seen: {sorted(pids)}")
        time.sleep(0.1)


def scenario_join(cluster: Cluster, timeout: float) -> tuple[Outcome, Worker]:
    w = cluster.add()
    t = time.time()
    w.start(wait=False)
    n = len(cluster.live())
    out = watch(cluster, t, lambda pids: sum(1 for _u, (x, _p) in pids.items() if x is w) >= len(UNITS) // n, timeout)
    return out, w


def scenario_leave(cluster: Cluster, w: Worker, timeout: float) -> Outcome:
    t = time.time()
    assert w.proc is not None
    w.proc.send_signal(signal.SIGTERM)
    out = watch(cluster, t, lambda _pids: w.proc is not None and w.proc.poll() is not None, timeout)
    w.stop()
    return out


def scenario_restart(cluster: Cluster, w: Worker, timeout: float) -> tuple[Outcome, int]:
    """SIGUSR2 (restart in place); returns the outcome and how many of its units ended on another worker."""
    before = cluster.unit_pids()
    mine = {u: pid for u, (x, pid) in before.items() if x is w}
    t = time.time()
    assert w.proc is not None
    w.proc.send_signal(signal.SIGUSR2)
    out = watch(cluster, t, lambda pids: all(pids[u][1] != pid for u, pid in mine.items()), timeout)
    after = cluster.unit_pids()
    away = sum(1 for u in mine if after[u][0] is not w) + sum(
        1 for u, (x, _p) in after.items() if u not in mine and x is not before[u][0]
    )
    return out, away


def scenario_kill(cluster: Cluster, victim: Worker, timeout: float) -> Outcome:
    t = time.time()
    victim.kill9()
    return watch(cluster, t, lambda _pids: True, timeout)


# --- driver -----------------------------------------------------------------------------------------------


def run_profile(name: str, args: argparse.Namespace, bootstrap: str, work: Path) -> dict[str, Any]:
    group = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    props = PROFILES[name](group)
    profile = from_worker_properties(props)
    p, loc = profile.protocol, profile.local
    log(
        f"profile {name}: lease T={p.lease_ms} ms, heartbeat h={loc.heartbeat_ms} ms, margin delta="
        f"{loc.safety_margin_ms} ms, delay D={p.max_delay_ms} ms, initial delay {p.init_delay_ms} ms, "
        f"debounce {p.debounce_ms} ms"
    )
    topic = f"{group}-data"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=SINK_TASKS, replication_factor=1)])[topic].result(30)
    (work / name).mkdir()
    cluster = Cluster(work / name, bootstrap, group, props)
    results: dict[str, Any] = {"profile": profile, "latency": {}, "scenarios": {}}
    # Lease + delay + start-up: generous bound for one convergence.
    timeout = (p.lease_ms + p.max_delay_ms + p.init_delay_ms) / 1000 + 90
    try:
        for _ in range(args.workers):
            cluster.add().start(wait=False)
        for w in cluster.workers:
            w.wait_ready(timeout=120)
        wait_for(lambda: all(w.rest.call("GET", "/connectors")[0] == 200 for w in cluster.workers), 120, "joined")
        cluster.write_lines(1000)
        cluster.workers[0].create(
            "src",
            {"connector.class": "FileStreamSource", "file": str(cluster.source_file), "topic": topic, "tasks.max": "1"},
        )
        cluster.workers[0].create(
            "sink",
            {
                "connector.class": "FileStreamSink",
                "file": str(cluster.work / "output.txt"),
                "topics": topic,
                "tasks.max": str(SINK_TASKS),
            },
        )
        wait_for(lambda: set(cluster.unit_pids()) == UNITS and cluster.statuses_running(), 120, "connectors running")
        for w in cluster.live():
            cluster.debug_heartbeats(w)
        log(f"{name}: {args.workers} workers, 9 units running; heartbeat window {args.latency_seconds} s idle")
        since = log_sizes(cluster)
        time.sleep(args.latency_seconds)
        results["latency"]["idle"] = heartbeat_samples(since)
        load = Load(cluster)
        load.start()
        time.sleep(2.0)  # let the pipeline ramp up
        log(f"{name}: heartbeat window {args.latency_seconds} s under load")
        since = log_sizes(cluster)
        t0, sunk0 = time.monotonic(), count_lines(cluster.work / "output.txt")
        time.sleep(args.latency_seconds)
        results["latency"]["load"] = heartbeat_samples(since)
        results["sunk_lines_per_s"] = (count_lines(cluster.work / "output.txt") - sunk0) / (time.monotonic() - t0)
        load.stop_flag.set()
        load.join()
        for k in ("idle", "load"):
            log(f"{name} {k}: rtt {describe_ms(results['latency'][k]['rtt'])}")

        skip_kills = args.quick and p.max_delay_ms > QUICK_MAX_DELAY_MS
        results["skipped_kills"] = skip_kills
        chosen = set(args.scenarios.split(","))
        kinds = [k for k in ("join", "leave", "restart") if k in chosen]
        kinds += [k for k in ("kill9", "leader-kill") if k in chosen and not skip_kills]
        scen: dict[str, list[Outcome]] = {k: [] for k in kinds}
        results["moved_away"] = []
        for rep in range(args.reps):
            if "join" in kinds:
                out, newcomer = scenario_join(cluster, timeout)
                scen["join"].append(out)
                log(f"{name} rep {rep + 1} join: {out.converge_s:.1f} s, {len(out.downtimes_s)} unit(s) moved")
                if "leave" in kinds:
                    out = scenario_leave(cluster, newcomer, timeout)
                    scen["leave"].append(out)
                    log(f"{name} rep {rep + 1} leave: {out.converge_s:.1f} s, {len(out.downtimes_s)} unit(s) moved")
            if "restart" in kinds:
                live = cluster.live()
                out, away = scenario_restart(cluster, live[rep % len(live)], timeout)
                scen["restart"].append(out)
                results["moved_away"].append(away)
                log(
                    f"{name} rep {rep + 1} restart in place: {out.converge_s:.1f} s, {len(out.downtimes_s)} unit(s) "
                    f"restarted, {away} moved to another worker"
                )
            if skip_kills or not {"kill9", "leader-kill"} & set(kinds):
                continue
            for kind in [k for k in ("kill9", "leader-kill") if k in kinds]:
                lead = cluster.leader()
                victim = lead if kind == "leader-kill" else next(w for w in cluster.live() if w is not lead)
                out = scenario_kill(cluster, victim, timeout)
                scen[kind].append(out)
                log(f"{name} rep {rep + 1} {kind}: {out.converge_s:.1f} s, {len(out.downtimes_s)} unit(s) moved")
                _, replacement = scenario_join(cluster, timeout)
                cluster.debug_heartbeats(replacement)
        results["scenarios"] = scen
    finally:
        cluster.stop()
    return results


def spread(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):6.1f} s ({min(values):.1f}–{max(values):.1f})"


def report(all_results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    print("\n=== heartbeat round trips (ms; all workers pooled) ===")
    for name, res in all_results.items():
        prof = res["profile"]
        budget = prof.protocol.lease_ms - prof.local.safety_margin_ms - prof.local.heartbeat_ms
        for k in ("idle", "load"):
            s = res["latency"][k]
            print(f"{name:4s} {k:4s} rtt    {describe_ms(s['rtt'])}")
            print(f"{'':9s} append {describe_ms(s['append'])}")
            print(f"{'':9s} read   {describe_ms(s['read'])}")
            print(f"{'':9s} gap    {describe_ms(s['gap'])}  (heartbeat interval {prof.local.heartbeat_ms} ms)")
        worst = max(res["latency"]["load"]["rtt"] or [0])
        worst_gap = max(res["latency"]["load"]["gap"] or [0])
        print(
            f"{name:4s} broker-time gap between own heartbeats: worst {worst_gap} ms under load vs lease T = "
            f"{prof.protocol.lease_ms} ms (the referee expires a worker past T)"
        )
        print(
            f"{name:4s} lease budget for a round trip: T - delta - h = {budget} ms; worst rtt under load {worst} ms "
            f"({budget / max(worst, 1):.0f}x); sink tasks wrote {res.get('sunk_lines_per_s', 0):.0f} lines/s meanwhile"
        )
    print("\n=== scenarios: convergence (event -> all units RUNNING) and per-unit downtime; median (min–max) ===")
    for name, res in all_results.items():
        for kind, outs in res["scenarios"].items():
            conv = [o.converge_s for o in outs]
            downs = [d for o in outs for d in o.downtimes_s]
            moved = [len(o.downtimes_s) for o in outs]
            print(
                f"{name:4s} {kind:11s} reps {len(outs)}  convergence {spread(conv)}  units moved/rep {moved}  "
                f"downtime {spread(downs)}"
            )
            if kind == "restart":
                park = res["profile"].protocol.restart_park_ms
                print(
                    f"{'':16s} (restart: units with a new process/rep above; of them on another worker afterwards/rep "
                    f"{res['moved_away']}; restart park {park} ms)"
                )
    skipped = [name for name, res in all_results.items() if res.get("skipped_kills")]
    if skipped:
        print(f"\n--quick: kill9 and leader-kill skipped for {', '.join(skipped)} (each takes lease + delay D).")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["ci", "prod", "both"], default="both")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip kill scenarios where D > 60 s (prod: minutes each)")
    ap.add_argument("--latency-seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--scenarios", default="join,leave,restart,kill9,leader-kill", help="comma-separated subset to run")
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args(argv)

    from kconnect.supervisor.devbroker.broker import KafkaBroker

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-dist-"))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    broker = KafkaBroker(work / "broker", fast_startup=False)
    t = time.monotonic()
    broker.start()
    log(f"broker {broker.bootstrap_servers} ready in {time.monotonic() - t:.1f} s; work dir {work}")
    results: dict[str, dict[str, Any]] = {}
    try:
        for name in ["ci", "prod"] if args.profile == "both" else [args.profile]:
            results[name] = run_profile(name, args, broker.bootstrap_servers, work)
    finally:
        broker.stop()
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
