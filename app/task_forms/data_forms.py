"""Task forms defined as data: an analyst's form document, deployed with a diagram version.

The document (checked at deploy by workflows/forms.py) becomes the same kind of `TaskForm`
as a registered one: a WTForms class the task page renders with the same macros and the API
describes with the same serializer, validated the same way. Its answers are written into
the task data under the fields' names (so gateway conditions read them: `visited == True`),
and the timeline line keeps the labels in every language, so each reader sees their own.

Such a form changes nothing but the process data: steps with side effects (assign, transfer)
keep their registered Python forms.
"""
from __future__ import annotations

from datetime import date

from flask_babel import LazyString, get_locale, lazy_gettext as _l
from wtforms import DateField as WTFormsDateField, IntegerField as WTFormsIntegerField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError

from .registry import PortalForm, TaskForm

EVENT_KIND = "form_answered"
DEFAULT_LANGUAGE = "en"
YES, NO = _l("Yes"), _l("No")


def field_kind(prop: dict) -> str:
    """What a schema property is: choice, string, date, integer or boolean (as workflows/forms.py checks it;
    app/ reads the document itself, since only the engine door and deployments import workflows/)."""
    if prop.get("type") == "string":
        if "enum" in prop:
            return "choice"
        return "date" if prop.get("format") == "date" else "string"
    return prop.get("type")


def field_order(document: dict) -> list[str]:
    """The fields in the order the page shows them: ui.order, or else the schema's."""
    return list((document.get("ui") or {}).get("order") or document["schema"]["properties"])


def localized(texts: dict | None) -> LazyString | str:
    """An analyst's text ({"en": ..., "ur": ..., "ps": ...}) in the language of the moment it is shown."""
    if not texts:
        return ""
    return LazyString(_pick, texts)


def _pick(texts: dict) -> str:
    locale = get_locale()
    language = locale.language if locale else DEFAULT_LANGUAGE
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()), "")


class _ChoiceOf:
    """A chosen value must be one of the field's; an empty one is refused only when the field is required."""

    def __init__(self, values, required: bool):
        self.values, self.required = [str(v) for v in values], required

    def __call__(self, form, field):
        if field.data in (None, ""):
            if self.required:
                raise StopValidation(_l("Choose an answer."))
            raise StopValidation()  # not answered, and need not be
        if str(field.data) not in self.values:
            raise ValidationError(_l("Not a valid choice."))


# Named as WTForms' own fields: a field's `type` is its class name, which the API describes ("date", "integer").
class DateField(WTFormsDateField):
    """A date as the browser's date input sends it (YYYY-MM-DD), with the portal's own message."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = date.fromisoformat(raw)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a date as year-month-day, for example 2026-12-31.")) from None


class IntegerField(WTFormsIntegerField):
    """A whole number, with the portal's own message."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = int(raw)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a whole number.")) from None


def _range(prop: dict):
    low, high = prop.get("minimum"), prop.get("maximum")
    if low is not None and high is not None:
        return NumberRange(low, high, _l("Enter a whole number from %(min)s to %(max)s."))
    if low is not None:
        return NumberRange(min=low, message=_l("Enter a whole number of at least %(min)s."))
    return NumberRange(max=high, message=_l("Enter a whole number of at most %(max)s."))


def _field(name: str, prop: dict, ui: dict, required: bool):
    """The WTForms field of one schema property, labelled in the reader's language."""
    label, hint = localized(ui.get("label")), localized(ui.get("hint"))
    kind = field_kind(prop)
    filled = [InputRequired(_l("Fill in this field."))] if required else [Optional()]
    if kind in ("choice", "boolean"):
        choices = _choices(kind, prop, ui)
        values = [c.value for c in choices]
        checks = ([InputRequired(_l("Choose an answer."))] if required else []) + [_ChoiceOf(values, required)]
        if ui.get("widget") == "select":
            return SelectField(label, choices=[SelectChoice("", _l("Choose…")), *choices], description=hint,
                               validate_choice=False, validators=checks)
        return RadioField(label, choices=choices, description=hint, validate_choice=False, validators=checks)
    if kind == "date":
        return DateField(label, description=hint, validators=filled)
    if kind == "integer":
        checks = [_range(prop)] if "minimum" in prop or "maximum" in prop else []
        return IntegerField(label, description=hint, validators=filled + checks)
    checks = [Length(max=prop["maxLength"], message=_l("Write at most %(max)d characters."))] if "maxLength" in prop else []
    field_class = TextAreaField if ui.get("widget") == "textarea" else StringField
    return field_class(label, description=hint, validators=filled + checks)


def _choices(kind: str, prop: dict, ui: dict) -> list[SelectChoice]:
    named = ui.get("choices") or {}
    if kind == "boolean":
        return [SelectChoice("yes", localized(named.get("true")) or YES),
                SelectChoice("no", localized(named.get("false")) or NO)]
    return [SelectChoice(value, localized(named.get(value))) for value in prop["enum"]]


def form_class_for(key: str, document: dict) -> type[PortalForm]:
    schema, described = document["schema"], (document.get("ui") or {}).get("fields") or {}
    required = set(schema.get("required", []))
    fields = {
        name: _field(name, schema["properties"][name], described.get(name) or {}, name in required)
        for name in field_order(document)
    }
    return type(f"DataForm_{key}", (PortalForm,), fields)


def task_form_for(key: str, document: dict) -> TaskForm:
    """The TaskForm of a (checked) form document: what the task page, the API and completion use."""
    schema = document["schema"]
    names = field_order(document)
    kinds = {name: field_kind(schema["properties"][name]) for name in names}

    def to_data(form) -> dict:
        data = {}
        for name in names:
            value = form[name].data
            if kinds[name] == "boolean":
                value = {"yes": True, "no": False}.get(value)
            elif kinds[name] == "date":
                value = value.isoformat() if value else None
            elif kinds[name] in ("string", "choice"):
                value = (value or "").strip() or None
            data[name] = value
        return data

    def apply(data: dict, ctx) -> tuple[str, None, dict]:
        return EVENT_KIND, None, answers_details(key, document, data)

    return TaskForm(
        key=key,
        title=localized(document.get("title")),
        form_class=form_class_for(key, document),
        writes=tuple(names),
        to_data=to_data,
        apply=apply,
        # Deploy explores every combination of the choices and yes/no answers (gateways read them).
        decisive=tuple(name for name in names if kinds[name] in ("choice", "boolean")),
        extra={"data_form": True},
    )


def answers_details(key: str, document: dict, data: dict) -> dict:
    """The timeline's facts: the form's title and each answer with its label (and chosen label) in every
    language, copied from the document, so the line reads the same after the version is replaced."""
    schema, described = document["schema"], (document.get("ui") or {}).get("fields") or {}
    answers = []
    for name in field_order(document):
        value = data.get(name)
        if value is None:
            continue
        kind, ui = field_kind(schema["properties"][name]), described.get(name) or {}
        answer = {"field": name, "kind": kind, "label": ui.get("label") or {}, "value": value}
        choices = ui.get("choices") or {}
        if kind == "choice":
            answer["choice"] = choices.get(value) or {}
        elif kind == "boolean" and choices:
            answer["choice"] = choices.get("true" if value else "false") or {}
        answers.append(answer)
    return {"form": key, "title": document.get("title") or {}, "answers": answers}
