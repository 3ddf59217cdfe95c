"""sd_notify and journald log lines, against real Unix datagram sockets."""

from __future__ import annotations

import http.server
import logging
import os
import selectors
import socket
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest

from kconnect.supervisor.lifecycle import ProbeTarget, ServiceLifecycle
from kconnect.supervisor.sdnotify import Notifier, strip_systemd_env
from kconnect.workers.logformat import SUPERVISOR_TAG, JournalFormatter, SubjectFilter, about, syslog_priority


def _listen(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + address[1:].encode() if address.startswith("@") else address)
    sock.settimeout(5)
    return sock


@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_messages_reach_path_and_abstract_sockets(tmp_path: Path, kind: str) -> None:
    address = str(tmp_path / "notify") if kind == "path" else f"@kconnect-unit-{os.getpid()}"
    listener = _listen(address)
    try:
        notifier = Notifier({"NOTIFY_SOCKET": address})
        assert notifier.ready("up")
        assert listener.recv(4096) == b"READY=1\nSTATUS=up"
        assert notifier.stopping()
        assert listener.recv(4096) == b"STOPPING=1"
        notifier.close()
    finally:
        listener.close()


def test_watchdog_interval_is_half_the_timeout_and_only_for_the_named_pid() -> None:
    assert Notifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "3000000"}, pid=42).watchdog_interval_s == 1.5
    assert Notifier(
        {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "42"}, pid=42
    ).watchdog_interval_s
    assert Notifier({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "41"}, pid=42).watchdog_interval_s is None
    assert Notifier({"WATCHDOG_USEC": "0"}, pid=42).watchdog_interval_s is None
    assert Notifier({"WATCHDOG_USEC": "soon"}, pid=42).watchdog_interval_s is None


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog()


def test_a_vanished_socket_does_not_raise(tmp_path: Path) -> None:
    assert not Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).watchdog()


def test_children_do_not_inherit_the_notify_socket() -> None:
    env = {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1", "WATCHDOG_PID": "1", "PATH": "/bin"}
    strip_systemd_env(env)
    assert env == {"PATH": "/bin"}


def test_journal_lines_have_priorities_and_tag_every_line() -> None:
    formatter = JournalFormatter("[%(kcontext)s]")
    record = logging.LogRecord("kconnect.x", logging.ERROR, __file__, 1, "boom\nline two", None, None)
    record.kcontext = "c|task-3"
    assert formatter.format(record).splitlines() == [
        "<3>ERROR [c|task-3] boom",
        "<3>[c|task-3] | line two (kconnect.x)",
    ]
    assert [syslog_priority(n) for n in (50, 40, 30, 20, 10, 5)] == [2, 3, 4, 6, 7, 7]


def test_supervisor_lines_about_a_task_carry_its_tag() -> None:
    formatter = JournalFormatter(SUPERVISOR_TAG)
    subject = SubjectFilter()
    about_task = logging.LogRecord("kconnect.s", logging.INFO, __file__, 1, "Started task", None, None)
    about_task.__dict__.update(about("orders", 2))
    general = logging.LogRecord("kconnect.s", logging.WARNING, __file__, 1, "Received SIGTERM\nmore", None, None)
    connector = logging.LogRecord("kconnect.s", logging.ERROR, __file__, 1, "Connector failed", None, None)
    connector.__dict__.update(about("orders"))
    assert all(subject.filter(r) for r in (about_task, general, connector))
    assert formatter.format(about_task) == "<6>INFO [supervisor] [orders|task-2] Started task (kconnect.s)"
    assert formatter.format(general).splitlines() == [
        "<4>WARNING [supervisor] Received SIGTERM",
        "<4>[supervisor] | more (kconnect.s)",
    ]
    assert formatter.format(connector) == "<3>ERROR [supervisor] [orders|connector] Connector failed (kconnect.s)"


class _Health(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        code = self.answers.pop(0) if self.answers else 200
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_ready_only_after_health_answers_200(tmp_path: Path) -> None:
    """The readiness probe runs in a selector loop like the master's: 503 "starting" is not ready."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    _Health.answers = [503, 503]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    listener = _listen(str(tmp_path / "notify"))
    lifecycle = ServiceLifecycle(
        Notifier({"NOTIFY_SOCKET": str(tmp_path / "notify")}),
        ProbeTarget("127.0.0.1", server.server_address[1], tls=False),
    )
    selector = selectors.DefaultSelector()
    try:
        deadline = time.monotonic() + 30
        while not lifecycle.ready and time.monotonic() < deadline:
            for key, _ in selector.select(0.1):
                key.data(key.fileobj)
            lifecycle.tick(selector, rest_running=True, summary=lambda: "1 connector(s), 0 task(s)")
        assert lifecycle.ready
        assert _Health.answers == []  # both 503 answers were seen before READY
        assert listener.recv(4096).startswith(b"READY=1\n")
        lifecycle.begin_stop(3)
        assert listener.recv(4096) == b"STOPPING=1\nSTATUS=Draining 3 process(es)"
    finally:
        server.shutdown()
        listener.close()
        lifecycle.close()


def test_not_ready_while_the_rest_process_is_not_running(tmp_path: Path) -> None:
    lifecycle = ServiceLifecycle(Notifier({}), ProbeTarget("127.0.0.1", 9, tls=False))
    selector = selectors.DefaultSelector()
    for _ in range(5):
        lifecycle.tick(selector, rest_running=False, summary=lambda: "")
    assert not lifecycle.ready
    assert lifecycle.probe is None


def test_health_turns_503_when_the_drain_starts_together_with_stopping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/health (answered by the master's own operations) and STOPPING=1 change at the same moment."""
    from kconnect.supervisor.herder import StandaloneHerder
    from kconnect.supervisor.master import Master
    from kconnect.supervisor.offsets_file import OffsetsFile
    from kconnect.workers.worker_config import RestartPolicy
    from tests.support.notify_socket import NotifySocket

    notify = NotifySocket(str(tmp_path / "notify.sock"))
    monkeypatch.setenv("NOTIFY_SOCKET", notify.address)
    master = Master(
        worker_props={},
        herder=StandaloneHerder("w:1", "cluster", "4.3.0", "x"),
        offsets=OffsetsFile(str(tmp_path / "offsets")),
        policy_for=lambda config: RestartPolicy(),
        shutdown_timeout_ms=1000,
        rest_argv=None,
        control_path=str(tmp_path / "control.sock"),
    )
    answers: list[tuple[int, object]] = []

    def reply(status: int, body: object) -> None:
        answers.append((status, body))

    try:
        master.ops.op_health({}, reply)
        assert answers[-1][0] == 200
        assert not any("STOPPING=1" in n.lines for n in notify.receive(0.2))
        master._begin_stop()
        master.ops.op_health({}, reply)
        assert answers[-1] == (503, {"status": "unhealthy", "message": "Worker is shutting down."})
        assert notify.wait_for("STOPPING=1", 5).pid == os.getpid()
    finally:
        master.lifecycle.close()
        notify.close()
