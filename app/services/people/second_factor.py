"""Staff second factor: a code from an authenticator app (TOTP, RFC 6238), and one-time recovery codes.

Who: Deputy Commissioners, Commissioners, the Chief Secretary, process analysts and administrators must
use one (they see a whole district's, division's or the province's complaints and CNICs, or can change
the process and the accounts); District Officers may choose to. Citizens sign in with a password (and prove
their number by SMS).

How: at the first sign-in after their password, such a person scans a QR code (made here, on the
server) with any authenticator app and confirms with its first code; they then get ten recovery codes,
shown once. Afterwards every sign-in, on the pages and through the API, asks for the current code.
Until its first code the new secret is stored nowhere: the page hands it, sealed (encrypted), to the
browser's signed session, and only the confirming code stores the second factor. Showing the page
(a GET, which a browser may prefetch and which carries no CSRF token) changes nothing.

At rest: the TOTP secret is encrypted (Fernet, keys from settings, `SecretBox`); recovery codes are
random 80-bit values of which only the sha256 is kept (too many to guess, so a slow hash buys nothing).
A code is accepted once: the 30-second step of the last accepted code is kept and only later steps pass.
Every check is counted first (`rate_limits`, per person and per address), so guessing six digits fails.

An administrator who resets a person's second factor (a lost phone and no recovery code) removes it,
signs that person out everywhere and writes the audit log; the person enrols afresh at the next sign-in.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import RecoveryCode, Role, SecondFactor, User, utcnow
from .. import rate_limits
from ..errors import Conflict, Invalid, NotAllowed, TooManyTries
from ..interop import api_tokens
from . import audit, user_sessions

REQUIRED_ROLES = frozenset({Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER, Role.CHIEF_SECRETARY, Role.ANALYST, Role.ADMIN})
OPTIONAL_ROLES = frozenset({Role.DISTRICT_OFFICER})

RECOVERY_CODES = 10
# 16 characters of 32 (no 0/O, 1/I): 80 bits, in four groups of four to read and type.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RECOVERY_LENGTH = 16
# A phone's clock may be a step (30 s) off either way.
DRIFT_STEPS = 1

# Tries of a code, per person and per caller address, in each window: 5 in 5 minutes leaves an attacker
# who has the password about 1,440 guesses a day against 3 valid codes in a million.
CODES_PER_ACCOUNT = 5
CODES_PER_ADDRESS = 30
WINDOW_SECONDS = 300

ENTER_CODE = _l("Enter the 6-digit code from your authenticator app, or one of your recovery codes.")
WRONG_CODE = _l("This code is not right, or was already used. Codes change every 30 seconds: enter the one shown now.")
TOO_MANY_CODES = _l("Too many wrong codes. Wait five minutes, then try again.")


class SecretBox:
    """Encrypts TOTP secrets with the first key, decrypts with any (so a key can be replaced: put the new
    one first and keep the old one after it until every secret was re-encrypted or reset)."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("a SecretBox needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, config) -> SecretBox:
        """SECOND_FACTOR_KEYS (comma-separated Fernet keys); without them (development, tests) a key derived
        from SECRET_KEY. Production refuses to start without SECOND_FACTOR_KEYS (config.ProductionConfig)."""
        keys = [key.strip() for key in (config.get("SECOND_FACTOR_KEYS") or "").split(",") if key.strip()]
        if not keys:
            digest = hashlib.sha256(f"second-factor:{config['SECRET_KEY']}".encode()).digest()
            keys = [base64.urlsafe_b64encode(digest).decode()]
        return cls(keys)

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise RuntimeError("a second-factor secret does not decrypt with SECOND_FACTOR_KEYS") from None

    def unseal(self, token: str | None) -> str | None:
        """A secret sealed for a browser's session, or None when there is none or it no longer decrypts
        (its key was retired since): that enrolment starts again with a new secret."""
        try:
            return self.decrypt(token) if token else None
        except RuntimeError:
            return None


@dataclass(frozen=True)
class Enrolment:
    secret: str  # shown for typing in by hand, next to the QR code
    uri: str  # otpauth:// URI, what the QR code holds
    sealed: str  # the secret encrypted: what the browser's session keeps until the first code


