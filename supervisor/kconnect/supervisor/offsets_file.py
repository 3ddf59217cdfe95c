"""The standalone worker's source offsets file (``offset.storage.file.filename``).

Keys and values are the exact strings Apache's worker serialises (``["conn",{partition}]`` ->
``{offset}``); only the container differs: Java writes a Java-serialised HashMap, we write JSON.
Writes are atomic (temp file + fsync + rename), so a crash leaves the old or the new file, never
half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any

FORMAT_VERSION = 1


class OffsetsFile:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self._entries: dict[str, str | None] = {}
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            if doc.get("format") != "kconnect-offsets" or doc.get("version") != FORMAT_VERSION:
                raise ValueError(f"{path} is not a kconnect offsets file (version {FORMAT_VERSION})")
            self._entries = {k: v for k, v in doc["offsets"]}

    def for_connector(self, connector: str) -> dict[str, Any]:
        """Offsets of one connector, keyed by the serialised key, values decoded."""
        out: dict[str, Any] = {}
        for key, value in self._entries.items():
            decoded = json.loads(key)
            if isinstance(decoded, list) and decoded and decoded[0] == connector:
                out[key] = json.loads(value) if value is not None else None
        return out

    def raw(self) -> dict[str, str | None]:
        return dict(self._entries)

    def update(self, offsets: Mapping[str, Mapping[str, Any] | None]) -> None:
        for key, value in offsets.items():
            self._entries[key] = None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        self.save()

    def save(self) -> None:
        if not self.path:
            return
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        doc = {"format": "kconnect-offsets", "version": FORMAT_VERSION, "offsets": list(self._entries.items())}
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".offsets-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f, separators=(",", ":"), ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
