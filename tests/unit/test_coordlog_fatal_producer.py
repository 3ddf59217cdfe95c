"""A fatal idempotent-producer error replaces the coordination producer (review §6.6).

librdkafka cannot be made to raise a fatal idempotence error on demand from Python, so the producer is
stood in for by one that fails the way librdkafka reports it (a fatal KafkaError in the delivery report,
or raised by produce). Without a replacement every later append (heartbeats and JOINs alike) would fail
and the worker could never rejoin.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaError, KafkaException

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination.params import CI
from kconnect.supervisor.distributed.coordlog import CoordinationLog

FP = r.Fingerprint("g", "cfg", "st", "off")


class BrokenProducer:
    """Fails like a librdkafka producer in the fatal idempotence state."""

    def __init__(self, *, raise_on_produce: bool) -> None:
        self.raise_on_produce = raise_on_produce
        self.pending: list[Any] = []
        self.purged = False

    def produce(self, topic: str, key: bytes, value: bytes, on_delivery: Any) -> None:
        fatal = KafkaError(KafkaError._FATAL, "Fatal idempotent producer error: out of order sequence", fatal=True)
        if self.raise_on_produce:
            raise KafkaException(fatal)
        self.pending.append((on_delivery, fatal))

    def poll(self, _timeout: float) -> int:
        pending, self.pending = self.pending, []
        for on_delivery, err in pending:
            on_delivery(err, None)
        return len(pending)

    def purge(self) -> None:
        self.purged = True

    def flush(self, _timeout: float) -> int:
        return 0


def _heartbeat(seq: int) -> r.HeartbeatRecord:
    return r.HeartbeatRecord(
        cluster="g", worker_id="A", incarnation="A#1", seq=seq, epoch=1, config_offset=0, ready=True, applied_upto=0
    )


def _log() -> CoordinationLog:
    return CoordinationLog("coordination", {"bootstrap.servers": "127.0.0.1:1"}, "t", CI.protocol.lease_ms)


def test_a_fatal_delivery_report_replaces_the_producer() -> None:
    log = _log()
    broken = BrokenProducer(raise_on_produce=False)
    log._producer = broken  # type: ignore[assignment]
    delivered: list[tuple[int, bool]] = []
    log.append(_heartbeat(7), lambda seq, ok: delivered.append((seq, ok)))
    log.serve_deliveries()
    assert delivered == [(7, False)]
    assert log.producers_replaced == 1
    assert broken.purged
    assert log._producer is not broken


def test_a_fatal_error_raised_by_produce_replaces_the_producer_and_reports_the_record_failed() -> None:
    log = _log()
    broken = BrokenProducer(raise_on_produce=True)
    log._producer = broken  # type: ignore[assignment]
    delivered: list[tuple[int, bool]] = []
    log.append(_heartbeat(8), lambda seq, ok: delivered.append((seq, ok)))
    assert delivered == [(8, False)]
    assert log.producers_replaced == 1
    assert log._producer is not broken
