"""``kconnect distributed WORKER.properties``: start a distributed worker (Java's connect-distributed)."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile

from kconnect.supervisor import children
from kconnect.supervisor.rest.listeners import plan_rest, rest_argvs

logger = logging.getLogger("kconnect")


def run_distributed(path: str, version: str, compat_version: str) -> int:
    from kconnect.api.errors import ConfigError
    from kconnect.supervisor.cli import run_oneshot
    from kconnect.supervisor.coordination.params import CoordinationParamsError, from_worker_properties
    from kconnect.supervisor.distributed.herder import DistributedHerder
    from kconnect.supervisor.distributed.master import DistributedMaster
    from kconnect.workers.worker_config import WorkerConfig, load_properties, resolve_restart_policy

    try:
        props = load_properties(path)
        worker = WorkerConfig.from_props(props, "distributed")
        rest_plan = plan_rest(worker.raw, worker.values)
        for key in ("group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic"):
            if not worker.get(key):
                raise ConfigError(key, None, f'Missing required configuration "{key}" which has no default value.')
        from_worker_properties(props)  # refuses timing that breaks the protocol's safety constraints
    except CoordinationParamsError as e:
        logger.error("Invalid worker configuration: %s", e)
        return 1
    except (OSError, ConfigError) as e:
        logger.error("Invalid worker configuration: %s", e)
        return 1
    os.environ["KCONNECT_WORKER_MODE"] = "distributed"  # children parse the worker config as distributed
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
    advertised = rest_plan.advertised
    host = advertised.host or "0.0.0.0"
    advertised_host = worker.rest_advertised_host_name or (
        host if host not in ("0.0.0.0", "") else socket.gethostname()
    )
    port = worker.rest_advertised_port or advertised.port
    worker_id = f"{advertised_host}:{port}"
    scheme = advertised.scheme
    rest_url = f"{scheme}://{advertised_host}:{port}/"
    herder = DistributedHerder(worker_id, probe["cluster_id"], compat_version, f"kconnect-{version}")
    runtime_dir = tempfile.mkdtemp(prefix="kconnect-")
    rest_dir = os.path.join(runtime_dir, "rest")
    os.mkdir(rest_dir, 0o700)
    master = DistributedMaster(
        worker_id=worker_id,
        rest_url=rest_url,
        worker_props=props,
        herder=herder,
        policy_for=lambda cfg: resolve_restart_policy(worker, cfg),
        shutdown_timeout_ms=worker.task_shutdown_graceful_timeout_ms,
        rest_argv=rest_argvs(rest_plan, rest_dir),
        control_path=os.path.join(runtime_dir, "control.sock"),
        operation_timeout_s=worker.get("kconnect.connector.operation.timeout.ms") / 1000.0,
    )
    master.open_control_socket()
    master.install_signals()
    logger.info(
        "kconnect %s distributed worker %s (group %s) starting; REST API on %s",
        version,
        worker_id,
        worker.group_id,
        rest_url,
    )
    try:
        return master.run()
    finally:
        shutil.rmtree(runtime_dir, ignore_errors=True)
