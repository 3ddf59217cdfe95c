"""``kconnect quickstart``: a file -> Kafka -> file pipeline on a local broker, with live progress.

It starts the embedded development broker, writes a worker config and two connector configs
(FileStreamSource and FileStreamSink, in Java's own formats) into a work directory, starts a
standalone worker on them, and keeps appending lines to the input file while printing how many
have arrived in the output file. Ctrl-C stops the worker (gracefully) and the broker.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

from kconnect.supervisor.devbroker.broker import KafkaBroker, free_port

DEFAULT_DIR = "./.kconnect/quickstart"


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def _write_configs(work: Path, bootstrap: str, rest_port: int) -> list[str]:
    worker = work / "worker.properties"
    worker.write_text(
        "\n".join(
            [
                "# A Java connect-standalone.properties works here unchanged.",
                f"bootstrap.servers={bootstrap}",
                "key.converter=org.apache.kafka.connect.json.JsonConverter",
                "value.converter=org.apache.kafka.connect.json.JsonConverter",
                "key.converter.schemas.enable=true",
                "value.converter.schemas.enable=true",
                f"offset.storage.file.filename={work / 'connect.offsets'}",
                "offset.flush.interval.ms=1000",
                f"listeners=http://127.0.0.1:{rest_port}",
                "",
            ]
        )
    )
    source = work / "file-source.properties"
    source.write_text(
        "name=local-file-source\nconnector.class=FileStreamSource\ntasks.max=1\n"
        f"file={work / 'input.txt'}\ntopic=connect-quickstart\n"
    )
    sink = work / "file-sink.properties"
    sink.write_text(
        "name=local-file-sink\nconnector.class=FileStreamSink\ntasks.max=1\n"
        f"file={work / 'output.txt'}\ntopics=connect-quickstart\n"
    )
    return [str(worker), str(source), str(sink)]


def run_quickstart(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kconnect quickstart", description=__doc__)
    parser.add_argument("--dir", default=DEFAULT_DIR, help=f"work directory (default {DEFAULT_DIR})")
    parser.add_argument("--rate", type=int, default=1000, help="lines appended to the input file per second")
    parser.add_argument("--lines", type=int, default=0, help="stop after this many lines arrived (0: run until Ctrl-C)")
    args = parser.parse_args(argv)

    work = Path(args.dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    for name in ("input.txt", "output.txt", "connect.offsets"):
        (work / name).unlink(missing_ok=True)
    (work / "input.txt").touch()

    stop = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    print(f"[quickstart] starting a local Apache Kafka broker in {work / 'broker'} ...", flush=True)
    broker = KafkaBroker(work / "broker", fast_startup=False)
    broker.start()
    rest_port = free_port()
    files = _write_configs(work, broker.bootstrap_servers, rest_port)
    print(f"[quickstart] broker ready at {broker.bootstrap_servers}; starting kconnect standalone", flush=True)
    # fork+exec of a fresh interpreter: this process holds a Kafka client, the worker must not inherit it.
    # Its own session: Ctrl-C reaches only us, and we ask the worker for a graceful stop (SIGTERM);
    # a terminal SIGINT followed by our SIGTERM would read as "stop now" to the supervisor.
    worker = subprocess.Popen(
        [sys.executable, "-m", "kconnect.supervisor", "standalone", *files], start_new_session=True
    )
    print(
        f"[quickstart] REST API: curl http://127.0.0.1:{rest_port}/connectors?expand=status\n"
        f"[quickstart] pipeline: {work / 'input.txt'} -> topic connect-quickstart -> {work / 'output.txt'}\n"
        "[quickstart] press Ctrl-C to stop",
        flush=True,
    )
    written = 0
    code = 0
    try:
        with open(work / "input.txt", "a", encoding="utf-8") as source:
            last_report = time.monotonic()
            while not stop:
                target = written + max(1, args.rate // 10)
                if args.lines:
                    target = min(target, args.lines)
                while written < target:
                    written += 1
                    source.write(f"line {written}: hello from kconnect\n")
                source.flush()
                time.sleep(0.1)
                if worker.poll() is not None:
                    print(f"[quickstart] the worker exited with code {worker.returncode}", flush=True)
                    code = 1
                    break
                if time.monotonic() - last_report >= 1.0:
                    last_report = time.monotonic()
                    arrived = _count_lines(work / "output.txt")
                    print(f"[quickstart] written {written} lines, {arrived} arrived in output.txt", flush=True)
                    if args.lines and arrived >= args.lines:
                        print("[quickstart] all lines arrived", flush=True)
                        break
    finally:
        print("[quickstart] stopping the worker and the broker ...", flush=True)
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        broker.stop()
    arrived = _count_lines(work / "output.txt")
    print(f"[quickstart] done: {written} lines written, {arrived} in {work / 'output.txt'}", flush=True)
    if args.lines and arrived < args.lines:
        code = 1
    return code


__all__ = ["run_quickstart"]
