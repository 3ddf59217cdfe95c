"""A third-party connector, packaged as its own distribution, is discovered through its entry point.

The test writes a tiny plugin project, builds a wheel with ``pip wheel --no-build-isolation``,
installs it with pip into a fresh virtual environment that sees this interpreter's packages
(``--system-site-packages``, so kconnect and its dependencies are there while the main
site-packages stays untouched), and asks :class:`PluginRegistry` in that environment for the
connector by its short name, with no configuration at all.

The plugin is built with setuptools when this setuptools can build wheels by itself (>= 70.1, or
with the ``wheel`` package installed); otherwise the project carries a minimal in-tree PEP 517
backend, so the test needs no network access either way.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

DIST_NAME = "acme-kconnect-demo"
PACKAGE = "acme_kconnect_demo"
VERSION = "0.1.0"
EP_NAME = "AcmeDemo"
EP_VALUE = f"{PACKAGE}.connector:DemoSourceConnector"

CONNECTOR_MODULE = '''\
"""A third-party source connector that kconnect knows nothing about."""

from __future__ import annotations

from collections.abc import Mapping

from kconnect.api import ConfigDef, SourceConnector, SourceRecord, SourceTask


class DemoSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        return None

    def poll(self) -> list[SourceRecord] | None:
        return None

    def stop(self) -> None:
        return None


class DemoSourceConnector(SourceConnector):
    @classmethod
    def version(cls) -> str:
        return "0.1.0"

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    def start(self, props: Mapping[str, str]) -> None:
        return None

    @classmethod
    def task_class(cls) -> type[DemoSourceTask]:
        return DemoSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{}]

    def stop(self) -> None:
        return None
'''

SETUPTOOLS_PYPROJECT = f"""\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "{DIST_NAME}"
version = "{VERSION}"
requires-python = ">=3.11"

[project.entry-points."kconnect.connectors"]
{EP_NAME} = "{EP_VALUE}"

[tool.setuptools]
packages = ["{PACKAGE}"]
"""

# A complete, if minimal, PEP 517 backend: writes a PEP 427 wheel of the package directory.
IN_TREE_PYPROJECT = """\
[build-system]
requires = []
build-backend = "demo_backend"
backend-path = ["."]
"""

IN_TREE_BACKEND = f'''\
"""Minimal PEP 517 backend for the demo plugin (used when setuptools cannot build wheels here)."""

import base64
import hashlib
import os
import re
import zipfile

NAME = "{DIST_NAME}"
PACKAGE = "{PACKAGE}"
VERSION = "{VERSION}"
ENTRY_POINTS = "[kconnect.connectors]\\n{EP_NAME} = {EP_VALUE}\\n"


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{{path}},sha256={{digest}},{{len(data)}}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist_info = f"{{PACKAGE}}-{{VERSION}}.dist-info"
    files = {{}}
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith(".py"):
            with open(os.path.join(PACKAGE, name), "rb") as f:
                files[f"{{PACKAGE}}/{{name}}"] = f.read()
    files[f"{{dist_info}}/METADATA"] = (
        f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\nRequires-Python: >=3.11\\n"
    ).encode()
    files[f"{{dist_info}}/WHEEL"] = (
        b"Wheel-Version: 1.0\\nGenerator: demo_backend\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    files[f"{{dist_info}}/entry_points.txt"] = ENTRY_POINTS.encode()
    record = [_record_line(path, data) for path, data in files.items()] + [f"{{dist_info}}/RECORD,,"]
    files[f"{{dist_info}}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    filename = f"{{PACKAGE}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as whl:
        for path, data in files.items():
            whl.writestr(path, data)
    return filename


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError("the demo plugin only builds wheels")
'''

PROBE = """\
import json
import sys

from kconnect.plugins.registry import PluginKind, PluginRegistry

registry = PluginRegistry.from_entry_points()
cls = registry.connector_class("DemoSource")
desc = registry.describe(PluginKind.CONNECTOR, "DemoSource")
print(json.dumps({
    "prefix": sys.prefix,
    "module": cls.__module__,
    "qualname": cls.__qualname__,
    "class_name": desc.class_name,
    "type": desc.type,
    "version": desc.version,
    "location": desc.location,
    "by_entry_point_name": registry.connector_class("AcmeDemo") is cls,
    "by_simple_name": registry.connector_class("DemoSourceConnector") is cls,
    "file_source": registry.describe(PluginKind.CONNECTOR, "FileStreamSource").class_name,
    "listed": registry.connector_plugins_json(),
}))
"""


def _setuptools_builds_wheels() -> bool:
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    m = re.match(r"(\d+)\.(\d+)", version)
    new_enough = m is not None and (int(m.group(1)), int(m.group(2))) >= (70, 1)
    return new_enough or importlib.util.find_spec("wheel") is not None


def _run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "third-party"
    root.mkdir()
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_third_party_connector_is_found_by_short_name(workdir: Path) -> None:
    assert importlib.metadata.entry_points(group="kconnect.connectors"), (
        "kconnect is not installed: run pip install -e '.[test]' --no-deps"
    )
    # 1. the plugin project
    project = workdir / "project"
    (project / PACKAGE).mkdir(parents=True)
    (project / PACKAGE / "__init__.py").write_text('"""Acme demo plugin."""\n')
    (project / PACKAGE / "connector.py").write_text(CONNECTOR_MODULE)
    if _setuptools_builds_wheels():
        (project / "pyproject.toml").write_text(SETUPTOOLS_PYPROJECT)
    else:
        (project / "pyproject.toml").write_text(IN_TREE_PYPROJECT)
        (project / "demo_backend.py").write_text(textwrap.dedent(IN_TREE_BACKEND))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")

    # 2. a wheel, built without network (no build isolation)
    wheels = workdir / "wheels"
    _run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"),
            *("-w", str(wheels), str(project)),
        ],
        env,
    )
    built = sorted(wheels.glob("*.whl"))
    assert [w.name for w in built] == [f"{PACKAGE}-{VERSION}-py3-none-any.whl"]

    # 3. a fresh venv that sees kconnect through the system site-packages; pip comes from there too
    venv = workdir / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], env)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(built[0])], env)

    # 4. discovery from a neutral directory, with no configuration whatsoever
    probe = _run([str(python), "-c", PROBE], env, cwd=workdir)
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert Path(found["prefix"]).resolve() == venv.resolve()
    assert found["module"] == f"{PACKAGE}.connector"
    assert found["qualname"] == "DemoSourceConnector"
    assert found["class_name"] == f"{PACKAGE}.connector.DemoSourceConnector"
    assert found["type"] == "source"
    assert found["version"] == VERSION
    assert found["location"] == f"{DIST_NAME}=={VERSION}"
    assert found["by_entry_point_name"] is True
    assert found["by_simple_name"] is True
    assert found["file_source"] == "org.apache.kafka.connect.file.FileStreamSourceConnector"
    assert {"class": f"{PACKAGE}.connector.DemoSourceConnector", "type": "source", "version": VERSION} in found[
        "listed"
    ]

    # the main environment was not touched
    assert "AcmeDemo" not in {ep.name for ep in importlib.metadata.entry_points(group="kconnect.connectors")}
    assert importlib.util.find_spec(PACKAGE) is None
