"""``kconnect`` command line: standalone and distributed workers, local development broker, quickstart."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from kconnect.ipc.codec import Channel
from kconnect.supervisor import children
from kconnect.supervisor.herder import StandaloneHerder
from kconnect.supervisor.lifecycle import probe_target_for
from kconnect.supervisor.master import Master
from kconnect.supervisor.offsets_file import OffsetsFile
from kconnect.supervisor.reexec import RestartInPlace, exec_self, ignore_until_ready
from kconnect.supervisor.rest.listeners import Listener, plan_rest, rest_argvs

logger = logging.getLogger("kconnect")

VERSION = "0.1.0"
# GET / reports the Kafka Connect version whose REST API and configs we implement, so tools
# that gate features on the version keep working; "commit" says what is really answering.
COMPAT_VERSION = "4.3.1"
EXIT_CONFIG_ERROR = 3  # Java's ConnectStandalone exits with 3 when a connector config is invalid


def configure_logging(level: str = "INFO") -> None:
    from kconnect.workers.logformat import SUPERVISOR_TAG, SubjectFilter, make_formatter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(SubjectFilter())  # lines about a task also carry its [connector|task-N] tag
    handler.setFormatter(make_formatter(SUPERVISOR_TAG))
    logging.basicConfig(level=level, handlers=[handler])


def load_connector_file(path: str) -> tuple[str, dict[str, str], str | None]:
    """A connector config as Java's standalone worker accepts it: .properties, or JSON in either the
    ``{"name", "config"}`` request shape or a flat map."""
    from kconnect.workers.worker_config import load_properties

    initial_state = None
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if isinstance(doc, dict) and isinstance(doc.get("config"), dict):
            config = {str(k): str(v) for k, v in doc["config"].items()}
            name = str(doc.get("name") or config.get("name", ""))
            initial_state = doc.get("initial_state")
        elif isinstance(doc, dict):
            config = {str(k): str(v) for k, v in doc.items()}
            name = config.get("name", "")
        else:
            raise ValueError(f"{path}: expected a JSON object")
    else:
        config = load_properties(path)
        name = config.get("name", "")
    config.setdefault("name", name)
    return name, config, initial_state


def connector_paths(args: Sequence[str]) -> list[str]:
    """Connector config files; a directory stands for its ``*.properties`` and ``*.json`` files in
    name order (the systemd unit passes /etc/kconnect/connectors; systemd does not expand globs)."""
    paths: list[str] = []
    for arg in args:
        if os.path.isdir(arg):
            names = sorted(n for n in os.listdir(arg) if n.endswith((".properties", ".json")))
            paths += [os.path.join(arg, n) for n in names]
        else:
            paths.append(arg)
    return paths


def run_oneshot(role: str, bootstrap: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run a one-shot child (probe, validation) before the master loop exists; wait for its answer."""
    child = children.spawn_worker_child(role, bootstrap.get("connector", ""), -1, bootstrap, dict(os.environ))
    assert child.sock is not None
    child.sock.setblocking(True)
    channel = Channel(child.sock)
    try:
        while True:
            msg = channel.recv(timeout)
            if msg is None:
                child.kill()
                raise TimeoutError(f"{role} did not answer within {timeout:.0f} s")
            if msg["type"] != "heartbeat":
                return msg
    finally:
        channel.close()
        child.proc.wait()


def _rest_bind(listener: Listener) -> tuple[str, int]:
    """Host and port of the advertised listener (they make the worker id, as in Java)."""
    return listener.host or "0.0.0.0", listener.port


