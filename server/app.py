"""The aiohttp application factory: the one place that wires stores, channel and pages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import socketio
from aiohttp import web

from media.ice import IceConfig
from media.relay import Relay, RelayConfig, RelayControl
from media.workers import RelayWorkers
from recordings.program import ProgramFeed
from recordings.session_tracks import SessionTracks
from rooms.log.port import EventLog
from server import livestream
from server import photos as photo_routes
from server.api import _MAX_BODY, domain_errors, endpoints
from server.broadcast import Broadcasts
from server.browsers import Browsers
from server.bus import RevocationBus
from server import citizens
from server.config import Config, proposal_rules
from server.credentials import Signer
from server.files import private_dir, private_file
from server.jobs import Jobs
from server.keys import (
    BROADCASTS,
    BROWSERS,
    CHANNEL,
    CONFIG,
    JOBS,
    LOG,
    METRICS,
    PHOTO_UPLOADS,
    PHOTOS,
    RECORDING,
    SESSIONS,
    SIGNALLING,
    SIGNER,
    SIO,
)
from server.metrics import Metrics
from server.minutes import on_close
from server.protocol import EngineNoise, Packet
from server.push import Pusher
from server.recording import PartFactory, Recording
from server.ratelimit import Quota
from server.signalling import Signalling
from server.sockets import Channel
from server.stores.redis import RedisLog
from server.stores.sqlite import SqliteLog
from service.photos import PhotoFiles, Photos
from service.sessions import Sessions
from web import pages

_log = logging.getLogger(__name__)

_SHUTDOWN_GRACE = 5.0  # seconds for connections and peers to close on SIGTERM


def _origin_check(extra: tuple[str, ...]) -> Callable[[str | None, dict[str, Any]], bool] | None:
    """Browsers may connect from the hub's own origin and the configured ones; None = own only."""
    if not extra:
        return None

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin is None or origin == own or origin in extra

    return allowed


def open_log(config: Config) -> EventLog:
    """The one place choosing the store: Redis when REDIS_URL is set (several nodes), else SQLite."""
    if config.redis_url:
        return RedisLog(config.redis_url, prefix=config.redis_prefix)
    return SqliteLog(private_file(private_dir(config.data_dir) / "hub.sqlite3"))


async def _quiet_engine(app: web.Application) -> AsyncIterator[None]:
    noise, engine = EngineNoise(), logging.getLogger("engineio.server")
    engine.addFilter(noise)
    yield
    engine.removeFilter(noise)

# One context per resource, opened in this order and closed in the reverse: a failure while
# opening one closes those before it (a half-built app leaves no SQLite writer thread behind).

async def _store(app: web.Application) -> AsyncIterator[None]:
    app[LOG] = log = open_log(app[CONFIG])
    yield
    await log.close()


