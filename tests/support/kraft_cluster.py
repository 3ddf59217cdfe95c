"""A three-node Apache Kafka KRaft cluster (every node broker + controller, a static three-voter quorum) built
from the dev broker, for the scenario that kills the broker leading the coordination partition.

The controller notices a dead broker after ``broker.session.timeout.ms``; it is lowered to 3 s (heartbeats every
500 ms) so a partition's leadership moves within the CI profile's lease of 8 s, as the protocol's parameter notes
require of a production deployment (coordination-protocol.md, CE-8: T must ride through a hard failover).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kconnect.supervisor.devbroker.broker import LOOPBACK, KafkaBroker, _distinct_free_ports, new_cluster_id

NODES = 3


class KraftNode(KafkaBroker):
    def __init__(self, work_dir: Path, node_id: int, port: int, controller_port: int, cluster: KraftCluster) -> None:
        self.node_id = node_id
        self._cluster = cluster
        self._fixed_controller_port = controller_port
        super().__init__(
            work_dir,
            port=port,
            cluster_id=cluster.cluster_id,
            heap="384m",
            startup_timeout=120.0,
            extra_config={
                "node.id": str(node_id),
                "controller.quorum.voters": cluster.voters,
                "default.replication.factor": str(NODES),
                "min.insync.replicas": "2",
                "offsets.topic.replication.factor": str(NODES),
                "transaction.state.log.replication.factor": str(NODES),
                "transaction.state.log.min.isr": "2",
                "share.coordinator.state.topic.replication.factor": str(NODES),
                "share.coordinator.state.topic.min.isr": "2",
                "broker.session.timeout.ms": "3000",
                "broker.heartbeat.interval.ms": "500",
                "unclean.leader.election.enable": "false",
            },
        )

    @property
    def bootstrap_servers(self) -> str:
        return self._cluster.bootstrap_servers

    def _choose_ports(self, previous: Mapping[str, Any]) -> None:
        self.port = self.requested_port
        self.controller_port = self._fixed_controller_port
        self.sasl_port = None


class KraftCluster:
    def __init__(self, work_dir: Path) -> None:
        self.cluster_id = new_cluster_id()
        ports = _distinct_free_ports(2 * NODES, set())
        self.ports = ports[:NODES]
        controllers = ports[NODES:]
        self.voters = ",".join(f"{i + 1}@{LOOPBACK}:{c}" for i, c in enumerate(controllers))
        self.bootstrap_servers = ",".join(f"{LOOPBACK}:{p}" for p in self.ports)
        self.nodes = [
            KraftNode(work_dir / f"node{i + 1}", i + 1, self.ports[i], controllers[i], self) for i in range(NODES)
        ]

    def start(self) -> None:
        """Starts every node at once: none is ready before the quorum has a majority."""
        errors: list[BaseException] = []

        def run(node: KraftNode) -> None:
            try:
                node.start()
            except BaseException as e:  # reported below, after every thread ended
                errors.append(e)

        threads = [threading.Thread(target=run, args=(n,)) for n in self.nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.stop()
            raise errors[0]

    def node(self, node_id: int) -> KraftNode:
        return self.nodes[node_id - 1]

    def stop(self) -> None:
        for n in self.nodes:
            n.stop()
