"""One complaint's path over its diagram: done, open (and who holds it), waiting.

Staff who may read the complaint see the people holding each open task; the
citizen who lodged it sees the same path with role labels only ("where is my
complaint"), never the names of staff nor the engine's task ids.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.analysis import WaitingTimer, instance_view

from ...models import ROLE_LABELS, HumanTask, ProcessDefinition, ProcessInstance, Role, User
from ..casework import deployments
from ..casework.complaints import get_complaint_for
from ..errors import NotFound


@dataclass(frozen=True)
class OpenStep:
    element_id: str
    name: str
    lane: str | None
    lane_label: str  # the role's name in the reader's language (a lazy string), "You" for the citizen's own step
    task_id: str | None  # the engine's task guid; None in the citizen's view
    holders: list[str]  # names of the people who may work it; the role label for the citizen
    yours: bool = False  # the citizen's own step (their rating), in the citizen's view


@dataclass(frozen=True)
class InstanceReport:
    complaint_id: int
    tracking_number: str
    process_id: str
    version: int
    definition_id: int
    xml: str
    completed: list[str]  # element ids, in the order they completed
    open_tasks: list[OpenStep]
    waiting_timers: list[WaitingTimer]
    finished: bool
    citizen_view: bool


def instance_view_for(session: Session, user: User, complaint_id: int) -> InstanceReport:
    """The complaint's instance drawn over its diagram; NotFound outside `user`'s scope."""
    complaint = get_complaint_for(session, user, complaint_id)
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
    if instance is None:
        raise NotFound(f"complaint {complaint_id} has no process")
    definition: ProcessDefinition = instance.definition
    view = instance_view(deployments.diagram_for(session, definition), instance.state)
    citizen_view = user.role is Role.CITIZEN
    rows = {
        row.task_guid: row
        for row in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.completed_at.is_(None))
        )
    }
    steps = []
    for task in view.open_tasks:
        label = _lane_label(task.lane, citizen_view)
        holders = [label] if citizen_view else _holders(session, rows.get(task.task_id), complaint)
        steps.append(
            OpenStep(
                element_id=task.element_id,
                name=task.name,
                lane=task.lane,
                lane_label=label,
                task_id=None if citizen_view else task.task_id,
                holders=holders,
                yours=citizen_view and task.lane == Role.CITIZEN.value,
            )
        )
    return InstanceReport(
        complaint_id=complaint.id,
        tracking_number=complaint.tracking_number,
        process_id=definition.process_id,
        version=definition.version,
        definition_id=definition.id,
        xml=definition.xml,
        completed=view.completed,
        open_tasks=steps,
        waiting_timers=view.waiting_timers,
        finished=view.finished,
        citizen_view=citizen_view,
    )


def _lane_label(lane: str | None, citizen_view: bool):
    if lane == Role.CITIZEN.value and citizen_view:
        return _l("You")
    try:
        return ROLE_LABELS[Role(lane)]
    except ValueError:
        return lane or _l("Nobody (no lane)")


def _holders(session: Session, row: HumanTask | None, complaint) -> list[str]:
    """Names of the people who may work the task now: its assignee, or everyone its lane and scope admit."""
    if row is None:
        return []
    if row.assignee_id is not None:
        return [row.assignee.full_name] if row.assignee else []
    role = row.role
    if role is Role.CITIZEN:
        return [complaint.citizen.full_name]
    scope = {
        Role.DEPUTY_COMMISSIONER: User.district_id == row.district_id,
        Role.DISTRICT_OFFICER: (User.district_id == row.district_id) & (User.department_id == row.department_id),
        Role.COMMISSIONER: User.division_id == row.division_id,
        Role.CHIEF_SECRETARY: User.id.is_not(None),
    }.get(role)
    if scope is None:
        return []
    return list(
        session.scalars(
            select(User.full_name)
            .where(User.role == role, User.active.is_(True), User.blocked_at.is_(None), scope)
            .order_by(User.full_name)
        )
    )
