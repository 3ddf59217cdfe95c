"""Restart policy for task processes: a pure function of the history, tested without processes.

Kafka Connect leaves a failed task FAILED until someone calls the restart endpoint. By default
kconnect restarts it with exponential backoff (``kconnect.task.restart.*``); with
``kconnect.task.restart.enable=false`` the behaviour is exactly Kafka Connect's.
"""

from __future__ import annotations

from dataclasses import dataclass

from kconnect.workers.worker_config import RestartPolicy


@dataclass(frozen=True, slots=True)
class Decision:
    restart: bool
    delay_ms: int
    attempts: int  # consecutive failures counted so far, including this one


def after_failure(policy: RestartPolicy, previous_attempts: int, ran_for_ms: int) -> Decision:
    """What to do when a task process died after running ``ran_for_ms``.

    A task that ran longer than the reset window is considered healthy again: its backoff starts
    over. Otherwise backoff doubles per consecutive failure up to the maximum.
    """
    attempts = 1 if ran_for_ms >= policy.reset_window_ms else previous_attempts + 1
    if not policy.allows(attempts):
        return Decision(False, 0, attempts)
    return Decision(True, policy.backoff_ms(attempts), attempts)
