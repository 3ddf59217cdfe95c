"""Distributed mode: the coordinator child process and the supervisor-side herder that uses it.

* ``coordinator`` - the child process that owns every Kafka client of distributed mode (internal stores,
  the coordination log) and drives the sans-IO member core with real time and real records;
* ``coordlog``    - the coordination topic's producer and consumer;
* ``protocol``    - the control messages between the coordinator and the master;
* ``herder``      - the cluster view the coordinator streams to the master, and the REST reads over it;
* ``operations``  - REST operations of a distributed worker (writes go through the coordinator);
* ``master``      - the master loop of a distributed worker (runs exactly the units granted here).

docs/distributed.md describes the process architecture.
"""
