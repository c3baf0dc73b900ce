"""Checking forms defined as data: the documents an analyst deploys with a diagram version.

A user task's `formKey` may name a form the portal registers in Python (a step with side
effects: assign, transfer) or a form document deployed with the version. A document is JSON:

    {"title":  {"en": ..., "ur": ..., "ps": ...},
     "schema": {"type": "object", "required": [...], "properties": {name: {...}, ...}},
     "ui":     {"order": [name, ...],
                "fields": {name: {"label": {en, ur, ps}, "hint": {en, ur, ps},
                                  "widget": "radio", "choices": {value: {en, ur, ps}}}}}}

`schema` is JSON Schema, of which the portal supports a small subset (SUPPORTED below): a
field is a text (`maxLength`, `enum` for choices, `format: "date"`), a whole number
(`minimum`, `maximum`) or a yes/no answer (`boolean`); `required` lists the fields that must
be filled in. Analysts write the words, so every title, label, hint and choice carries its own
text in each of the portal's languages: the catalogues cannot know them.

This module only checks documents (at deploy, so nothing fails later on a task page); app/
renders and validates the answers. Like the rest of workflows/ it has no Flask: problems
are Notes, worded by app/ in the reader's language.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from .diagram import DiagramError
from .notes import Note

# The JSON Schema keywords the portal understands, per type of field.
SUPPORTED = {
    "string": {"type", "maxLength", "enum", "format"},
    "integer": {"type", "minimum", "maximum"},
    "boolean": {"type"},
}
# Widgets a field may ask for; the first is its default.
WIDGETS = {
    "choice": ("radio", "select"),  # a string with enum
    "string": ("text", "textarea"),
    "date": ("date",),
    "integer": ("number",),
    "boolean": ("radio",),
}
KEY = re.compile(r"[a-z][a-z0-9_:.-]{0,59}\Z")
# Field names become task-data names that gateway conditions read: Python identifiers.
FIELD = re.compile(r"[a-z][a-z0-9_]{0,59}\Z")
# Names a task page already posts (its CSRF token, its files).
RESERVED_FIELDS = frozenset({"csrf_token", "attachments", "photo"})
MAX_TEXT = 10_000


def field_kind(prop: Mapping) -> str:
    """What a (checked) schema property is: choice, string, date, integer or boolean."""
    if prop.get("type") == "string":
        if "enum" in prop:
            return "choice"
        return "date" if prop.get("format") == "date" else "string"
    return prop.get("type")


def field_order(document: Mapping) -> list[str]:
    """A (checked) document's fields in the order the page shows them."""
    return list(document.get("ui", {}).get("order") or document["schema"]["properties"])


def check_form_documents(
    forms: Mapping, *, registered: Collection[str], languages: Collection[str]
) -> list[DiagramError]:
    """Every problem of every form document, each naming its form; empty when all can be deployed."""
    if not isinstance(forms, Mapping):
        return [DiagramError(Note("forms_not_object"))]
    errors = []
    for key, document in forms.items():
        errors += [
            DiagramError(Note("form_problem", {"form": key, "problem": problem}))
            for problem in _problems(key, document, registered, tuple(languages))
        ]
    return errors


def _problems(key, document, registered, languages):
    if not isinstance(key, str) or not KEY.match(key):
        yield Note("form_key_invalid")
    elif key in registered:
        yield Note("form_key_registered")
    if not isinstance(document, Mapping) or not isinstance(document.get("schema"), Mapping):
        yield Note("form_not_object")
        return
    yield from _texts(document.get("title"), Note("form_where_title"), languages, required=True)
    schema = document["schema"]
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, Mapping) or not properties:
        yield Note("form_schema_not_object")
        return
    for name, prop in properties.items():
        yield from _property(name, prop)
    required = schema.get("required", [])
    if not isinstance(required, list):
        required = []
        yield Note("form_required_not_list")
    for name in required:
        if name not in properties:
            yield Note("form_required_unknown", {"field": name})
    yield from _ui(document.get("ui"), properties, languages)


