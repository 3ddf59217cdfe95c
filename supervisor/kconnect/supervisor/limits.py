"""Per-task resource limits, enforced from outside the task process.

A task's own code cannot be trusted to respect a limit (it may be stuck in librdkafka or numpy),
and it cannot be trusted to report why it died (it is dead). So the limit is the kernel's or the
supervisor's, and so is the evidence:

* cgroup v2, where the service has a delegated writable subtree: ``memory.max`` (+ ``memory.swap.max``
  0) and ``cpu.max``; evidence ``memory.events`` ``oom_kill``.
* cgroup v1, where the host has v1 controllers and they are writable: ``memory.limit_in_bytes``
  (+ ``memory.memsw.limit_in_bytes`` when present, so swap is no way out) and ``cpu.cfs_quota_us``;
  evidence ``memory.oom_control`` ``oom_kill`` (or ``memory.failcnt`` on kernels without it).
* otherwise an RSS watchdog: the supervisor reads each limited task's RSS (psutil) on every pass of
  its loop and kills the task past its limit. CPU quotas are then unsupported, and say so.

``setrlimit`` is deliberately not used: ``RLIMIT_AS`` caps address space, not memory, and the
process would die of a failed ``malloc`` with nobody but itself to tell.

Layout: a per-worker parent ``<our group>/kconnect-<supervisor pid>/`` with one child group per task
process (``<seq>-<connector>-<task>``), created before the process starts, removed after it is reaped;
the parent is removed when the supervisor stops (and stale parents of dead supervisors at start).

Joining happens before exec: the forked child writes ``0`` ("myself") into each group's
``cgroup.procs`` in ``preexec_fn`` (the master is single-threaded, so that is safe), so even the
interpreter's start-up is charged to the task. The supervisor then writes the pid again before it
sends the bootstrap message: the task's code cannot run before that, whatever happened in the child.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import psutil

from kconnect.api.errors import ConfigError
from kconnect.workers.logformat import about
from kconnect.workers.task_limits import (
    TASK_CPU_QUOTA,
    TASK_LIMITS_MECHANISM,
    TASK_MEMORY_MAX_BYTES,
    TaskLimits,
    resolve_task_limits,
)

logger = logging.getLogger(__name__)

CGROUP_V2 = "cgroup v2"
CGROUP_V1 = "cgroup v1"
RSS_WATCHDOG = "RSS watchdog"
MECHANISMS = {"auto": None, "cgroup-v2": CGROUP_V2, "cgroup-v1": CGROUP_V1, "watchdog": RSS_WATCHDOG}

PARENT_PREFIX = "kconnect-"
# The RSS watchdog reads each watched task at most this often (the overshoot bound in resource-limits.md).
WATCHDOG_INTERVAL_S = 0.25
DEFAULT_CFS_PERIOD_US = 100_000


# --- where our cgroups are (pure parsing, unit-tested on recorded layouts) -------------------------


@dataclass(frozen=True)
class CgroupLayout:
    """Directories of the current process's cgroups: the v2 one, and one per v1 controller."""

    v2_dir: str | None = None
    v1_dirs: Mapping[str, str] = field(default_factory=dict)


def locate_cgroups(proc_cgroup: str, mountinfo: str) -> CgroupLayout:
    """Map ``/proc/<pid>/cgroup`` onto the mounts of ``/proc/self/mountinfo``.

    A mount may show only a subtree of its hierarchy (its "root" field, e.g. inside a cgroup
    namespace); a group outside what is mounted cannot be reached and is left out.
    """
    v2_path: str | None = None
    v1_paths: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            v2_path = path
        else:
            for controller in controllers.split(","):
                if controller:
                    v1_paths[controller] = path
    v2_dir: str | None = None
    v1_dirs: dict[str, str] = {}
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields = left.split()
        rfields = right.split()
        if len(fields) < 5 or len(rfields) < 3:
            continue
        root, mount_point = _unescape_mount(fields[3]), _unescape_mount(fields[4])
        fstype, super_options = rfields[0], rfields[2].split(",")
        if fstype == "cgroup2" and v2_path is not None and v2_dir is None:
            v2_dir = _under_mount(mount_point, root, v2_path)
        elif fstype == "cgroup":
            for controller in super_options:
                if controller in v1_paths and controller not in v1_dirs:
                    where = _under_mount(mount_point, root, v1_paths[controller])
                    if where is not None:
                        v1_dirs[controller] = where
    return CgroupLayout(v2_dir=v2_dir, v1_dirs=v1_dirs)


