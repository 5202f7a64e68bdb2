"""Signed credentials: who a link or socket speaks for.

A credential is ``base64url(claims).base64url(hmac_sha256(secret, claims))``. It names
the session, the kind of participant and its identity, plus a random credential id so
one link can be revoked (a ``credential.revoke`` event in the session log) without
touching the others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from rooms.actors import Actor, Kind
from rooms.errors import DomainError
from server.assembly import Assembly


class BadCredential(DomainError):
    code = "unauthorized"


@dataclass(frozen=True, slots=True)
class Credential:
    session: str  # "*" for the hub operator (admin)
    actor: Actor
    id: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def issue(self, session: str, kind: Kind, ident: str, village: str | None = None) -> str:
        claims = {"s": session, "k": kind.value, "i": ident, "v": village, "c": secrets.token_hex(6)}
        body = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def verify(self, token: object) -> Credential:
        """The credential a token carries; BadCredential if it is malformed or not ours."""
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
        return Credential(claims["s"], Actor(kind, claims["i"], claims["v"]), claims["c"])


def require_unrevoked(assembly: Assembly, credential_id: str | None) -> None:
    """Refuse a credential the session's log has revoked (the public has none to revoke)."""
    if credential_id is not None and assembly.is_revoked(credential_id):
        raise BadCredential("Kredensial telah dicabut")
