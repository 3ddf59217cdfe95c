"""Java's (log4j's) level names and their Python ``logging`` equivalents, for /admin/loggers."""

from __future__ import annotations

JAVA_LEVELS = ("ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF")
PY_LEVEL = {"ALL": 1, "TRACE": 5, "DEBUG": 10, "INFO": 20, "WARN": 30, "ERROR": 40, "FATAL": 50, "OFF": 100}


def java_level(level: int) -> str:
    """The Java name for a Python level (the nearest level at or above it)."""
    for name in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"):
        if level <= PY_LEVEL[name]:
            return name
    return "OFF"
