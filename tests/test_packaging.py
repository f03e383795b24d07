"""Packaging consistency: pyproject pins, the Binder folder and the CI entry point agree."""

from __future__ import annotations

import importlib.metadata
import os
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PARTICIPANT_EXTRAS = ("live", "notebooks", "widgets")
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([A-Za-z0-9.+!_-]+)\s*$")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(requirements: list[str], source: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in requirements:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"{source}: {line!r} is not an exact pin (name==version)"
        name, version = _normalize(match[1]), match[2]
        assert pins.get(name, version) == version, f"{source}: {name} pinned twice with different versions"
        pins[name] = version
    return pins


def _participant_pins() -> dict[str, str]:
    project = PYPROJECT["project"]
    reqs = list(project["dependencies"])
    for extra in PARTICIPANT_EXTRAS:
        reqs += project["optional-dependencies"][extra]
    return _pins(reqs, "pyproject.toml")


def _binder_pins() -> dict[str, str]:
    lines = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return _pins(lines, "binder/requirements.txt")


def test_every_pyproject_requirement_is_an_exact_pin() -> None:
    project = PYPROJECT["project"]
    _pins(project["dependencies"], "pyproject.toml [project.dependencies]")
    for extra, reqs in project["optional-dependencies"].items():
        _pins(reqs, f"pyproject.toml extra {extra!r}")


def test_binder_and_pyproject_pin_the_same_versions() -> None:
    ours, binder = _participant_pins(), _binder_pins()
    common = sorted(ours.keys() & binder.keys())
    assert common, "binder/requirements.txt and pyproject.toml share no package"
    mismatched = {name: (ours[name], binder[name]) for name in common if ours[name] != binder[name]}
    assert not mismatched, f"pyproject vs binder versions differ: {mismatched}"


def test_binder_installs_everything_a_participant_needs() -> None:
    missing = sorted(_participant_pins().keys() - _binder_pins().keys())
    assert not missing, f"binder/requirements.txt lacks {missing} (runtime deps + {PARTICIPANT_EXTRAS} extras)"


def test_binder_runtime_matches_requires_python() -> None:
    runtime = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert match, f"binder/runtime.txt should read python-X.Y, got {runtime!r}"
    floor = re.fullmatch(r">=\s*(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert floor, "requires-python should be of the form '>=X.Y'"
    assert (int(match[1]), int(match[2])) >= (int(floor[1]), int(floor[2]))


def test_binder_postbuild_is_a_strict_bash_script_installing_without_deps() -> None:
    path = ROOT / "binder" / "postBuild"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!"), "binder/postBuild must start with a shebang"
    assert re.search(r"^set -[a-z]*e", text, re.MULTILINE), "binder/postBuild must use `set -e`"
    assert re.search(r"pip install --no-deps -e \.", text), "postBuild must install the repo without deps"
    assert os.access(path, os.X_OK), "binder/postBuild must be executable (chmod +x)"


def test_ci_runs_make_test() -> None:
    path = ROOT / ".ci" / "run"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!")
    assert re.search(r"^set -euo pipefail", text, re.MULTILINE)
    assert re.search(r"^make test\b", text, re.MULTILINE), ".ci/run must call `make test`"
    assert os.access(path, os.X_OK), ".ci/run must be executable (chmod +x)"


def test_console_script_is_declared() -> None:
    assert PYPROJECT["project"]["scripts"]["netpolkit"] == "netpolkit.cli:main"


def test_installed_console_script_entry_point() -> None:
    try:
        dist = importlib.metadata.distribution("netpolkit")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("netpolkit is not installed in this environment (make test installs it editable)")
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts.get("netpolkit") == "netpolkit.cli:main"


def test_package_ships_py_typed() -> None:
    assert (ROOT / "netpolkit" / "py.typed").is_file()
