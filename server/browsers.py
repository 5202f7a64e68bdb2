"""Citizens' browsers: the hub names each one, so "dukung" counts once per browser it has named.

The public page's GET hands a browser without a valid token a new one: a random id sealed by the
hub's signer, in an HttpOnly, SameSite=Lax cookie that lasts about a year (Secure when the hub is
reached over https). The page's support POST (``server.citizens``) and a public Socket.IO handshake bring the cookie
back; without a valid token a citizen may watch but not act (``no_browser_token``). New tokens are capped per client
address per hour, so one address adds at most that many supports to a proposal in an hour.
"""

from __future__ import annotations

import secrets
import time

from aiohttp import web

from rooms.actors import Actor, Kind
from rooms.errors import DomainError
from server.config import Config
from server.credentials import BadCredential, Signer
from server.ratelimit import Quota, client_address

COOKIE = "mh_browser"
TTL = 365 * 24 * 3600  # a year: a citizen who comes back next session is the same browser
ANONYMOUS = Actor(Kind.PUBLIC, "public")  # a public connection without a token: no browser id is "public"


class NoBrowserToken(DomainError):
    code = "no_browser_token"


class Browsers:
    def __init__(self, signer: Signer, config: Config) -> None:
        self.signer = signer
        self.quota = Quota(config.browser_tokens_per_hour, 3600.0)
        self.secure = config.public_url.startswith("https://")
        self.trusted = config.trusted_proxies

    def known(self, request: web.BaseRequest | None) -> str | None:
        """The browser id the request's cookie carries; None if absent, forged, expired or not a browser token."""
        token = request.cookies.get(COOKIE) if request is not None else None
        try:
            claims = self.signer.unseal(token)
        except BadCredential:
            return None
        # a credential is sealed by the same signer: only the browser token's own shape is one
        if set(claims) != {"b", "x"} or not isinstance(claims["b"], str) or not isinstance(claims["x"], int):
            return None
        return claims["b"] if time.time() < claims["x"] else None

    def actor(self, request: web.BaseRequest | None) -> Actor:
        """Who a public connection speaks for: its browser, or no one (it may watch only)."""
        browser = self.known(request)
        return Actor(Kind.PUBLIC, f"public:{browser}") if browser else ANONYMOUS

    def admit(self, request: web.Request, response: web.StreamResponse) -> bool:
        """Give the page's browser a token if it holds none and its address is within the hour's cap;
        whether it holds one now."""
        if self.known(request) is not None:
            return True
        if not self.quota.take(client_address(request, self.trusted), time.monotonic()):
            return False  # the page still loads, and says why its "dukung" is not recorded
        token = self.signer.seal({"b": secrets.token_hex(16), "x": int(time.time() + TTL)})
        response.set_cookie(COOKIE, token, max_age=TTL, path="/", httponly=True, samesite="Lax", secure=self.secure)
        return True


def require_browser(actor: Actor) -> None:
    """Refuse an act from a public connection that holds no browser token."""
    if actor == ANONYMOUS:
        raise NoBrowserToken("Peramban ini belum mendapat tanda pengenal dari hub; dukungan tidak dapat dicatat")
