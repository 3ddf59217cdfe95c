"""Worker configuration: Java ``.properties`` files and Kafka Connect's worker keys (Apache 4.3).

``load_properties`` reads the ``java.util.Properties`` text format. ``WorkerConfig`` is an
immutable, typed snapshot of a worker's settings, parsed with Apache's definitions (types,
defaults, validators and error messages) for standalone mode and, parsed but not yet used, the
common keys of distributed mode. Keys that only mean something to a JVM are accepted with an INFO
note; unknown keys are logged as WARNING, as Java does.

Our own settings live under ``kconnect.*``: the task restart policy (``kconnect.task.restart.*``),
which a connector may override key by key (see :func:`resolve_restart_policy`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from kconnect.api.config import (
    ConfigDef,
    ConfigKey,
    ConfigType,
    Importance,
    LambdaValidator,
    Range,
    ValidString,
)
from kconnect.api.errors import ConfigError
from kconnect.workers.task_limits import limit_keys, mechanism_key

logger = logging.getLogger(__name__)

OVERRIDE_POLICIES = ("All", "None", "Principal", "Allowlist")
_POLICY_PACKAGE = "org.apache.kafka.connect.connector.policy."
_POLICY_SUFFIX = "ConnectorClientConfigOverridePolicy"


def override_policy_name(value: Any) -> Any:
    """The policy's short name for any of Java's spellings: ``None``, ``NoneConnectorClientConfigOverridePolicy``
    or ``org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy``."""
    if isinstance(value, str):
        simple = value.removeprefix(_POLICY_PACKAGE)
        if simple.endswith(_POLICY_SUFFIX) and simple[: -len(_POLICY_SUFFIX)] in OVERRIDE_POLICIES:
            return simple[: -len(_POLICY_SUFFIX)]
    return value


WorkerMode = Literal["standalone", "distributed"]

# --- java.util.Properties -----------------------------------------------------------------------

_WS = " \t\f"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _logical_lines(text: str) -> Iterator[str]:
    """Yield logical lines: comments and blank lines dropped, continuations joined."""
    # Only \n, \r and \r\n end a line in Java (str.splitlines would also split on \f, \x85, \u2028...).
    lines = _LINE_BREAK.split(text)
    i = 0
    while i < len(lines):
        line = lines[i].lstrip(_WS)
        i += 1
        if not line or line[0] in "#!":
            continue
        parts: list[str] = []
        while True:
            trailing = len(line) - len(line.rstrip("\\"))
            if trailing % 2 == 1:
                parts.append(line[:-1])
                if i >= len(lines):
                    break
                line = lines[i].lstrip(_WS)
                i += 1
                continue
            parts.append(line)
            break
        yield "".join(parts)


def _unescape(raw: str) -> str:
    out: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= n:
            break  # a lone trailing backslash (only possible at end of input) is dropped
        c = raw[i]
        i += 1
        if c == "u":
            digits = raw[i : i + 4]
            if len(digits) < 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise ValueError("Malformed \\uxxxx encoding.")
            out.append(chr(int(digits, 16)))
            i += 4
        else:
            out.append(_ESCAPES.get(c, c))
    return "".join(out)


def _split_key_value(line: str) -> tuple[str, str]:
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c in "=:" or c in _WS:
            break
        i += 1
    key = line[:i]
    j = i
    while j < n and line[j] in _WS:
        j += 1
    if j < n and line[j] in "=:":
        j += 1
        while j < n and line[j] in _WS:
            j += 1
    return key, line[j:]


def parse_properties(text: str) -> dict[str, str]:
    """Parse ``java.util.Properties`` text (``load`` semantics); later duplicates win."""
    result: dict[str, str] = {}
    for line in _logical_lines(text):
        key, value = _split_key_value(line)
        result[_unescape(key)] = _unescape(value)
    return result


def load_properties(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a Java ``.properties`` file.

    Java's ``Properties.load(InputStream)`` decodes ISO-8859-1; we read UTF-8 (what editors write
    today) and fall back to ISO-8859-1 when the bytes are not valid UTF-8, so both kinds of files load.
    """
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("iso-8859-1")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return parse_properties(text)
    except ValueError as e:
        raise ConfigError(f"Cannot read properties file {os.fspath(path)}: {e}") from None


