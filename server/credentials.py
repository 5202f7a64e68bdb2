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
from collections.abc import Mapping
from typing import Any

from rooms.actors import Actor, Kind
from service.credentials import BadCredential, Credential, ExpiredCredential, require_current, require_unrevoked


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


DEFAULT_TTL = 7 * 24 * 3600.0  # a week: links go out in the days before the session, which lasts a day


class Signer:
    """HMAC-sealed payloads: a link's credential, a citizen's browser token (``server.browsers``).

    Each kind has claims of its own shape, and each reader refuses a payload of the other shape."""

    def __init__(self, secret: str, ttl: float = DEFAULT_TTL) -> None:
        self._key = secret.encode()
        self.ttl = ttl

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def seal(self, payload: Mapping[str, object]) -> str:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def unseal(self, token: object) -> dict[str, Any]:
        """The payload a token carries; BadCredential if it is malformed or not ours."""
        if not isinstance(token, str) or len(token) > 512 or token.count(".") != 1:
            raise BadCredential("Kredensial tidak valid")
        body_part, mac_part = token.split(".")
        try:
            body, mac = _unb64(body_part), _unb64(mac_part)
        except ValueError:
            raise BadCredential("Kredensial tidak valid") from None
        if not hmac.compare_digest(mac, self._mac(body)):
            raise BadCredential("Kredensial tidak valid")
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise BadCredential("Kredensial tidak valid")
        return payload

    def issue(self, session: str, kind: Kind, ident: str, village: str | None = None, generation: int = 0) -> str:
        return self.seal({"s": session, "k": kind.value, "i": ident, "v": village, "c": secrets.token_hex(6),
                          "g": generation, "x": int(time.time() + self.ttl)})

    def verify(self, token: object) -> Credential:
        """The credential a token carries; BadCredential if it is malformed, not ours or not a credential
        (a browser token), ExpiredCredential if its time is over."""
        claims = self.unseal(token)
        try:
            kind = Kind(claims["k"])
            credential = Credential(claims["s"], Actor(kind, claims["i"], claims["v"]), claims["c"],
                                    claims.get("g", 0), claims.get("x", 0))
        except (KeyError, ValueError):
            raise BadCredential("Kredensial tidak valid") from None
        if kind in (Kind.PUBLIC, Kind.SYSTEM):
            raise BadCredential("Kredensial tidak valid")
        require_current(credential)
        return credential


__all__ = ["BadCredential", "Credential", "ExpiredCredential", "Signer", "require_current", "require_unrevoked"]
