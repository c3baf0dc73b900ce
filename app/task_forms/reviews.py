"""Forms of the reviewers: Commissioner and Chief Secretary, and the DC's follow-ups."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..models import User
from .casework import _optional_int
from .choices import officer_choices, options, with_blank
from .registry import FormContext, PortalForm, TaskForm, register, text

REVIEW_ACTIONS = [
    ("direct", _l("Direct the DC with an instruction")),
    ("reassign", _l("Reassign to another officer")),
    ("systemic", _l("Mark as systemic (long-term action)")),
]


class EscalationReviewForm(PortalForm):
    action = RadioField(_l("Decision"), choices=options(*REVIEW_ACTIONS),
                        validators=[InputRequired(_l("Choose a decision."))])
    officer_id = SelectField(_l("Officer"), coerce=_optional_int)
    instruction = TextAreaField(
        _l("Instruction"), validators=[InputRequired(_l("Write the instruction for the record.")), Length(max=2000)]
    )

    # Set by prepare: the officer holding the complaint now, if any.
    current_officer_id = None

    def validate_officer_id(self, field):
        if self.action.data == "reassign" and not field.data:
            raise ValidationError(_l("Choose the officer to reassign it to."))
        if self.action.data == "systemic" and not (field.data or self.current_officer_id):
            raise ValidationError(_l("No officer holds it yet: choose who takes the long-term action."))


def _prepare_review(form, ctx: FormContext):
    form.officer_id.choices = with_blank(officer_choices(ctx), _l("Keep the current officer"))
    form.current_officer_id = ctx.complaint.officer_id


def _review_data(form) -> dict:
    return {
        "review_action": form.action.data,
        "review_officer_id": form.officer_id.data if form.action.data != "direct" else None,
        "review_instruction": text(form.instruction),
    }


def _apply_review(data, ctx: FormContext):
    details = {"action": data["review_action"]}
    if data["review_officer_id"]:
        details["officer"] = ctx.session.get(User, data["review_officer_id"]).full_name
    return "reviewed", data["review_instruction"], details


register(
    TaskForm(
        key="escalation_review",
        decisive=("action", "officer_id"),
        title=_l("Review an escalated complaint"),
        form_class=EscalationReviewForm,
        writes=("review_action", "review_officer_id", "review_instruction"),
        to_data=_review_data,
        prepare=_prepare_review,
        apply=_apply_review,
    )
)


class DcDirectiveForm(PortalForm):
    response = TextAreaField(
        _l("What you did on the directive"), validators=[InputRequired(_l("Say what you did.")), Length(max=2000)]
    )


register(
    TaskForm(
        key="dc_directive",
        title=_l("Act on the reviewer's directive"),
        form_class=DcDirectiveForm,
        writes=("directive_response",),
        to_data=lambda form: {"directive_response": text(form.response)},
        apply=lambda data, ctx: ("directive_answered", data["directive_response"], {}),
    )
)


class SystemicReviewForm(PortalForm):
    note = TextAreaField(
        _l("Review of the long-term action"), validators=[InputRequired(_l("Write your review.")), Length(max=2000)]
    )


register(
    TaskForm(
        key="systemic_review",
        title=_l("Review a systemic complaint"),
        form_class=SystemicReviewForm,
        writes=("systemic_review_note",),
        to_data=lambda form: {"systemic_review_note": text(form.note)},
        apply=lambda data, ctx: ("systemic_reviewed", data["systemic_review_note"], {}),
    )
)
