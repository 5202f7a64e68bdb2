"""ICE servers: what browsers get (STUN, TURN with time-limited credentials) and what the relay uses.

TURN credentials follow the TURN REST API scheme that coturn's ``use-auth-secret`` checks:
username ``"<expiry unix time>:<participant>"``, credential ``base64(HMAC-SHA1(secret, username))``.
No public STUN server is ever used unless configured.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer


@dataclass(frozen=True)
class IceConfig:
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    turn_ttl: int = 6 * 3600  # a whole musrenbang day: a browser keeps its credential for the session



def turn_credentials(secret: str, participant: str, now: float, ttl: int) -> tuple[str, str]:
    username = f"{int(now) + ttl}:{participant}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def browser_ice_servers(config: IceConfig, participant: str, now: float) -> list[dict[str, Any]]:
    """``RTCPeerConnection({iceServers})`` entries for one participant's page."""
    servers: list[dict[str, Any]] = []
    if config.stun_urls:
        servers.append({"urls": list(config.stun_urls)})
    if config.turn_urls and config.turn_secret:
        username, credential = turn_credentials(config.turn_secret, participant, now, config.turn_ttl)
        servers.append({"urls": list(config.turn_urls), "username": username, "credential": credential})
    return servers


def relay_configuration(config: IceConfig) -> RTCConfiguration:
    """The relay's own configuration: STUN only if configured (a server needs no TURN).

    max-bundle: with aiortc's default (balanced) an answerer gives the 2nd and later m-lines of a
    kind the first one's transport, which BUNDLE then discards when that kind is not first in the
    offer — those slots would never connect. Every browser offers BUNDLE.
    """
    servers = [RTCIceServer(urls=list(config.stun_urls))] if config.stun_urls else []
    return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
