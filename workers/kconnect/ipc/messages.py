"""Control message types exchanged between the supervisor and its children.

Every message is a map with ``type`` set to one of these names. Keeping them in one table makes
the protocol reviewable at a glance.

supervisor -> task / connector process
    ``bootstrap``   everything the child needs to run (configs, stored offsets for sources)
    ``pause`` / ``resume`` / ``stop``
    ``set_log_level``
connector process -> supervisor
    ``validated``   the ConfigInfos of a validation request
    ``task_configs`` the connector's task configs (after start or a reconfiguration request)
    ``failed``      the connector failed, with a trace
connector or task process -> supervisor
    ``config_ttl``  config providers reported TTLs (ms, per path): restart the connector when they expire
task process -> supervisor
    ``hello``       the process is up and has started its task (carries the pid)
    ``heartbeat``   the main loop is alive; at most once a second, carries a stats summary
    ``offsets``     source offsets acknowledged by Kafka, to persist (standalone mode)
    ``failed``      the task failed with a trace and is about to exit
REST process -> supervisor (over the control socket)
    ``request``     a herder call: ``op`` + arguments; answered with ``reply``
"""

from __future__ import annotations

PROTOCOL_VERSION = 1

BOOTSTRAP = "bootstrap"
PAUSE = "pause"
RESUME = "resume"
STOP = "stop"
HELLO = "hello"
HEARTBEAT = "heartbeat"
OFFSETS = "offsets"
FAILED = "failed"
VALIDATED = "validated"
TASK_CONFIGS = "task_configs"
CONFIG_TTL = "config_ttl"
REQUEST = "request"
REPLY = "reply"

# Exit codes a child uses so the supervisor can tell a clean stop from a failure.
EXIT_OK = 0
EXIT_TASK_FAILED = 70
EXIT_BOOTSTRAP_FAILED = 71
