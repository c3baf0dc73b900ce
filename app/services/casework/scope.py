"""Who may see which complaint and work which task.

Every query that lists or loads complaints or tasks goes through these
filters, so a DC of one district can never reach another district's data.
"""
from __future__ import annotations

from sqlalchemy import and_, false, or_, true

from ...models import Complaint, HumanTask, Role, User


def complaint_filter(user: User):
    """SQL condition: the complaints `user` may read."""
    role = user.role
    if role is Role.CITIZEN:
        return Complaint.citizen_id == user.id
    if role is Role.DISTRICT_OFFICER:
        return or_(
            Complaint.officer_id == user.id,
            and_(Complaint.district_id == user.district_id, Complaint.department_id == user.department_id),
        )
    if role is Role.DEPUTY_COMMISSIONER:
        return Complaint.district_id == user.district_id
    if role is Role.COMMISSIONER:
        return Complaint.division_id == user.division_id
    if role in (Role.CHIEF_SECRETARY, Role.ADMIN, Role.ANALYST):
        return true()
    return false()


def can_read(user: User, complaint: Complaint) -> bool:
    role = user.role
    if role is Role.CITIZEN:
        return complaint.citizen_id == user.id
    if role is Role.DISTRICT_OFFICER:
        return complaint.officer_id == user.id or (
            complaint.district_id == user.district_id and complaint.department_id == user.department_id
        )
    if role is Role.DEPUTY_COMMISSIONER:
        return complaint.district_id == user.district_id
    if role is Role.COMMISSIONER:
        return complaint.division_id == user.division_id
    return role in (Role.CHIEF_SECRETARY, Role.ADMIN, Role.ANALYST)


def task_filter(user: User):
    """SQL condition: the open tasks that are `user`'s to work."""
    assigned, pool = task_filter_parts(user)
    return or_(assigned, pool) if pool is not None else assigned


def task_filter_parts(user: User):
    """(the open tasks assigned to `user`, the open unassigned tasks of their role and scope or None).

    Two conditions instead of one OR, so the inbox can read each along its own
    index in date order (an OR of both cannot use either for the ordering).
    """
    by_scope = {
        Role.CITIZEN: HumanTask.citizen_id == user.id,
        Role.DISTRICT_OFFICER: and_(
            HumanTask.district_id == user.district_id, HumanTask.department_id == user.department_id
        ),
        Role.DEPUTY_COMMISSIONER: HumanTask.district_id == user.district_id,
        Role.COMMISSIONER: HumanTask.division_id == user.division_id,
        Role.CHIEF_SECRETARY: true(),
    }.get(user.role)
    assigned = and_(HumanTask.completed_at.is_(None), HumanTask.assignee_id == user.id)
    if by_scope is None:
        return assigned, None
    pool = and_(HumanTask.completed_at.is_(None), HumanTask.assignee_id.is_(None), HumanTask.role == user.role,
                by_scope)
    return assigned, pool


def may_work(user: User, task: HumanTask) -> bool:
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    if task.role is not user.role:
        return False
    return {
        Role.CITIZEN: lambda: task.citizen_id == user.id,
        Role.DISTRICT_OFFICER: lambda: (task.district_id, task.department_id) == (user.district_id, user.department_id),
        Role.DEPUTY_COMMISSIONER: lambda: task.district_id == user.district_id,
        Role.COMMISSIONER: lambda: task.division_id == user.division_id,
        Role.CHIEF_SECRETARY: lambda: True,
    }.get(user.role, lambda: False)()
