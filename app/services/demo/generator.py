"""Realistic volume for dashboards and benchmarks: `flask --app app demo generate --complaints N`.

Each complaint follows a planned path (lodged, triaged, resolved, rated...) on
its own virtual timeline over the past year; timers due on the way fire in
time order, and every timer due by now has fired at the end. Engine states
come from the real process engine (the deployed diagram), but the engine runs
each route once: complaints on the same route copy its recorded state with
their own task ids, values and moments (see generator_routes.py and
cloning.py). What the engine left is projected into the rows
`projection.sync_instance` writes (complaint status, human_tasks, timeline
events), collected in memory and bulk-inserted, one transaction per batch.
No notifications are sent for generated complaints.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from ...models import Category, Complaint, District, InstanceStatus, Role, User, utcnow
from .. import closures
from ..casework import deployments, places
from ..casework.complaints import tracking_number
from .routes import PLACEHOLDERS, Node, Routes
from .writes import Batch, write_batch
from ..casework.projection import LANE_SCOPE

# Share of complaints planned on each path (the rest of the mix comes from timers:
# old unassigned or unresolved complaints escalate, reopened ones escalate again,
# systemic ones get a DC review every 30 days, unrated resolutions close after 7 days).
PATHS = (("awaiting_dc", 20), ("with_officer", 30), ("awaiting_rating", 10), ("systemic", 5), ("closed", 30),
         ("unrated", 5))
UNUSABLE_PASSWORD = "!generated"  # no password hash matches it: generated people cannot sign in
LOCATED_SHARE = 0.6  # complaints lodged with a map pin
SPREAD_DEGREES = 0.04  # pins scatter around their district's centre (standard deviation, about 4 km)
DESCRIPTION = "Generated complaint for load testing: the problem has been reported several times already."
DAY = timedelta(days=1)
# Answers, as (key, value) pairs: part of the route's key. The officer is the complaint's own.
TRIAGE = (("dc_decision", "assign"), ("instruction", None), ("officer_id", PLACEHOLDERS["officer_id"]),
          ("target_district_id", None), ("transfer_reason", None))
RESOLVE = (("action_taken", "Action taken on site."), ("outcome", "resolved"), ("reason", None))
SYSTEMIC = (("action_taken", "Action taken on site."), ("outcome", "systemic"), ("reason", None))


def generate(session_factory, count: int, *, batch_size: int = 1000, seed: int | None = None, progress=None,
             share_routes: bool = True, now: datetime | None = None) -> int:
    """Create `count` complaints (and about half as many citizens); one transaction per batch.

    `share_routes=False` runs the engine for every complaint (what the
    generator did before routes were shared): the benchmark's baseline, and
    the tests' reference for what a shared route must give. `now` is the
    moment the complaints' timelines end (default: the clock at each batch).
    """
    rng = random.Random(seed)
    # Pins from a stream of their own, so the routes a seed gives stay those it gave before pins.
    pin_rng = random.Random(None if seed is None else seed + 1)
    with session_factory() as session:
        world = _World.load(session, share_routes)
        session.commit()
    made = 0
    while made < count:
        size = min(batch_size, count - made)
        with session_factory() as session:
            write_batch(session, _plan_batch(session, world, size, rng, pin_rng, now or utcnow()))
            session.commit()
        made += size
        if progress:
            progress(size)
    return made


@dataclass
class _World:
    routes: Routes
    definition_id: int
    districts: list
    categories: list
    officers: dict  # (district_id, department_id) -> (user id, name)
    centres: dict  # district_id -> places.Centre

    @classmethod
    def load(cls, session: Session, share_routes: bool) -> _World:
        definition = deployments.default_definition(session)
        districts = list(session.scalars(select(District)))
        categories = list(session.scalars(select(Category)))
        by_code = {c.code: c for c in places.places().centres}
        centres = {d.id: by_code[d.code] for d in districts if d.code in by_code}
        routes = Routes(deployments.diagram_for(session, definition), share=share_routes,
                        closed=closures.closed_dates(session))
        return cls(routes, definition.id,
                   districts, categories, _ensure_officers(session, districts, {c.department_id for c in categories}),
                   centres)


def _ensure_officers(session, districts, department_ids) -> dict:
    """One generated District Officer per district and department (created once)."""
    existing = {
        (d, dep): (uid, name)
        for uid, name, d, dep in session.execute(
            select(User.id, User.full_name, User.district_id, User.department_id)
            .where(User.role == Role.DISTRICT_OFFICER, User.username.like("gen.officer.%"))
        )
    }
    rows = []
    for district in districts:
        for department_id in sorted(department_ids):
            if (district.id, department_id) not in existing:
                rows.append({
                    "role": Role.DISTRICT_OFFICER, "full_name": f"Officer {district.name} {department_id}",
                    "username": f"gen.officer.{district.id}.{department_id}", "password_hash": UNUSABLE_PASSWORD,
                    "district_id": district.id, "division_id": None, "department_id": department_id,
                    "language": "en", "active": True, "created_at": utcnow(),
                })
    if rows:
        session.execute(insert(User), rows)
        return _ensure_officers(session, districts, department_ids)
    return existing


def _allocate_ids(session: Session, table: str, n: int) -> list[int]:
    """Ids for rows inserted with explicit keys (the workflow needs its complaint id at start)."""
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(
            text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"), {"n": n}
        ))
    first = (session.scalar(text(f"SELECT max(id) FROM {table}")) or 0) + 1  # SQLite: one writer at a time
    return list(range(first, first + n))


def _plan_batch(session: Session, world: _World, size: int, rng: random.Random, pin_rng: random.Random,
                now: datetime) -> Batch:
    batch = Batch()
    citizen_ids = _allocate_ids(session, "users", max(size // 2, 1))
    complaint_ids = _allocate_ids(session, "complaints", size)
    instance_ids = _allocate_ids(session, "process_instances", size)
    citizen_district = {}
    for uid in citizen_ids:
        district = rng.choice(world.districts)
        citizen_district[uid] = district
        batch.users.append({
            "id": uid, "role": Role.CITIZEN, "full_name": f"Generated Citizen {uid}", "username": None,
            "cnic": f"99{uid:011d}", "mobile": f"0399{uid:07d}"[-12:], "mobile_confirmed_at": now - 400 * DAY,
            "password_hash": UNUSABLE_PASSWORD,
            "district_id": district.id, "language": "en", "active": True, "created_at": now - 400 * DAY,
        })
    paths = [p for p, _ in PATHS]
    weights = [w for _, w in PATHS]
    for complaint_id, instance_id in zip(complaint_ids, instance_ids):
        citizen_id = rng.choice(citizen_ids)
        district = citizen_district[citizen_id] if rng.random() < 0.9 else rng.choice(world.districts)
        category = rng.choice(world.categories)
        path = rng.choices(paths, weights)[0]
        created, actions = _plan(path, rng, now)
        node, moments = world.routes.walk(created, actions, now)
        officer_id, officer_name = world.officers[(district.id, category.department_id)]
        complaint = _Complaint(complaint_id, instance_id, citizen_id, district, category, officer_id, officer_name,
                               _pin(world.centres.get(district.id), pin_rng))
        _add_rows(batch, world, complaint, node, moments)
    return batch


def _pin(centre, rng: random.Random) -> tuple[float, float] | None:
    if centre is None or rng.random() >= LOCATED_SHARE:
        return None
    return (round(rng.gauss(centre.lat, SPREAD_DEGREES), 5), round(rng.gauss(centre.lon, SPREAD_DEGREES), 5))


def _plan(path: str, rng: random.Random, now: datetime) -> tuple[datetime, list]:
    """When the complaint was lodged, and the answers (form key, data, moment) its path gives."""
    triage = timedelta(hours=rng.uniform(2, 72))
    work = triage + timedelta(days=rng.uniform(0.3, 10))
    rate = work + timedelta(days=rng.uniform(0.1, 5))
    # How long ago it was lodged; the path's last step lies between then and now.
    age = {
        "awaiting_dc": timedelta(days=rng.uniform(0, 30)),
        "with_officer": triage + timedelta(days=rng.uniform(0, 30)),
        "awaiting_rating": work + timedelta(days=rng.uniform(0, 6.5)),
        "systemic": work + timedelta(days=rng.uniform(0, 180)),
        "closed": rate + timedelta(days=rng.uniform(0, 330)),
        "unrated": work + timedelta(days=rng.uniform(7, 330)),
    }[path]
    created = now - age
    actions = []
    if path != "awaiting_dc":
        actions.append(("dc_triage", TRIAGE, created + triage))
    if path in ("awaiting_rating", "systemic", "closed", "unrated"):
        actions.append(("officer_action", SYSTEMIC if path == "systemic" else RESOLVE, created + work))
    if path == "closed":
        satisfied = rng.random() < 0.8
        rating = rng.choice((4, 5)) if satisfied else rng.choice((1, 2))
        comment = None if satisfied else "Still not fixed."
        actions.append(("citizen_rating", (("comment", comment), ("rating", rating), ("satisfied", satisfied)),
                        created + rate))
    return created, actions


@dataclass
class _Complaint:
    id: int
    instance_id: int
    citizen_id: int
    district: object
    category: object
    officer_id: int
    officer_name: str
    pin: tuple[float, float] | None = None
    values: dict = field(init=False)

    def __post_init__(self):
        self.values = {"complaint_id": self.id, "district_id": self.district.id,
                       "department_id": self.category.department_id, "officer_id": self.officer_id}


def _add_rows(batch: Batch, world: _World, c: _Complaint, node: Node, moments: list[datetime]) -> None:
    """The rows of one complaint: its route's recorded rows at its own moments, with its own values."""
    state, task_ids = node.template.instantiate(moments, c.values)
    route = node.projection
    subject = f"{c.category.name} in {c.district.name}"[:150]
    district_id, division_id, department_id = c.district.id, c.district.division_id, c.category.department_id
    for row in route.rows:
        assignee = c.officer_id if row.assignee == "officer_id" else row.assignee
        closed = route.completed.get(row.task_id)
        batch.tasks.append({
            "task_guid": task_ids[row.task_id], "instance_id": c.instance_id, "complaint_id": c.id,
            "element_id": row.element_id, "name": row.name, "form_key": row.form_key, "role": row.role,
            "scope": "assignee" if assignee else LANE_SCOPE[row.role], "district_id": district_id,
            "division_id": division_id, "department_id": department_id,
            "citizen_id": c.citizen_id if row.role is Role.CITIZEN else None, "assignee_id": assignee,
            "escalation_level": row.escalation_level, "created_at": moments[row.step],
            "due_at": min((t.due(moments) for t in row.due), default=None),
            "completed_at": None if closed is None else moments[closed], "completed_by_id": None,
        })
    names = {"subject": subject, "officer_name": c.officer_name}
    for event in route.events:
        details = {name: value.format_map(names) if isinstance(value, str) else value for name, value in event.details}
        batch.events.append({
            "complaint_id": c.id, "actor_id": c.citizen_id if event.by_citizen else None, "kind": event.kind,
            "note": event.note.format_map(names) if event.note is not None else None,
            "details": json.dumps(details), "created_at": moments[event.step],
        })
    last = moments[max(event.step for event in route.events)]
    due = None if node.finished else min((t.due(moments) for t in node.deadlines), default=None)
    created = moments[0]
    batch.complaints.append({
        "id": c.id, "tracking_number": tracking_number(c.id, created), "citizen_id": c.citizen_id,
        "category_id": c.category.id, "department_id": department_id, "district_id": district_id,
        "division_id": division_id, "subject": subject, "description": DESCRIPTION, "address": None,
        "latitude": c.pin[0] if c.pin else None, "longitude": c.pin[1] if c.pin else None,
        "status": route.status, "escalation_level": route.escalation_level,
        "officer_id": c.officer_id if route.officer == "officer_id" else route.officer, "next_deadline_at": due,
        "rating": route.rating, "satisfied": route.satisfied, "reopen_count": route.reopen_count,
        "closure": route.closure, "created_at": created, "updated_at": last,
        "resolved_at": None if route.resolved_step is None else moments[route.resolved_step],
        "closed_at": None if route.closed_step is None else moments[route.closed_step],
    })
    batch.instances.append({
        "id": c.instance_id, "complaint_id": c.id, "definition_id": world.definition_id, "state": state,
        "status": InstanceStatus.FINISHED if node.finished else InstanceStatus.RUNNING,
        "next_timer_due_at": due,
        "next_notice_at": None if node.finished else min((t.due(moments) for t in node.reminders), default=None),
        "lock_version": 1, "timer_failures": 0, "timer_error": None, "updated_at": last,
    })


def complaint_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Complaint)) or 0

