"""Where a complaint is, in words a citizen understands: its milestones, each with a date.

Received → with the district office → with an officer of a department →
resolved, please rate → reopened → escalated to the Commissioner or the Chief
Secretary → closed. Read from the timeline (its event kinds) and the inbox
projection (each task's lane, its diagram properties `status` and
`escalationLevel`), never from the diagram's element ids or task names: a
diagram whose steps are renamed or added tells the same story. Tasks that carry
neither property (a reviewer's directive, a periodic review) are side work that
does not move the complaint, so they are not milestones.

Everything returned is plain values: no staff names, no notes, no engine ids.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...place_names import lazy_local_name
from ...models import (
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    Department,
    District,
    HumanTask,
    ProcessInstance,
    Role,
    User,
    utcnow,
)
from . import deployments
from .complaints import get_complaint_for

PAKISTAN_TIME = timezone(timedelta(hours=5), "PKT")

# Milestone kinds.
RECEIVED = "received"
REOPENED = "reopened"
DISTRICT_OFFICE = "district_office"
OFFICER = "officer"
LONG_TERM = "long_term"
OFFICE = "office"
YOUR_TURN = "your_turn"
RESOLVED = "resolved"
ESCALATED = "escalated"
CLOSED = "closed"
# Events and tasks of the same moment: the receipt first, a reopening before the district office it
# reopens with (tasks are 2), the closing last.
_SAME_MOMENT_ORDER = {RECEIVED: 0, REOPENED: 1, CLOSED: 3}
# Timeline events that are milestones of their own.
RECEIVED_EVENT, REOPENED_EVENT, CLOSED_EVENT = "lodged", "reopened", "closed"

ESCALATED_TO = {
    Role.COMMISSIONER: _l("Escalated to the Commissioner"),
    Role.CHIEF_SECRETARY: _l("Escalated to the Chief Secretary"),
}


@dataclass(frozen=True)
class Milestone:
    kind: str
    label: str
    at: datetime
    note: str | None = None
    current: bool = False
    # What the milestone is about besides its kind (a department, a district, a tier), so that
    # the same stage met twice in a row shows once; compared without translating the label.
    subject: str | None = None


@dataclass(frozen=True)
class Tracking:
    """A complaint's milestones and how long is left before its next deadline."""

    tracking_number: str
    lodged_at: datetime
    milestones: list[Milestone] = field(default_factory=list)
    closed: bool = False
    # Whole Pakistan calendar days to the next deadline: 15 on the day of lodging, 0 on the
    # deadline's own day, negative once it has passed. None when no deadline applies.
    days_left: int | None = None
    waiting_for: str | None = None  # "office" or "citizen": whose deadline `days_left` is
    overdue: bool = False  # escalated, or its deadline passed


def days_until(deadline: datetime, now: datetime | None = None) -> int:
    """Pakistan calendar days from `now` to `deadline`: a 15-day promise made today has 15 days left today."""
    now = now or utcnow()
    return (deadline.astimezone(PAKISTAN_TIME).date() - now.astimezone(PAKISTAN_TIME).date()).days


def tracking_for(session: Session, user: User, complaint_id: int, *, now: datetime | None = None) -> Tracking:
    """The milestones of a complaint `user` may read (NotFound otherwise)."""
    return tracking_of(session, get_complaint_for(session, user, complaint_id), now=now)


def tracking_of(session: Session, complaint: Complaint, *, now: datetime | None = None) -> Tracking:
    now = now or utcnow()
    events = session.execute(
        select(ComplaintEvent.kind, ComplaintEvent.created_at)
        .where(ComplaintEvent.complaint_id == complaint.id,
               ComplaintEvent.kind.in_((RECEIVED_EVENT, REOPENED_EVENT, CLOSED_EVENT)))
        .order_by(ComplaintEvent.created_at, ComplaintEvent.id)
    ).all()
    rows = list(session.scalars(
        select(HumanTask).where(HumanTask.complaint_id == complaint.id).order_by(HumanTask.created_at, HumanTask.id)
    ))
    properties = _task_properties(session, complaint)
    found: list[tuple[datetime, int, int, Milestone]] = []
    for position, (kind, at) in enumerate(events):
        milestone = _from_event(kind, at, complaint)
        found.append((at, _SAME_MOMENT_ORDER[milestone.kind], position, milestone))
    for position, row in enumerate(rows):
        milestone = _from_task(session, row, properties.get(row.element_id), complaint)
        if milestone is not None:
            found.append((row.created_at, 2, position, milestone))
    found.sort(key=lambda item: item[:3])

    milestones: list[Milestone] = []
    for *_, milestone in found:
        last = milestones[-1] if milestones else None
        if last is not None and (last.kind, last.subject) == (milestone.kind, milestone.subject):
            continue  # the same stage again (a transfer's new triage, a systemic progress report)
        milestones.append(milestone)
    closed = complaint.status is ComplaintStatus.CLOSED
    if milestones and not closed:
        milestones[-1] = replace(milestones[-1], current=True)

    open_rows = [row for row in rows if row.completed_at is None]
    waiting_for = _waiting_for(complaint, open_rows)
    days_left = None
    if waiting_for and complaint.next_deadline_at is not None:
        days_left = days_until(complaint.next_deadline_at, now)
    return Tracking(
        tracking_number=complaint.tracking_number,
        lodged_at=complaint.created_at,
        milestones=milestones,
        closed=closed,
        days_left=days_left,
        waiting_for=waiting_for,
        overdue=not closed and (complaint.escalation_level > 0 or (days_left is not None and days_left < 0)),
    )


