"""Relay errors, each with a stable ``code`` the server turns into an ack."""

from __future__ import annotations


class MediaError(Exception):
    code = "media_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadOffer(MediaError):
    code = "bad_offer"


class CodecUnsupported(MediaError):
    code = "codec_unsupported"


class UnknownOperation(MediaError):
    code = "unknown_operation"


class PublishForbidden(MediaError):
    """The offer sends media on a peer that may only receive."""

    code = "forbidden"
