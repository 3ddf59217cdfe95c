"""The supervisor's life cycle as systemd sees it: READY, WATCHDOG, STOPPING and STATUS.

The master calls :meth:`ServiceLifecycle.tick` once per pass of its main loop. READY=1 is sent
once the worker's REST API answers ``GET /health`` with 200 - that request travels REST process ->
control socket -> this very loop, so it proves the whole path works. The probe is a non-blocking
socket in the master's selector: the master must never block on its own REST processes (they are
waiting on the master to answer). WATCHDOG=1 goes out from the loop itself at half of
``WATCHDOG_USEC``, so a wedged loop stops the pings and systemd restarts the service.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kconnect.supervisor.rest.listeners import Listener
from kconnect.supervisor.sdnotify import Notifier

logger = logging.getLogger(__name__)

PROBE_INTERVAL_S = 0.5
PROBE_TIMEOUT_S = 5.0
STATUS_MIN_INTERVAL_S = 1.0
# /health answers: 200 (healthy); 401/403 still prove a REST process is serving (its listener
# requires credentials the supervisor does not hold).
ANSWERED = (200, 401, 403)


@dataclass(frozen=True)
class ProbeTarget:
    host: str
    port: int
    tls: bool  # https: a TCP accept is all the probe checks (no TLS client in the master loop)


def probe_target_for(listeners: Iterable[Listener]) -> ProbeTarget | None:
    """Where to ask ``/health``: the first plain-HTTP API listener (else the first HTTPS one)."""
    ordered = sorted(listeners, key=lambda x: x.scheme != "http")
    if not ordered:
        return None
    first = ordered[0]
    wildcard = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
    return ProbeTarget(wildcard.get(first.host, first.host), first.port, first.scheme == "https")


class HealthProbe:
    """One non-blocking ``GET /health`` against the REST listener, driven by the master's selector."""

    def __init__(self, target: ProbeTarget, selector: selectors.BaseSelector, done: Callable[[bool], None]) -> None:
        self.target = target
        self.selector = selector
        self.done = done
        self.started_at = time.monotonic()
        self.buffer = b""
        self.sent = False
        self.finished = False
        family = socket.AF_INET6 if ":" in target.host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.connect_ex((target.host, target.port))
        selector.register(self.sock, selectors.EVENT_WRITE, self._on_event)

    def _on_event(self, _sock: object) -> None:
        if self.sent:
            self._readable()
        else:
            self._connected()

    def _connected(self) -> None:
        if self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
            self.finish(False)
            return
        if self.target.tls:
            self.finish(True)
            return
        request = f"GET /health HTTP/1.0\r\nHost: {self.target.host}:{self.target.port}\r\n\r\n".encode()
        try:
            self.sock.send(request)  # a few bytes into an empty socket buffer: never partial
        except OSError:
            self.finish(False)
            return
        self.sent = True
        self.selector.modify(self.sock, selectors.EVENT_READ, self._on_event)

    def _readable(self) -> None:
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self.buffer += data
        if b"\r\n" in self.buffer or not data:
            status_line = self.buffer.split(b"\r\n", 1)[0].split()
            code = int(status_line[1]) if len(status_line) >= 2 and status_line[1].isdigit() else 0
            self.finish(code in ANSWERED)

    def expired(self, now: float) -> bool:
        return now - self.started_at > PROBE_TIMEOUT_S

    def finish(self, ok: bool) -> None:
        if self.finished:
            return
        self.finished = True
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(self.sock)
        self.sock.close()
        self.done(ok)


class ServiceLifecycle:
    """READY / WATCHDOG / STOPPING / STATUS for the master; a no-op outside systemd."""

    def __init__(self, notifier: Notifier | None = None, probe_target: ProbeTarget | None = None) -> None:
        self.notifier = notifier or Notifier()
        self.probe_target = probe_target
        self.ready = False
        self.stopping = False
        self.probe: HealthProbe | None = None
        self.next_probe_at = 0.0
        self.next_ping_at = 0.0
        self.last_status = ""
        self.last_status_at = 0.0

    def tick(self, selector: selectors.BaseSelector, rest_running: bool, summary: Callable[[], str]) -> None:
        """One pass of the master's loop: ping the watchdog, probe readiness, refresh STATUS."""
        now = time.monotonic()
        interval = self.notifier.watchdog_interval_s
        if interval is not None and now >= self.next_ping_at:
            self.notifier.watchdog()
            self.next_ping_at = now + interval
        if not self.ready and not self.stopping:
            self._probe(selector, rest_running, now)
        if (self.ready or self.stopping) and now - self.last_status_at >= STATUS_MIN_INTERVAL_S:
            text = summary()
            if text != self.last_status:
                self.notifier.status(text)
                self.last_status = text
            self.last_status_at = now

    def _probe(self, selector: selectors.BaseSelector, rest_running: bool, now: float) -> None:
        if self.probe_target is None or self.probe_target.port == 0:
            # No REST listener to ask (or an ephemeral port we cannot know): ready once it runs.
            if rest_running or self.probe_target is None:
                self._become_ready()
            return
        if self.probe is not None:
            if self.probe.expired(now):
                self.probe.finish(False)
            return
        if rest_running and now >= self.next_probe_at:
            self.next_probe_at = now + PROBE_INTERVAL_S
            self.probe = HealthProbe(self.probe_target, selector, self._probe_done)

    def _probe_done(self, ok: bool) -> None:
        self.probe = None
        if ok and not self.stopping:
            self._become_ready()

    def _become_ready(self) -> None:
        self.ready = True
        logger.info("Worker is ready: REST API answers")
        self.notifier.ready("Worker started; REST API answers")
        self.last_status_at = time.monotonic()

    def begin_stop(self, children: int, restarting: bool = False) -> None:
        """The drain starts: STOPPING=1, or RELOADING=1 for a restart in place (SIGUSR2) - the process
        re-executes itself under the same main PID and its new image sends READY=1 again."""
        self.stopping = True
        if self.probe is not None:
            self.probe.finish(False)
        if restarting:
            self.notifier.reloading(f"Restarting in place: draining {children} process(es)")
        else:
            self.notifier.stopping(f"Draining {children} process(es)")

    def close(self) -> None:
        if self.probe is not None:
            self.probe.finish(False)
        self.notifier.close()


def summarize(task_states: Iterable[str], connectors: int, processes: int, stopping: bool) -> str:
    """The STATUS= line: what runs, by state (``systemctl status`` shows it)."""
    if stopping:
        return f"Draining: {processes} process(es) left"
    counts = Counter(task_states)
    detail = ", ".join(f"{n} {state.lower()}" for state, n in sorted(counts.items()))
    return f"{connectors} connector(s), {counts.total()} task(s)" + (f": {detail}" if detail else "")


__all__ = ["ProbeTarget", "ServiceLifecycle", "probe_target_for", "summarize"]
