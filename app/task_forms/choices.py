"""Choice lists shared by several task forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from wtforms.fields.choices import SelectChoice

from ..models import District, Role, User
from ..place_names import LazyName, lazy_local_name
from .registry import FormContext


def officer_choices(ctx: FormContext) -> list[SelectChoice]:
    """Active District Officers of the complaint's district, its department first."""
    officers = ctx.session.scalars(_OFFICERS_OF_DISTRICT, {"district_id": ctx.complaint.district_id}).all()
    ctx.read.extend(officers)
    own = [o for o in officers if o.department_id == ctx.complaint.department_id]
    others = [o for o in officers if o.department_id != ctx.complaint.department_id]
    return [SelectChoice(o.id, _officer_label(o)) for o in own + others]


# Made once, the district bound at execution (every DC's assignment asks it).
_OFFICERS_OF_DISTRICT = (
    select(User)
    .where(User.role == Role.DISTRICT_OFFICER, User.district_id == bindparam("district_id"), User.active.is_(True))
    .options(joinedload(User.department))  # each label names it: one query, not one per department
    .order_by(User.full_name)
)


def _officer_label(officer: User):
    if officer.department is None:
        return _l("%(name)s (no department)", name=officer.full_name)
    name, department = officer.full_name, lazy_local_name(officer.department)
    return LazyName(lambda: f"{name} ({department})")


def other_district_choices(ctx: FormContext) -> list[SelectChoice]:
    """Every other district, in English order, each labelled in the reader's language when shown."""
    # The names only, not the rows: every DC's assignment builds this list (the province's districts as loaded
    # objects were a twentieth of its CPU).
    districts = ctx.session.execute(_OTHER_DISTRICTS, {"district_id": ctx.complaint.district_id})
    return [SelectChoice(d.id, lazy_local_name(d)) for d in districts]


_OTHER_DISTRICTS = (select(District.id, District.name, District.name_ur, District.name_ps)
                    .where(District.id != bindparam("district_id")).order_by(District.name))


def with_blank(choices, label=_l("Choose…")):
    return [SelectChoice("", label), *choices]


def options(*pairs: tuple[str, str]) -> list[SelectChoice]:
    """Fixed choices of a radio or select field: (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
