"""What a user changes about their own account: password, e-mail, which notices come by SMS.

(Language: accounts.set_language; mobile number: mobile_numbers; signed-in
browsers: user_sessions; phones: interop/api_tokens.)
"""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from ...models import Role, User, utcnow
from ..errors import Invalid, NotAllowed
from ..interop import api_tokens
from . import passwords, tries, user_sessions

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# The notices a citizen may choose to get by SMS or not (in-app they always come), as the form names them.
SMS_NOTICES = {
    "complaint_received": _l("My complaint is received (with its tracking number)"),
    "complaint_assigned": _l("An officer is assigned to it"),
    "complaint_escalated": _l("It is escalated to a higher officer"),
    "complaint_resolved": _l("It is resolved and waits for my rating"),
    "complaint_reopened": _l("It is reopened"),
    "complaint_closed": _l("It is closed"),
}


def change_password(session: Session, user: User, current: str, password: str, password_confirm: str, *,
                    address: str | None, keep_session_key: str | None = None, keep_token_id: int | None = None,
                    now: datetime | None = None) -> None:
    """Change the password, given the current one; the caller commits, also when this raises (the counts must stand).

    Every other browser is signed out and every other phone's token revoked: the
    browser (`keep_session_key`) or phone (`keep_token_id`) making the change stays signed in.
    """
    now = now or utcnow()
    errors = passwords.new_password_errors(password or "", password_confirm or "", staff=user.is_staff,
                                           personal=passwords.personal_words(user))
    if not errors and password == current:
        errors["password"] = [_l("Choose a password other than your current one.")]
    if not current:
        errors["current_password"] = [_l("Enter your current password.")]
    if errors:
        raise Invalid(errors)  # nothing was checked, so no try is counted
    check_current_password(session, user, current, address=address, now=now)
    passwords.set_password(user, password)
    user_sessions.end_sessions(session, user, keep_key=keep_session_key)
    api_tokens.revoke_tokens(session, user, keep_id=keep_token_id, now=now)
    session.flush()


def check_current_password(session: Session, user: User, current: str, *, address: str | None,
                           now: datetime | None = None) -> None:
    """Invalid unless `current` is the user's password; each check is counted first (people/tries.py:
    TooManyTries while the account must wait). The caller commits, also when this raises."""
    tries.claim(session, tries.CURRENT_PASSWORD, account=str(user.id), address=address, field="current_password",
                now=now)
    if not check_password_hash(user.password_hash, current or ""):
        wrong = {"current_password": [_l("This is not your current password.")]}
        raise Invalid(wrong)
    tries.succeeded(session, tries.CURRENT_PASSWORD, account=str(user.id), address=address, now=now)


def set_email(session: Session, user: User, email: str | None) -> None:
    """The citizen's e-mail address (empty: none)."""
    _citizens_only(user)
    email = (email or "").strip()
    if email and (len(email) > 200 or not EMAIL_RE.match(email)):
        raise Invalid({"email": [_l("This is not an e-mail address.")]})
    user.email = email or None
    session.flush()


def sms_notices(user: User) -> dict[str, bool]:
    """Each optional notice, and whether it comes by SMS (for citizens; staff choose none)."""
    if user.role is not Role.CITIZEN:
        return {}
    muted = set(user.sms_muted or ())
    return {template: template not in muted for template in SMS_NOTICES}


def set_sms_notices(session: Session, user: User, choices: dict[str, bool]) -> None:
    """Which notices come by SMS: `choices` maps notices to on/off; notices not named keep their setting."""
    _citizens_only(user)
    unknown = sorted(set(choices) - set(SMS_NOTICES))
    if unknown:
        errors = {"sms_notices": [_l("Unknown notices: %(names)s.", names=", ".join(unknown))]}
        raise Invalid(errors)
    wanted = {**sms_notices(user), **choices}
    user.sms_muted = sorted(template for template, on in wanted.items() if not on)
    session.flush()


def _citizens_only(user: User) -> None:
    if user.role is not Role.CITIZEN:
        raise NotAllowed(_l("Your administrator keeps the contact details of staff accounts."))
