"""Every import of some packages and their docstrings, as JSON: ``python -m harness.layers ROOT PKG...``.

tests/test_layers.py runs it in a process of its own: CPython 3.11.7's ``ast.parse`` can fail with
"AST constructor recursion depth mismatch" late in a long test process (after aiortc and hypothesis)."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path


def scan(root: Path, package: str) -> dict[str, object]:
    """(file, top-level module) for every import in the package, including those inside functions,
    and its ``__init__`` docstring."""
    found: list[tuple[str, str]] = []
    for path in sorted((root / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [(str(path.relative_to(root)), name.split(".")[0]) for name in names]
    init = root / package / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) if init.exists() else None
    return {"imports": found, "doc": doc}


if __name__ == "__main__":
    print(json.dumps({package: scan(Path(sys.argv[1]), package) for package in sys.argv[2:]}))
