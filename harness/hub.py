"""A real hub in this process, on a free loopback port, over SQLite or the real Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from harness.net import REDIS_URL, free_port
from server.app import create_app
from server.config import Config


async def start_hub(tmp_path: Path, store: str, prefix: str,
                    **overrides: Any) -> tuple[web.AppRunner, str, web.Application]:
    port = free_port()
    config = Config(host="127.0.0.1", port=port, data_dir=tmp_path, secret="test-secret",
                    redis_url=REDIS_URL if store == "redis" else None, redis_prefix=prefix,
                    demo=False, flush_interval=0.02, **overrides)
    app = create_app(config)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}", app