# --- validators ------------------------------------------------------------------------------------


def _non_duplicate_list(empty_allowed: bool, null_allowed: bool) -> LambdaValidator:
    """Apache's ``ValidList.anyNonDuplicateValues`` (4.2+, KIP-1161) with its messages."""

    def check(name: str, value: Any) -> None:
        if value is None:
            if null_allowed:
                return
            raise ConfigError(f"Configuration '{name}' values must not be null.")
        if not empty_allowed and not value:
            raise ConfigError(f"Configuration '{name}' must not be empty. Valid values include: any non-empty value")
        if len(set(value)) != len(value):
            raise ConfigError(f"Configuration '{name}' values must not be duplicated.")
        if any(v == "" for v in value):
            raise ConfigError(f"Configuration '{name}' values must not be empty.")

    return LambdaValidator(check, "non-duplicate values")


def _partitions_validator() -> LambdaValidator:
    """Apache's TopicCreationConfig.PARTITIONS_VALIDATOR."""

    def check(name: str, value: Any) -> None:
        if value != -1 and value < 1:
            raise ConfigError(name, value, "Number of partitions must be positive, or -1 to use the broker's default")

    return LambdaValidator(check, "Positive number, or -1 to use the broker's default")


def _replication_factor_validator() -> LambdaValidator:
    """Apache's TopicCreationConfig.REPLICATION_FACTOR_VALIDATOR."""

    def check(name: str, value: Any) -> None:
        if value != -1 and value < 1:
            raise ConfigError(
                name,
                value,
                "Replication factor must be positive and not larger than the number of brokers in the Kafka "
                "cluster, or -1 to use the broker's default",
            )

    return LambdaValidator(
        check,
        "Positive number not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default",
    )


def _at_least_or_null(minimum: int) -> LambdaValidator:
    def check(name: str, value: Any) -> None:
        if value is not None:
            Range.at_least(minimum)(name, value)

    return LambdaValidator(check, f"[{minimum},...]")


# --- key names -----------------------------------------------------------------------------------

BOOTSTRAP_SERVERS = "bootstrap.servers"
KEY_CONVERTER = "key.converter"
VALUE_CONVERTER = "value.converter"
HEADER_CONVERTER = "header.converter"
HEADER_CONVERTER_DEFAULT = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
OFFSET_STORAGE_FILE_FILENAME = "offset.storage.file.filename"

RESTART_ENABLE = "kconnect.task.restart.enable"
RESTART_INITIAL_BACKOFF_MS = "kconnect.task.restart.initial.backoff.ms"
RESTART_MAX_BACKOFF_MS = "kconnect.task.restart.max.backoff.ms"
RESTART_MAX_ATTEMPTS = "kconnect.task.restart.max.attempts"
RESTART_RESET_WINDOW_MS = "kconnect.task.restart.reset.window.ms"
OPERATION_TIMEOUT_MS = "kconnect.connector.operation.timeout.ms"
REST_AUTH_BASIC_CREDENTIALS_FILE = "kconnect.rest.auth.basic.credentials.file"
REST_AUTH_BASIC_REALM = "kconnect.rest.auth.basic.realm"
# Distributed mode: the coordination log next to the config topic (supervisor/kconnect/supervisor/stores/topics.py).
COORDINATION_STORAGE_PREFIX = "kconnect.coordination.storage."
COORDINATION_STORAGE_TOPIC = COORDINATION_STORAGE_PREFIX + "topic"

RESTART_KEYS = (
    RESTART_ENABLE,
    RESTART_INITIAL_BACKOFF_MS,
    RESTART_MAX_BACKOFF_MS,
    RESTART_MAX_ATTEMPTS,
    RESTART_RESET_WINDOW_MS,
)


