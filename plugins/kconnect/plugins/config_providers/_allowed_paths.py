"""``allowed.paths`` (KIP-993): which files the file-based config providers may read.

Paths are compared lexically after normalisation, component by component, as Java's
``Path.normalize`` and ``Path.startsWith`` do: ``/etc/secrets/../passwd`` is ``/etc/passwd``
and is not under ``/etc/secrets``; ``/etc/secrets2`` is not under ``/etc/secrets`` either.
Symbolic links are not resolved (Java does not resolve them either).
"""

from __future__ import annotations

import os
import posixpath

from kconnect.api.errors import ConfigError

ALLOWED_PATHS_CONFIG = "allowed.paths"
ALLOWED_PATHS_DOC = (
    "A comma separated list of paths that this config provider is allowed to access. If not set, all paths are allowed."
)


def normalize(path: str) -> str:
    """Java's ``Path.normalize`` for Unix paths: drop ``.`` and resolve ``name/..`` lexically."""
    if path == "":
        return ""
    normalized = posixpath.normpath(path)
    # POSIX keeps a leading "//"; Java collapses it to "/".
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    return "" if normalized == "." else normalized


def _components(path: str) -> tuple[str, ...]:
    if path.startswith("/"):
        return ("/", *[p for p in path.split("/") if p])
    return tuple(p for p in path.split("/") if p)


def starts_with(path: str, prefix: str) -> bool:
    """Java's ``Path.startsWith(Path)``: whole components, not characters."""
    mine, theirs = _components(path), _components(prefix)
    return len(theirs) <= len(mine) and mine[: len(theirs)] == theirs


class AllowedPaths:
    """The parsed ``allowed.paths`` setting; None or empty means every path is allowed."""

    def __init__(self, config_value: str | None) -> None:
        self.paths: list[str] | None = None
        if config_value:
            paths = []
            # Java splits on "," without trimming: " /tmp" is a relative path and rejected as such.
            for item in config_value.split(","):
                path = normalize(item)
                if not path.startswith("/"):
                    raise ConfigError(f"Path {path} is not absolute")
                if not os.path.exists(path):
                    raise ConfigError(f"Path {path} does not exist")
                paths.append(path)
            self.paths = paths

    def parse_untrusted_path(self, path: str) -> str | None:
        """The path to open, or None when it lies outside every allowed path."""
        if self.paths is None:
            return path
        normalized = normalize(path)
        if not any(starts_with(normalized, allowed) for allowed in self.paths):
            return None
        return normalized