def _from_event(kind: str, at: datetime, complaint: Complaint) -> Milestone:
    if kind == RECEIVED_EVENT:
        return Milestone(RECEIVED, _l("Received"), at)
    if kind == REOPENED_EVENT:
        return Milestone(REOPENED, _l("Reopened: you were not satisfied"), at)
    return Milestone(CLOSED, _l("Closed"), at, note=_closing_note(complaint))


def _closing_note(complaint: Complaint):
    if complaint.satisfied:
        return _l("You were satisfied with the resolution.")
    if complaint.satisfied is None and complaint.resolved_at is not None:
        return _l("Closed as resolved: no rating was given in time.")
    return None


def _task_properties(session: Session, complaint: Complaint) -> dict:
    """element id -> the diagram's user-task properties, for the complaint's diagram version."""
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
    if instance is None:
        return {}
    return deployments.diagram_for(session, instance.definition).user_tasks


def _from_task(session: Session, row: HumanTask, info, complaint: Complaint) -> Milestone | None:
    """The milestone a task marks, or None for side work.

    `info` is the task's properties in the diagram; None when the complaint has
    since moved to a version without that step (then its lane alone decides).
    """
    status = info.status if info is not None else None
    level = row.escalation_level or (info.escalation_level if info is not None else None)
    at = row.created_at
    if level:
        label = ESCALATED_TO.get(row.role) or _l("Escalated (level %(level)s)", level=level)
        return Milestone(ESCALATED, label, at, subject=f"{row.role.value}:{level}")
    if status == ComplaintStatus.RESOLVED.value or (info is None and row.role is Role.CITIZEN):
        waiting = row.completed_at is None and row.role is Role.CITIZEN
        return Milestone(RESOLVED, _l("Resolved: please rate the resolution") if waiting else _l("Resolved"), at)
    if info is not None and status is None:
        return None
    if status == ComplaintStatus.SYSTEMIC.value:
        department = _department(session, row, complaint)
        return Milestone(LONG_TERM, _l("Long-term action by an officer of %(department)s",
                                       department=lazy_local_name(department)), at, subject=department.name)
    if row.role is Role.DISTRICT_OFFICER:
        department = _department(session, row, complaint)
        return Milestone(OFFICER, _l("With an officer of %(department)s", department=lazy_local_name(department)), at,
                         subject=department.name)
    if row.role is Role.DEPUTY_COMMISSIONER:
        district = session.get(District, row.district_id) if row.district_id else complaint.district
        return Milestone(DISTRICT_OFFICE, _l("With the district office, %(district)s", district=lazy_local_name(district)),
                         at, subject=district.name)
    if row.role is Role.CITIZEN:
        return Milestone(YOUR_TURN, _l("Waiting for you"), at)
    return Milestone(OFFICE, _l("With the office of the %(office)s", office=row.role.label), at,
                     subject=row.role.value)


def _department(session: Session, row: HumanTask, complaint: Complaint) -> Department:
    """The department of the officer holding the task (a DC may pick one of another department)."""
    officer = session.get(User, row.assignee_id) if row.assignee_id else None
    if officer is not None and officer.department_id is not None:
        return session.get(Department, officer.department_id)
    return complaint.department


def _waiting_for(complaint: Complaint, open_rows: list[HumanTask]) -> str | None:
    """Whose deadline the complaint's next deadline is: the citizen's (to rate) or the office's."""
    if complaint.status is ComplaintStatus.CLOSED:
        return None
    if any(row.role is Role.CITIZEN for row in open_rows):
        return "citizen"
    # Long-term (systemic) work has reviews, not a deadline the citizen was promised.
    if complaint.status in (ComplaintStatus.SUBMITTED, ComplaintStatus.IN_PROGRESS):
        return "office"
    return None
