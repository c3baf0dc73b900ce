"""Open311 responses in the two formats the specification names by extension.

The same Python value becomes both: a list is a JSON array and, in XML, a root
element holding one element per item; a dict is a JSON object and, in XML, one
element per key. Datetimes are W3C datetimes in Pakistan time with their offset.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from flask import Response
from lxml import etree

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
PAKISTAN_TIME = timezone(timedelta(hours=5))
# The element each item of a list gets in XML, by the list's element name.
ITEM_ELEMENTS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "endpoints": "endpoint",
    "formats": "format",
    "districts": "district",
    "extensions": "extension",
}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all (lxml refuses them); a description may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def format_of(path: str) -> str:
    """The format a path asks for by its extension; XML, the required one, otherwise."""
    return "json" if path.endswith(".json") else "xml"


def respond(fmt: str, root: str, value, status: int = 200) -> Response:
    if fmt == "json":
        body = json.dumps(value, default=_json_value, ensure_ascii=False).encode("utf-8")
    else:
        body = XML_DECLARATION + etree.tostring(_element(root, value), encoding="UTF-8")
    return Response(body, status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, descriptions: list[str]) -> Response:
    return respond(fmt, "errors", [{"code": status, "description": d} for d in descriptions], status)


def w3c(value: datetime) -> str:
    return value.astimezone(PAKISTAN_TIME).isoformat(timespec="seconds")


def _json_value(value):
    if isinstance(value, datetime):
        return w3c(value)
    if hasattr(value, "__html__"):  # a lazy string (flask_babel): its text in this request's language
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _element(tag: str, value) -> etree._Element:
    element = etree.Element(tag)
    if isinstance(value, list):
        for item in value:
            element.append(_element(ITEM_ELEMENTS[tag], item))
    elif isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif value is not None:
        element.text = _text(value)
    return element


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    return _NOT_XML.sub("", str(value))
