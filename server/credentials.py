"""Signed credentials: who a link or socket speaks for.

A credential is ``base64url(claims).base64url(hmac_sha256(secret, claims))``. It names
the session, the kind of participant and its identity, a random credential id, the
holder's generation and an expiry. Revoking a holder (a ``credential.revoked`` event in
the session log) refuses every credential of an older generation on every node; a
re-issued link carries the new one. A credential past its expiry is refused as
``expired``, so a leaked link does not outlive the session by long.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from rooms.actors import Actor, Kind
from rooms.errors import DomainError
from server.assembly import Assembly


class BadCredential(DomainError):
    code = "unauthorized"


class ExpiredCredential(DomainError):
    code = "expired"


@dataclass(frozen=True, slots=True)
class Credential:
    session: str  # "*" for the hub operator (admin)
    actor: Actor
    id: str
    generation: int = 0
    expires: float = 0.0  # epoch seconds


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


DEFAULT_TTL = 7 * 24 * 3600.0  # a week: links go out in the days before the session, which lasts a day


class Signer:
    def __init__(self, secret: str, ttl: float = DEFAULT_TTL) -> None:
        self._key = secret.encode()
        self.ttl = ttl

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def issue(self, session: str, kind: Kind, ident: str, village: str | None = None, generation: int = 0) -> str:
        claims = {"s": session, "k": kind.value, "i": ident, "v": village, "c": secrets.token_hex(6),
                  "g": generation, "x": int(time.time() + self.ttl)}
        body = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def verify(self, token: object) -> Credential:
        """The credential a token carries; BadCredential if it is malformed or not ours, ExpiredCredential
        if its time is over."""
        if not isinstance(token, str) or len(token) > 512 or token.count(".") != 1:
            raise BadCredential("Kredensial tidak valid")
        body_part, mac_part = token.split(".")
        try:
            body, mac = _unb64(body_part), _unb64(mac_part)
        except ValueError:
            raise BadCredential("Kredensial tidak valid") from None
        if not hmac.compare_digest(mac, self._mac(body)):
            raise BadCredential("Kredensial tidak valid")
        claims = json.loads(body)
        kind = Kind(claims["k"])
        if kind in (Kind.PUBLIC, Kind.SYSTEM):
            raise BadCredential("Kredensial tidak valid")
        credential = Credential(claims["s"], Actor(kind, claims["i"], claims["v"]), claims["c"],
                                claims.get("g", 0), claims.get("x", 0))
        require_current(credential)
        return credential


def require_current(credential: Credential | None) -> None:
    """Refuse a credential past its expiry (one from before expiries has none, so it is past too)."""
    if credential is not None and time.time() > credential.expires:
        raise ExpiredCredential("Tautan ini sudah kedaluwarsa")


def require_unrevoked(assembly: Assembly, credential: Credential | None) -> None:
    """Refuse a credential the session's log has revoked, or whose time is over (the public has none)."""
    if credential is None:
        return
    if assembly.is_revoked(credential.id, credential.actor.id, credential.generation):
        raise BadCredential("Kredensial telah dicabut")
    require_current(credential)