def _unescape_mount(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def _under_mount(mount_point: str, root: str, path: str) -> str | None:
    if root != "/" and path != root and not path.startswith(root.rstrip("/") + "/"):
        return None
    relative = path[len(root) :] if root != "/" else path
    return os.path.join(mount_point, relative.lstrip("/")).rstrip("/") or "/"


def read_layout(pid: int | str = "self") -> CgroupLayout:
    with open(f"/proc/{pid}/cgroup", encoding="utf-8") as f:
        proc_cgroup = f.read()
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        mountinfo = f.read()
    return locate_cgroups(proc_cgroup, mountinfo)


def _read(path: str) -> str:
    with open(path, encoding="ascii") as f:
        return f.read()


def _write(path: str, value: str) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.write(value)


def read_keyed(path: str) -> dict[str, int]:
    """A flat-keyed cgroup file (``memory.events``, ``memory.oom_control``, ``cpu.stat``)."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in _read(path).splitlines():
            key, _, value = line.partition(" ")
            with contextlib.suppress(ValueError):
                out[key] = int(value)
    return out


def _group_name(seq: int, connector: str, task_id: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", connector)[:64] or "_"
    return f"{seq}-{safe}-{task_id}"


# --- back ends --------------------------------------------------------------------------------------


class _Backend:
    """One way of enforcing limits; cgroup back ends return the ``cgroup.procs`` files to join."""

    mechanism = RSS_WATCHDOG
    cpu_supported = False

    def create(self, name: str, limits: TaskLimits) -> list[str]:
        return []

    def oom_killed(self, name: str) -> bool:
        return False

    def group_dirs(self, name: str) -> list[str]:
        return []

    def remove(self, name: str) -> bool:
        """Remove a task's groups; False while processes are still inside (retried later)."""
        done = True
        for directory in self.group_dirs(name):
            try:
                os.rmdir(directory)
            except FileNotFoundError:
                pass
            except OSError as e:
                if e.errno != errno.EBUSY:
                    raise
                for line in _read(os.path.join(directory, "cgroup.procs")).split():
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(line), signal.SIGKILL)  # a task's stray grandchild
                done = False
        return done

    def parents(self) -> list[str]:
        return []


class _CgroupV1(_Backend):
    mechanism = CGROUP_V1

    def __init__(self, memory_parent: str, cpu_parent: str | None) -> None:
        self.memory_parent = memory_parent
        self.cpu_parent = cpu_parent
        self.cpu_supported = cpu_parent is not None

    def group_dirs(self, name: str) -> list[str]:
        dirs = [os.path.join(self.memory_parent, name)]
        if self.cpu_parent is not None:
            dirs.append(os.path.join(self.cpu_parent, name))
        return dirs

    def create(self, name: str, limits: TaskLimits) -> list[str]:
        memory_dir = os.path.join(self.memory_parent, name)
        os.mkdir(memory_dir)
        procs = [os.path.join(memory_dir, "cgroup.procs")]
        if limits.memory_max_bytes is not None:
            _write(os.path.join(memory_dir, "memory.limit_in_bytes"), str(limits.memory_max_bytes))
            memsw = os.path.join(memory_dir, "memory.memsw.limit_in_bytes")
            if os.path.exists(memsw):  # swap accounting on: memory+swap gets the same cap
                _write(memsw, str(limits.memory_max_bytes))
        if self.cpu_parent is not None:
            cpu_dir = os.path.join(self.cpu_parent, name)
            os.mkdir(cpu_dir)
            procs.append(os.path.join(cpu_dir, "cgroup.procs"))
            if limits.cpu_quota is not None:
                period = int(_read(os.path.join(cpu_dir, "cpu.cfs_period_us")) or DEFAULT_CFS_PERIOD_US)
                _write(os.path.join(cpu_dir, "cpu.cfs_quota_us"), str(max(1000, int(limits.cpu_quota * period))))
        return procs

    def oom_killed(self, name: str) -> bool:
        memory_dir = os.path.join(self.memory_parent, name)
        control = read_keyed(os.path.join(memory_dir, "memory.oom_control"))
        if "oom_kill" in control:
            return control["oom_kill"] > 0
        # Kernels before 4.13 have no oom_kill counter: hitting the limit is the best evidence.
        return any(
            read_keyed_single(os.path.join(memory_dir, f)) > 0 for f in ("memory.failcnt", "memory.memsw.failcnt")
        )

    def parents(self) -> list[str]:
        return [p for p in (self.memory_parent, self.cpu_parent) if p is not None]