def restart_policy_keys(group: str | None = None) -> list[ConfigKey]:
    """Definitions of the ``kconnect.task.restart.*`` keys (shared by worker and connector configs)."""
    return [
        ConfigKey(
            name=RESTART_ENABLE,
            type=ConfigType.BOOLEAN,
            default=True,
            importance=Importance.LOW,
            documentation="Whether kconnect restarts a failed task automatically, with exponential backoff. "
            "Kafka Connect itself never restarts failed tasks; set to false for that behaviour.",
            group=group,
            order_in_group=1 if group else -1,
            display_name="Restart failed tasks",
        ),
        ConfigKey(
            name=RESTART_INITIAL_BACKOFF_MS,
            type=ConfigType.LONG,
            default=1000,
            validator=Range.at_least(0),
            importance=Importance.LOW,
            documentation="Delay before the first automatic restart of a failed task; doubles on each further failure.",
            group=group,
            order_in_group=2 if group else -1,
            display_name="Initial restart backoff (ms)",
        ),
        ConfigKey(
            name=RESTART_MAX_BACKOFF_MS,
            type=ConfigType.LONG,
            default=60000,
            validator=Range.at_least(0),
            importance=Importance.LOW,
            documentation="Upper bound of the delay between automatic restarts of a failed task.",
            group=group,
            order_in_group=3 if group else -1,
            display_name="Maximum restart backoff (ms)",
        ),
        ConfigKey(
            name=RESTART_MAX_ATTEMPTS,
            type=ConfigType.INT,
            default=-1,
            validator=Range.at_least(-1),
            importance=Importance.LOW,
            documentation="How many consecutive automatic restarts to attempt before leaving the task FAILED; "
            "-1 means no limit.",
            group=group,
            order_in_group=4 if group else -1,
            display_name="Maximum restart attempts",
        ),
        ConfigKey(
            name=RESTART_RESET_WINDOW_MS,
            type=ConfigType.LONG,
            default=300000,
            validator=Range.at_least(0),
            importance=Importance.LOW,
            documentation="A task that has run this long since its last (re)start has its backoff and attempt "
            "count reset.",
            group=group,
            order_in_group=5 if group else -1,
            display_name="Restart backoff reset window (ms)",
        ),
    ]