def standalone(args: argparse.Namespace) -> int:
    from kconnect.api.errors import ConfigError
    from kconnect.workers.connector_config import validation_error_message, validation_errors
    from kconnect.workers.worker_config import WorkerConfig, load_properties, resolve_restart_policy

    configure_logging()
    try:
        props = load_properties(args.worker_properties)
        worker = WorkerConfig.from_props(props)
        rest_plan = plan_rest(worker.raw, worker.values)
    except (OSError, ConfigError) as e:
        logger.error("Invalid worker configuration: %s", e)
        return 1
    connectors = []
    for path in connector_paths(args.connector_files):
        try:
            connectors.append(load_connector_file(path))
        except (OSError, ValueError) as e:
            logger.error("Cannot read connector configuration %s: %s", path, e)
            return EXIT_CONFIG_ERROR
    boot = {"connector": "", "task_id": -1, "worker": props}
    try:
        probe = run_oneshot(children.ROLE_PROBE, {**boot, "timeout_s": 60}, 90)
    except TimeoutError:
        probe = {"type": "failed", "trace": "timed out"}
    if probe["type"] != "probe":
        logger.error(
            "Could not reach Kafka at bootstrap.servers=%s: %s", worker.bootstrap_servers_str, probe.get("trace")
        )
        return 1
    validated: list[tuple[str, dict[str, str], str | None, dict[str, Any]]] = []
    for name, config, initial_state in connectors:
        reply = run_oneshot(children.ROLE_VALIDATE, {**boot, "connector": name, "connector_config": config}, 120)
        if reply.get("error") or not reply.get("infos"):
            logger.error("Failed to create connector %s: %s", name, reply.get("error") or reply.get("trace"))
            return EXIT_CONFIG_ERROR
        if validation_errors(reply["infos"]):
            logger.error("Failed to create connector %s: %s", name, validation_error_message(reply["infos"]))
            return EXIT_CONFIG_ERROR
        validated.append((name, config, initial_state, reply["infos"]))

    host, port = _rest_bind(rest_plan.advertised)
    advertised_host = worker.rest_advertised_host_name or (
        host if host not in ("0.0.0.0", "") else socket.gethostname()
    )
    worker_id = f"{advertised_host}:{worker.rest_advertised_port or port}"
    herder = StandaloneHerder(worker_id, probe["cluster_id"], COMPAT_VERSION, f"kconnect-{VERSION}")
    runtime_dir = tempfile.mkdtemp(prefix="kconnect-")
    # One gunicorn process per (regular|admin, http|https) listener group; see rest/listeners.py.
    rest_dir = os.path.join(runtime_dir, "rest")
    os.mkdir(rest_dir, 0o700)
    rest_argv = rest_argvs(rest_plan, rest_dir)
    master = Master(
        worker_props=props,
        herder=herder,
        offsets=OffsetsFile(worker.offset_storage_file_filename),
        policy_for=lambda cfg: resolve_restart_policy(worker, cfg),
        shutdown_timeout_ms=worker.task_shutdown_graceful_timeout_ms,
        rest_argv=rest_argv,
        control_path=os.path.join(runtime_dir, "control.sock"),
        operation_timeout_s=worker.get("kconnect.connector.operation.timeout.ms") / 1000.0,
        probe_target=probe_target_for(x for p in rest_plan.processes if p.serve != "admin" for x in p.listeners),
    )
    master.open_control_socket()
    master.install_signals()
    for name, config, initial_state, infos in validated:
        master.add_connector(name, config, infos, initial_state)
        logger.info("Created connector %s", name)
    urls = [x.url for p in rest_plan.processes for x in p.listeners if p.serve != "admin"]
    admin_urls = [x.url for p in rest_plan.processes for x in p.listeners if p.serve == "admin"]
    logger.info(
        "kconnect %s standalone worker %s started; REST API on %s%s",
        VERSION,
        worker_id,
        ", ".join(urls),
        f" (admin endpoints on {', '.join(admin_urls)})" if admin_urls else "",
    )
    try:
        return master.run()
    finally:
        shutil.rmtree(rest_dir, ignore_errors=True)
        os.rmdir(runtime_dir) if os.path.isdir(runtime_dir) and not os.listdir(runtime_dir) else None


def distributed(args: argparse.Namespace) -> int:
    from kconnect.supervisor.distributed.cli import run_distributed

    configure_logging()
    return run_distributed(args.worker_properties, VERSION, COMPAT_VERSION)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kconnect", description="Kafka Connect, one OS process per task.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("standalone", help="run a standalone worker (like Java's connect-standalone)")
    p.add_argument("worker_properties")
    p.add_argument("connector_files", nargs="*", help="connector configs (.properties/.json) or directories of them")
    d = sub.add_parser("distributed", help="run a distributed worker (like Java's connect-distributed)")
    d.add_argument("worker_properties")
    sub.add_parser(
        "dev-broker", help="run a local single-node Apache Kafka broker for trying kconnect out", add_help=False
    )
    sub.add_parser("quickstart", help="file -> Kafka -> file pipeline on a local broker, with progress", add_help=False)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "dev-broker":
        from kconnect.supervisor.devbroker.cli import run_dev_broker

        return run_dev_broker(argv[1:])
    if argv and argv[0] == "quickstart":
        from kconnect.supervisor.quickstart import run_quickstart

        return run_quickstart(argv[1:])
    args = parser.parse_args(argv)
    ignore_until_ready()  # SIGUSR2 (restart in place) must not kill a worker that is still starting
    try:
        if args.command == "standalone":
            return standalone(args)
        if args.command == "distributed":
            return distributed(args)
    except RestartInPlace:  # SIGUSR2: stopped gracefully and cleaned up; run the same command line again
        exec_self()
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
