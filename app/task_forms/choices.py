"""Choice lists shared by several task forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wtforms.fields.choices import SelectChoice

from ..models import District, Role, User
from ..place_names import LazyName, lazy_local_name
from .registry import FormContext


def officer_choices(ctx: FormContext) -> list[SelectChoice]:
    """Active District Officers of the complaint's district, its department first."""
    officers = ctx.session.scalars(
        select(User)
        .where(User.role == Role.DISTRICT_OFFICER, User.district_id == ctx.complaint.district_id, User.active.is_(True))
        .options(joinedload(User.department))  # each label names it: one query, not one per department
        .order_by(User.full_name)
    ).all()
    ctx.read.extend(officers)
    own = [o for o in officers if o.department_id == ctx.complaint.department_id]
    others = [o for o in officers if o.department_id != ctx.complaint.department_id]
    return [SelectChoice(o.id, _officer_label(o)) for o in own + others]


def _officer_label(officer: User):
    if officer.department is None:
        return _l("%(name)s (no department)", name=officer.full_name)
    name, department = officer.full_name, lazy_local_name(officer.department)
    return LazyName(lambda: f"{name} ({department})")


def other_district_choices(ctx: FormContext) -> list[SelectChoice]:
    """Every other district, in English order, each labelled in the reader's language when shown."""
    districts = ctx.session.scalars(select(District).where(District.id != ctx.complaint.district_id).order_by(District.name))
    return [SelectChoice(d.id, lazy_local_name(d)) for d in districts]


def with_blank(choices, label=_l("Choose…")):
    return [SelectChoice("", label), *choices]


def options(*pairs: tuple[str, str]) -> list[SelectChoice]:
    """Fixed choices of a radio or select field: (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