def _common_def() -> ConfigDef:
    d = ConfigDef()
    S, L, INT, B, LST, C = (
        ConfigType.STRING,
        ConfigType.LONG,
        ConfigType.INT,
        ConfigType.BOOLEAN,
        ConfigType.LIST,
        ConfigType.CLASS,
    )
    d.define(BOOTSTRAP_SERVERS, LST, validator=_non_duplicate_list(False, False), importance=Importance.HIGH)
    d.define(
        "client.dns.lookup",
        S,
        "use_all_dns_ips",
        validator=ValidString(("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only")),
    )
    d.define(KEY_CONVERTER, C, importance=Importance.HIGH)
    d.define(VALUE_CONVERTER, C, importance=Importance.HIGH)
    d.define(HEADER_CONVERTER, C, HEADER_CONVERTER_DEFAULT, importance=Importance.LOW)
    for conv in ("key.converter", "value.converter", "header.converter"):
        d.define(f"{conv}.plugin.version", S, None, importance=Importance.LOW)
    d.define("task.shutdown.graceful.timeout.ms", L, 5000, importance=Importance.LOW)
    d.define("offset.flush.interval.ms", L, 60000, importance=Importance.LOW)
    d.define("offset.flush.timeout.ms", L, 5000, importance=Importance.LOW)
    d.define("config.providers", LST, "", validator=_non_duplicate_list(True, False), importance=Importance.LOW)
    d.define(
        "connector.client.config.override.policy",
        S,
        "All",
        validator=LambdaValidator(lambda n, v: ValidString(OVERRIDE_POLICIES)(n, override_policy_name(v))),
        importance=Importance.MEDIUM,
    )
    d.define("connector.client.config.override.allowlist", LST, "", importance=Importance.MEDIUM)
    d.define("topic.creation.enable", B, True, importance=Importance.LOW)
    d.define("topic.tracking.enable", B, True, importance=Importance.LOW)
    d.define("topic.tracking.allow.reset", B, True, importance=Importance.LOW)
    d.define("client.id", S, "", importance=Importance.LOW)
    # REST server (RestServerConfig, public part)
    d.define("listeners", LST, "http://:8083", validator=_non_duplicate_list(False, False), importance=Importance.LOW)
    d.define("rest.advertised.host.name", S, None, importance=Importance.LOW)
    d.define("rest.advertised.port", INT, None, importance=Importance.LOW)
    d.define(
        "rest.advertised.listener",
        S,
        None,
        validator=LambdaValidator(lambda n, v: None if v is None else ValidString(("http", "https"))(n, v)),
        importance=Importance.LOW,
    )
    d.define("access.control.allow.origin", S, "", importance=Importance.LOW)
    d.define("access.control.allow.methods", S, "", importance=Importance.LOW)
    d.define("admin.listeners", LST, None, validator=_non_duplicate_list(True, True), importance=Importance.LOW)
    d.define("response.http.headers.config", S, "", importance=Importance.LOW)
    d.define(
        "ssl.client.auth",
        S,
        "none",
        validator=ValidString(("required", "requested", "none")),
        importance=Importance.LOW,
    )
    d.define(
        REST_AUTH_BASIC_CREDENTIALS_FILE,
        S,
        None,
        importance=Importance.MEDIUM,
        documentation="When set, every REST request needs HTTP Basic credentials listed in this file (Jetty's "
        "property-file format, 'user: password[,role...]' per line; roles are ignored). Read when the REST server "
        "starts: restart the worker to reload it. kconnect's replacement for BasicAuthSecurityRestExtension.",
        group="kconnect",
    )
    d.define(
        REST_AUTH_BASIC_REALM,
        S,
        "Kafka Connect",
        importance=Importance.LOW,
        documentation="The realm named in the WWW-Authenticate challenge of a 401 answer.",
        group="kconnect",
    )
    for key in [*restart_policy_keys(), *limit_keys(), mechanism_key()]:
        d.add(key)
    d.define(
        OPERATION_TIMEOUT_MS,
        L,
        90000,
        validator=Range.at_least(1),
        importance=Importance.LOW,
        documentation="How long connector code (validate, start, task_configs) may take in its child process "
        "before the request fails with 'Request timed out' (Java's fixed REST timeout is 90 s).",
        group="kconnect",
    )
    d.define(
        "kconnect.metrics.enable",
        B,
        True,
        importance=Importance.LOW,
        documentation="Serve GET /metrics and let tasks time their batches and read librdkafka statistics "
        "(docs/metrics.md). false turns all of it off.",
        group="kconnect",
    )
    return d


def _standalone_def() -> ConfigDef:
    d = _common_def()
    d.define(OFFSET_STORAGE_FILE_FILENAME, ConfigType.STRING, importance=Importance.HIGH)
    return d


