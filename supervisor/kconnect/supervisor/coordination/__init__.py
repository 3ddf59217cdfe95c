"""Distributed-mode coordination: the pure core (no I/O).

* ``records``  - coordination-log record schemas and their canonical JSON encoding;
* ``params``   - protocol parameters, the safety constraints and the mapping from Java's keys;
* ``referee``  - the deterministic fold ``apply(state, record, log_append_time, offset)``;
* ``assignor`` - the incremental cooperative proposer (a pure function of referee state);
* ``member``   - the sans-IO worker core that production and the simulator both drive.

docs/coordination-protocol.md describes the protocol these modules implement.
"""
