"""How citizens are known: CNIC and Pakistani mobile numbers, written however people write them."""
from __future__ import annotations

import re

CNIC_RE = re.compile(r"^\d{13}$")
# Pakistani mobile numbers: 03 and nine digits (0300-1234567), also written +92 300 1234567.
MOBILE_RE = re.compile(r"^03\d{9}$")


def normalise_cnic(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def normalise_mobile(value: str) -> str:
    digits = re.sub(r"[\s()-]", "", value or "")
    if digits.startswith("+92"):
        digits = "0" + digits[3:]
    elif digits.startswith("0092"):
        digits = "0" + digits[4:]
    return digits


def masked_mobile(mobile: str | None) -> str:
    """0300•••4567: enough for its owner to recognise the number, in messages and answers."""
    if not mobile:
        return ""
    return mobile[:4] + "•••" + mobile[-4:] if len(mobile) > 8 else mobile


def login_key(login: str) -> str:
    """One key per account however the login is written ("17301-1234567-1", "+92 300 …"), for rate limits."""
    cnic, mobile = normalise_cnic(login), normalise_mobile(login)
    if CNIC_RE.match(cnic):
        return cnic
    if MOBILE_RE.match(mobile):
        return mobile
    return (login or "").strip().lower()