def _distributed_def() -> ConfigDef:
    S, INT, SH, L = ConfigType.STRING, ConfigType.INT, ConfigType.SHORT, ConfigType.LONG
    d = _common_def()
    d.define("group.id", S, importance=Importance.HIGH)
    d.define("config.storage.topic", S, importance=Importance.HIGH)
    d.define("config.storage.replication.factor", SH, 3, validator=_replication_factor_validator())
    d.define("offset.storage.topic", S, importance=Importance.HIGH)
    d.define("offset.storage.partitions", INT, 25, validator=_partitions_validator())
    d.define("offset.storage.replication.factor", SH, 3, validator=_replication_factor_validator())
    d.define("status.storage.topic", S, importance=Importance.HIGH)
    d.define("status.storage.partitions", INT, 5, validator=_partitions_validator())
    d.define("status.storage.replication.factor", SH, 3, validator=_replication_factor_validator())
    d.define(
        COORDINATION_STORAGE_TOPIC,
        S,
        None,
        importance=Importance.LOW,
        documentation="The topic the workers of this cluster coordinate through (one partition, LogAppendTime, "
        "delete policy). Default: the value of config.storage.topic followed by '-coordination'. Other "
        "kconnect.coordination.storage.* keys are topic settings used when the topic is created.",
        group="kconnect",
    )
    d.define("session.timeout.ms", INT, 10000)
    d.define("heartbeat.interval.ms", INT, 3000)
    d.define("rebalance.timeout.ms", INT, 60000)
    d.define("connect.protocol", S, "sessioned", validator=ValidString(("eager", "compatible", "sessioned")))
    d.define("scheduled.rebalance.max.delay.ms", INT, 300000, validator=Range.between(0, 2**31 - 1))
    d.define("worker.sync.timeout.ms", INT, 3000)
    d.define("worker.unsync.backoff.ms", INT, 300000)
    d.define(
        "exactly.once.source.support",
        S,
        "disabled",
        validator=ValidString(("DISABLED", "ENABLED", "PREPARING"), case_insensitive=True),
    )
    d.define("inter.worker.key.generation.algorithm", S, "HmacSHA256")
    d.define("inter.worker.key.size", INT, None)
    d.define("inter.worker.key.ttl.ms", INT, 3600000, validator=_at_least_or_null(0))
    d.define("inter.worker.signature.algorithm", S, "HmacSHA256")
    d.define("inter.worker.verification.algorithms", ConfigType.LIST, "HmacSHA256")
    d.define("metadata.max.age.ms", L, 300000)
    return d


def _check_inter_worker_keys(values: Mapping[str, Any]) -> None:
    # DistributedConfig's cross-key checks of the session-key settings (inter_worker_keys.py)
    from kconnect.workers.inter_worker_keys import validate_inter_worker_settings

    problem = validate_inter_worker_settings(values)
    if problem is not None:
        raise ConfigError(problem[1])


_DEFS: dict[str, ConfigDef] = {}


def worker_config_def(mode: WorkerMode = "standalone") -> ConfigDef:
    """The worker ConfigDef for ``mode`` (Apache's StandaloneConfig / DistributedConfig keys we parse)."""
    if mode not in _DEFS:
        _DEFS[mode] = _standalone_def() if mode == "standalone" else _distributed_def()
    return _DEFS[mode]


# Keys (exact) that only configure the JVM runtime: accepted and ignored with an INFO note.
JVM_ONLY_KEYS = frozenset(
    {
        "plugin.path",
        "plugin.discovery",
        "metric.reporters",
        "metrics.sample.window.ms",
        "metrics.num.samples",
        "metrics.recording.level",
        "auto.include.jmx.reporter",
        "rest.extension.classes",
    }
)
JVM_ONLY_PREFIXES = ("metrics.context.",)

# Prefixes whose keys are known (handed to converters, clients, REST listeners, config providers...).
KNOWN_PREFIXES_COMMON = (
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "producer.",
    "consumer.",
    "admin.",
    "listeners.https.",
    "admin.listeners.https.",
    "config.providers.",
)
KNOWN_PREFIXES_DISTRIBUTED = ("config.storage.", "offset.storage.", "status.storage.", "kconnect.coordination.")

# Removed in Kafka 3.0; Java warns about them (we do the same).
_REMOVED_INTERNAL_CONVERTER = ("internal.key.converter", "internal.value.converter")


def _is_client_key(key: str) -> bool:
    from kconnect.workers.clients import is_known_client_key  # local: clients imports this module

    return is_known_client_key(key)