@dataclass(frozen=True)
class Proof:
    """A code accepted at sign-in: `recovery_left` is set when it was a recovery code."""

    recovery_left: int | None = None


def required_for(user: User) -> bool:
    return user.role in REQUIRED_ROLES


def may_enrol(user: User) -> bool:
    return user.role in REQUIRED_ROLES | OPTIONAL_ROLES


def factor_of(session: Session, user: User) -> SecondFactor | None:
    return session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))


def enrolled(session: Session, user: User) -> bool:
    factor = factor_of(session, user)
    return factor is not None and factor.confirmed_at is not None


def needed_at_sign_in(session: Session, user: User) -> bool:
    """A code is asked for (or enrolment) before this person is signed in."""
    return required_for(user) or enrolled(session, user)


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode)
                          .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def begin_enrolment(session: Session, user: User, box: SecretBox, *, issuer: str,
                    sealed: str | None = None) -> Enrolment:
    """The secret to scan, written nowhere: the one `sealed` holds (what this browser was shown before, so
    a reload shows the same QR code), else a new one. The caller keeps `Enrolment.sealed` for the
    confirming code (`confirm_enrolment`); nothing here changes the database."""
    if not may_enrol(user):
        raise NotAllowed(_l("This role has no second factor."))
    if enrolled(session, user):
        raise Conflict(_l("Your second factor is already set up."))
    secret = box.unseal(sealed)
    if secret is None:
        secret = pyotp.random_base32()
        sealed = box.encrypt(secret)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username or str(user.id), issuer_name=issuer)
    return Enrolment(secret, uri, sealed)


START_AGAIN = _l("Start the set-up again: scan the QR code shown now.")


def confirm_enrolment(session: Session, user: User, code: str, box: SecretBox, *, sealed: str | None,
                      address: str | None, now: datetime | None = None) -> list[str]:
    """The first code from the app proves it holds the secret `sealed` (from `begin_enrolment`): the second
    factor is stored, and on. Returns the ten recovery codes (shown once). The caller commits, also when
    this raises (the tries must count)."""
    if enrolled(session, user):
        raise Conflict(_l("Your second factor is already set up."))
    secret = box.unseal(sealed)
    if secret is None:  # this browser was never shown a secret, or its session ended: the page shows one now
        raise Invalid({"code": [START_AGAIN]})
    now = now or utcnow()
    _count_try(session, user, address, now)
    step = _matching_step(pyotp.TOTP(secret), _digits(code), now)
    if step is None:
        raise Invalid({"code": [WRONG_CODE]})
    # A row waiting for its first code was how enrolment began before the secret moved to the session.
    session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id, SecondFactor.confirmed_at.is_(None)))
    try:
        with session.begin_nested():  # two browsers confirming at once: one second factor, the other told
            session.add(SecondFactor(user_id=user.id, secret_encrypted=box.encrypt(secret), created_at=now,
                                     confirmed_at=now, last_step=step))
    except IntegrityError:
        raise Conflict(_l("Your second factor is already set up.")) from None
    return new_recovery_codes(session, user, now=now)


