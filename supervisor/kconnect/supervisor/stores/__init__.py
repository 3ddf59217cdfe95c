"""Distributed mode's storage layer: Kafka Connect's internal topics (config, status, offsets).

``formats`` is the pure byte-level codec, ``config_state`` replays config records into immutable
snapshots, ``backing`` holds the store classes over an append-only log (``log.MemoryLog`` for unit
tests, ``kafka_log.KafkaLog`` for Kafka), ``topics`` creates and verifies the internal topics and
``kafka_stores`` wires it all from a worker config. These hold Kafka clients: they run in a process
that owns its clients, never in the supervisor (forking discipline). See docs/internal-topics.md.
"""