def _classify_and_log(props: Mapping[str, str], definition: ConfigDef, mode: WorkerMode) -> None:
    prefixes = KNOWN_PREFIXES_COMMON + (KNOWN_PREFIXES_DISTRIBUTED if mode == "distributed" else ())
    jvm_only: list[str] = []
    removed: list[str] = []
    for key in props:
        if key in definition:
            continue
        if key in JVM_ONLY_KEYS or key.startswith(JVM_ONLY_PREFIXES):
            jvm_only.append(key)
        elif any(key == k or key.startswith(k + ".") for k in _REMOVED_INTERNAL_CONVERTER):
            removed.append(key)
        elif key.startswith(prefixes) or _is_client_key(key):
            continue
        else:
            logger.warning("The configuration '%s' was supplied but isn't a known config.", key)
    for key in sorted(jvm_only):
        logger.info("The configuration '%s' only applies to Java workers; kconnect accepts and ignores it.", key)
    if removed:
        logger.warning(
            "The worker has been configured with one or more internal converter properties (%s). Support for "
            "these properties was deprecated in version 2.0 and removed in version 3.0, and specifying them "
            "will have no effect.",
            sorted(removed),
        )


# --- restart policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RestartPolicy:
    """How a failed task is restarted: exponential backoff, optionally capped in attempts."""

    enabled: bool = True
    initial_backoff_ms: int = 1000
    max_backoff_ms: int = 60000
    max_attempts: int = -1  # -1 = unlimited
    reset_window_ms: int = 300000

    def backoff_ms(self, attempt: int) -> int:
        """Delay before restart number ``attempt`` (1-based): initial * 2**(attempt-1), capped."""
        if attempt <= 1:
            return min(self.initial_backoff_ms, self.max_backoff_ms)
        delay: int = self.initial_backoff_ms * (2 ** min(attempt - 1, 62))
        return min(delay, self.max_backoff_ms)

    def allows(self, attempt: int) -> bool:
        """Whether restart number ``attempt`` (1-based) may happen."""
        return self.enabled and (self.max_attempts < 0 or attempt <= self.max_attempts)


def _restart_policy_from(values: Mapping[str, Any]) -> RestartPolicy:
    policy = RestartPolicy(
        enabled=bool(values[RESTART_ENABLE]),
        initial_backoff_ms=int(values[RESTART_INITIAL_BACKOFF_MS]),
        max_backoff_ms=int(values[RESTART_MAX_BACKOFF_MS]),
        max_attempts=int(values[RESTART_MAX_ATTEMPTS]),
        reset_window_ms=int(values[RESTART_RESET_WINDOW_MS]),
    )
    if policy.max_backoff_ms < policy.initial_backoff_ms:
        raise ConfigError(
            RESTART_MAX_BACKOFF_MS,
            policy.max_backoff_ms,
            f"Value must be at least the value of {RESTART_INITIAL_BACKOFF_MS} ({policy.initial_backoff_ms})",
        )
    return policy


_RESTART_DEF = ConfigDef(restart_policy_keys())


def resolve_restart_policy(worker: WorkerConfig, connector_props: Mapping[str, str] | None = None) -> RestartPolicy:
    """The effective restart policy: the worker's ``kconnect.task.restart.*`` with the connector's overrides."""
    merged: dict[str, str] = {k: worker.raw[k] for k in RESTART_KEYS if k in worker.raw}
    if connector_props:
        merged.update({k: connector_props[k] for k in RESTART_KEYS if k in connector_props})
    return _restart_policy_from(_RESTART_DEF.parse(merged))


