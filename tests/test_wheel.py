"""The hub as a wheel installs it: built from this tree, installed in a fresh venv, run away from the checkout.

Only the wheel's files may serve: the roster the demo session is made from, the templates, the
catalogs, the static files and the pages' Socket.IO client.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest

from harness.net import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# What a checkout holds besides the source: none of it may reach the wheel's build.
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "node_modules", "var", "build", "*.egg-info", "__pycache__",
                                     ".*_cache", ".hypothesis", "tests", "bench", "harness")
_IMPORT = re.compile(r'^import\b[^;]*?from\s*"([^"]+)"', re.M)  # the pages' own modules: one statement a line


def _build_wheel(tmp: Path) -> Path:
    """``pip wheel .`` on a copy of the tree (node_modules as npm left it), so no build output lands here."""
    src = tmp / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=_NOT_SOURCE)
    (src / "node_modules").symlink_to(ROOT / "node_modules")
    subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(tmp / "dist")], cwd=src, check=True)
    [wheel] = (tmp / "dist").glob("musrenbang_hub-*.whl")
    return wheel


def _install(wheel: Path, venv: Path) -> Path:
    """A fresh venv with the wheel in it; its dependencies come from this test's environment (no index here)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--quiet", str(wheel)], check=True)
    purelib = subprocess.run([python, "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # Site folders only: the checkout itself (pytest's pythonpath, an editable install) stays out.
    deps = [p for p in sys.path if Path(p).name == "site-packages"]
    Path(purelib, "test-deps.pth").write_text("\n".join(deps) + "\n")
    return python


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MH_", "PYTHON"))}
    env.pop("REDIS_URL", None)  # the embedded store
    return env


async def _banner(proc: subprocess.Popen[str], log: Path) -> str:
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Kredensial operator"):
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)
        assert line, "the hub exited: " + "".join(lines) + log.read_text()[-3000:]
        lines.append(line)
    return "".join(lines)


async def _modules(http: aiohttp.ClientSession, page: str, html: str) -> dict[str, bytes]:
    """Every script the page loads, following the module imports: url → body (each answered 200 as JS)."""
    todo = [urljoin(page, src) for src in re.findall(r'<script type="module" src="([^"]+)"', html)]
    assert todo, html
    seen: dict[str, bytes] = {}
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        async with http.get(url) as r:
            assert r.status == 200 and "javascript" in r.content_type, (url, r.status)
            seen[url] = await r.read()
        todo += [urljoin(url, spec) for spec in _IMPORT.findall(seen[url].decode())]
    return seen


async def test_an_installed_wheel_serves_the_demo_session_and_its_pages(tmp_path: Path) -> None:
    python = _install(_build_wheel(tmp_path), tmp_path / "venv")
    run = tmp_path / "run"
    run.mkdir()
    where = subprocess.run([python, "-I", "-c", "import server, web; print(server.__file__); print(web.__file__)"],
                           cwd=run, env=_env(), check=True, capture_output=True, text=True).stdout.split()
    assert all(Path(p).is_relative_to(tmp_path / "venv") for p in where), where

    port, log = free_port(), run / "hub.log"
    with log.open("w") as err:
        proc = subprocess.Popen([python, "-I", "-m", "server", "--port", str(port), "--data", str(run / "data")],
                                cwd=run, env=_env(), stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        banner = await _banner(proc, log)
        chair = re.search(r"Pimpinan \(bupati\):\s+(\S+)", banner)
        assert chair, banner
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/") as r:
                assert r.status == 200 and "Musrenbangdes Serentak Kabupaten Banyuwangi" in await r.text()
            page = chair[1].split("#")[0]
            async with http.get(page) as r:
                html = await r.text()
                assert r.status == 200 and '<html lang="id">' in html and "Pimpinan sidang" in html
            for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
                async with http.get(urljoin(page, href)) as r:
                    assert r.status == 200 and r.content_type == "text/css", href
            scripts = await _modules(http, page, html)
            public = page.removesuffix("/chair")  # the citizens' page loads the player (hls.js) too
            async with http.get(public) as r:
                scripts |= await _modules(http, public, await r.text())
        for package, folder in (("/socket.io", "socket.io-client"), ("/hls.js", "hls.js")):
            client = {urlsplit(u).path: body for u, body in scripts.items() if package in urlsplit(u).path}
            [(path, body)] = client.items()
            assert body == (ROOT / "node_modules" / folder / "dist" / Path(path).name).read_bytes()
    finally:
        proc.terminate()
        proc.wait(10)
