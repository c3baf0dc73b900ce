"""Forms of the reviewers: Commissioner and Chief Secretary, and the DC's follow-ups."""
from __future__ import annotations

from wtforms import Form, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..models import User
from .casework import _optional_int
from .choices import officer_choices, options, with_blank
from .registry import FormContext, TaskForm, register, text

REVIEW_ACTIONS = [
    ("direct", "Direct the DC with an instruction"),
    ("reassign", "Reassign to another officer"),
    ("systemic", "Mark as systemic (long-term action)"),
]


class EscalationReviewForm(Form):
    action = RadioField("Decision", choices=options(*REVIEW_ACTIONS), validators=[InputRequired("Choose a decision.")])
    officer_id = SelectField("Officer", coerce=_optional_int)
    instruction = TextAreaField(
        "Instruction", validators=[InputRequired("Write the instruction for the record."), Length(max=2000)]
    )

    # Set by prepare: the officer holding the complaint now, if any.
    current_officer_id = None

    def validate_officer_id(self, field):
        if self.action.data == "reassign" and not field.data:
            raise ValidationError("Choose the officer to reassign it to.")
        if self.action.data == "systemic" and not (field.data or self.current_officer_id):
            raise ValidationError("No officer holds it yet: choose who takes the long-term action.")


def _prepare_review(form, ctx: FormContext):
    form.officer_id.choices = with_blank(officer_choices(ctx), "Keep the current officer")
    form.current_officer_id = ctx.complaint.officer_id


def _review_data(form) -> dict:
    return {
        "review_action": form.action.data,
        "review_officer_id": form.officer_id.data if form.action.data != "direct" else None,
        "review_instruction": text(form.instruction),
    }


def _apply_review(data, ctx: FormContext):
    label = dict(REVIEW_ACTIONS)[data["review_action"]]
    note = f"{label}: {data['review_instruction']}"
    if data["review_officer_id"]:
        officer = ctx.session.get(User, data["review_officer_id"])
        note += f" (officer: {officer.full_name})"
    return "reviewed", note


register(
    TaskForm(
        key="escalation_review",
        title="Review an escalated complaint",
        form_class=EscalationReviewForm,
        writes=("review_action", "review_officer_id", "review_instruction"),
        to_data=_review_data,
        prepare=_prepare_review,
        apply=_apply_review,
    )
)


class DcDirectiveForm(Form):
    response = TextAreaField(
        "What you did on the directive", validators=[InputRequired("Say what you did."), Length(max=2000)]
    )


register(
    TaskForm(
        key="dc_directive",
        title="Act on the reviewer's directive",
        form_class=DcDirectiveForm,
        writes=("directive_response",),
        to_data=lambda form: {"directive_response": text(form.response)},
        apply=lambda data, ctx: ("directive_answered", data["directive_response"]),
    )
)


class SystemicReviewForm(Form):
    note = TextAreaField(
        "Review of the long-term action", validators=[InputRequired("Write your review."), Length(max=2000)]
    )


register(
    TaskForm(
        key="systemic_review",
        title="Review a systemic complaint",
        form_class=SystemicReviewForm,
        writes=("systemic_review_note",),
        to_data=lambda form: {"systemic_review_note": text(form.note)},
        apply=lambda data, ctx: ("systemic_reviewed", data["systemic_review_note"]),
    )
)
