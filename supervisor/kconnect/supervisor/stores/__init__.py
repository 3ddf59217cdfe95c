"""Distributed mode's storage layer: Kafka Connect's internal topics (config, status, offsets).

``formats`` is the pure byte-level codec, ``config_state`` replays config records into immutable
snapshots, ``backing`` holds the store classes over an append-only log (``memory_log`` for unit
tests, ``kafka_log`` for Kafka), and ``topics`` creates and verifies the internal topics.
These run in a process that owns its Kafka clients, never in the supervisor (forking discipline).
"""
