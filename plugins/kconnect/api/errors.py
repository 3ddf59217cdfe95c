"""Exceptions a plugin may raise; the runtime maps each to Kafka Connect's behaviour."""

from __future__ import annotations


class ConnectError(Exception):
    """Base class (Apache's ConnectException): fails the task or the request."""


class RetriableError(ConnectError):
    """A transient failure: the runtime retries the operation (Apache's RetriableException).

    ``backoff_ms`` is an optional hint; sinks otherwise use the time set by ``context.timeout``.
    """

    def __init__(self, message: str = "", backoff_ms: int | None = None) -> None:
        super().__init__(message)
        self.backoff_ms = backoff_ms


class DataError(ConnectError):
    """A value does not fit its schema, or bytes cannot be converted (Apache's DataException)."""


class ConfigError(ConnectError):
    """An invalid configuration (Apache's ConfigException)."""

    def __init__(self, name: str, value: object = None, message: str | None = None) -> None:
        if message is None:
            super().__init__(name)
        else:
            shown = "null" if value is None else ("true" if value is True else "false" if value is False else value)
            super().__init__(f"Invalid value {shown} for configuration {name}: {message}")
        self.name = name
        self.value = value
