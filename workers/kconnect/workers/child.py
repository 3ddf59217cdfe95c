"""Entry point of every task and connector process (started by fork+exec from the supervisor).

``python -m kconnect.workers --fd N`` inherits one end of a socketpair as fd N, reads a
``bootstrap`` message and runs the role it names. Kafka clients are created only here, after
exec, so no librdkafka thread ever crosses a fork.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import socket
import sys
import traceback
from collections.abc import Mapping
from typing import Any

from kconnect.ipc import messages as m
from kconnect.ipc.codec import Channel
from kconnect.workers.control import SupervisorLink
from kconnect.workers.logformat import make_formatter

logger = logging.getLogger("kconnect.workers")


class _ContextFilter(logging.Filter):
    """Stamps connector and task on every log line (Kafka Connect's LoggingContext)."""

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def filter(self, record: logging.LogRecord) -> bool:
        record.kcontext = self.context
        return True


def configure_logging(context: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter(context))
    handler.setFormatter(make_formatter("%(kcontext)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kconnect.workers")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--role", default="")  # informational, for ps
    parser.add_argument("--connector", default="")
    parser.add_argument("--task", default="")
    args = parser.parse_args(argv)
    # Terminal signals (Ctrl-C) go to the whole foreground group; the supervisor decides how we
    # stop, so ignore SIGINT. SIGTERM from outside still means "stop now, cleanly".
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=args.fd)
    channel = Channel(sock)
    boot = channel.recv(timeout=30)
    if boot is None or boot.get("type") != m.BOOTSTRAP:
        return m.EXIT_BOOTSTRAP_FAILED
    role = boot["role"]
    name = boot["connector"]
    context = f"[{name}|task-{boot['task_id']}]" if role.endswith("task") else f"[{name}|{role}]"
    configure_logging(context, boot.get("log_level", "INFO"))
    for logger_name, level in (boot.get("log_levels") or {}).items():
        logging.getLogger(logger_name).setLevel(level)
    link = SupervisorLink(channel)
    if boot.get("deadline") is not None:  # distributed mode: the unit's lease deadline (CLOCK_BOOTTIME ms)
        from kconnect.workers.control import arm_deadline

        arm_deadline(int(boot["deadline"]))
    signal.signal(signal.SIGTERM, lambda *_: setattr(link, "stop_requested", True))
    try:
        if role == "connector":
            from kconnect.workers.connector_runner import run_connector

            run_connector(boot, link)
        elif role == "validate":
            from kconnect.workers.connector_runner import run_validation

            run_validation(boot, link)
        elif role == "admin":
            from kconnect.workers.admin_ops import run_admin

            run_admin(boot, link)
        elif role == "probe":
            run_probe(boot, link)
        elif role == "coordinator":  # distributed mode: the process that owns the internal Kafka clients
            from kconnect.supervisor.distributed.coordinator import run_coordinator

            run_coordinator(boot, link)
        elif role in ("source_task", "sink_task"):
            run_task(boot, link)
        else:
            raise ValueError(f"unknown role {role}")
    except BaseException as e:
        trace = "".join(traceback.format_exception(e))
        logger.error("%s failed: %s", role, trace)
        link.send({"type": m.FAILED, "trace": trace})
        return m.EXIT_TASK_FAILED
    finally:
        logging.shutdown()
    return m.EXIT_OK


def run_task(boot: Mapping[str, Any], link: SupervisorLink) -> None:
    from kconnect.plugins.registry import PluginRegistry
    from kconnect.workers import clients
    from kconnect.workers.config_providers import resolve_task_configs
    from kconnect.workers.conversion import Pipeline
    from kconnect.workers.plumbing import build_pipeline, sink_subscription
    from kconnect.workers.task_metrics import METRICS_ENABLE, TaskMetrics
    from kconnect.workers.worker_config import WorkerConfig

    worker = WorkerConfig.from_props(boot["worker"], log=False)
    name: str = boot["connector"]
    task_id: int = boot["task_id"]
    registry = PluginRegistry.from_entry_points()
    # Placeholders are resolved here, in the one process that needs the values (never in the supervisor).
    conn_config, task_config = resolve_task_configs(
        worker, boot["connector_config"], boot["task_config"], link, registry=registry
    )
    task_cls = registry.connector_class(conn_config["connector.class"]).task_class()
    task = task_cls()
    pipeline: Pipeline = build_pipeline(registry, worker, conn_config)
    logger.info("Starting %s %s", boot["role"].replace("_", " "), task_cls.__name__)
    metrics = TaskMetrics(enabled=bool(worker.get(METRICS_ENABLE)))
    errors = build_task_errors(boot["role"], worker, conn_config, name, task_id, pipeline)
    if boot["role"] == "source_task":
        from kconnect.workers.source import SourceTaskRunner
        from kconnect.workers.topic_creation import source_topic_creator

        runner_cls: Any = SourceTaskRunner
        extra: dict[str, Any] = {}
        if boot.get("exactly_once"):  # KIP-618: records and offsets in producer transactions
            from kconnect.workers import exactly_once

            runner_cls = exactly_once.ExactlyOnceSourceTaskRunner
            extra = exactly_once.runner_arguments(boot["exactly_once"], worker, task_id)
        runner_cls(
            **extra,
            connector=name,
            task=task,
            task_config=task_config,
            producer_config=clients.producer_config(
                worker, name, task_id, clients.connector_client_overrides(conn_config, "producer")
            ),
            pipeline=pipeline,
            link=link,
            stored_offsets=boot.get("offsets") or {},
            offset_flush_interval_ms=worker.offset_flush_interval_ms,
            shutdown_timeout_ms=worker.task_shutdown_graceful_timeout_ms,
            metrics=metrics,
            errors=errors,
            topic_creator=source_topic_creator(worker, conn_config, name, task_id),
        ).run()
    else:
        from kconnect.workers.sink import SinkTaskRunner

        consumer = clients.consumer_config(
            worker, name, task_id, clients.connector_client_overrides(conn_config, "consumer")
        )
        topics, regex = sink_subscription(conn_config)
        if consumer.config.get("group.instance.id") == f"{consumer.config['group.id']}-{task_id}":
            consumer.config["group.instance.id"] = static_member_id(consumer.config["group.id"], task_id, topics, regex)
        SinkTaskRunner(
            connector=name,
            task=task,  # type: ignore[arg-type]
            task_config=task_config,
            consumer_config=consumer.config,
            batch_size=consumer.max_poll_records,
            topics=topics,
            topics_regex=regex,
            pipeline=pipeline,
            link=link,
            offset_flush_interval_ms=worker.offset_flush_interval_ms,
            metrics=metrics,
            errors=errors,
        ).run()


def build_task_errors(
    role: str, worker: Any, conn_config: Mapping[str, str], name: str, task_id: int, pipeline: Any
) -> Any:
    """The task's error handling (errors.* keys): operator, log reporter, DLQ reporter and its clients."""
    from kconnect.workers import clients
    from kconnect.workers.tolerant import build_error_handling, error_settings

    kind = "source" if role == "source_task" else "sink"
    settings = error_settings(conn_config, kind)
    producer = admin = None
    if settings.dlq_topic:
        producer = clients.producer_config(
            worker,
            name,
            task_id,
            clients.connector_client_overrides(conn_config, "producer"),
            client_id=f"connector-dlq-producer-{name}-{task_id}",
        )
        admin = clients.admin_config(
            worker,
            name,
            task_id,
            clients.connector_client_overrides(conn_config, "admin"),
            client_id=f"connector-dlq-adminclient-{name}-{task_id}",
        )
    return build_error_handling(
        kind=kind,
        connector=name,
        task_id=task_id,
        settings=settings,
        pipeline=pipeline,
        dlq_producer_config=producer,
        dlq_admin_config=admin,
    )


def static_member_id(group: str, task_id: int, topics: list[str], regex: str | None) -> str:
    """The sink task's ``group.instance.id``: stable across crash restarts, new when the subscription changes.

    A static member does not leave the group when it stops, and a new consumer joining under the
    same instance id inherits the old member's assignment. If a connector is re-created under the
    same name with other topics, reusing the id would hand the new task the old topics' partitions;
    folding the subscription into the id gives it a fresh membership instead.
    """
    import hashlib

    digest = hashlib.sha256(json.dumps([sorted(topics), regex]).encode()).hexdigest()[:8]
    return f"{group}-{task_id}-{digest}"


def run_probe(boot: Mapping[str, Any], link: SupervisorLink) -> None:
    """Reach Kafka once at worker start: proves bootstrap.servers and learns the cluster id."""
    from confluent_kafka.admin import AdminClient

    from kconnect.workers import clients
    from kconnect.workers.worker_config import WorkerConfig

    worker = WorkerConfig.from_props(boot["worker"], log=False)
    admin = AdminClient(dict(clients.admin_config(worker, "kconnect-worker", 0, client_id="kconnect-worker-probe")))
    metadata = admin.list_topics(timeout=float(boot.get("timeout_s", 60)))
    link.send({"type": "probe", "cluster_id": metadata.cluster_id})


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["main"]
