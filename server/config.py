"""Hub settings: command-line flags over environment variables over defaults."""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from recordings.composer import DEFAULT_RUNGS, parse_rung
from recordings.rtmp import masked, url_problem
from rooms.errors import Invalid
from rooms.opd import parse_opd_csv
from rooms.photos import PHOTO_QUOTA
from rooms.proposal import PROPOSAL_LIMIT, Rules
from server.files import write_private

_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("var")
    program: bool = False  # compose each live session's program (HLS, RTMP); the command line turns it on
    program_rungs: tuple[str, ...] = DEFAULT_RUNGS  # name:WIDTHxHEIGHT:BITRATE, "main" first (the push reads it)
    recordings_dir: Path | None = None  # unset: <data>/recordings (see ``recordings_root``)
    recordings_min_free: int = 500  # MB the recordings disk must keep free: below it recording stops or never starts
    redis_url: str | None = None  # set: Redis log + Socket.IO Redis manager (several nodes); unset: SQLite
    redis_prefix: str = "mh"  # key prefix in Redis, so several hubs or test runs can share one server
    secret: str = ""  # HMAC key for credentials; every node of one hub must share it
    origins: tuple[str, ...] = ()  # extra browser origins allowed besides the hub's own
    public_url: str = ""  # how people reach the hub, for printed links; default http://host:port
    rate: float = 20.0  # event cost per second per credential (or public browser), sustained
    burst: int = 40  # event cost a client may spend at once before the rate applies
    per_credential: int = 3  # open connections one credential may hold (a hall's screens, a reload)
    public_per_ip: int = 20  # open public connections from one client address
    browser_tokens_per_hour: int = 20  # new citizens' browser tokens one client address gets an hour
    media_lines: int = 40  # m-lines one offer may carry: a console offers 31
    proposal_limit: int = PROPOSAL_LIMIT  # proposals one village may have in play (submitted or accepted)
    opd_file: Path | None = None  # the OPD list (code,name CSV); unset: server/data/opd.csv
    photo_quota_mb: float = PHOTO_QUOTA / _MB  # stored photo megabytes per village
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For names the client (nginx in front)
    flush_interval: float = 0.2  # seconds between read-model pushes of one session: 5 a second reads as live
    support_batch: float = 0.25  # seconds citizens' supports gather before one append decides them all
    video_codec: str = "VP8"  # the relay forwards one video codec: every publisher sends it
    relay_workers: int = 1  # relay processes; 1: the relay runs in the hub's own process
    stun_urls: tuple[str, ...] = ()  # handed to browsers; never a public server unless configured
    turn_urls: tuple[str, ...] = ()  # e.g. turn:turn.example.go.id:3478 (coturn with use-auth-secret)
    turn_secret: str = ""  # coturn's static-auth-secret: browsers get time-limited credentials
    demo: bool = True  # create the demo session on first start
    credential_days: float = 7.0  # links expire this long after they are issued: the session day and a margin
    rtmp_urls: tuple[str, ...] = ()  # every live session's program is pushed to each (YouTube, Facebook)

    @property
    def recordings_root(self) -> Path:
        """Where the program feed, the track clips and the manifests go, one folder per session."""
        return self.recordings_dir or self.data_dir / "recordings"

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"


def shipped_opd_csv() -> str:
    """The default OPD list (server/data/README.md says what it is), as package data."""
    return (resources.files("server") / "data" / "opd.csv").read_text(encoding="utf-8")


def proposal_rules(config: Config) -> Rules:
    """The hub's settings for every session's proposals; Invalid (naming the line) for a bad OPD file."""
    try:
        text = config.opd_file.read_text(encoding="utf-8") if config.opd_file else shipped_opd_csv()
    except (OSError, UnicodeDecodeError) as err:
        raise Invalid(f"Daftar OPD tidak terbaca: {err}") from None
    return Rules(config.proposal_limit, opd=parse_opd_csv(text), photo_quota=int(config.photo_quota_mb * _MB))


def load_secret(data_dir: Path, given: str) -> str:
    """Use the given secret, else the one kept in the data folder, else make and keep one.

    Keeping it means the printed links survive a restart.
    """
    if given:
        return given
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(32)
    write_private(path, value)
    return value