def _property(name, prop):
    if not isinstance(name, str) or not FIELD.match(name) or name in RESERVED_FIELDS:
        yield Note("form_field_name", {"field": name})
        return
    kind = prop.get("type") if isinstance(prop, Mapping) else None
    if kind not in SUPPORTED:
        yield Note("form_field_type", {"field": name, "type": str(kind), "types": sorted(SUPPORTED)})
        return
    for keyword in sorted(set(prop) - SUPPORTED[kind]):
        yield Note("form_keyword_unsupported", {"field": name, "keyword": keyword, "supported": sorted(SUPPORTED[kind])})
    if "maxLength" in prop and not (_whole(prop["maxLength"]) and 0 < prop["maxLength"] <= MAX_TEXT):
        yield Note("form_bad_max_length", {"field": name, "most": MAX_TEXT})
    if "enum" in prop:
        values = prop["enum"]
        if not (isinstance(values, list) and values and all(isinstance(v, str) and v for v in values)
                and len(set(values)) == len(values)):
            yield Note("form_bad_enum", {"field": name})
    if "format" in prop and prop["format"] != "date":
        yield Note("form_bad_format", {"field": name})
    low, high = prop.get("minimum"), prop.get("maximum")
    if (low is not None and not _whole(low)) or (high is not None and not _whole(high)) or (
        _whole(low) and _whole(high) and low > high
    ):
        yield Note("form_bad_range", {"field": name})


def _ui(ui, properties, languages):
    if ui is None:
        ui = {}
    if not isinstance(ui, Mapping):
        yield Note("form_ui_not_object")
        return
    order = ui.get("order")
    if order is not None and (not isinstance(order, list) or sorted(map(str, order)) != sorted(properties)
                              or len(set(order)) != len(order)):
        yield Note("form_order_mismatch", {"fields": list(properties)})
    described = ui.get("fields") or {}
    if not isinstance(described, Mapping):
        yield Note("form_ui_not_object")
        return
    for name in described:
        if name not in properties:
            yield Note("form_ui_unknown_field", {"field": name})
    for name, prop in properties.items():
        if not isinstance(prop, Mapping) or prop.get("type") not in SUPPORTED:
            continue  # already told
        field = described.get(name)
        if not isinstance(field, Mapping):
            yield Note("form_field_undescribed", {"field": name})
            continue
        yield from _texts(field.get("label"), Note("form_where_label", {"field": name}), languages, required=True)
        if "hint" in field:
            yield from _texts(field["hint"], Note("form_where_hint", {"field": name}), languages, required=True)
        kind = field_kind(prop)
        widget = field.get("widget", WIDGETS[kind][0])
        if widget not in WIDGETS[kind]:
            yield Note("form_widget", {"field": name, "widget": str(widget), "widgets": list(WIDGETS[kind])})
        yield from _choices(name, kind, prop, field.get("choices"), languages)


def _choices(name, kind, prop, choices, languages):
    """A choice field names every value in every language; a yes/no field may name its two answers."""
    if kind == "choice":
        values = prop["enum"] if isinstance(prop.get("enum"), list) else []
    elif kind == "boolean":
        if choices is None:
            return  # the portal's own "Yes" and "No"
        values = ["true", "false"]
    else:
        if choices is not None:
            yield Note("form_choices_not_here", {"field": name})
        return
    if not isinstance(choices, Mapping):
        choices = {}
    for value in choices:
        if value not in values:
            yield Note("form_choice_unknown", {"field": name, "choice": value})
    for value in values:
        where = Note("form_where_choice", {"field": name, "choice": value})
        yield from _texts(choices.get(value), where, languages, required=True)


def _texts(texts, where: Note, languages, *, required: bool):
    """A text an analyst wrote must be there in every language."""
    if texts is None and not required:
        return
    if not isinstance(texts, Mapping):
        texts = {}
    missing = [code for code in languages if not isinstance(texts.get(code), str) or not texts[code].strip()]
    if missing:
        yield Note("form_text_missing", {"where": where, "languages": missing})


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
