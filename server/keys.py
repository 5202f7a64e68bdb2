"""Typed keys of what the aiohttp app holds."""

from __future__ import annotations

from aiohttp import web

from server.browsers import Browsers
from server.config import Config
from server.credentials import Signer
from server.metrics import Metrics
from server.service import Sessions

BROWSERS = web.AppKey("browsers", Browsers)
CONFIG = web.AppKey("config", Config)
SESSIONS = web.AppKey("sessions", Sessions)
SIGNER = web.AppKey("signer", Signer)
METRICS = web.AppKey("metrics", Metrics)
