#!/usr/bin/env python
"""Cost of error handling on the sink's conversion loop (in process, no broker; ~30 s).

    python tests/bench/bench_errors.py [--records N] [--reps K]

Runs the real ``SinkTaskRunner._convert`` (JsonConverter values, a Cast SMT) over consumed-message
look-alikes and compares it with the loop as it was before error handling existed (copied below as
the baseline): errors.tolerance=none and =all with only good records, and =all with 1 % malformed
records (each converted again stage by stage and skipped). Prints medians, spreads and ratios.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kconnect.plugins.converters.header import SimpleHeaderConverter
from kconnect.plugins.converters.json import JsonConverter
from kconnect.plugins.converters.string import StringConverter
from kconnect.plugins.transforms.cast import CastValue
from kconnect.workers.conversion import Pipeline
from kconnect.workers.error_handling import ErrorHandlingConfig, RetryWithToleranceOperator
from kconnect.workers.sink import SinkTaskRunner
from kconnect.workers.tolerant import SinkErrors


class Message:
    """The shape of a consumed confluent_kafka Message."""

    __slots__ = ("_offset", "_value")

    def __init__(self, value: bytes, offset: int) -> None:
        self._value, self._offset = value, offset

    def topic(self) -> str:
        return "in"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return b"key"

    def value(self) -> bytes:
        return self._value

    def headers(self) -> None:
        return None

    def timestamp(self) -> tuple[int, int]:
        return 1, 1700000000000

    def error(self) -> None:
        return None


def pipeline() -> Pipeline:
    key = StringConverter()
    key.configure({}, True)
    value = JsonConverter()
    value.configure({"schemas.enable": "false"}, False)
    header = SimpleHeaderConverter()
    header.configure({})
    cast = CastValue()
    cast.configure({"spec": "n:int32"})
    return Pipeline(key, value, header, [cast.apply], [CastValue.class_name])


def runner(p: Pipeline, tolerate_all: bool) -> SinkTaskRunner:
    r = SinkTaskRunner.__new__(SinkTaskRunner)  # only _convert is exercised: no consumer, no task
    r.pipeline = p
    r.errors = SinkErrors(p, RetryWithToleranceOperator(ErrorHandlingConfig(tolerate_all=tolerate_all)), False)
    return r


def baseline(p: Pipeline) -> Callable[[list[Any]], Any]:
    """The conversion loop before error handling (commit aea6ada), for the ratio."""

    def convert_batch(msgs: list[Any]) -> Any:
        records = []
        offsets = {}
        convert = p.kafka_to_sink
        for msg in msgs:
            err = msg.error()
            if err is not None:
                continue
            record = convert(msg)
            offsets[(msg.topic(), msg.partition())] = msg.offset() + 1
            if record is not None:
                records.append(record)
        return records, offsets

    return convert_batch


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=500, help="records per batch")
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    n = args.records
    good = [Message(b'{"n": "%d", "text": "some payload text"}' % i, i) for i in range(n)]
    mixed = [m if i % 100 != 7 else Message(b'{"n": "7", ', i) for i, m in enumerate(good)]
    p = pipeline()
    cases: dict[str, tuple[Callable[[list[Any]], Any], list[Any]]] = {
        "baseline (before error handling)": (baseline(p), good),
        "tolerance=none, all good": (runner(p, False)._convert, good),
        "tolerance=all, all good": (runner(p, True)._convert, good),
        "tolerance=all, 1% malformed": (runner(p, True)._convert, mixed),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    batches = max(1, 20000 // n)
    for rep in range(args.reps):
        order = list(cases.items())
        if rep % 2:
            order.reverse()  # alternate who goes first
        for name, (fn, msgs) in order:
            start = time.perf_counter()
            for _ in range(batches):
                fn(msgs)
            times[name].append(batches * n / (time.perf_counter() - start))
    base = statistics.median(times["baseline (before error handling)"])
    print(f"{'case':36} {'median rec/s':>13} {'min':>10} {'max':>10} {'ratio':>6}")
    for name, rates in times.items():
        med = statistics.median(rates)
        print(f"{name:36} {med:13,.0f} {min(rates):10,.0f} {max(rates):10,.0f} {med / base:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
