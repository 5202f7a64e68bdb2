"""The layout the README describes, checked on the source: the domain is pure, and dependencies
point one way (server and web → service → domain; media apart from all of them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# no I/O, no event loop, no clock or randomness: those come in as arguments
IMPURE = {"asyncio", "sqlite3", "redis", "aiohttp", "socketio", "engineio", "aiortc", "av", "time", "uuid",
          "secrets", "random", "threading", "socket", "os", "subprocess"}
# package → top-level packages it must not import
FORBIDDEN = {
    "rooms": IMPURE | {"moderation", "service", "server", "web", "media", "recordings"},
    "moderation": IMPURE | {"service", "server", "web", "media", "recordings"},
    "service": {"server", "web", "media", "recordings", "socketio", "aiohttp", "sqlite3", "redis"},
    "web": {"server"},
    "media": {"rooms", "moderation", "service", "server", "web", "socketio"},
    "recordings": {"rooms", "moderation", "service", "server", "web", "socketio"},
}


PACKAGES = ["rooms", "moderation", "service", "server", "media", "web", "recordings"]


def scanned(root: Path, packages: list[str]) -> dict[str, Any]:
    """harness.layers in a process of its own (see its docstring for why)."""
    run = subprocess.run([sys.executable, "-m", "harness.layers", str(root), *packages], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(run.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def layout() -> dict[str, Any]:
    return scanned(ROOT, PACKAGES)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_each_package_imports_only_what_its_layer_may(layout: dict[str, Any], package: str) -> None:
    wrong = sorted({(f, m) for f, m in layout[package]["imports"] if m in FORBIDDEN[package]})
    assert not wrong, f"{package} imports what its layer may not: {wrong}"


def test_the_checker_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "__init__.py").write_text("def f():\n    import asyncio\n    from time import time\n")
    assert scanned(tmp_path, ["domain"])["domain"]["imports"] == [["domain/__init__.py", "asyncio"],
                                                                   ["domain/__init__.py", "time"]]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_says_what_it_is_for(layout: dict[str, Any], package: str) -> None:
    doc = layout[package]["doc"]
    assert doc and len(doc) > 40, f"{package}/__init__.py has no docstring saying what the package is for"
