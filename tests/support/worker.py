"""Runs a real ``kconnect standalone`` (or ``distributed``) worker as a subprocess for integration tests."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from kconnect.supervisor.devbroker.broker import free_port


class RestClient:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> tuple[int, Any]:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        status, body = self.call("GET", path)
        assert status == 200, (status, body)
        return body


class Worker:
    def __init__(
        self, work: Path, bootstrap: str, extra: dict[str, str] | None = None, mode: str = "standalone"
    ) -> None:
        self.work = work
        self.mode = mode
        self.port = free_port()
        self.rest = RestClient(f"http://127.0.0.1:{self.port}")
        self.props = {
            "bootstrap.servers": bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": str(work / "connect.offsets"),
            "offset.flush.interval.ms": "500",
            "listeners": f"http://127.0.0.1:{self.port}",
            "kconnect.task.restart.initial.backoff.ms": "200",
            **(extra or {}),
        }
        if mode == "distributed":
            del self.props["offset.storage.file.filename"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = work / "worker.log"

    def start(self, *connector_files: str, wait: bool = True) -> Worker:
        worker_file = self.work / "worker.properties"
        worker_file.write_text("".join(f"{k}={v}\n" for k, v in self.props.items()))
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        # Task processes import test plugins (tests.support.plugins) by dotted path.
        repo = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kconnect.supervisor", self.mode, str(worker_file), *connector_files],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.rest.get("/")
                return
            except (OSError, AssertionError):
                time.sleep(0.2)
        raise AssertionError("worker REST API did not come up:\n" + self.log_tail())

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 60) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                for p in psutil.Process(self.proc.pid).children(recursive=True):
                    p.kill()
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def kill9(self) -> None:
        """SIGKILL the supervisor only (its children are left to notice on their own, as after a crash)."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self._log.close()

    def task_pids(self, connector: str | None = None, role: str | None = None) -> list[int]:
        """PIDs of this worker's task/connector processes (from their informational argv)."""
        assert self.proc is not None
        out = []
        for child in psutil.Process(self.proc.pid).children(recursive=False):
            try:
                argv = child.cmdline()
            except psutil.Error:
                continue
            if "kconnect.workers" not in argv:
                continue
            args = dict(itertools.pairwise(argv))
            if connector is not None and args.get("--connector") != connector:
                continue
            if role is not None and args.get("--role") != role:
                continue
            out.append(child.pid)
        return out

    def create(self, name: str, config: dict[str, str]) -> dict[str, Any]:
        status, body = self.rest.call("POST", "/connectors", {"name": name, "config": config})
        assert status == 201, (status, body, self.log_tail())
        return body  # type: ignore[no-any-return]

    def status(self, name: str) -> dict[str, Any]:
        return self.rest.get(f"/connectors/{name}/status")  # type: ignore[no-any-return]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


__all__ = ["RestClient", "Worker", "count_lines", "wait_for"]
