"""Zombie fencing for exactly-once source connectors (KIP-618), run by the coordinator child.

When a source connector's task configs change (a ``commit-`` record), the previous generation of its
tasks may still be running somewhere (a worker cut off from the cluster, a process not yet reaped).
Before any task of the new generation starts, every transactional producer of the previous
generation must be fenced out: Java's leader calls the admin client's ``fenceProducers`` on the ids
``<group.id>-<connector>-0 .. n-1`` (n = the last ``tasks-fencing-<connector>`` record), then writes
a new ``tasks-fencing-<connector>`` record with the new task count, which clears the pending state.

librdkafka has no ``fenceProducers`` (confluent-kafka 2.x neither), so we fence each id the way that
admin call does on the broker: ``init_transactions`` with that transactional id bumps the producer
epoch and aborts any open transaction, after which the old producer's writes and commits fail.

Who fences: the worker that runs the connector instance (the unit ``(<connector>, -1)``), since in
kconnect's coordination the connector's owner writes its task configs (Java's leader role for that
connector). Workers about to start a task of a connector with a pending fencing wait until the
``tasks-fencing-`` record is read (:meth:`ZombieFencer.blocks`). The fencing runs on a helper
thread: ``init_transactions`` can block for seconds and the coordinator loop must keep its lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kconnect.supervisor.stores.config_state import ClusterConfigState
from kconnect.workers.exactly_once import task_transactional_id, worker_support

logger = logging.getLogger(__name__)

__all__ = ["FencingPlan", "ZombieFencer", "fence_producers", "fencing_plan"]

FENCE_TIMEOUT_S = 90.0  # Java's REST request timeout bounds its fenceProducers call


@dataclass(frozen=True, slots=True)
class FencingPlan:
    """What resolving a pending fencing takes: fence ``fence`` old task ids, then record ``record`` tasks."""

    connector: str
    fence: int
    record: int


def fencing_plan(snap: ClusterConfigState, connector: str) -> FencingPlan | None:
    """Java's ``doFenceZombieSourceTasks`` decision, or None when nothing is pending.

    No previous record: nothing transactional ever ran for the connector, only the record is written.
    One task before and one now: the new task's own ``init_transactions`` fences the old one.
    """
    if connector not in snap.pending_fencing or not snap.contains(connector):
        return None
    count = snap.task_count(connector)
    previous = snap.task_count_records.get(connector)
    if previous is None or (previous == 1 and count == 1):
        return FencingPlan(connector, 0, count)
    return FencingPlan(connector, previous, count)


def fence_producers(
    client_config: Mapping[str, str], transactional_ids: list[str], timeout: float = FENCE_TIMEOUT_S
) -> None:
    """Fence out the producers of ``transactional_ids`` (the broker side of Java's ``Admin.fenceProducers``)."""
    from confluent_kafka import Producer

    for tid in transactional_ids:
        producer = Producer({**client_config, "transactional.id": tid, "client.id": f"{tid}-fencer"})
        try:
            producer.init_transactions(timeout)
        finally:
            producer.flush(0)
        logger.debug("Fenced out transactional id %s", tid)


class ZombieFencer:
    """Resolves pending fencings of the source connectors this worker runs; one fencing at a time per connector."""

    def __init__(self, worker_props: Mapping[str, str], client_config: Mapping[str, str]) -> None:
        self.enabled = worker_support(worker_props) == "enabled"
        self.group_id = str(worker_props.get("group.id") or "")
        self.client_config = dict(client_config)
        self._pool: ThreadPoolExecutor | None = None
        self._active: dict[str, tuple[FencingPlan, Future[None]]] = {}
        self._lock = threading.Lock()

    def blocks(self, snap: ClusterConfigState, connector: str) -> bool:
        """A task of ``connector`` may not start yet: its previous generation is not fenced."""
        return self.enabled and connector in snap.pending_fencing

    def tick(self, snap: ClusterConfigState, owned_sources: list[str], record: Any) -> None:
        """Start fencings for owned connectors that need one; write the records of finished ones.

        ``record(connector, task_count)`` writes the ``tasks-fencing-`` record (the config store's
        ``put_task_count_record``), on the coordinator's thread.
        """
        if not self.enabled:
            return
        for connector, (plan, future) in list(self._active.items()):
            if not future.done():
                continue
            del self._active[connector]
            error = future.exception()
            if error is not None:
                logger.error("Zombie fencing of connector %s failed (will retry): %s", connector, error)
                continue
            current = fencing_plan(snap, connector)
            if current is None or current != plan:
                continue  # resolved meanwhile, or new task configs: plan again next tick
            logger.info("Fenced %d task producer(s) of %s; recording %d task(s)", plan.fence, connector, plan.record)
            record(connector, plan.record)
        for connector in owned_sources:
            if connector in self._active:
                continue
            todo = fencing_plan(snap, connector)
            if todo is None:
                continue
            if todo.fence == 0:
                logger.info("Recording %d task(s) of %s (nothing to fence)", todo.record, connector)
                record(connector, todo.record)
                continue
            ids = [task_transactional_id(self.group_id, connector, i) for i in range(todo.fence)]
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="zombie-fencing")
            logger.info("Fencing out %d task producer(s) of source connector %s", todo.fence, connector)
            self._active[connector] = (todo, self._pool.submit(fence_producers, self.client_config, ids))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
