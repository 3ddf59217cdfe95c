"""Per-task resource limits: the ``kconnect.task.memory.max.bytes`` and ``kconnect.task.cpu.quota`` keys.

Both are kconnect extensions (Kafka Connect has nothing similar). The worker's values are defaults
for every task; a connector's own values replace them for that connector's tasks. Enforcement is the
supervisor's job (``kconnect.supervisor.limits``): this module only defines and resolves the keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kconnect.api.config import ConfigDef, ConfigKey, ConfigType, Importance, LambdaValidator, Range, ValidString

TASK_MEMORY_MAX_BYTES = "kconnect.task.memory.max.bytes"
TASK_CPU_QUOTA = "kconnect.task.cpu.quota"
LIMIT_KEYS = (TASK_MEMORY_MAX_BYTES, TASK_CPU_QUOTA)
TASK_LIMITS_MECHANISM = "kconnect.task.limits.mechanism"  # worker only

# Below this a Python interpreter cannot even start: such a limit is a typo, not a choice.
MIN_MEMORY_BYTES = 16 * 1024 * 1024
# The CFS bandwidth controller refuses quotas under 1 ms per 100 ms period.
MIN_CPU_QUOTA = 0.01


def _null_or_at_least(minimum: float) -> LambdaValidator:
    def check(name: str, value: Any) -> None:
        if value is not None:
            Range.at_least(minimum)(name, value)

    return LambdaValidator(check, f"[{minimum},...]")


def limit_keys(group: str | None = None, first_order: int = 1) -> list[ConfigKey]:
    """Definitions of the per-task limit keys (shared by worker and connector configs)."""
    return [
        ConfigKey(
            name=TASK_MEMORY_MAX_BYTES,
            type=ConfigType.LONG,
            default=None,
            validator=_null_or_at_least(MIN_MEMORY_BYTES),
            importance=Importance.LOW,
            documentation="Maximum memory (bytes) of each task process, counted by the kernel (cgroup) or by the "
            "supervisor's RSS watchdog where no cgroup is writable. A task past it is killed and reported FAILED "
            "with the reason; the restart policy applies. Empty: no limit.",
            group=group,
            order_in_group=first_order if group else -1,
            display_name="Task memory limit (bytes)",
        ),
        ConfigKey(
            name=TASK_CPU_QUOTA,
            type=ConfigType.DOUBLE,
            default=None,
            validator=_null_or_at_least(MIN_CPU_QUOTA),
            importance=Importance.LOW,
            documentation="CPU time each task process may use, in cores (0.5 = half a core), enforced by the "
            "cgroup CPU controller (the task is throttled, never killed). Unsupported, and logged as such, where no "
            "cgroup is writable. Empty: no limit.",
            group=group,
            order_in_group=first_order + 1 if group else -1,
            display_name="Task CPU quota (cores)",
        ),
    ]


def mechanism_key() -> ConfigKey:
    """The worker's choice of enforcement mechanism (``auto`` picks the best the host offers)."""
    return ConfigKey(
        name=TASK_LIMITS_MECHANISM,
        type=ConfigType.STRING,
        default="auto",
        validator=ValidString(("auto", "cgroup-v2", "cgroup-v1", "watchdog")),
        importance=Importance.LOW,
        documentation="How per-task limits are enforced: auto (cgroup v2 if delegated and writable, else cgroup "
        "v1 if writable, else the supervisor's RSS watchdog), or one of cgroup-v2, cgroup-v1, watchdog (an "
        "unusable choice is logged as an error and the watchdog is used).",
        group="kconnect",
    )


_LIMITS_DEF = ConfigDef(limit_keys())


@dataclass(frozen=True, slots=True)
class TaskLimits:
    memory_max_bytes: int | None = None
    cpu_quota: float | None = None

    @property
    def any(self) -> bool:
        return self.memory_max_bytes is not None or self.cpu_quota is not None


def resolve_task_limits(worker_props: Mapping[str, str], connector_props: Mapping[str, str] | None) -> TaskLimits:
    """The limits of a connector's tasks: the worker's defaults, each replaced by the connector's value.

    Both inputs were validated when they were accepted (worker start, connector validation), so a
    bad value here is a bug and raises :class:`kconnect.api.errors.ConfigError` naming the key.
    """
    merged = {k: worker_props[k] for k in LIMIT_KEYS if k in worker_props and worker_props[k].strip()}
    for key in LIMIT_KEYS:
        value = (connector_props or {}).get(key)
        if value is not None and value.strip():
            merged[key] = value
    values = _LIMITS_DEF.parse(merged)
    memory = values[TASK_MEMORY_MAX_BYTES]
    cpu = values[TASK_CPU_QUOTA]
    return TaskLimits(
        memory_max_bytes=None if memory is None else int(memory),
        cpu_quota=None if cpu is None else float(cpu),
    )
