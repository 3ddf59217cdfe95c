"""librdkafka's own log lines through Python logging, so they carry the process's tag and priority.

By default librdkafka writes its lines (``%3|1700000000.123|FAIL|rdkafka#producer-1| ...``) straight
to stderr: no ``[connector|task-N]`` tag, no ``<N>`` journald priority. Given a Python ``logger``,
confluent-kafka queues them instead and hands them to that logger inside ``poll()``/``consume()``,
which the task runners (and the DLQ producer's poller) call continuously. Admin clients are left as
they are: nothing polls them, so their lines would be held back rather than written.
"""

from __future__ import annotations

import logging
from typing import Any

LIBRDKAFKA_LOGGER = "kconnect.librdkafka"


def routed_logs(client_config: dict[str, Any]) -> dict[str, Any]:
    """``client_config`` with librdkafka's log lines sent to the ``kconnect.librdkafka`` logger."""
    return {**client_config, "logger": logging.getLogger(LIBRDKAFKA_LOGGER)}


__all__ = ["LIBRDKAFKA_LOGGER", "routed_logs"]
