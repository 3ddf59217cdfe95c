"""Runs one real task process (``python -m kconnect.workers``) with the test playing the supervisor's part.

The process is started exactly as the master starts it (:func:`spawn_worker_child`, same bootstrap
message); the test reads its control messages on a thread (heartbeats, offsets, failure traces), keeps
the offsets it reports as the standalone master does, and can stop it cleanly or ``kill -9`` it.
"""

from __future__ import annotations

import os
import selectors
import signal
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kconnect.ipc.codec import FrameReader
from kconnect.supervisor.children import Child, spawn_worker_child


class TaskProcess:
    def __init__(
        self,
        *,
        connector: str,
        task_id: int,
        worker_props: Mapping[str, str],
        connector_config: Mapping[str, str],
        task_config: Mapping[str, str],
        exactly_once: Mapping[str, Any] | None = None,
    ) -> None:
        self.connector = connector
        self.task_id = task_id
        self.worker_props = dict(worker_props)
        self.connector_config = dict(connector_config)
        self.task_config = dict(task_config)
        self.exactly_once = dict(exactly_once) if exactly_once else None
        self.offsets: dict[str, Any] = {}  # what a standalone master would have persisted
        self.failures: list[str] = []
        self.hello = threading.Event()
        self.hello_at = 0.0  # time.monotonic() when the task said it started (after its set-up)
        self.last_stats: dict[str, Any] = {}
        self.killed_mid_stream = 0  # kept by tests that kill the process
        self.child: Child | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> TaskProcess:
        boot: dict[str, Any] = {
            "connector": self.connector,
            "task_id": self.task_id,
            "worker": self.worker_props,
            "connector_config": self.connector_config,
            "task_config": self.task_config,
            "log_level": "INFO",
            "offsets": dict(self.offsets),
        }
        if self.exactly_once:
            boot["exactly_once"] = self.exactly_once
        self.hello.clear()
        repo = str(Path(__file__).resolve().parents[2])  # test plugins load by dotted path
        pythonpath = os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))
        # as a distributed master runs it
        env = {**os.environ, "KCONNECT_WORKER_MODE": "distributed", "PYTHONPATH": pythonpath}
        self.child = spawn_worker_child("source_task", self.connector, self.task_id, boot, env)
        self._reader = threading.Thread(target=self._read, args=(self.child,), daemon=True)
        self._reader.start()
        return self

    def _read(self, child: Child) -> None:
        assert child.sock is not None
        reader = FrameReader()
        sel = selectors.DefaultSelector()
        sel.register(child.sock, selectors.EVENT_READ)
        while True:
            sel.select(0.5)
            try:
                data = child.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                return
            if not data:
                return
            for msg in reader.feed(data):
                kind = msg.get("type")
                if kind == "hello":
                    self.hello_at = time.monotonic()
                    self.hello.set()
                elif kind == "offsets":
                    self.offsets.update(msg["offsets"])
                elif kind == "heartbeat":
                    self.last_stats = msg.get("stats") or {}
                elif kind == "failed":
                    self.failures.append(str(msg.get("trace")))

    @property
    def pid(self) -> int:
        assert self.child is not None
        return self.child.pid

    def healthy(self) -> bool:
        """True while the task reported no failure (raises with its trace otherwise: no waiting in vain)."""
        assert not self.failures, self.failures[-1]
        return True

    def alive(self) -> bool:
        return self.child is not None and self.child.proc.poll() is None

    def kill9(self) -> None:
        assert self.child is not None
        os.kill(self.child.pid, signal.SIGKILL)
        self.child.proc.wait(30)
        self._join()

    def stop(self, timeout: float = 60.0) -> int:
        """Ask the task to stop (the supervisor's STOP) and wait for it to exit."""
        assert self.child is not None
        self.child.send({"type": "stop"})
        deadline = time.monotonic() + timeout
        while self.child.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.child.proc.poll() is None:
            self.child.kill()
        code = self.child.proc.wait(10)
        self._join()
        return code

    def _join(self) -> None:
        if self._reader is not None:
            self._reader.join(10)
        if self.child is not None and self.child.sock is not None:
            self.child.sock.close()
            self.child.sock = None
