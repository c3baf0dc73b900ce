"""Open311 GeoReport v2, write side: a POSTed service request becomes a complaint
that runs the same process as one lodged on the portal.

A complaint belongs to a citizen account. A request with a `phone` is filed for
the citizen registered with that mobile number, or for a new citizen account
created for it (no CNIC, no usable password: the person claims it with "Forgot
your password?", which sends a one-time code to that phone). A request without
a phone is filed for one service account per API key, named after the client.

Citizens lodge on the portal only once they confirmed their number with a code;
requests from an Open311 client are filed without that: the phone number came
through the client's gateway and the client, holding a key an administrator
issued, vouches for it. An account created here keeps `mobile_confirmed_at`
empty (nobody proved the number to us) until its owner claims it: the reset code
proves the number and confirms it. Numbers that only wait for a code are not
users' `mobile`, so a request is never filed for an account that merely typed the
reporter's number.

We have no district boundaries to place `lat`/`long` or `address_string` in a
district, so the client names it with the `district_code` extension parameter.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import ApiKey, Category, Complaint, District, Role, User
from ..casework import complaints
from ..people.accounts import MOBILE_RE, normalise_mobile
from ..errors import Invalid, NotAllowed

# check_password_hash() is False for a hash without a method, so nobody signs in with it.
NO_PASSWORD = "!no-password: account created by an Open311 client"
SERVICE_USERNAME = "open311-key-{key_id}"
SUBJECT_LENGTH = 80
# ComplaintInput's field names, as the Open311 parameters the client sent.
PARAMETER_OF = {
    "category_id": "service_code",
    "district_id": "district_code",
    "subject": "description",
    "description": "description",
    "address": "address_string",
    "latitude": "lat",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class RequestInput:
    """The POST parameters, as sent (strings; empty when absent)."""

    service_code: str = ""
    district_code: str = ""
    description: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""


def submit_request(session: Session, key: ApiKey, data: RequestInput, *, now: datetime | None = None) -> Complaint:
    """File the request as a complaint and start its process; the caller commits.

    Raises IntegrityError when a concurrent request created the same reporter
    account first: roll back and call again, and the account is found.
    """
    category, district, latitude, longitude, mobile = _check(session, data)
    reporter = _reporter_by_phone(session, mobile, data, district) if mobile else _service_account(session, key)
    if not reporter.is_active:
        raise NotAllowed(_l("The citizen account of this phone number may not lodge complaints (it is blocked)."))
    description = data.description.strip()
    try:
        return complaints.submit_complaint(
            session,
            reporter,
            complaints.ComplaintInput(
                category_id=category.id,
                district_id=district.id,
                subject=subject_of(description),
                description=description,
                address=data.address_string.strip(),
                latitude=latitude,
                longitude=longitude,
            ),
            # The number came from the client's gateway, not from a form: the client vouches for it.
            number_vouched=True,
            now=now,
        )
    except Invalid as error:
        raise Invalid(_as_parameters(error.errors)) from None


def subject_of(description: str) -> str:
    """A complaint needs a subject; Open311 has none, so the description's beginning serves."""
    text = " ".join(description.split())
    if len(text) <= SUBJECT_LENGTH:
        return text
    cut = text[: SUBJECT_LENGTH - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _check(session: Session, data: RequestInput):
    errors: dict[str, list[str]] = {}
    code = data.service_code.strip()
    category = session.scalar(select(Category).where(Category.code == code)) if code else None
    if category is not None and not category.offered:
        category = None  # a deactivated service is no longer listed, so it is unknown here too
    if category is None:
        errors["service_code"] = [_l("Give the service_code of one of the services.") if not code
                                  else _l("Unknown service_code %(code)s.", code=code)]
    district_code = data.district_code.strip().upper()
    district = session.scalar(select(District).where(District.code == district_code)) if district_code else None
    if district is None:
        errors["district_code"] = [
            _l("Give the district_code of the district the problem is in (see districts.json).")
            if not district_code
            else _l("Unknown district_code %(code)s.", code=district_code)
        ]
    latitude, longitude = _coordinate(data.lat, "lat", 90, errors), _coordinate(data.long, "long", 180, errors)
    if (latitude is None) != (longitude is None) and "lat" not in errors and "long" not in errors:
        errors["lat"] = [_l("Give both lat and long, or neither.")]
    if latitude is None and longitude is None and not data.address_string.strip() and not errors.keys() & {"lat", "long"}:
        errors["lat"] = [_l("Give the location: lat and long, or address_string.")]
    mobile = normalise_mobile(data.phone) if data.phone.strip() else None
    if mobile is not None and not MOBILE_RE.match(mobile):
        errors["phone"] = [_l("Give a Pakistani mobile number, e.g. 0300-1234567.")]
    email = data.email.strip()
    if email and (len(email) > 200 or not _EMAIL.match(email)):
        errors["email"] = [_l("This is not an e-mail address.")]
    for name in ("first_name", "last_name"):
        if len(getattr(data, name).strip()) > 59:
            errors[name] = [_l("%(name)s is longer than 59 characters.", name=name)]
    if errors:
        raise Invalid(errors)
    return category, district, latitude, longitude, mobile


def _coordinate(value: str, name: str, bound: float, errors: dict) -> float | None:
    if not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not -bound <= number <= bound:  # also refuses nan and inf
        errors[name] = [_l("%(name)s is a number from -%(bound)s to %(bound)s.", name=name, bound=bound)]
        return None
    return number


def _reporter_by_phone(session: Session, mobile: str, data: RequestInput, district: District) -> User:
    existing = citizen_with_mobile(session, mobile)
    if existing is not None:
        if existing.role is not Role.CITIZEN:
            raise Invalid({"phone": [_l("This number belongs to a staff account; give the reporter's own number.")]})
        return existing
    name = " ".join(part for part in (data.first_name.strip(), data.last_name.strip()) if part)
    citizen = User(
        role=Role.CITIZEN,
        full_name=name or "Reporter (name not given)",
        mobile=mobile,
        email=data.email.strip() or None,
        district_id=district.id,
        division_id=district.division_id,
        password_hash=NO_PASSWORD,
    )
    # Two requests for a new number at once: the second insert breaks the unique
    # mobile and raises IntegrityError; the caller runs the request again and finds it.
    session.add(citizen)
    session.flush()
    return citizen


def citizen_with_mobile(session: Session, mobile: str) -> User | None:
    return session.scalar(select(User).where(User.mobile == mobile))


def _service_account(session: Session, key: ApiKey) -> User:
    username = SERVICE_USERNAME.format(key_id=key.id)
    existing = session.scalar(select(User).where(User.username == username))
    if existing is not None:
        return existing
    account = User(
        role=Role.CITIZEN, full_name=f"Open311 client {key.name}"[:120], username=username, password_hash=NO_PASSWORD
    )
    session.add(account)  # a concurrent first request of the same key: as above
    session.flush()
    return account


def _as_parameters(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for name, messages in errors.items():
        known = named.setdefault(PARAMETER_OF.get(name, name), [])
        known.extend(m for m in messages if m not in known)
    return named