def prove(session: Session, user: User, code: str, box: SecretBox, *, address: str | None,
          now: datetime | None = None) -> Proof:
    """Accept the current TOTP code or an unused recovery code (used up by this); Invalid otherwise.
    The caller commits, also when this raises."""
    if not code or not code.strip():
        raise Invalid({"code": [ENTER_CODE]})
    now = now or utcnow()
    _count_try(session, user, address, now)
    factor = factor_of(session, user)
    if factor is None or factor.confirmed_at is None:
        raise Invalid({"code": [WRONG_CODE]})
    digits = _digits(code)
    if len(digits) == 6 and _accept_totp(session, factor, digits, box, now) is not None:
        _refund_try(session, user, address, now)
        return Proof()
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_hash(user, code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise Invalid({"code": [WRONG_CODE]})
    _refund_try(session, user, address, now)
    return Proof(recovery_left=recovery_codes_left(session, user))


def new_recovery_codes(session: Session, user: User, *, now: datetime | None = None) -> list[str]:
    """Ten new recovery codes, replacing every earlier one; returned once, only their hashes kept."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user, code), created_at=now or utcnow())
                    for code in codes)
    session.flush()
    return ["-".join(code[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]


def turn_off(session: Session, user: User, code: str, box: SecretBox, *, address: str | None,
             now: datetime | None = None) -> None:
    """An officer who chose a second factor turns it off, proving it one last time. Roles that must use one
    cannot; an administrator can reset it for them (`reset`)."""
    if required_for(user):
        raise NotAllowed(_l("Your role must keep its second factor. An administrator can reset it."))
    prove(session, user, code, box, address=address, now=now)
    _remove(session, user)


def reset(session: Session, admin: User, user: User, *, reason: str = "") -> None:
    """An administrator removes a person's second factor (a lost phone): they are signed out everywhere and
    enrol afresh at the next sign-in. Recorded in the audit log. The caller commits."""
    if admin.role is not Role.ADMIN:
        raise NotAllowed(_l("Only an administrator resets a second factor."))
    if factor_of(session, user) is None:
        raise Conflict(_l("This person has no second factor to reset."))
    _remove(session, user)
    user_sessions.end_sessions(session, user)
    api_tokens.revoke_tokens(session, user)
    audit.record(session, admin, "second_factor.reset", target=user, reason=reason.strip()[:200])
    session.flush()


def qr_code(uri: str) -> str:
    """The enrolment URI as a QR code, an SVG data URI for an <img> (made here: the secret never leaves for
    a QR service, and the page's Content-Security-Policy allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


def current_code(secret: str, *, now: datetime | None = None) -> str:
    """The code an app shows now for `secret` (the demo's `flask demo totp-code`)."""
    return pyotp.TOTP(secret).at(now or utcnow())


# -- inside --------------------------------------------------------------------------------------------

def _remove(session: Session, user: User) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))


def _count_try(session: Session, user: User, address: str | None, now: datetime | None) -> None:
    limits = {f"second-factor:user:{user.id}": CODES_PER_ACCOUNT}
    if address is not None:
        limits[f"second-factor:address:{address}"] = CODES_PER_ADDRESS
    retry_after = rate_limits.hit_all(session, limits, window_seconds=WINDOW_SECONDS, now=now)
    if retry_after is not None:
        raise TooManyTries({"code": [TOO_MANY_CODES]}, retry_after)


def _refund_try(session: Session, user: User, address: str | None, now: datetime) -> None:
    """A right code is the owner, not a guess: it does not use up the tries an attacker would need
    (staff who sign in six times in five minutes are not told to wait)."""
    rate_limits.refund(session, f"second-factor:user:{user.id}", window_seconds=WINDOW_SECONDS, now=now)
    if address is not None:
        rate_limits.refund(session, f"second-factor:address:{address}", window_seconds=WINDOW_SECONDS, now=now)


def _digits(code: str) -> str:
    return "".join(c for c in (code or "") if not c.isspace())


def _accept_totp(session: Session, factor: SecondFactor, code: str, box: SecretBox, now: datetime) -> int | None:
    """The step of `code` if it is right within the allowed drift and later than the last accepted one
    (taken atomically, so two requests with the same code cannot both pass); None otherwise."""
    step = _matching_step(pyotp.TOTP(box.decrypt(factor.secret_encrypted)), code, now)
    if step is None:
        return None
    taken = session.execute(
        update(SecondFactor)
        .where(SecondFactor.id == factor.id, or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        return None
    factor.last_step = step
    return step


def _matching_step(totp: pyotp.TOTP, code: str, now: datetime) -> int | None:
    """The 30-second step whose code `code` is, within the allowed drift; None when it is none of them."""
    if len(code) != 6 or not code.isdigit():
        return None
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(user: User, code: str) -> str:
    normalised = "".join(c for c in (code or "").upper() if c.isalnum())
    return hashlib.sha256(f"{user.id}:{normalised}".encode()).hexdigest()
