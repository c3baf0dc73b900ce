"""What every request's input must be before a view sees it: numbers a database column can hold, text it can store.

- Numbers in paths: the `int` URL converter is bounded to what an INTEGER column
  holds (PostgreSQL's 4 bytes, 2^31-1), so `/complaints/99999999999999999999`
  is a plain 404 rather than an "integer out of range" error at the database.
- Numbers in queries and forms: `whole_number` is the `type=` of
  `request.args.get(...)` / `request.form.get(...)`; a value that is no whole
  number in that range reads as missing (the view's default), as a wrong word does.
- Text: a NUL character (PostgreSQL text cannot hold one) or a lone surrogate
  (no UTF-8 encoding exists for it, so storing or even logging it fails) in a
  path, query, form field (multipart included), file name or JSON body is a 400
  before any view runs. The API answers it as a problem document.
"""
from __future__ import annotations

import json
import re

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

# The largest value of an INTEGER column (ids, page numbers): PostgreSQL's int4.
MAX_INT = 2**31 - 1
_WHOLE = re.compile(r"[+-]?\d{1,10}")
# A NUL, or a surrogate code point, which only a broken or hostile client sends (JSON's "\ud800").
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` as before, but never above MAX_INT: a larger number matches no route (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def whole_number(value: str) -> int:
    """`type=` for query and form fields: a whole number an INTEGER column holds; ValueError otherwise."""
    text = (value or "").strip()
    if not _WHOLE.fullmatch(text):
        raise ValueError(f"not a whole number: {text[:20]!r}")
    number = int(text)
    if not -MAX_INT - 1 <= number <= MAX_INT:
        raise ValueError("out of range")
    return number


def unstorable(text: str | None) -> bool:
    """True when `text` holds a character no column (or log line) can take: NUL or a lone surrogate.

    None is no text (a multipart part may come without a name)."""
    return bool(text) and bool(_UNSTORABLE.search(text))


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(_refuse_unstorable_text)


def _refuse_unstorable_text():
    if unstorable(request.path) or any(unstorable(k) or unstorable(v) for k, v in request.args.items(multi=True)):
        abort(400)
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    # The API names the field at fault itself (422, app/api/inputs.py) for the fields it reads as text:
    # the top-level values of its bodies. Everything else (keys, nested values, file names) is checked here.
    per_field = request.path.startswith("/api/")
    if request.mimetype == "application/json":
        if _json_unstorable(request.get_data(cache=True), skip_top_values=per_field):
            abort(400)
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        fields = request.form.items(multi=True)
        names = (f.filename or "" for _, f in request.files.items(multi=True))
        if any(unstorable(k) or (not per_field and unstorable(v)) for k, v in fields) or any(map(unstorable, names)):
            abort(400)
    return None


def _json_unstorable(raw: bytes, *, skip_top_values: bool) -> bool:
    """A JSON body whose strings (or keys) hold NUL or a lone surrogate, written raw or as \\u escapes.

    A body that is not JSON at all is left to the view, which says so in its own words."""
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        return False
    if skip_top_values and isinstance(data, dict):
        stack = [*data.keys(), *(v for v in data.values() if not isinstance(v, str))]
    else:
        stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if unstorable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
