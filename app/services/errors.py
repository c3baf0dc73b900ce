"""Domain errors. Blueprints turn them into 404 / 403 / 409 / 400.

Messages for people are lazy strings (`lazy_gettext`): they become text only
when a page or the API shows them, in the reader's language. A NotFound's
message names internal ids for the log and is never shown.
"""
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
    """The input is wrong; `errors` maps each field to what is wrong with it ("" for the whole form)."""

    def __init__(self, errors):
        if not isinstance(errors, dict):  # one message (a str or a lazy string) about the whole form
            errors = {"": [errors]}
        self.errors = errors
        super().__init__(errors)

    def __str__(self) -> str:
        # Built when shown, not when raised: the messages are rendered in the language of that moment.
        if not isinstance(self.errors, dict):
            return super().__str__()
        return "; ".join(f"{k or 'form'}: {', '.join(map(str, v))}" for k, v in self.errors.items())

    def messages(self) -> list[str]:
        """Every message, rendered now, without the field names (for a page that shows them together)."""
        return [str(message) for messages in self.errors.values() for message in messages]


class TooManyTries(Invalid):
    """Over a rate limit of tries (a password, a code) or of codes sent: nothing was checked or sent.

    `retry_after` is how many seconds until the limit's window ends."""

    def __init__(self, errors: dict[str, list[str]] | str, retry_after: int):
        super().__init__(errors)
        self.retry_after = retry_after


class MobileUnconfirmed(NotAllowed):
    """The citizen has not yet proved with a code that the mobile number is theirs."""


class ProcessIncident(DomainError):
    """The process failed inside the engine at run time (a condition, a script): nothing was kept.

    The view or job rolls back, records the incident in a short transaction of its
    own (`casework.incidents.record_failure`) and tells the person its reference.
    `failure` holds the element and error (no personal data); `source` is an
    `IncidentSource` (what was running). A lodging that failed has no complaint
    (`complaint_id` None): it names the version and the category instead.
    """

    def __init__(self, complaint_id: int | None, failure, source, *, definition_id: int | None = None,
                 category_id: int | None = None):
        super().__init__(f"complaint {complaint_id}: {failure.element_id}: {failure.error_type}: {failure.message}")
        self.complaint_id, self.failure, self.source = complaint_id, failure, source
        self.definition_id, self.category_id = definition_id, category_id
