"""One complaint's path over its diagram, for staff: done, open (and who holds it), waiting.

Staff who may read the complaint see the people holding each open task. The
citizen who lodged it follows it by its milestones in plain words instead
(casework/milestones.py): the diagram, its timers and task names are not theirs to read.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.analysis import WaitingTimer, instance_view

from ...models import ROLE_LABELS, HumanTask, ProcessDefinition, ProcessInstance, Role, User
from ..casework import deployments
from ..casework.complaints import get_complaint_for
from ..errors import NotAllowed, NotFound


@dataclass(frozen=True)
class OpenStep:
    element_id: str
    name: str
    lane: str | None
    lane_label: str
    task_id: str  # the engine's task guid
    holders: list[str]  # names of the people who may work it


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


def instance_view_for(session: Session, user: User, complaint_id: int) -> InstanceReport:
    """The complaint's instance drawn over its diagram; NotFound outside `user`'s scope.

    Refused to citizens: their view of the same complaint is its milestones.
    """
    complaint = get_complaint_for(session, user, complaint_id)
    if user.role is Role.CITIZEN:
        raise NotAllowed(_l("Citizens follow their complaint by its milestones."))
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
    if instance is None:
        raise NotFound(f"complaint {complaint_id} has no process")
    definition: ProcessDefinition = instance.definition
    view = instance_view(deployments.diagram_for(session, definition), instance.state)
    rows = {
        row.task_guid: row
        for row in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.completed_at.is_(None))
        )
    }
    steps = []
    for task in view.open_tasks:
        steps.append(
            OpenStep(
                element_id=task.element_id,
                name=task.name,
                lane=task.lane,
                lane_label=_lane_label(task.lane),
                task_id=task.task_id,
                holders=_holders(session, rows.get(task.task_id), complaint),
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
    )


def _lane_label(lane: str | None) -> str:
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
