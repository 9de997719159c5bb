"""The client's distribution carries the scoring core: its files and its pinned packages."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.client_tests.conftest import REPO


def project(path: Path) -> dict:  # type: ignore[type-arg]
    return tomllib.loads(path.read_text())


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_the_core_and_the_client_ask_for_the_same_pins_as_the_server() -> None:
    core = project(REPO / "evaluation" / "pyproject.toml")["project"]["dependencies"]
    client = project(REPO / "client" / "pyproject.toml")["project"]["dependencies"]
    assert client == ["requests>=2.31", *core]  # the client ships the core, so it needs all of its packages
    server = pins(REPO / "requirements.txt")
    core_pins = dict(requirement.lower().split("==") for requirement in core)
    assert {"numpy", "pillow", "deflate", "numba", "llvmlite", "pyspng", "inflate64"} == set(core_pins)
    assert {name: pin for name, pin in core_pins.items() if name in server} == {
        name: server[name] for name in core_pins if name in server
    }
    assert set(core_pins) - set(server) <= {"inflate64"}  # added to requirements.txt by the archive work


def test_the_repositorys_tool_settings_stay_at_the_root() -> None:
    root = project(REPO / "pyproject.toml")
    assert "project" not in root and "build-system" not in root
    assert {"ruff", "mypy", "pytest"} <= set(root["tool"])
    assert set(project(REPO / "evaluation" / "pyproject.toml")["tool"]) == {"setuptools"}  # packaging only


# pip builds ./client in the folder itself (client/build/): one at a time with test_install.py and the
# docker context test, which walks that folder (the xdist group "client_build").
@pytest.mark.slow
@pytest.mark.xdist_group("client_build")
def test_a_wheel_built_from_the_client_folder_holds_the_core(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path), "./client"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("lid_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    core_files = {f"evaluation/{p.name}" for p in (REPO / "evaluation").glob("*.py")}
    assert core_files <= names and "evaluation/manifest.py" in names
    assert {"lid_client/cli.py", "lid_client/local_check.py"} <= names
    requires = sorted(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: "))
    assert requires == sorted(project(REPO / "client" / "pyproject.toml")["project"]["dependencies"])
