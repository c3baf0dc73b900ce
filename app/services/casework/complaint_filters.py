"""What the complaint list's filter form offers each reader: the places and officers of their scope.

The options only decide what the form shows; `complaints_query` still applies
the reader's scope to every filter, so a value typed into the URL for another
area narrows to nothing rather than widening the list.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Category, Department, District, Division, Role, User
from .complaints import ComplaintFilters

# A select of more officers than this cannot be scrolled or searched on a phone; the
# province has far more, so a province-wide reader picks a district first.
OFFICER_SELECT_LIMIT = 300
PROVINCE_READERS = (Role.CHIEF_SECRETARY, Role.ANALYST, Role.ADMIN)


@dataclass
class Option:
    value: int
    label: str


@dataclass
class FilterOptions:
    departments: list[Option]
    districts: list[Option]
    categories: list[Option] = field(default_factory=list)
    divisions: list[Option] = field(default_factory=list)  # empty: the reader is held to one division or district
    officers: list[Option] = field(default_factory=list)
    show_officers: bool = False
    officer_hint: str | None = None  # why the officer select lists no one yet


def filter_options(session: Session, user: User, filters: ComplaintFilters) -> FilterOptions:
    districts = _districts_of(session, user)
    departments = session.execute(select(Department.id, Department.name).order_by(Department.name))
    options = FilterOptions([Option(*row) for row in departments], [Option(d.id, d.name) for d in districts])
    options.categories = _categories(session, filters.department_id)
    if user.role in PROVINCE_READERS:
        options.divisions = [Option(d.id, d.name) for d in session.scalars(select(Division).order_by(Division.name))]
    # A District Officer's list is their own office's work: picking a colleague makes no sense there.
    if user.role is not Role.DISTRICT_OFFICER:
        options.show_officers = True
        _add_officers(session, user, filters, districts, options)
    return options


def _categories(session: Session, department_id: int | None) -> list[Option]:
    """The chosen department's categories; without one, every category named with its department."""
    query = select(Category.id, Category.name, Department.name).join(Department).order_by(Department.name, Category.name)
    if department_id:
        return [Option(id_, name) for id_, name, _ in session.execute(query.where(Category.department_id == department_id))]
    return [Option(id_, f"{name} ({department})") for id_, name, department in session.execute(query)]


def _districts_of(session: Session, user: User) -> list[District]:
    query = select(District).order_by(District.name)
    if user.role in (Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER):
        query = query.where(District.id == user.district_id)
    elif user.role is Role.COMMISSIONER:
        query = query.where(District.division_id == user.division_id)
    elif user.role not in PROVINCE_READERS:
        return []
    return list(session.scalars(query))


def _add_officers(session, user, filters, districts, options) -> None:
    """The District Officers of the reader's districts, narrowed to the chosen district or division."""
    names = {d.id: d.name for d in districts}
    in_view = [d.id for d in districts
               if (not filters.district_id or d.id == filters.district_id)
               and (not filters.division_id or d.division_id == filters.division_id)]
    officers = (User.role == Role.DISTRICT_OFFICER, User.district_id.in_(in_view))
    many = session.scalar(select(func.count()).select_from(User).where(*officers)) > OFFICER_SELECT_LIMIT
    if many and not filters.district_id and len(districts) > 1:
        options.officer_hint = "Choose a district and press Filter to list its officers."
        rows = []
    else:
        rows = session.scalars(select(User).where(*officers)).all()
    # An officer chosen elsewhere (a dashboard link) stays visible even when outside the narrowed list.
    if filters.officer_id and filters.officer_id not in {u.id for u in rows}:
        chosen = session.get(User, filters.officer_id)
        if chosen is not None and chosen.role is Role.DISTRICT_OFFICER and chosen.district_id in names:
            rows = [*rows, chosen]
    with_district = len(names) > 1
    labelled = [Option(u.id, _officer_label(u, names, with_district)) for u in rows]
    options.officers = sorted(labelled, key=lambda o: o.label.casefold())


def _officer_label(officer: User, district_names: dict[int, str], with_district: bool) -> str:
    label = officer.full_name
    if with_district:
        label = f"{label}, {district_names[officer.district_id]}"
    return label if officer.is_active else f"{label} (inactive)"
