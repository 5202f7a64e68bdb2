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
from server.ratelimit import Quota
from server.recording import Recording
from server.signalling import Signalling
from server.sockets import Channel
from service.photos import Photos
from service.sessions import Sessions

BROADCASTS = web.AppKey("broadcasts", Broadcasts)
BROWSERS = web.AppKey("browsers", Browsers)
CHANNEL = web.AppKey("channel", Channel)
CONFIG = web.AppKey("config", Config)
SESSIONS = web.AppKey("sessions", Sessions)
PHOTOS = web.AppKey("photos", Photos)
PHOTO_UPLOADS = web.AppKey("photo_uploads", Quota)  # per village, in any hour
SIGNER = web.AppKey("signer", Signer)
METRICS = web.AppKey("metrics", Metrics)
LOG = web.AppKey("log", EventLog)
SIO = web.AppKey("sio", socketio.AsyncServer)
SIGNALLING = web.AppKey("signalling", Signalling)
JOBS = web.AppKey("jobs", Jobs)
RECORDING = web.AppKey("recording", Recording)
