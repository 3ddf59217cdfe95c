"""Log line format shared by the supervisor, REST and task processes, journald-aware.

Every process logs to the stderr it inherited from the supervisor. Under systemd that stderr is a
journald stream (``JOURNAL_STREAM`` names its device and inode); journald then adds its own
timestamps and reads a ``<N>`` prefix as the syslog priority (sd-daemon(3)), so lines carry no
timestamp and each physical line - traceback lines too - gets the priority and the
``[connector|task-N]`` tag, so ``journalctl -p err`` and ``grep`` both see whole stories.

The supervisor's own lines about a task or connector (started, failed, restarting, killed for its
limit) carry the same ``[connector|task-N]`` tag after ``[supervisor]``: the caller passes
``extra=about(connector, task_id)`` and :class:`SubjectFilter` fills in an empty subject otherwise.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

# sd-daemon(3) / syslog(3) priorities for Python's levels.
_PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
DEBUG_PRIORITY = 7
# The LogRecord attribute holding " [connector|task-N]" (or "") on the supervisor's lines.
SUBJECT = "ksubject"
SUPERVISOR_TAG = f"[supervisor]%({SUBJECT})s"


def about(connector: str, task_id: int | None = None, role: str = "connector") -> dict[str, str]:
    """``extra=`` for a supervisor log line about a task (``task_id``) or a connector process."""
    tag = f"[{connector}|task-{task_id}]" if task_id is not None else f"[{connector}|{role}]"
    return {SUBJECT: f" {tag}"}


class SubjectFilter(logging.Filter):
    """Gives every record a subject, empty unless the call passed ``extra=about(...)``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, SUBJECT):
            setattr(record, SUBJECT, "")
        return True


def syslog_priority(levelno: int) -> int:
    for threshold, priority in _PRIORITIES:
        if levelno >= threshold:
            return priority
    return DEBUG_PRIORITY


def connected_to_journal(stream: TextIO | None = None) -> bool:
    """True if ``stream`` (stderr by default) is the journald stream systemd set up for us."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        st = os.fstat((stream or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{st.st_dev}:{st.st_ino}"


class JournalFormatter(logging.Formatter):
    """``<N>LEVEL [tag] message (logger)``; continuation lines repeat ``<N>`` and the tag."""

    def __init__(self, tag: str) -> None:
        super().__init__(f"%(levelname)s {tag} %(message)s (%(name)s)")
        self.tag = tag

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        first, *rest = super().format(record).splitlines() or [""]
        tag = self.tag % record.__dict__ if "%(" in self.tag else self.tag
        return "\n".join([prefix + first, *(f"{prefix}{tag} | {line}" for line in rest)])


def make_formatter(tag: str, stream: TextIO | None = None) -> logging.Formatter:
    """The formatter for a process whose lines are tagged ``tag`` (a literal or a ``%(field)s``)."""
    if connected_to_journal(stream):
        return JournalFormatter(tag)
    return logging.Formatter(f"[%(asctime)s] %(levelname)s {tag} %(message)s (%(name)s)")


__all__ = [
    "SUBJECT",
    "SUPERVISOR_TAG",
    "JournalFormatter",
    "SubjectFilter",
    "about",
    "connected_to_journal",
    "make_formatter",
    "syslog_priority",
]