async def _service(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    app[SESSIONS] = sessions = Sessions(app[LOG], proposal_rules(config))
    app[PHOTOS] = photos = Photos(sessions, PhotoFiles(private_dir(private_dir(config.data_dir) / "photos")))
    sessions.listen(photos.forget_removed)
    app[PHOTO_UPLOADS] = Quota(photo_routes.UPLOADS_PER_HOUR, 3600)
    pusher = Pusher(app[SIO], config.flush_interval, sessions)
    sessions.listen(pusher.changed)
    app[citizens.LIVE] = citizens.LiveBodies(sessions)
    yield
    await pusher.close()


async def _jobs(app: web.Application) -> AsyncIterator[None]:
    """Long work off the event loop (the minutes); a closing session gets its final minutes at once."""
    app[JOBS] = jobs = Jobs()
    app[SESSIONS].listen(on_close(jobs, app[SESSIONS], app[CONFIG]))
    yield
    await jobs.close()


async def _channel(app: web.Application) -> AsyncIterator[None]:
    app[CHANNEL] = channel = Channel(app[SIO], app[SESSIONS], app[SIGNER], app[BROWSERS], app[METRICS], app[CONFIG])
    yield
    await channel.close()


async def _media(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    ice = IceConfig(config.stun_urls, config.turn_urls, config.turn_secret)
    relay_config = RelayConfig(video_codec=config.video_codec, ice=ice)
    relay: RelayControl
    if config.relay_workers > 1:
        relay = RelayWorkers(relay_config, config.relay_workers)
        await relay.start()
    else:
        relay = Relay(relay_config)
    app[SIGNALLING] = signalling = Signalling(app[SIO], app[CHANNEL], app[SESSIONS], relay)
    if isinstance(relay, RelayWorkers):
        relay.on_lost = signalling.reconnect  # their pages offer again to the restarted worker
    app[CHANNEL].meter()  # after every handler is registered: each event costs from its client's budget
    signalling.start()
    yield
    await signalling.close()


def _recording_parts(app: web.Application) -> list[PartFactory]:
    """What records each live session: one factory per part, called with the session's id and title."""
    config, relay = app[CONFIG], app[SIGNALLING].relay
    root, min_free = config.recordings_root, config.recordings_min_free
    broadcasts = app[BROADCASTS]
    factories: list[PartFactory] = [lambda sid, title: [SessionTracks(relay, root, sid, min_free_mb=min_free)]]
    if config.program:
        factories.append(lambda sid, title: [ProgramFeed(relay, root, sid, title, rungs=config.program_rungs)])
    factories.append(lambda sid, title: broadcasts.open(sid))  # each pushes the program's HLS: none configured, none
    return factories


async def _recording(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    app[RECORDING] = recording = Recording(app[SESSIONS], config.recordings_root, _recording_parts(app),
                                           config.recordings_min_free << 20)
    recording.start()
    yield
    await recording.close()


async def _revocations(app: web.Application) -> AsyncIterator[None]:
    """Other nodes hear of a revocation at once (Redis only: one SQLite hub is alone)."""
    config = app[CONFIG]
    if not config.redis_url:
        yield
        return
    bus = RevocationBus(config.redis_url, config.redis_prefix, app[SESSIONS])
    bus.start()
    yield
    await bus.close()


async def _broadcasts(app: web.Application) -> AsyncIterator[None]:
    """The RTMP pushes the session lifecycle opens; those still pushing end their streams at shutdown."""
    config = app[CONFIG]
    app[BROADCASTS] = broadcasts = Broadcasts(config.rtmp_urls, config.recordings_root)
    yield
    await broadcasts.close()


def create_app(config: Config) -> web.Application:
    app = web.Application(middlewares=[domain_errors], client_max_size=_MAX_BODY)
    app[CONFIG] = config
    app[SIGNER] = signer = Signer(config.secret, ttl=config.credential_days * 24 * 3600)
    app[BROWSERS] = browsers = Browsers(signer, config)
    app[METRICS] = Metrics()
    manager = (socketio.AsyncRedisManager(config.redis_url, channel=f"{config.redis_prefix}:socketio")
               if config.redis_url else None)
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager,
                               cors_allowed_origins=_origin_check(config.origins),
                               max_http_buffer_size=192 * 1024,  # room for a console's SDP offer
                               serializer=Packet)  # a frame that does not parse is counted, not a traceback
    sio.attach(app)
    app[SIO] = sio
    app.add_routes(endpoints())
    app.add_routes(livestream.endpoints())
    app.add_routes(photo_routes.endpoints())
    app.add_routes(citizens.endpoints())
    app.add_routes(pages.endpoints(pages.Wiring(sessions=lambda: app[SESSIONS], admit=browsers.admit)))

    async def disconnect_all(app: web.Application) -> None:
        """Close the peers first (an orderly DTLS close each, quick), then every connection, all at once
        and within a bound: one after another they took about a second each, a big session minutes.
        Then the transports no session holds (a refused connect, a page still connecting): left
        open, each kept the server waiting for its whole ping timeout."""
        await app[SIGNALLING].close()
        closing = asyncio.gather(*(sio.disconnect(sid) for sid in list(app[CHANNEL].conns)), return_exceptions=True)
        try:
            await asyncio.wait_for(closing, _SHUTDOWN_GRACE)
        except TimeoutError:
            _log.warning("connections still closing after %s s; stopping anyway", _SHUTDOWN_GRACE)
        if sio.eio.sockets:
            await sio.eio.disconnect()

    app.cleanup_ctx.extend([_quiet_engine, _store, _service, _jobs, _channel, _media, _broadcasts, _recording,
                            _revocations])
    app.on_shutdown.append(disconnect_all)
    return app
