"""Forms of the people who work a complaint: the DC and the District Officer."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..models import District, User
from .choices import officer_choices, options, other_district_choices, with_blank
from .registry import FormContext, PortalForm, TaskForm, register, text


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class DcTriageForm(PortalForm):
    decision = RadioField(
        _l("Decision"),
        choices=options(("assign", _l("Assign to a District Officer")), ("transfer", _l("Transfer to another district"))),
        validators=[InputRequired(_l("Choose assign or transfer."))],
    )
    officer_id = SelectField(_l("Officer"), coerce=_optional_int)
    instruction = TextAreaField(_l("Instruction to the officer"), validators=[Length(max=2000)])
    target_district_id = SelectField(_l("Transfer to district"), coerce=_optional_int)
    reason = TextAreaField(_l("Reason for the transfer"), validators=[Length(max=2000)])

    def validate_officer_id(self, field):
        if self.decision.data == "assign" and not field.data:
            raise ValidationError(_l("Choose the officer who will handle it."))

    def validate_target_district_id(self, field):
        if self.decision.data == "transfer" and not field.data:
            raise ValidationError(_l("Choose the district it belongs to."))

    def validate_reason(self, field):
        if self.decision.data == "transfer" and not text(field):
            raise ValidationError(_l("Say why it belongs to another district."))


def _prepare_triage(form, ctx: FormContext):
    form.officer_id.choices = with_blank(officer_choices(ctx))
    form.target_district_id.choices = with_blank(other_district_choices(ctx))


def _triage_data(form) -> dict:
    assign = form.decision.data == "assign"
    return {
        "dc_decision": form.decision.data,
        "officer_id": form.officer_id.data if assign else None,
        "instruction": text(form.instruction) if assign else None,
        "target_district_id": None if assign else form.target_district_id.data,
        "transfer_reason": None if assign else text(form.reason),
    }


def _apply_triage(data, ctx: FormContext):
    complaint = ctx.complaint
    if data["dc_decision"] == "transfer":
        source = complaint.district.name
        target = ctx.session.get(District, data["target_district_id"])
        complaint.district_id, complaint.division_id = target.id, target.division_id
        complaint.district = target
        complaint.officer_id = None
        return "transferred", data["transfer_reason"], {"source": source, "target": target.name}
    officer = ctx.session.get(User, data["officer_id"])
    complaint.officer_id = officer.id
    # Held by the complaint, the officer stays in the session: the new task's message and the answer name
    # its assignee without reading the user again.
    complaint.officer = officer
    return "assigned", data["instruction"] or None, {"officer": officer.full_name}


register(
    TaskForm(
        key="dc_triage",
        decisive=("decision",),
        title=_l("Assign to an officer or transfer"),
        form_class=DcTriageForm,
        writes=("dc_decision", "officer_id", "instruction", "target_district_id", "transfer_reason"),
        to_data=_triage_data,
        prepare=_prepare_triage,
        apply=_apply_triage,
    )
)


class OfficerActionForm(PortalForm):
    outcome = RadioField(
        _l("Outcome"),
        choices=options(
            ("resolved", _l("Resolved")),
            ("systemic", _l("Needs long-term action (systemic)")),
            ("returned", _l("Back to the DC: wrong department")),
        ),
        validators=[InputRequired(_l("Choose an outcome."))],
    )
    action_taken = TextAreaField(
        _l("Action taken"), validators=[InputRequired(_l("Describe the action taken.")), Length(max=4000)]
    )
    reason = TextAreaField(_l("Reason (when sending back)"), validators=[Length(max=2000)])

    def validate_reason(self, field):
        if self.outcome.data == "returned" and not text(field):
            raise ValidationError(_l("Say why it goes back to the DC."))


def _officer_data(form) -> dict:
    return {
        "outcome": form.outcome.data,
        "action_taken": text(form.action_taken),
        "reason": text(form.reason) or None,
    }


def _apply_officer_action(data, ctx: FormContext):
    complaint = ctx.complaint
    if data["outcome"] == "resolved":
        return "resolved", data["action_taken"], {}
    if data["outcome"] == "systemic":
        return "action_recorded", data["action_taken"], {}
    complaint.officer_id = None
    return "returned_to_dc", data["action_taken"], {"reason": data["reason"]}


register(
    TaskForm(
        key="officer_action",
        decisive=("outcome",),
        title=_l("Record the action taken"),
        form_class=OfficerActionForm,
        writes=("outcome", "action_taken", "reason"),
        to_data=_officer_data,
        apply=_apply_officer_action,
        accepts_attachments=True,
    )
)
