"""What the leader does for Kafka Connect's internal REST requests, run by the coordinator child.

``POST /connectors/{c}/tasks`` writes the given task configs (``task-``/``commit-`` records) as if the
connector had generated them; ``PUT /connectors/{c}/fence`` fences the transactional producers of the
connector's previous task generation and writes its ``tasks-fencing-`` record (Java's
``doFenceZombieSourceTasks``). The signature was checked by the master before the request got here.

Answers go back as ``write_done`` bodies ``{"status": <HTTP status>, "message": ...}``; a fencing runs on
a helper thread (``init_transactions`` can block for seconds) and answers when it is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kconnect.supervisor.distributed.fencing import FencingPlan, fence_producers, fencing_plan
from kconnect.supervisor.stores.backing import ConfigStore
from kconnect.supervisor.stores.config_state import ClusterConfigState
from kconnect.workers.exactly_once import task_transactional_id

logger = logging.getLogger(__name__)

Reply = dict[str, Any]


def _answer(status: int, message: str | None = None) -> dict[str, Any]:
    return {"status": status, "message": message}


class InternalWrites:
    def __init__(
        self,
        config: ConfigStore,
        client_config: Mapping[str, str],
        worker_props: Mapping[str, str],
        record_task_count: Callable[[str, int], None],
    ) -> None:
        self.config = config
        self.record_task_count = record_task_count  # writes tasks-fencing-<c> and refreshes the snapshot
        self.client_config = dict(client_config)
        self.group_id = str(worker_props.get("group.id") or "")
        self._pool: ThreadPoolExecutor | None = None
        # connector -> (plan, fencing future, ids of the write requests waiting for it)
        self._fencings: dict[str, tuple[FencingPlan, Future[None], list[int]]] = {}
        self._ready: list[Reply] = []

    # --- POST /connectors/{c}/tasks ----------------------------------------------------------------
    def put_task_configs(self, snap: ClusterConfigState, connector: str, configs: Sequence[Any]) -> dict[str, Any]:
        if not snap.contains(connector):
            return _answer(404, f"Connector {connector} not found")
        if configs and snap.target_state(connector) == "STOPPED":
            return _answer(400, f"Cannot submit non-empty set of task configs for stopped connector {connector}")
        tasks = [{str(k): (None if v is None else str(v)) for k, v in dict(c).items()} for c in configs]
        logger.info("Writing %d task config(s) of connector %s (internal request)", len(tasks), connector)
        self.config.put_task_configs(connector, tasks)
        return _answer(204)

    # --- PUT /connectors/{c}/fence -----------------------------------------------------------------
    def fence(self, request_id: int, connector: str, snap: Callable[[], ClusterConfigState]) -> None:
        try:
            self._fence(request_id, connector, snap())
        except Exception as e:  # the config topic unavailable: the request fails, the coordinator goes on
            logger.exception("Zombie fencing request for %s failed", connector)
            self._done(request_id, _answer(500, f"Failed to perform zombie fencing: {e}"))

    def _fence(self, request_id: int, connector: str, snap: ClusterConfigState) -> None:
        if not snap.contains(connector):
            self._done(request_id, _answer(404, f"Connector {connector} not found"))
            return
        active = self._fencings.get(connector)
        if active is not None:  # a fencing of this connector is under way: answer with it
            active[2].append(request_id)
            return
        plan = fencing_plan(snap, connector)
        if plan is None:
            logger.debug("No zombie fencing needed for %s: old task generations are already fenced", connector)
            self._done(request_id, _answer(204))
            return
        if plan.fence == 0:
            self._record(plan)
            self._done(request_id, _answer(204))
            return
        ids = [task_transactional_id(self.group_id, connector, i) for i in range(plan.fence)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="internal-fencing")
        logger.info("Fencing out %d task producer(s) of %s (internal request)", plan.fence, connector)
        self._fencings[connector] = (plan, self._pool.submit(fence_producers, self.client_config, ids), [request_id])

    def tick(self, refreshed: Callable[[], ClusterConfigState]) -> list[Reply]:
        """Answers that are ready: finished fencings (their records written) and immediate answers."""
        for connector, (plan, future, waiting) in list(self._fencings.items()):
            if not future.done():
                continue
            del self._fencings[connector]
            error = future.exception()
            if error is None:
                try:
                    if fencing_plan(refreshed(), connector) == plan:
                        self._record(plan)
                except Exception as e:
                    error = e
            answer = _answer(204) if error is None else _answer(500, f"Failed to perform zombie fencing: {error}")
            for request_id in waiting:
                self._done(request_id, answer)
        ready, self._ready = self._ready, []
        return ready

    def _record(self, plan: FencingPlan) -> None:
        logger.info("Recording %d task(s) of %s after zombie fencing", plan.record, plan.connector)
        self.record_task_count(plan.connector, plan.record)

    def _done(self, request_id: int, answer: dict[str, Any]) -> None:
        self._ready.append({"id": request_id, "status": 200, "body": answer})

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
