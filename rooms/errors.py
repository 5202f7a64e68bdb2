"""Domain errors, each with a stable ``code`` that adapters turn into an ack or HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused; nothing changed."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class Invalid(DomainError):
    code = "invalid"


class UnknownCommand(DomainError):
    code = "unknown_command"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The command does not fit the current state (ballot closed, floor taken, ...)."""

    code = "conflict"


class SessionClosed(DomainError):
    code = "session_closed"


class NotLive(Conflict):
    """The command needs a live session (draft sessions only take preparation)."""

    code = "session_not_live"


class AlreadyVoted(Conflict):
    code = "already_voted"


class AlreadySupported(Conflict):
    code = "already_supported"


class InteractiveLimit(Conflict):
    code = "interactive_limit"


class ProposalLimit(Conflict):
    """The village already has its limit of proposals in play."""

    code = "proposal_limit"


class NotEligible(Forbidden):
    """The village is not in the ballot's electorate."""

    code = "not_eligible"


class LevelMismatch(Conflict):
    """Carried proposals come from the level just below the session's (desa → kecamatan → kabupaten)."""

    code = "level_mismatch"


class AlreadyCarried(Conflict):
    """Every proposal of a carry file is in this session already (by its origin)."""

    code = "already_carried"


class NothingToCarry(Conflict):
    """No proposal to carry: none ranked above the line yet, or none from a village of this session."""

    code = "nothing_to_carry"


class UnknownOpd(Invalid):
    """The OPD tujuan is not on the hub's list."""

    code = "unknown_opd"


class TooManyPhotos(Conflict):
    """The proposal already has its photos (rooms.photos.MAX_PHOTOS)."""

    code = "too_many_photos"


class PhotoQuota(Conflict):
    """The village's photos would pass its total size cap."""

    code = "photo_quota"
