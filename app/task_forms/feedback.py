"""The citizen's rating of a resolution."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from .choices import options
from .registry import FormContext, PortalForm, TaskForm, register, text


POOR_RATINGS = ("1", "2")


class CitizenRatingForm(PortalForm):
    rating = RadioField(
        _l("How well was it resolved? (1 = very poorly, 5 = very well)"),
        choices=options(*((str(n), str(n)) for n in range(1, 6))),
        validators=[InputRequired(_l("Choose a rating from 1 to 5."))],
    )
    satisfied = RadioField(
        _l("Are you satisfied?"),
        choices=options(("yes", _l("Yes, close my complaint")), ("no", _l("No, reopen it"))),
        validators=[InputRequired(_l("Say whether you are satisfied."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])

    def validate_satisfied(self, field):
        # A poor rating that closes the complaint as satisfied contradicts itself, and would be
        # counted as a satisfied citizen: ask which of the two the citizen meant.
        if field.data == "yes" and self.rating.data in POOR_RATINGS:
            raise ValidationError(_l("You rated the resolution poorly: choose 'No, reopen it' to reopen it, "
                                     "or change the rating."))

    def validate_comment(self, field):
        if self.satisfied.data == "no" and not text(field):
            raise ValidationError(_l("Tell us what is still wrong, so the DC can act on it."))


def _rating_data(form) -> dict:
    return {
        "rating": int(form.rating.data),
        "satisfied": form.satisfied.data == "yes",
        "comment": text(form.comment) or None,
    }


def _apply_rating(data, ctx: FormContext):
    complaint = ctx.complaint
    complaint.rating, complaint.satisfied = data["rating"], data["satisfied"]
    details = {"rating": data["rating"]}
    if data["satisfied"]:
        return "rated", data["comment"], details
    complaint.reopen_count += 1
    complaint.resolved_at = None
    return "reopened", data["comment"], details


register(
    TaskForm(
        key="citizen_rating",
        decisive=("satisfied",),
        title=_l("Rate the resolution"),
        form_class=CitizenRatingForm,
        writes=("rating", "satisfied", "comment"),
        to_data=_rating_data,
        apply=_apply_rating,
    )
)
