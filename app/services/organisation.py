"""The province's structure: seeding it and looking it up."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import organisation_data as data
from ..models import Category, Department, District, Division, Office


def seed_organisation(session: Session) -> dict[str, int]:
    """Insert what is missing of the seeded structure; safe to run again."""
    counts = {"divisions": 0, "districts": 0, "departments": 0, "categories": 0, "offices": 0}
    divisions = {d.code: d for d in session.scalars(select(Division))}
    districts = {d.code: d for d in session.scalars(select(District))}
    for div in data.DIVISIONS:
        division = divisions.get(div["code"])
        if division is None:
            division = divisions[div["code"]] = Division(code=div["code"], name=div["name"])
            session.add(division)
            counts["divisions"] += 1
        for dist in div["districts"]:
            if dist["code"] not in districts:
                districts[dist["code"]] = District(code=dist["code"], name=dist["name"], division=division)
                session.add(districts[dist["code"]])
                counts["districts"] += 1
    departments = {d.code: d for d in session.scalars(select(Department))}
    categories = set(session.scalars(select(Category.code)))
    for dep in data.DEPARTMENTS:
        department = departments.get(dep["code"])
        if department is None:
            department = departments[dep["code"]] = Department(code=dep["code"], name=dep["name"])
            session.add(department)
            counts["departments"] += 1
        for cat in dep["categories"]:
            if cat["code"] not in categories:
                session.add(Category(code=cat["code"], name=cat["name"], department=department))
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


def divisions(session: Session) -> list[Division]:
    return list(session.scalars(select(Division).order_by(Division.name)))


def districts(session: Session) -> list[District]:
    return list(session.scalars(select(District).order_by(District.name)))


def departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def categories_by_department(session: Session) -> list[tuple[Department, list[Category]]]:
    return [(d, list(d.categories)) for d in departments(session)]