def _parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    """Every option, with its environment variable as the default."""
    p = argparse.ArgumentParser(prog="python -m server", description="Musrenbang Hub")
    p.add_argument("--host", default=env.get("MH_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env.get("MH_PORT", "8080")))
    p.add_argument("--data", default=env.get("MH_DATA", "var"), help="data folder (SQLite log, secret, links)")
    p.add_argument("--recordings", default=env.get("MH_RECORDINGS") or None,
                   help="recordings folder (program HLS, track clips, manifests); default <data>/recordings")
    p.add_argument("--recordings-min-free", type=int, default=int(env.get("MH_RECORDINGS_MIN_FREE", "500")),
                   help="MB the recordings disk must keep free: below it no recording starts, a running one stops")
    p.add_argument("--redis-url", default=env.get("REDIS_URL") or None)
    p.add_argument("--redis-prefix", default=env.get("MH_REDIS_PREFIX", "mh"))
    p.add_argument("--secret", default=env.get("MH_SECRET", ""))
    p.add_argument("--origin", action="append", default=[o for o in env.get("MH_ORIGINS", "").split(",") if o])
    p.add_argument("--public-url", default=env.get("MH_PUBLIC_URL", ""))
    p.add_argument("--rate", type=float, default=float(env.get("MH_RATE", "20")))
    p.add_argument("--burst", type=int, default=int(env.get("MH_BURST", "40")))
    p.add_argument("--per-credential", type=int, default=int(env.get("MH_PER_CREDENTIAL", "3")))
    p.add_argument("--public-per-ip", type=int, default=int(env.get("MH_PUBLIC_PER_IP", "20")))
    p.add_argument("--browser-tokens-per-hour", type=int, default=int(env.get("MH_BROWSER_TOKENS_PER_HOUR", "20")),
                   help="new browser tokens (citizens' support) one client address gets an hour")
    p.add_argument("--media-lines", type=int, default=int(env.get("MH_MEDIA_LINES", "40")))
    p.add_argument("--proposal-limit", type=int, default=int(env.get("MH_PROPOSAL_LIMIT", PROPOSAL_LIMIT)),
                   help="proposals one village may have in play (submitted or accepted) at once")
    p.add_argument("--opd", default=env.get("MH_OPD") or None,
                   help="the OPD list a proposal's OPD tujuan comes from (CSV code,name); default server/data/opd.csv")
    p.add_argument("--photo-quota", type=float, default=float(env.get("MH_PHOTO_QUOTA", PHOTO_QUOTA / _MB)),
                   help="megabytes of stored photos one village may have")
    p.add_argument("--trusted-proxy", action="append",
                   default=[a for a in env.get("MH_TRUSTED_PROXIES", "").split(",") if a])
    p.add_argument("--video-codec", choices=("VP8", "H264"), default=env.get("MH_VIDEO_CODEC", "VP8"))
    p.add_argument("--relay-workers", type=_workers, default=_workers(env.get("MH_RELAY_WORKERS", "1")),
                   help="relay worker processes, one per core ('auto': every core); 1 runs the relay in the hub")
    p.add_argument("--stun", action="append", default=[u for u in env.get("MH_STUN", "").split(",") if u])
    p.add_argument("--turn", action="append", default=[u for u in env.get("MH_TURN", "").split(",") if u])
    p.add_argument("--turn-secret", default=env.get("MH_TURN_SECRET", ""))
    p.add_argument("--credential-days", type=float, default=float(env.get("MH_CREDENTIAL_DAYS", "7")),
                   help="days a link stays valid after it is issued")
    p.add_argument("--rtmp", action="append", default=[u for u in env.get("MH_RTMP", "").split(",") if u],
                   help="push every live session's program here: rtmp[s]://server/application/key (repeat)")
    p.add_argument("--no-program", action="store_true", default=env.get("MH_PROGRAM", "1") == "0",
                   help="compose no program feed (no livestream, no RTMP push); the track recordings go on")
    p.add_argument("--program-rung", action="append", default=None,
                   help="a rung of the program's HLS, name:WIDTHxHEIGHT:BITRATE (repeat; 'main' first); "
                        "default main:1280x720:2500000 and low:640x360:700000")
    p.add_argument("--no-demo", action="store_true", help="do not create the demo session")
    return p


def _workers(value: str) -> int:
    if value == "auto":
        return os.cpu_count() or 1
    count = int(value)
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError("antara 1 dan 64, atau 'auto'")
    return count


def parse_args(argv: list[str] | None = None) -> Config:
    parser = _parser(os.environ)
    a = parser.parse_args(argv)
    rungs = tuple(a.program_rung or [r for r in os.environ.get("MH_PROGRAM_RUNGS", "").split(",") if r]
                  or DEFAULT_RUNGS)
    try:
        for rung in rungs:
            parse_rung(rung, audio_bitrate=0)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if rungs[0].split(":")[0] != "main":
        parser.error("the first --program-rung is 'main': the RTMP push and the players start there")
    for url in a.rtmp:
        if problem := url_problem(url):
            parser.error(f"--rtmp {masked(url)}: {problem}")  # the key stays out of the message
    data_dir = Path(a.data)
    config = Config(
        host=a.host,
        port=a.port,
        data_dir=data_dir,
        recordings_dir=Path(a.recordings) if a.recordings else None,
        recordings_min_free=a.recordings_min_free,
        redis_url=a.redis_url,
        redis_prefix=a.redis_prefix,
        secret=load_secret(data_dir, a.secret),
        origins=tuple(a.origin),
        public_url=a.public_url,
        rate=a.rate,
        burst=a.burst,
        per_credential=a.per_credential,
        public_per_ip=a.public_per_ip,
        browser_tokens_per_hour=a.browser_tokens_per_hour,
        media_lines=a.media_lines,
        proposal_limit=a.proposal_limit,
        opd_file=Path(a.opd) if a.opd else None,
        photo_quota_mb=a.photo_quota,
        trusted_proxies=tuple(a.trusted_proxy),
        video_codec=a.video_codec,
        relay_workers=a.relay_workers,
        stun_urls=tuple(a.stun),
        turn_urls=tuple(a.turn),
        turn_secret=a.turn_secret,
        program=not a.no_program,
        program_rungs=rungs,
        demo=not a.no_demo,
        credential_days=a.credential_days,
        rtmp_urls=tuple(a.rtmp),
    )
    try:
        proposal_rules(config)  # a bad OPD list stops the hub here, saying which line
    except Invalid as err:
        parser.error(f"--opd: {err.message}")
    return config
