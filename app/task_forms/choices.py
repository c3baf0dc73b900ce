"""Choice lists shared by several task forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from wtforms.fields.choices import SelectChoice

from ..models import District, Role, User
from .registry import FormContext


def officer_choices(ctx: FormContext) -> list[SelectChoice]:
    """Active District Officers of the complaint's district, its department first."""
    officers = ctx.session.scalars(
        select(User)
        .where(User.role == Role.DISTRICT_OFFICER, User.district_id == ctx.complaint.district_id, User.active.is_(True))
        .order_by(User.full_name)
    ).all()
    own = [o for o in officers if o.department_id == ctx.complaint.department_id]
    others = [o for o in officers if o.department_id != ctx.complaint.department_id]
    return [SelectChoice(o.id, f"{o.full_name} ({o.department.name})" if o.department else
                         _l("%(name)s (no department)", name=o.full_name)) for o in own + others]


def other_district_choices(ctx: FormContext) -> list[SelectChoice]:
    districts = ctx.session.scalars(select(District).where(District.id != ctx.complaint.district_id).order_by(District.name))
    return [SelectChoice(d.id, d.name) for d in districts]


def with_blank(choices, label=_l("Choose…")):
    return [SelectChoice("", label), *choices]


def options(*pairs: tuple[str, str]) -> list[SelectChoice]:
    """Fixed choices of a radio or select field: (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
