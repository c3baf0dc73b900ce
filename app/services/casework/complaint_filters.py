"""What the complaint list's filter form offers each reader: the places and officers of their scope.

The options only decide what the form shows; `complaints_query` still applies
the reader's scope to every filter, so a value typed into the URL for another
area narrows to nothing rather than widening the list.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Category, ComplaintStatus, Department, District, Division, Role, User
from .complaints import ComplaintFilters

# A select of more officers than this cannot be scrolled or searched on a phone; the
# province has far more, so a province-wide reader picks a district first.
OFFICER_SELECT_LIMIT = 300
PROVINCE_READERS = (Role.CHIEF_SECRETARY, Role.ANALYST, Role.ADMIN)


@dataclass
class Option:
    value: int | str
    label: str  # English; the page shows label_ur / label_ps to readers of Urdu / Pashto when set
    label_ur: str | None = None
    label_ps: str | None = None

    @classmethod
    def of_place(cls, row) -> Option:
        return cls(row.id, row.name, row.name_ur, row.name_ps)


@dataclass
class FilterOptions:
    departments: list[Option]
    districts: list[Option]
    categories: list[Option] = field(default_factory=list)
    divisions: list[Option] = field(default_factory=list)  # empty: the reader is held to one division or district
    officers: list[Option] = field(default_factory=list)
    show_officers: bool = False
    officer_hint: str | None = None  # why the officer select lists no one yet
    # Every reader of the list is staff: statuses in the office's words, not the citizen's.
    statuses: list[Option] = field(default_factory=lambda: [Option(s.value, s.staff_label) for s in ComplaintStatus])


def filter_options(session: Session, user: User, filters: ComplaintFilters) -> FilterOptions:
    districts = _districts_of(session, user)
    departments = session.scalars(select(Department).order_by(Department.name))
    options = FilterOptions([Option.of_place(d) for d in departments], [Option.of_place(d) for d in districts])
    options.categories = _categories(session, filters.department_id)
    if user.role in PROVINCE_READERS:
        options.divisions = [Option.of_place(d) for d in session.scalars(select(Division).order_by(Division.name))]
    # A District Officer's list is their own office's work: picking a colleague makes no sense there.
    if user.role is not Role.DISTRICT_OFFICER:
        options.show_officers = True
        _add_officers(session, user, filters, districts, options)
    return options


def _categories(session: Session, department_id: int | None) -> list[Option]:
    """The chosen department's categories; without one, every category named with its department."""
    query = select(Category, Department).join(Department).order_by(Department.name, Category.name)
    if department_id:
        return [Option.of_place(category) for category, _ in session.execute(query.where(Category.department_id == department_id))]

    def both(category_name, department_name):
        return f"{category_name} ({department_name})" if category_name and department_name else None

    return [Option(c.id, both(c.name, d.name), both(c.name_ur, d.name_ur), both(c.name_ps, d.name_ps))
            for c, d in session.execute(query)]


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
    districts_by_id = {d.id: d for d in districts}
    in_view = [d.id for d in districts
               if (not filters.district_id or d.id == filters.district_id)
               and (not filters.division_id or d.division_id == filters.division_id)]
    officers = (User.role == Role.DISTRICT_OFFICER, User.district_id.in_(in_view))
    many = session.scalar(select(func.count()).select_from(User).where(*officers)) > OFFICER_SELECT_LIMIT
    if many and not filters.district_id and len(districts) > 1:
        options.officer_hint = _l("Choose a district and press Filter to list its officers.")
        rows = []
    else:
        rows = session.scalars(select(User).where(*officers)).all()
    # An officer chosen elsewhere (a dashboard link) stays visible even when outside the narrowed list.
    if filters.officer_id and filters.officer_id not in {u.id for u in rows}:
        chosen = session.get(User, filters.officer_id)
        if chosen is not None and chosen.role is Role.DISTRICT_OFFICER and chosen.district_id in districts_by_id:
            rows = [*rows, chosen]
    with_district = len(districts_by_id) > 1
    labelled = [_officer_option(u, districts_by_id, with_district) for u in rows]
    options.officers = sorted(labelled, key=lambda o: o.label.casefold())


def _officer_option(officer: User, districts: dict[int, District], with_district: bool) -> Option:
    def label(district_name: str | None) -> str | None:
        text = officer.full_name
        if with_district:
            if not district_name:
                return None  # no local name: the page falls back to the English label
            text = f"{text}, {district_name}"
        return text if officer.is_active else _l("%(name)s (inactive)", name=text)

    district = districts[officer.district_id]
    return Option(officer.id, label(district.name), label(district.name_ur), label(district.name_ps))
