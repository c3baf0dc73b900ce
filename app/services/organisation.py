"""The province's structure: seeding it, looking it up, and its Urdu and Pashto names."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import organisation_data as data
from ..models import Category, Department, District, Division, Office, Role, User
from ..models.organisation import LOCAL_NAME_LENGTH
from .errors import Invalid, NotAllowed, NotFound


def seed_organisation(session: Session) -> dict[str, int]:
    """Insert what is missing of the seeded structure; safe to run again."""
    counts = {"divisions": 0, "districts": 0, "departments": 0, "categories": 0, "offices": 0}
    divisions = {d.code: d for d in session.scalars(select(Division))}
    districts = {d.code: d for d in session.scalars(select(District))}
    for div in data.DIVISIONS:
        division = divisions.get(div["code"])
        if division is None:
            division = divisions[div["code"]] = Division(**_names(div))
            session.add(division)
            counts["divisions"] += 1
        for dist in div["districts"]:
            if dist["code"] not in districts:
                districts[dist["code"]] = District(**_names(dist), division=division)
                session.add(districts[dist["code"]])
                counts["districts"] += 1
    departments = {d.code: d for d in session.scalars(select(Department))}
    categories = set(session.scalars(select(Category.code)))
    for dep in data.DEPARTMENTS:
        department = departments.get(dep["code"])
        if department is None:
            department = departments[dep["code"]] = Department(**_names(dep))
            session.add(department)
            counts["departments"] += 1
        for cat in dep["categories"]:
            if cat["code"] not in categories:
                session.add(Category(**_names(cat), department=department))
                counts["categories"] += 1
    session.flush()
    offices = {tuple(row) for row in session.execute(select(Office.district_id, Office.department_id))}
    for district in districts.values():
        for department in departments.values():
            if (district.id, department.id) not in offices:
                session.add(
                    Office(
                        district_id=district.id,
                        department_id=department.id,
                        name=f"{department.name}, {district.name}",
                    )
                )
                counts["offices"] += 1
    session.flush()
    return counts


def _names(entry: dict) -> dict:
    return {key: entry[key] for key in ("code", "name", "name_ur", "name_ps")}


def divisions(session: Session) -> list[Division]:
    return list(session.scalars(select(Division).order_by(Division.name)))


def districts(session: Session) -> list[District]:
    return list(session.scalars(select(District).order_by(District.name)))


def departments(session: Session) -> list[Department]:
    """The departments offered for new complaints and new officers (deactivated ones are not)."""
    return list(session.scalars(select(Department).where(Department.active).order_by(Department.name)))


def categories_by_department(session: Session) -> list[tuple[Department, list[Category]]]:
    """The categories a citizen may choose, by department: active ones of active departments."""
    listed = [(d, [c for c in d.categories if c.active]) for d in departments(session)]
    return [(department, categories) for department, categories in listed if categories]


# Urdu and Pashto names, edited by an administrator -------------------------------

PLACE_KINDS = {"division": Division, "district": District, "department": Department, "category": Category}


def seeded_names() -> dict[str, dict[str, tuple[str, str]]]:
    """{kind: {code: (Urdu name, Pashto name)}} as seeded (app/organisation_data.py)."""
    listed = {
        "division": data.DIVISIONS,
        "district": [district for division in data.DIVISIONS for district in division["districts"]],
        "department": data.DEPARTMENTS,
        "category": [category for department in data.DEPARTMENTS for category in department["categories"]],
    }
    return {kind: {e["code"]: (e["name_ur"], e["name_ps"]) for e in entries} for kind, entries in listed.items()}


def places_for_naming(session: Session) -> dict[str, list]:
    """Every division, district, department and category by kind, each kind in English order
    (categories grouped by their department)."""
    listed = {kind: list(session.scalars(select(model).order_by(model.name)))
              for kind, model in PLACE_KINDS.items() if model is not Category}
    listed["category"] = list(
        session.scalars(select(Category).join(Department).order_by(Department.name, Category.name))
    )
    return listed


def name_place(session: Session, admin: User, kind: str, place_id: int, name_ur: str | None, name_ps: str | None):
    """Set the Urdu and Pashto names of one row; an empty name shows the English one."""
    if admin.role is not Role.ADMIN:
        raise NotAllowed(_l("Only an administrator can change the names of places."))
    model = PLACE_KINDS.get(kind)
    place = session.get(model, place_id) if model is not None else None
    if place is None:
        raise NotFound(f"{kind} {place_id}")
    names = {"name_ur": _clean(name_ur), "name_ps": _clean(name_ps)}
    errors = {field: [_l("At most %(count)s characters.", count=LOCAL_NAME_LENGTH)]
              for field, value in names.items() if value is not None and len(value) > LOCAL_NAME_LENGTH}
    if errors:
        raise Invalid(errors)
    place.name_ur, place.name_ps = names["name_ur"], names["name_ps"]
    session.flush()
    return place


def _clean(value: str | None) -> str | None:
    # Spaces typed around a name, or a field left empty, are not a name.
    return " ".join((value or "").split()) or None