class _CgroupV2(_Backend):
    mechanism = CGROUP_V2

    def __init__(self, parent: str, cpu_supported: bool) -> None:
        self.parent = parent
        self.cpu_supported = cpu_supported

    def group_dirs(self, name: str) -> list[str]:
        return [os.path.join(self.parent, name)]

    def create(self, name: str, limits: TaskLimits) -> list[str]:
        directory = os.path.join(self.parent, name)
        os.mkdir(directory)
        if limits.memory_max_bytes is not None:
            _write(os.path.join(directory, "memory.max"), str(limits.memory_max_bytes))
            swap = os.path.join(directory, "memory.swap.max")
            if os.path.exists(swap):
                _write(swap, "0")
            # A task's helper processes die with it rather than one by one.
            with contextlib.suppress(OSError):
                _write(os.path.join(directory, "memory.oom.group"), "1")
        if limits.cpu_quota is not None and self.cpu_supported:
            period = DEFAULT_CFS_PERIOD_US
            _write(os.path.join(directory, "cpu.max"), f"{max(1000, int(limits.cpu_quota * period))} {period}")
        return [os.path.join(directory, "cgroup.procs")]

    def oom_killed(self, name: str) -> bool:
        return read_keyed(os.path.join(self.parent, name, "memory.events")).get("oom_kill", 0) > 0

    def parents(self) -> list[str]:
        return [self.parent]


def read_keyed_single(path: str) -> int:
    try:
        return int(_read(path).strip() or 0)
    except (OSError, ValueError):
        return 0


# --- detection --------------------------------------------------------------------------------------


SUPERVISOR_LEAF = "supervisor"  # the v2 leaf the supervisor moves itself into (no processes in inner nodes)


def _read_or_empty(directory: str, name: str) -> str:
    try:
        return _read(os.path.join(directory, name))
    except OSError:
        return ""


def _make_parent(group_dir: str, name: str) -> str:
    parent = os.path.join(group_dir, name)
    with contextlib.suppress(FileExistsError):  # a second Master in one process (tests) shares it
        os.mkdir(parent)
    return parent


def _sweep_stale_parents(group_dir: str) -> None:
    """Remove what supervisors that died without cleaning up (SIGKILL) left behind, if empty."""
    with contextlib.suppress(OSError):
        for entry in os.listdir(group_dir):
            match = re.fullmatch(PARENT_PREFIX + r"(\d+)", entry)
            if match is None or psutil.pid_exists(int(match.group(1))):
                continue
            parent = os.path.join(group_dir, entry)
            with contextlib.suppress(OSError):
                for child in os.listdir(parent):
                    if os.path.isdir(os.path.join(parent, child)):
                        with contextlib.suppress(OSError):
                            os.rmdir(os.path.join(parent, child))
                os.rmdir(parent)


