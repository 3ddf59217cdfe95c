"""Child processes of the supervisor: how one starts, and the record the master keeps for it.

Children are started with fork+exec (``subprocess.Popen`` over ``python -m ...``), never a bare
fork: the master holds no Kafka client and starts no threads, and exec gives each child a clean
interpreter in which it creates its own librdkafka clients.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kconnect.ipc.codec import FrameReader, Message, encode

ROLE_CONNECTOR = "connector"
ROLE_VALIDATE = "validate"
ROLE_SOURCE_TASK = "source_task"
ROLE_SINK_TASK = "sink_task"
ROLE_PROBE = "probe"
ROLE_ADMIN = "admin"
ROLE_REST = "rest"


@dataclass(eq=False)
class Child:
    role: str
    connector: str
    task_id: int
    proc: subprocess.Popen[bytes]
    sock: socket.socket | None
    started_at: float = field(default_factory=time.monotonic)
    reader: FrameReader = field(default_factory=FrameReader)
    hello: bool = False
    stopping: bool = False
    kill_at: float | None = None
    failure_trace: str | None = None
    on_message: Callable[[Child, Message], None] | None = None
    on_exit: Callable[[Child, int], None] | None = None
    deadline: float | None = None  # for one-shot children (validation): killed past it
    timed_out: bool = False  # killed because its deadline passed
    last_heartbeat: float = field(default_factory=time.monotonic)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def key(self) -> tuple[str, int]:
        return self.connector, self.task_id

    def send(self, message: Message) -> bool:
        if self.sock is None:
            return False
        try:
            self.sock.sendall(encode(message))
            return True
        except OSError:
            return False

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signum)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)


def spawn_worker_child(
    role: str,
    connector: str,
    task_id: int,
    bootstrap: Message,
    env: dict[str, str],
    *,
    preexec_fn: Callable[[], None] | None = None,
    before_bootstrap: Callable[[int], None] | None = None,
) -> Child:
    """Start ``python -m kconnect.workers`` with one end of a socketpair, and send its bootstrap.

    ``preexec_fn`` runs in the forked child before exec (the master is single-threaded, so that is
    safe); ``before_bootstrap(pid)`` runs in the master before the child gets any work to do.
    (Both are how per-task cgroups are joined; see ``kconnect.supervisor.limits``.)
    """
    parent, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        proc = subprocess.Popen(
            # --role/--connector/--task are informational: they make `ps` and tests able to tell
            # processes apart; the bootstrap message is authoritative.
            [
                sys.executable,
                "-m",
                "kconnect.workers",
                "--fd",
                str(child_end.fileno()),
                "--role",
                role,
                "--connector",
                _argv_safe(connector),
                "--task",
                str(task_id),
            ],
            pass_fds=[child_end.fileno()],
            env=env,
            start_new_session=True,  # terminal signals reach only the supervisor; it decides
            preexec_fn=preexec_fn,
        )
    finally:
        child_end.close()
    if before_bootstrap is not None:
        before_bootstrap(proc.pid)
    parent.sendall(encode({**bootstrap, "type": "bootstrap", "role": role}))
    parent.setblocking(False)
    return Child(role=role, connector=connector, task_id=task_id, proc=proc, sock=parent)


def _argv_safe(text: object) -> str:
    """A name for a process's argv: no NUL (exec refuses it), no surrogates, bounded length."""
    name = str(text or "").replace("\0", "\\0")
    return name.encode("utf-8", "backslashreplace").decode("utf-8")[:200]


def _die_with_parent() -> None:
    """In the forked child before exec: SIGTERM when the supervisor dies (even by SIGKILL), so an orphaned
    REST server never keeps the port the restarted worker needs. The master is single-threaded, so the
    parent-death signal (tied to the forking thread) fires exactly when the supervisor dies."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def spawn_command(role: str, argv: list[str], env: dict[str, str]) -> Child:
    proc = subprocess.Popen(argv, env=env, start_new_session=True, preexec_fn=_die_with_parent)
    return Child(role=role, connector="", task_id=-1, proc=proc, sock=None)


def describe_exit(status: int) -> str:
    """A human cause for a wait status, used as the FAILED trace."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        hint = " (possibly the kernel's OOM killer)" if signum == signal.SIGKILL else ""
        return f"Task process was killed by {name}{hint}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"Task process exited unexpectedly with exit code {code}"
