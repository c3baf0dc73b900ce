"""Domain errors. Blueprints turn them into 404 / 403 / 409 / 400."""
from __future__ import annotations


class DomainError(Exception):
    pass


class NotFound(DomainError):
    """Does not exist, or exists outside the actor's scope (we do not tell which)."""


class NotAllowed(DomainError):
    """The actor may see it but may not do this."""


class Conflict(DomainError):
    """Somebody else changed it first."""


class Invalid(DomainError):
    """The input is wrong; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, list[str]] | str):
        if isinstance(errors, str):
            errors = {"": [errors]}
        self.errors = errors
        super().__init__("; ".join(f"{k or 'form'}: {', '.join(map(str, v))}" for k, v in errors.items()))


class TooManyTries(Invalid):
    """Over a rate limit of tries (a password, a code) or of codes sent: nothing was checked or sent.

    `retry_after` is how many seconds until the limit's window ends."""

    def __init__(self, errors: dict[str, list[str]] | str, retry_after: int):
        super().__init__(errors)
        self.retry_after = retry_after


class MobileUnconfirmed(NotAllowed):
    """The citizen has not yet proved with a code that the mobile number is theirs."""
