"""Realistic volume for dashboards and benchmarks: `flask --app app demo generate --complaints N`.

Each complaint runs through the real process engine (the deployed diagram, one
workflow per complaint, the parsed spec shared): lodged, triaged, resolved,
rated... as its planned path says. The engine reads the real clock, so the
run uses a virtual clock the way workflows/simulate.py does: after each step
the timers the step created are moved by (virtual now - real now), and at the
end every timer already due is fired, walking escalations forward. What the
engine leaves is projected into the same rows `projection.sync_instance`
writes (complaint status, human_tasks, timeline events), but collected in
memory and written with one bulk insert per table per batch, one transaction
per batch. No notifications are sent for generated complaints.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

import workflows

from ..models import (
    Category,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    District,
    HumanTask,
    InstanceStatus,
    ProcessInstance,
    Role,
    User,
    utcnow,
)
from . import processes
from .complaints import tracking_number
from .projection import LANE_SCOPE

# Share of complaints planned on each path (the rest of the mix comes from timers:
# old unassigned or unresolved complaints escalate, unrated resolutions close).
PATHS = (("awaiting_dc", 20), ("with_officer", 30), ("awaiting_rating", 10), ("systemic", 5), ("closed", 35))
UNUSABLE_PASSWORD = "!generated"  # no password hash matches it: generated people cannot sign in
DESCRIPTION = "Generated complaint for load testing: the problem has been reported several times already."
DAY = timedelta(days=1)


@dataclass
class Batch:
    """Rows of one batch, inserted table by table."""

    users: list[dict] = field(default_factory=list)
    complaints: list[dict] = field(default_factory=list)
    instances: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def generate(session_factory, count: int, *, batch_size: int = 1000, seed: int | None = None, progress=None) -> int:
    """Create `count` complaints (and about half as many citizens); one transaction per batch."""
    rng = random.Random(seed)
    with session_factory() as session:
        world = _World.load(session)
        session.commit()
    made = 0
    while made < count:
        size = min(batch_size, count - made)
        with session_factory() as session:
            _write_batch(session, _plan_batch(session, world, size, rng))
            session.commit()
        made += size
        if progress:
            progress(size)
    return made


@dataclass
class _World:
    diagram: object
    definition_id: int
    districts: list
    categories: list
    officers: dict  # (district_id, department_id) -> (user id, name)

    @classmethod
    def load(cls, session: Session) -> _World:
        definition = processes.default_definition(session)
        districts = list(session.scalars(select(District)))
        categories = list(session.scalars(select(Category)))
        return cls(processes.diagram_for(session, definition), definition.id, districts, categories,
                   _ensure_officers(session, districts, {c.department_id for c in categories}))


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


def _plan_batch(session: Session, world: _World, size: int, rng: random.Random) -> Batch:
    batch = Batch()
    citizen_ids = _allocate_ids(session, "users", max(size // 2, 1))
    complaint_ids = _allocate_ids(session, "complaints", size)
    instance_ids = _allocate_ids(session, "process_instances", size)
    real_now = utcnow()
    citizen_district = {}
    for uid in citizen_ids:
        district = rng.choice(world.districts)
        citizen_district[uid] = district
        batch.users.append({
            "id": uid, "role": Role.CITIZEN, "full_name": f"Generated Citizen {uid}", "username": None,
            "cnic": f"99{uid:011d}", "mobile": f"0399{uid:07d}"[-12:], "password_hash": UNUSABLE_PASSWORD,
            "district_id": district.id, "language": "en", "active": True, "created_at": real_now - 400 * DAY,
        })
    paths = [p for p, _ in PATHS]
    weights = [w for _, w in PATHS]
    for complaint_id, instance_id in zip(complaint_ids, instance_ids):
        citizen_id = rng.choice(citizen_ids)
        district = citizen_district[citizen_id] if rng.random() < 0.9 else rng.choice(world.districts)
        category = rng.choice(world.categories)
        path = rng.choices(paths, weights)[0]
        _Complaint(world, batch, rng, real_now, complaint_id, instance_id, citizen_id, district, category).run(path)
    return batch


class _Complaint:
    """One complaint driven through the engine on a virtual clock."""

    def __init__(self, world, batch, rng, real_now, complaint_id, instance_id, citizen_id, district, category):
        self.world, self.batch, self.rng, self.real_now = world, batch, rng, real_now
        self.instance_id = instance_id
        self.officer_id, self.officer_name = world.officers[(district.id, category.department_id)]
        self.row = {
            "id": complaint_id, "citizen_id": citizen_id, "category_id": category.id,
            "department_id": category.department_id, "district_id": district.id,
            "division_id": district.division_id, "subject": f"{category.name} in {district.name}"[:150],
            "description": DESCRIPTION, "address": None, "latitude": None, "longitude": None,
            "status": ComplaintStatus.SUBMITTED, "escalation_level": 0, "officer_id": None,
            "next_deadline_at": None, "rating": None, "satisfied": None, "reopen_count": 0, "closure": None,
            "resolved_at": None, "closed_at": None,
        }
        self.open_rows: dict[str, dict] = {}
        self.offsets: dict = {}  # timer task id -> virtual minus real time when the engine set it
        self.final = False
        self.last_at: datetime | None = None

    def run(self, path: str) -> None:
        rng = self.rng
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
        }[path]
        created = self.created = self.real_now - age
        self.row.update(created_at=created, tracking_number=tracking_number(self.row["id"], created))
        self.event("lodged", self.row["subject"], created)
        self.workflow = workflows.start_process(self.world.diagram, {
            "complaint_id": self.row["id"], "district_id": self.row["district_id"],
            "department_id": self.row["department_id"], "officer_id": None,
        })
        self.moved(created)
        if path != "awaiting_dc":
            self.complete("dc_triage", created + triage, {
                "dc_decision": "assign", "officer_id": self.officer_id, "instruction": None,
                "target_district_id": None, "transfer_reason": None,
            })
        if path in ("awaiting_rating", "systemic", "closed"):
            outcome = "systemic" if path == "systemic" else "resolved"
            self.complete("officer_action", created + work,
                          {"outcome": outcome, "action_taken": "Action taken on site.", "reason": None})
        if path == "closed":
            satisfied = rng.random() < 0.8
            self.complete("citizen_rating", created + rate, {
                "rating": rng.choice((4, 5)) if satisfied else rng.choice((1, 2)), "satisfied": satisfied,
                "comment": None,
            })
        self.fire_due_timers()
        self.finish()

    # -- engine steps on the virtual clock ---------------------------------

    def complete(self, form_key: str, at: datetime, data: dict) -> None:
        task = next(t for t in workflows.open_tasks(self.workflow) if t.form_key == form_key)
        workflows.complete_task(self.workflow, task.id, data)
        self.apply(form_key, data, at)
        self.moved(at, completed=task.id)

    def fire_due_timers(self) -> None:
        """Date every timer on the virtual clock, then fire what is due by now.

        Until here timers stay where the engine put them (days after the real
        now), so none fires in the middle of the planned steps; each round of
        firing dates the timers it creates from the moment the last ones fired.
        """
        self.final = True
        for moment, task in list(self.timers()):
            self._write_timer(task, moment + self.offsets[task.id])
        for _ in range(5):
            due = [moment for moment, _task in self.timers() if moment <= self.real_now]
            if not due:
                return
            workflows.fire_timers(self.workflow)
            self.moved(min(due))

    def timers(self):
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            value = task.internal_data.get("event_value")
            if isinstance(value, dict):
                value = value.get("next") if value.get("cycles") != 0 else None
            if isinstance(value, str):
                moment = datetime.fromisoformat(value)
                yield (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)), task

    def moved(self, at: datetime, completed: str | None = None) -> None:
        """After an engine step at virtual time `at`: note how far its new timers must move, project the tasks."""
        offset = at - datetime.now(timezone.utc)
        for moment, task in list(self.timers()):
            if task.id not in self.offsets:
                self.offsets[task.id] = offset
                if self.final:
                    self._write_timer(task, moment + offset)
        self.project(at)

    def _write_timer(self, task, moment: datetime) -> None:
        value = task.internal_data["event_value"]
        new = moment.isoformat()
        task.internal_data["event_value"] = {**value, "next": new} if isinstance(value, dict) else new

    # -- what sync_instance would write ----------------------------------------

    def project(self, at: datetime) -> None:
        row, workflow = self.row, self.workflow
        open_tasks = workflows.open_tasks(workflow)
        open_ids = {t.id for t in open_tasks}
        for guid in [g for g in self.open_rows if g not in open_ids]:
            self.open_rows.pop(guid)["completed_at"] = at
        due = workflows.next_timer_due(workflow)
        for task in open_tasks:
            if task.id in self.open_rows:
                continue
            role = Role(task.lane)
            assignee = _int_or_none(task.assignee)
            task_row = {
                "task_guid": task.id, "instance_id": self.instance_id, "complaint_id": row["id"],
                "element_id": task.element_id, "name": task.name, "form_key": task.form_key, "role": role,
                "scope": "assignee" if assignee else LANE_SCOPE[role], "district_id": row["district_id"],
                "division_id": row["division_id"], "department_id": row["department_id"],
                "citizen_id": row["citizen_id"] if role is Role.CITIZEN else None, "assignee_id": assignee,
                "escalation_level": task.escalation_level, "created_at": at, "due_at": due,
                "completed_at": None, "completed_by_id": None,
            }
            self.open_rows[task.id] = task_row
            self.batch.tasks.append(task_row)
            if task.escalation_level:
                row["escalation_level"] = max(row["escalation_level"], task.escalation_level)
                self.event("escalated", f"Escalated to the {role.label} for review (level {task.escalation_level})", at)
        if workflows.is_finished(workflow):
            if row["status"] is not ComplaintStatus.CLOSED:
                row.update(status=ComplaintStatus.CLOSED, closed_at=at, closure=workflows.closing_event(workflow))
                self.event("closed", row["closure"], at)
            return
        statuses = [t.status for t in open_tasks if t.status]
        if statuses:
            row["status"] = ComplaintStatus(statuses[-1])
        if row["status"] is ComplaintStatus.RESOLVED and row["resolved_at"] is None:
            row.update(resolved_at=at, rating=None, satisfied=None)
        officer_tasks = [t for t in open_tasks if t.lane == Role.DISTRICT_OFFICER.value and t.assignee]
        if officer_tasks:
            row["officer_id"] = _int_or_none(officer_tasks[-1].assignee)

    def apply(self, form_key: str, data: dict, at: datetime) -> None:
        """What the task forms' `apply` does to the complaint, and the timeline line it writes."""
        row = self.row
        if form_key == "dc_triage":
            row["officer_id"] = self.officer_id
            self.event("assigned", f"Assigned to {self.officer_name}", at)
        elif form_key == "officer_action":
            if data["outcome"] == "resolved":
                self.event("resolved", data["action_taken"], at)
            else:
                self.event("action_recorded", f"Needs long-term action: {data['action_taken']}", at)
        elif form_key == "citizen_rating":
            row["rating"], row["satisfied"] = data["rating"], data["satisfied"]
            if data["satisfied"]:
                self.event("rated", f"Rated {data['rating']}/5", at)
            else:
                row["reopen_count"] += 1
                row["resolved_at"] = None
                self.event("reopened", f"Rated {data['rating']}/5", at)

    def event(self, kind: str, note: str | None, at: datetime) -> None:
        actor = self.row["citizen_id"] if kind in ("lodged", "rated", "reopened") else None
        self.batch.events.append({"complaint_id": self.row["id"], "actor_id": actor, "kind": kind, "note": note,
                                  "created_at": at})
        self.last_at = max(self.last_at, at) if self.last_at else at

    def finish(self) -> None:
        workflow, row = self.workflow, self.row
        finished = workflows.is_finished(workflow)
        due = None if finished else workflows.next_timer_due(workflow)
        last = self.last_at
        row.update(next_deadline_at=due, updated_at=last)
        self.batch.complaints.append(row)
        self.batch.instances.append({
            "id": self.instance_id, "complaint_id": row["id"], "definition_id": self.world.definition_id,
            "state": workflows.save_state(workflow),
            "status": InstanceStatus.FINISHED if finished else InstanceStatus.RUNNING,
            "next_timer_due_at": due, "next_notice_at": None if finished else workflows.next_notice_due(workflow),
            "lock_version": 1, "timer_failures": 0, "timer_error": None, "updated_at": last,
        })


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _write_batch(session: Session, batch: Batch) -> None:
    for model, rows in ((User, batch.users), (Complaint, batch.complaints), (ProcessInstance, batch.instances),
                        (HumanTask, batch.tasks), (ComplaintEvent, batch.events)):
        if rows:
            session.execute(insert(model), rows)


def complaint_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Complaint)) or 0
