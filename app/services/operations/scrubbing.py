"""Personal data out of error reports: Sentry's `before_send` for every event the portal sends.

An event carries the request (form fields, query string, headers, cookies), local variables of every
frame, log breadcrumbs and the exception's text. Any of them can hold a citizen's CNIC, mobile number,
e-mail address or a password. The scrubber walks the whole event: values under a secret-sounding key
are replaced outright; every other string has CNICs, mobile numbers and e-mail addresses masked.
"""
from __future__ import annotations

import re
from typing import Any

FILTERED = "[Filtered]"
# Keys whose values are secrets whatever they look like (matched anywhere in the key, any case).
SECRET_KEYS = re.compile(r"pass|pwd|secret|token|authorization|cookie|session|csrf|code|otp|api[-_]?key|cnic|mobile|"
                         r"phone|email", re.IGNORECASE)
CNIC = re.compile(r"(?<!\d)\d{5}-?\d{7}-?\d(?!\d)")
# Pakistani mobiles: 03XX-XXXXXXX, +92 3XX XXXXXXX, 923XXXXXXXXX, with or without spaces and dashes.
MOBILE = re.compile(r"(?<![\d+])(?:\+?92[\s-]?|0)3\d{2}[\s-]?\d{7}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A secret inside a string: a query string or a form body
# ("password=...&code=..."), a repr ("'password': '...'") or a sentence ("your code is 483920").
SECRET_PAIR = re.compile(r"((?:pass\w*|pwd|secret|token|code|otp)['\"]?\s*(?:[=:]|\sis\s)\s*['\"]?)[^&\s'\",}]+",
                         re.IGNORECASE)


def scrub_text(text: str) -> str:
    text = SECRET_PAIR.sub(lambda m: m.group(1) + FILTERED, text)
    return EMAIL.sub("[email]", MOBILE.sub("[mobile]", CNIC.sub("[cnic]", text)))


def scrub(value: Any, key: str = "") -> Any:
    """`value` with secrets replaced and personal data masked; containers are copied, never changed in place."""
    if key and SECRET_KEYS.search(key) and value not in (None, "", [], {}):
        return FILTERED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # Header and cookie lists come as [name, value] pairs: a pair's name decides for its value.
        if len(value) == 2 and isinstance(value[0], str) and SECRET_KEYS.search(value[0]):
            return [value[0], FILTERED]
        return [scrub(item, key) for item in value]
    return value


# Keys of the event itself that name what happened, not data: kept as they are.
STRUCTURAL = {"exception", "values", "stacktrace", "frames", "request", "data", "vars", "breadcrumbs", "extra",
              "contexts", "logentry", "tags", "user", "headers", "query_string", "env"}


def before_send(event: dict, _hint: dict | None = None) -> dict:
    """Sentry's hook: the event as it will be sent, scrubbed."""
    return {key: _scrub_event_part(key, value) for key, value in event.items()}


def _scrub_event_part(key: str, value: Any) -> Any:
    if key == "user":  # the portal sends the user's id only
        return {"id": value.get("id")} if isinstance(value, dict) and value.get("id") is not None else {}
    if key in ("request", "exception", "breadcrumbs", "extra", "contexts", "logentry", "message", "tags", "threads"):
        return _walk(value)
    return value


def _walk(value: Any) -> Any:
    """Like `scrub`, but the event's own structure keys are not secret names."""
    if isinstance(value, dict):
        return {k: (_walk(v) if k in STRUCTURAL else scrub(v, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item) for item in value]
    return scrub(value)
