"""``kconnect dev-broker``: run a local single-node Apache Kafka broker in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from kconnect.supervisor.devbroker import jars
from kconnect.supervisor.devbroker.broker import BrokerStartError, KafkaBroker

DEFAULT_DIR = "./.kconnect/dev-broker"


class _StopRequested(Exception):
    pass


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kconnect dev-broker",
        description=(
            f"Run a single-node Apache Kafka {jars.KAFKA_VERSION} broker (KRaft) on 127.0.0.1 in the "
            "foreground, from Maven Central jars (needs Java 17+; Maven on first use). Prints "
            "'bootstrap.servers=HOST:PORT' once ready; stops on Ctrl-C/SIGTERM."
        ),
    )
    p.add_argument(
        "--dir",
        default=DEFAULT_DIR,
        help=f"work/data directory, reused across runs (default: {DEFAULT_DIR})",
    )
    p.add_argument("--port", type=int, default=None, help="PLAINTEXT listener port (default: a free one)")
    return p


def run_dev_broker(argv: list[str]) -> int:
    """Entry point of ``kconnect dev-broker [--dir DIR] [--port N]``; returns the exit code."""
    args = _build_parser().parse_args(argv)
    if args.port is not None and not 0 < args.port < 65536:
        print(f"error: invalid --port {args.port}", file=sys.stderr)
        return 2

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise _StopRequested(signal.Signals(signum).name)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    broker = KafkaBroker(args.dir, port=args.port, fast_startup=False)
    try:
        print(f"kconnect dev-broker: starting Kafka {jars.KAFKA_VERSION} in {broker.work_dir} ...", file=sys.stderr)
        broker.start()
        print(f"bootstrap.servers={broker.bootstrap_servers}", flush=True)
        print(
            f"kconnect dev-broker: ready (cluster id {broker.cluster_id}, log {broker.log_file}); Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        while broker.is_running():
            time.sleep(0.5)
        print("error: the Kafka broker exited unexpectedly\n" + broker.log_tail(), file=sys.stderr)
        return 1
    except _StopRequested as e:
        print(f"kconnect dev-broker: {e}, stopping ...", file=sys.stderr, flush=True)
        return 0
    except (jars.KafkaJarsError, BrokerStartError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        for s in previous:  # a second signal must not interrupt the shutdown
            signal.signal(s, signal.SIG_IGN)
        broker.stop(timeout=15.0)
        for s, handler in previous.items():
            signal.signal(s, handler)