def _try_v2(layout: CgroupLayout, parent_name: str) -> _Backend:
    """A writable delegated v2 subtree with the memory controller; raises OSError when not usable."""
    if layout.v2_dir is None:
        raise OSError("no cgroup v2 group")
    group = layout.v2_dir
    above = os.path.dirname(group)
    if os.path.basename(group) == SUPERVISOR_LEAF and "memory" in _read_or_empty(above, "cgroup.subtree_control"):
        # A restart in place (SIGUSR2 re-exec) finds the supervisor in the leaf it moved itself into before:
        # the delegated group is the one above, set up already (else every re-exec would nest one level more).
        group = above
    if "memory" not in _read(os.path.join(group, "cgroup.controllers")).split():
        raise OSError(f"the memory controller is not available in {group}")
    if not os.access(group, os.W_OK):
        raise OSError(f"{group} is not writable")
    _sweep_stale_parents(group)
    wanted = [c for c in ("memory", "cpu") if c in _read(os.path.join(group, "cgroup.controllers")).split()]
    enabled = _read(os.path.join(group, "cgroup.subtree_control")).split()
    if not all(c in enabled for c in wanted):
        # "No internal processes": a group with processes cannot hand controllers down, so the
        # supervisor moves itself into a leaf first (systemd's Delegate=yes pattern).
        is_root = not os.path.exists(os.path.join(group, "cgroup.type"))  # the root may hold processes
        if not is_root and _read(os.path.join(group, "cgroup.procs")).split():
            leaf = os.path.join(group, SUPERVISOR_LEAF)
            with contextlib.suppress(FileExistsError):
                os.mkdir(leaf)
            _write(os.path.join(leaf, "cgroup.procs"), "0")
        _write(os.path.join(group, "cgroup.subtree_control"), " ".join(f"+{c}" for c in wanted))
    parent = _make_parent(group, parent_name)
    try:
        _write(os.path.join(parent, "cgroup.subtree_control"), " ".join(f"+{c}" for c in wanted))
    except OSError:
        os.rmdir(parent)
        raise
    return _CgroupV2(parent, cpu_supported="cpu" in wanted)


def _try_v1(layout: CgroupLayout, parent_name: str) -> _Backend:
    """Writable v1 memory (and, if possible, cpu) hierarchies; raises OSError when not usable."""
    memory_group = layout.v1_dirs.get("memory")
    if memory_group is None:
        raise OSError("no cgroup v1 memory controller")
    _sweep_stale_parents(memory_group)
    memory_parent = _make_parent(memory_group, parent_name)
    if not os.path.exists(os.path.join(memory_parent, "memory.limit_in_bytes")):
        os.rmdir(memory_parent)
        raise OSError(f"{memory_group} has no memory.limit_in_bytes")
    cpu_parent: str | None = None
    cpu_group = layout.v1_dirs.get("cpu")
    if cpu_group is not None:
        _sweep_stale_parents(cpu_group)
        try:
            cpu_parent = _make_parent(cpu_group, parent_name)
            if not os.path.exists(os.path.join(cpu_parent, "cpu.cfs_quota_us")):
                os.rmdir(cpu_parent)
                cpu_parent = None
        except OSError as e:
            logger.info("cgroup v1 cpu controller not usable (%s): CPU quotas are unsupported", e)
            cpu_parent = None
    return _CgroupV1(memory_parent, cpu_parent)


def detect(preference: str = "auto", layout: CgroupLayout | None = None) -> _Backend:
    """The best mechanism this host offers (or the one asked for, if it works), logged at INFO."""
    wanted = MECHANISMS.get(preference)
    parent_name = f"{PARENT_PREFIX}{os.getpid()}"
    reasons: list[str] = []
    if wanted != RSS_WATCHDOG:
        try:
            layout = layout or read_layout()
        except OSError as e:
            reasons.append(f"cannot read the current cgroup: {e}")
            layout = CgroupLayout()
        attempts: list[tuple[str, Callable[[CgroupLayout, str], _Backend]]] = [
            (CGROUP_V2, _try_v2),
            (CGROUP_V1, _try_v1),
        ]
        for mechanism, attempt in attempts:
            if wanted is not None and wanted != mechanism:
                continue
            try:
                backend = attempt(layout, parent_name)
            except OSError as e:
                reasons.append(f"{mechanism}: {e}")
                continue
            logger.info(
                "Per-task resource limits: %s (groups under %s; CPU quota %s)",
                backend.mechanism,
                ", ".join(backend.parents()),
                "supported" if backend.cpu_supported else "unsupported",
            )
            return backend
    if wanted not in (None, RSS_WATCHDOG):
        logger.error("Per-task resource limits: %s was asked for but is not usable (%s)", wanted, "; ".join(reasons))
    logger.info(
        "Per-task resource limits: %s (memory checked by the supervisor every loop pass; CPU quota unsupported)%s",
        RSS_WATCHDOG,
        f"; no writable cgroup: {'; '.join(reasons)}" if reasons else "",
    )
    return _Backend()