# --- the snapshot ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerConfig:
    """An immutable, typed snapshot of a worker configuration."""

    mode: WorkerMode
    bootstrap_servers: tuple[str, ...]
    key_converter: str
    value_converter: str
    header_converter: str
    key_converter_version: str | None
    value_converter_version: str | None
    header_converter_version: str | None
    client_dns_lookup: str
    client_id: str
    task_shutdown_graceful_timeout_ms: int
    offset_flush_interval_ms: int
    offset_flush_timeout_ms: int
    offset_storage_file_filename: str | None
    config_providers: tuple[str, ...]
    connector_client_config_override_policy: str
    connector_client_config_override_allowlist: tuple[str, ...]
    topic_creation_enable: bool
    topic_tracking_enable: bool
    topic_tracking_allow_reset: bool
    listeners: tuple[str, ...]
    admin_listeners: tuple[str, ...] | None
    rest_advertised_host_name: str | None
    rest_advertised_port: int | None
    rest_advertised_listener: str | None
    access_control_allow_origin: str
    access_control_allow_methods: str
    response_http_headers_config: str
    restart_policy: RestartPolicy
    group_id: str | None = None  # distributed only
    raw: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @classmethod
    def from_props(cls, props: Mapping[str, str], mode: WorkerMode | None = None, *, log: bool = True) -> WorkerConfig:
        """Parse and validate ``props``; raises :class:`ConfigError` (Apache's messages) naming the bad key.

        Placeholders (``${provider:path:key}``) are resolved first by the providers the properties
        declare, as Java's AbstractConfig does; ``raw`` holds the resolved strings. Without ``mode``:
        ``KCONNECT_WORKER_MODE`` (a distributed supervisor sets it for its children), else standalone.
        """
        from kconnect.workers.config_providers import resolve_worker_variables  # local: it imports this module

        if mode is None:
            mode = "distributed" if os.environ.get("KCONNECT_WORKER_MODE") == "distributed" else "standalone"
        definition = worker_config_def(mode)
        raw = resolve_worker_variables({str(k): str(v) for k, v in props.items()})
        values = definition.parse(raw)
        if mode == "distributed":
            _check_inter_worker_keys(values)
        if log:
            _classify_and_log(raw, definition, mode)
        restart = _restart_policy_from(values)
        admin_listeners = values["admin.listeners"]
        return cls(
            mode=mode,
            bootstrap_servers=tuple(values[BOOTSTRAP_SERVERS]),
            key_converter=values[KEY_CONVERTER],
            value_converter=values[VALUE_CONVERTER],
            header_converter=values[HEADER_CONVERTER],
            key_converter_version=values["key.converter.plugin.version"],
            value_converter_version=values["value.converter.plugin.version"],
            header_converter_version=values["header.converter.plugin.version"],
            client_dns_lookup=values["client.dns.lookup"],
            client_id=values["client.id"],
            task_shutdown_graceful_timeout_ms=values["task.shutdown.graceful.timeout.ms"],
            offset_flush_interval_ms=values["offset.flush.interval.ms"],
            offset_flush_timeout_ms=values["offset.flush.timeout.ms"],
            offset_storage_file_filename=values.get(OFFSET_STORAGE_FILE_FILENAME),
            config_providers=tuple(values["config.providers"]),
            connector_client_config_override_policy=override_policy_name(
                values["connector.client.config.override.policy"]
            ),
            connector_client_config_override_allowlist=tuple(values["connector.client.config.override.allowlist"]),
            topic_creation_enable=values["topic.creation.enable"],
            topic_tracking_enable=values["topic.tracking.enable"],
            topic_tracking_allow_reset=values["topic.tracking.allow.reset"],
            listeners=tuple(values["listeners"]),
            admin_listeners=None if admin_listeners is None else tuple(admin_listeners),
            rest_advertised_host_name=values["rest.advertised.host.name"],
            rest_advertised_port=values["rest.advertised.port"],
            rest_advertised_listener=values["rest.advertised.listener"],
            access_control_allow_origin=values["access.control.allow.origin"],
            access_control_allow_methods=values["access.control.allow.methods"],
            response_http_headers_config=values["response.http.headers.config"],
            restart_policy=restart,
            group_id=values.get("group.id"),
            raw=MappingProxyType(raw),
            values=MappingProxyType(values),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str], mode: WorkerMode = "standalone") -> WorkerConfig:
        """Read a worker ``.properties`` file and parse it."""
        return cls.from_props(load_properties(path), mode)

    def originals_with_prefix(self, prefix: str, strip: bool = True) -> dict[str, str]:
        """Raw settings whose key starts with ``prefix`` (Apache's ``originalsWithPrefix``)."""
        return {(k[len(prefix) :] if strip else k): v for k, v in self.raw.items() if k.startswith(prefix)}

    def get(self, key: str) -> Any:
        """The parsed value of a defined key (defaults applied)."""
        return self.values[key]

    @property
    def bootstrap_servers_str(self) -> str:
        return ",".join(self.bootstrap_servers)
