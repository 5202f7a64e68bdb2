"""Typed keys of what the aiohttp app holds."""

from __future__ import annotations

import socketio
from aiohttp import web

from rooms.log.port import EventLog
from server.broadcast import Broadcasts
from server.browsers import Browsers
from server.config import Config
from server.credentials import Signer
from server.jobs import Jobs
from server.metrics import Metrics
from server.recording import Recording
from server.signalling import Signalling
from server.sockets import Channel
from service.sessions import Sessions

BROADCASTS = web.AppKey("broadcasts", Broadcasts)
BROWSERS = web.AppKey("browsers", Browsers)
CHANNEL = web.AppKey("channel", Channel)
CONFIG = web.AppKey("config", Config)
SESSIONS = web.AppKey("sessions", Sessions)
SIGNER = web.AppKey("signer", Signer)
METRICS = web.AppKey("metrics", Metrics)
LOG = web.AppKey("log", EventLog)
SIO = web.AppKey("sio", socketio.AsyncServer)
SIGNALLING = web.AppKey("signalling", Signalling)
JOBS = web.AppKey("jobs", Jobs)
RECORDING = web.AppKey("recording", Recording)
