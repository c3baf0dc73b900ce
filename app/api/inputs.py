"""Reading requests: bodies (JSON or multipart), typed fields, query parameters, headers.

A body that cannot be read at all is 400 (415 for a media type the URL does not
take); fields that are present but wrong are collected and answered together as
422, the same shape as the services' field errors.
"""
from __future__ import annotations

import json
import re

from flask import request
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from ..request_guard import unstorable
from ..services.files import Upload
from ..services.interop.idempotency import KEY_FIELD, MAX_KEY_LENGTH
from ..web import uploaded_files
from .problems import ApiProblem

JSON = "application/json"
MULTIPART = "multipart/form-data"
# PostgreSQL text cannot hold a NUL character: refused here, not as a database error.
NUL_MESSAGE = _l("Must not contain a NUL character.")
# A lone surrogate (JSON "\ud800") is half of a character: no text can be stored or shown with it.
SURROGATE_MESSAGE = _l("Must not contain a broken character (a lone surrogate).")
_KEY_RE = re.compile(rf"^[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}$")


def body(*, files: tuple[str, ...] = ()) -> tuple[dict, list[Upload]]:
    """The body's fields and the files sent in the `files` fields (multipart, taken only when
    `files` names some). JSON values keep their types; multipart ones are strings."""
    if request.mimetype == JSON:
        return json_object(), []
    if files and request.mimetype == MULTIPART:
        # An empty file input arrives as a part without a file name: no file, as on the pages.
        return {k: v for k, v in request.form.items()}, uploaded_files(*files)
    accepted = f"{JSON} or {MULTIPART}" if files else JSON
    raise ApiProblem(415, _("Send the body as %(media_type)s.", media_type=accepted), headers={"Accept-Post": accepted})


def json_object() -> dict:
    if request.mimetype != JSON:
        raise ApiProblem(415, _("Send the body as %(media_type)s.", media_type=JSON), headers={"Accept-Post": JSON})
    try:
        data = json.loads(request.get_data() or b"", parse_constant=_not_json)
    except ValueError:
        raise ApiProblem(400, _("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ApiProblem(400, _("The body must be a JSON object."))
    return data


def _not_json(constant: str):
    # Python reads NaN and Infinity; JSON has neither.
    raise ValueError(f"{constant} is not JSON")


class Fields:
    """Typed access to body fields; every problem is collected, then raised as one 422."""

    def __init__(self, source: dict, *, typed: bool):
        self.source, self.typed = source, typed  # typed: JSON (values keep their types)
        self.errors: dict[str, list[str]] = {}

    def string(self, name: str, *, default: str = "") -> str:
        value = self.source.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            return self._wrong(name, _("Must be a string."), default)
        if "\x00" in value:
            return self._wrong(name, NUL_MESSAGE, default)
        if unstorable(value):
            return self._wrong(name, SURROGATE_MESSAGE, default)
        return value

    def integer(self, name: str) -> int | None:
        value = self.source.get(name)
        if value is None or value == "":
            return None
        if self.typed:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            return self._wrong(name, _("Must be an integer."))
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
            return int(value)
        return self._wrong(name, _("Must be an integer."))

    def number(self, name: str) -> float | None:
        value = self.source.get(name)
        if value is None or value == "":
            return None
        if self.typed and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if not self.typed and isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = None
            if number is not None and number == number and abs(number) != float("inf"):
                return number
        return self._wrong(name, _("Must be a decimal number, e.g. 34.0151."))

    def boolean(self, name: str) -> bool | None:
        value = self.source.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if not self.typed and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return self._wrong(name, _("Must be true or false."))

    def check(self) -> None:
        if self.errors:
            raise ApiProblem(422, _("Some fields are wrong: see errors."), errors=self.errors)

    def _wrong(self, name, message, default=None):
        self.errors.setdefault(name, []).append(message)
        return default


def form_data(source: dict) -> MultiDict:
    """Field values for a registered (WTForms) task form: strings, as a browser would send them."""
    data, errors = MultiDict(), {}
    for name, value in source.items():
        if value is None:
            continue
        if isinstance(value, bool):
            data[name] = "y" if value else ""
        elif isinstance(value, (str, int, float)) and not unstorable(str(value)):
            data[name] = str(value)
        elif isinstance(value, str):
            errors[name] = [NUL_MESSAGE if "\x00" in value else SURROGATE_MESSAGE]
        else:
            errors[name] = [_("Must be a string or a number.")]
    if errors:
        raise ApiProblem(422, _("Some fields are wrong: see errors."), errors=errors)
    return data


def query_int(name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw) or not minimum <= int(raw) <= maximum:
        raise ApiProblem(400, _("%(name)s must be a whole number from %(minimum)s to %(maximum)s.", name=name,
                                minimum=minimum, maximum=maximum),
                         errors={name: [_("A whole number from %(minimum)s to %(maximum)s.", minimum=minimum,
                                          maximum=maximum)]})
    return int(raw)


def query_text(name: str, *, max_length: int) -> str:
    """A free-text query parameter ("" when absent); NUL characters and overlong texts are 400."""
    raw = request.args.get(name, "")
    if len(raw) > max_length or unstorable(raw):
        raise ApiProblem(400, _("%(name)s must be at most %(most)d characters, without NUL characters.",
                                name=name, most=max_length),
                         errors={name: [_("At most %(most)d characters.", most=max_length)]})
    return raw


_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def query_number(name: str, *, minimum: float, maximum: float) -> float | None:
    """A decimal query parameter (None when absent), e.g. a latitude."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    number = float(raw) if _DECIMAL.fullmatch(raw.strip()) else None
    if number is None or not minimum <= number <= maximum:
        raise ApiProblem(400, _("%(name)s must be a decimal number from %(least)s to %(most)s.",
                                name=name, least=f"{minimum:g}", most=f"{maximum:g}"),
                         errors={name: [_("A decimal number from %(least)s to %(most)s.",
                                          least=f"{minimum:g}", most=f"{maximum:g}")]})
    return number


def query_choice(name: str, choices: list[str]) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in choices:
        listed = ", ".join(choices)
        raise ApiProblem(400, _("%(name)s must be one of: %(choices)s.", name=name, choices=listed),
                         errors={name: [_("One of: %(choices)s.", choices=listed)]})
    return raw


def idempotency_key() -> str | None:
    raw = request.headers.get(KEY_FIELD)
    if raw is None:
        return None
    if not _KEY_RE.match(raw):
        raise ApiProblem(
            400,
            _("%(header)s must be 1 to %(length)s visible ASCII characters, e.g. a UUID.", header=KEY_FIELD,
              length=MAX_KEY_LENGTH),
            errors={KEY_FIELD: [_("1 to %(length)s visible ASCII characters.", length=MAX_KEY_LENGTH)]},
        )
    return raw


# Ids are 32-bit in the database: a larger number in a URL names nothing (and must not reach the driver).
MAX_ID = 2**31 - 1


def row_id(value: int | None, what: str) -> int | None:
    """`value` if it can be an id; 404 for a URL's id, None (so the service says "choose...") for a field's."""
    if value is None or 0 < value <= MAX_ID:
        return value
    if what == "field":
        return None
    raise ApiProblem(404, _("There is no such thing, or it is not yours to see."))
