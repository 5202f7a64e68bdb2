"""The layout the README describes, checked on the source: the domain is pure, and dependencies
point one way (server and web → service → domain; media apart from all of them)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

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


def imports(package: str) -> Iterator[tuple[str, str]]:
    """(file, top-level module) for every import in the package, including those inside functions."""
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield str(path.relative_to(ROOT)), name.split(".")[0]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_each_package_imports_only_what_its_layer_may(package: str) -> None:
    wrong = sorted({(f, m) for f, m in imports(package) if m in FORBIDDEN[package]})
    assert not wrong, f"{package} imports what its layer may not: {wrong}"


def test_the_checker_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    tree = ast.parse("def f():\n    import asyncio\n")
    assert any(isinstance(n, ast.Import) and n.names[0].name == "asyncio" for n in ast.walk(tree))


@pytest.mark.parametrize("package", ["rooms", "moderation", "service", "server", "media", "web", "recordings"])
def test_every_package_says_what_it_is_for(package: str) -> None:
    doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc) > 40, f"{package}/__init__.py has no docstring saying what the package is for"
