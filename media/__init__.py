"""The SFU relay: encoded media forwarded between peers, routed from plain data (see media.relay)."""

from media.errors import MediaError
from media.ice import IceConfig, browser_ice_servers, turn_credentials
from media.relay import Relay, RelayConfig
from media.routes import Routing, Source, plan_routes

__all__ = [
    "IceConfig",
    "MediaError",
    "Relay",
    "RelayConfig",
    "Routing",
    "Source",
    "browser_ice_servers",
    "plan_routes",
    "turn_credentials",
]
