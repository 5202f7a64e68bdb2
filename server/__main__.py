"""``python -m server``: run the hub (embedded SQLite unless REDIS_URL is set)."""

from __future__ import annotations

import asyncio
import csv
import gc
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web

from rooms.errors import Invalid
from rooms.log.chain import read_export, verify
from server.app import create_app, open_log
from server.config import Config, parse_args
from server.credentials import Signer
from server.keys import SESSIONS, SIGNER
from server.operator import issue_operator
from server.provision import banyuwangi_roster, found_session, write_links_csv

DEMO_ID = "banyuwangi"
DEMO_TITLE = "Musrenbangdes Serentak Kabupaten Banyuwangi"
DEMO_VENUE = "35.10.13.2007"  # Desa Bubuk, Kecamatan Rogojampi: the regent's venue in 2020


def _links_path(config: Config, session_id: str) -> Path:
    return config.data_dir / f"links-{session_id}.csv"


async def _demo(app: web.Application, config: Config) -> None:
    """Create the demo session on first start; every later start reprints its links."""
    sessions = app[SESSIONS]
    path = _links_path(config, DEMO_ID)
    if DEMO_ID not in await sessions.ids():
        _, links = await found_session(sessions, app[SIGNER], config.base_url, DEMO_TITLE,
                                       banyuwangi_roster(), DEMO_VENUE, session_id=DEMO_ID)
        write_links_csv(path, links)
    if not path.exists():
        print(f"Tautan sesi demo tidak ada di {path}", file=sys.stderr)
        return
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    first = {r["role"]: r["link"] for r in reversed(rows)}
    villages = [r for r in rows if r["role"] == "village"]
    samples = [r for r in villages if r["village_code"] == DEMO_VENUE] + [
        r for r in villages if r["mode"] == "interaktif" and r["village_code"] != DEMO_VENUE][:1] + [
        r for r in villages if r["mode"] == "pantau"][:1]
    print(f"\nSesi demo: {DEMO_TITLE}")
    print(f"  Pimpinan (bupati):  {first['chair']}")
    print(f"  Moderator:          {first['moderator']}")
    for r in samples:
        print(f"  Desa {r['village_name']} ({r['kecamatan_name']}, {r['mode']}): {r['link']}")
    print(f"  Halaman publik:     {first['public']}")
    print(f"  Tautan semua desa:  {path}\n")


async def serve(config: Config) -> None:
    app = create_app(config)
    # on_shutdown closes every connection; what a client still holds open then is not waited for long
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    if config.demo:
        await _demo(app, config)
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    # Everything loaded so far (aiortc, av, the sessions' state) lives as long as the hub: keep it
    # out of the cyclic collector's full passes, which would otherwise stall every ack in flight.
    gc.freeze()
    print(f"Musrenbang Hub berjalan di {config.base_url} (penyimpanan: "
          f"{'Redis ' + config.redis_url if config.redis_url else config.data_dir / 'hub.sqlite3'})")
    admin = await issue_operator(app[SESSIONS].log, app[SIGNER], first_only=True)
    if admin is not None:  # the first start: shown once, never again
        print(f"Halaman operator (sidang baru dari daftar desa): {config.base_url}/operator#t={admin}")
        print(f"Kredensial operator (POST /api/sessions; simpan, tidak ditampilkan lagi): {admin}", flush=True)
    else:
        print("Kredensial operator: yang baru (dan yang lama dicabut) dengan `python -m server operator-token`",
              flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


async def operator_token(config: Config) -> None:
    """Print a new operator credential; every earlier one stops working (on every node of the hub)."""
    log = open_log(config)
    try:
        token = await issue_operator(log, Signer(config.secret, ttl=config.credential_days * 24 * 3600))
    finally:
        await log.close()
    print(token)


def verify_export(args: list[str]) -> int:
    """``python -m server verify FILE``: check a log export's hash chain. 0 intact, 1 broken, 2 unreadable."""
    if len(args) != 1:
        print("Pakai: python -m server verify FILE.jsonl", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as lines:
            records = read_export(lines)
    except (OSError, UnicodeDecodeError, Invalid) as exc:
        print(f"Berkas tidak dapat dibaca: {exc}", file=sys.stderr)
        return 2
    check = verify(records)
    if not check.ok:
        print(f"Log RUSAK pada peristiwa #{check.first_bad} ({check.reason}); {check.count} peristiwa sebelumnya utuh.")
        return 1
    print(f"Log utuh: {check.count} peristiwa, hash terakhir {check.head}")
    return 0


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["operator-token"]:
        asyncio.run(operator_token(parse_args(args[1:])))
        return
    if args[:1] == ["verify"]:
        sys.exit(verify_export(args[1:]))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    asyncio.run(serve(parse_args(args)))


if __name__ == "__main__":
    main()