# --- what the master uses ------------------------------------------------------------------------


@dataclass
class Placement:
    """Where one task process runs and under which limits (made before it is spawned)."""

    name: str
    limits: TaskLimits
    procs_files: list[str]
    watchdog_memory: int | None  # bytes, when the supervisor itself watches this task's RSS
    log_subject: dict[str, str] = field(default_factory=dict)  # ``extra=`` tagging log lines with the task

    def join_in_child(self) -> None:
        """``preexec_fn``: the forked child moves itself into its groups before exec."""
        for path in self.procs_files:
            try:
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.write(fd, b"0")
                finally:
                    os.close(fd)
            except OSError:
                pass  # the supervisor's own write after spawn reports the failure


class TaskLimiter:
    """Creates task groups, places task processes in them, and explains limit kills after reaping."""

    def __init__(self, backend: _Backend) -> None:
        self.backend = backend
        self.by_pid: dict[int, Placement] = {}
        self._next_watchdog_check = 0.0
        self.killed_by_watchdog: dict[int, int] = {}  # pid -> RSS seen when killed
        self.pending_removal: list[str] = []
        self._seq = 0

    @classmethod
    def detect(cls, worker_props: Mapping[str, str]) -> TaskLimiter:
        return cls(detect(worker_props.get(TASK_LIMITS_MECHANISM, "auto").strip() or "auto"))

    @property
    def mechanism(self) -> str:
        return self.backend.mechanism

    def placement_for(
        self, connector: str, task_id: int, worker_props: Mapping[str, str], connector_config: Mapping[str, str]
    ) -> Placement | None:
        """The groups of a task about to be spawned (None: no limits for it)."""
        try:
            limits = resolve_task_limits(worker_props, connector_config)
        except ConfigError as e:  # validated on the way in: a bug, which must not stop the task
            logger.error(
                "Task %s-%d: invalid limits (%s); it runs without limits",
                connector,
                task_id,
                e,
                extra=about(connector, task_id),
            )
            return None
        return self.prepare(connector, task_id, limits)

    def prepare(self, connector: str, task_id: int, limits: TaskLimits) -> Placement | None:
        """The groups of a task with ``limits`` about to be spawned (None: no limits)."""
        if not limits.any:
            return None
        if limits.cpu_quota is not None and not self.backend.cpu_supported:
            logger.warning(
                "Task %s-%d: %s=%s is unsupported with %s; the task runs without a CPU limit",
                connector,
                task_id,
                TASK_CPU_QUOTA,
                limits.cpu_quota,
                self.backend.mechanism,
                extra=about(connector, task_id),
            )
        self._seq += 1
        name = _group_name(self._seq, connector, task_id)
        procs: list[str] = []
        watchdog = limits.memory_max_bytes
        if self.backend.mechanism != RSS_WATCHDOG:
            try:
                procs = self.backend.create(name, limits)
                watchdog = None
            except (OSError, ValueError) as e:
                logger.error(
                    "Task %s-%d: cannot set up its %s group (%s); its memory is watched by the supervisor instead",
                    connector,
                    task_id,
                    self.backend.mechanism,
                    e,
                    extra=about(connector, task_id),
                )
                self.pending_removal.append(name)
                procs = []
        return Placement(
            name=name,
            limits=limits,
            procs_files=procs,
            watchdog_memory=watchdog,
            log_subject=about(connector, task_id),
        )

    def attach(self, pid: int, placement: Placement) -> None:
        """Right after spawn, before the task's bootstrap is sent: make sure it is in its groups."""
        self.by_pid[pid] = placement
        try:
            for path in placement.procs_files:
                _write(path, str(pid))
        except OSError as e:
            logger.error(
                "Cannot move task process pid %d into %s (%s); its memory is watched by the supervisor instead",
                pid,
                path,
                e,
                extra=placement.log_subject,
            )
            placement.watchdog_memory = placement.limits.memory_max_bytes

    def check(self) -> None:
        """Every master-loop pass: the RSS watchdog, and groups whose removal had to wait."""
        try:
            self._check()
        except Exception:  # the supervisor's loop must go on whatever happens here
            logger.exception("Per-task limit check failed")

    def _check(self) -> None:
        # A loop pass happens on every selector event (each task's heartbeat, each REST call): read
        # the watched processes' RSS at most every WATCHDOG_INTERVAL_S, not on every pass.
        now = time.monotonic()
        if now < self._next_watchdog_check:
            return
        self._next_watchdog_check = now + WATCHDOG_INTERVAL_S
        for pid, placement in list(self.by_pid.items()):
            limit = placement.watchdog_memory
            if limit is None or pid in self.killed_by_watchdog:
                continue
            try:
                # The task process's own RSS: walking its descendants would mean scanning all of
                # /proc on every pass; processes a task starts are what cgroups are for.
                rss = psutil.Process(pid).memory_info().rss
            except psutil.Error:
                continue
            if rss > limit:
                logger.error(
                    "Task process pid %d uses %d bytes (limit %d); killing it",
                    pid,
                    rss,
                    limit,
                    extra=placement.log_subject,
                )
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                self.killed_by_watchdog[pid] = rss
        if self.pending_removal:
            self.pending_removal = [n for n in self.pending_removal if not self._remove(n)]

    def exit_cause(self, pid: int, status: int) -> str | None:
        """Why a reaped task died, if its limit killed it (None otherwise)."""
        placement = self.by_pid.get(pid)
        if placement is None or placement.limits.memory_max_bytes is None:
            return None
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
            return None
        limit = placement.limits.memory_max_bytes
        prefix = f"Task process exceeded its memory limit of {limit} bytes ({TASK_MEMORY_MAX_BYTES})"
        if pid in self.killed_by_watchdog:
            rss = self.killed_by_watchdog[pid]
            return f"{prefix} and was killed by the supervisor ({RSS_WATCHDOG}: RSS was {rss} bytes)"
        if placement.procs_files and self.backend.oom_killed(placement.name):
            logger.error(
                "Task process pid %d was killed by the kernel's OOM killer in its group %s",
                pid,
                placement.name,
                extra=placement.log_subject,
            )
            return f"{prefix} and was killed by the kernel ({self.backend.mechanism})"
        return None

    def release(self, pid: int) -> None:
        """After reaping: forget the task and remove its groups."""
        placement = self.by_pid.pop(pid, None)
        self.killed_by_watchdog.pop(pid, None)
        if placement is not None and placement.procs_files and not self._remove(placement.name):
            self.pending_removal.append(placement.name)

    def _remove(self, name: str) -> bool:
        try:
            return self.backend.remove(name)
        except OSError as e:
            logger.warning("Cannot remove task group %s: %s", name, e)
            return True  # nothing more to try

    def close(self) -> None:
        """At stop: remove every group left, then the per-worker parent."""
        for pid in list(self.by_pid):
            self.release(pid)
        for name in self.pending_removal:
            self._remove(name)
        self.pending_removal = []
        for parent in self.backend.parents():
            with contextlib.suppress(OSError):
                os.rmdir(parent)


__all__ = [
    "CGROUP_V1",
    "CGROUP_V2",
    "RSS_WATCHDOG",
    "CgroupLayout",
    "Placement",
    "TaskLimiter",
    "detect",
    "locate_cgroups",
    "read_keyed",
    "read_layout",
]
