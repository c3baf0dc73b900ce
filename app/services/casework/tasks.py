"""Inboxes and completing tasks: the one way a person moves a process on."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

import workflows

from ...models import Complaint, ComplaintEvent, HumanTask, ProcessInstance, User, utcnow
from ...task_forms import FormContext, get_task_form
from ..notifications import outbox
from . import processes
from .complaints import add_photo
from ..errors import Conflict, Invalid, NotFound
from ..photos import PhotoStore
from .projection import sync_instance
from .scope import can_read, may_work, task_filter, task_filter_parts


def inbox_for(session: Session, user: User, *, limit: int = 200) -> list[HumanTask]:
    """The open tasks that are `user`'s, oldest first.

    Read as two ordered queries (assigned to them; their role's pool in their
    scope) merged here: a Commissioner's pool can hold hundreds of thousands of
    open reviews, and each part reads only its first `limit` rows along an index.
    """
    found: list[HumanTask] = []
    for condition in task_filter_parts(user):
        if condition is None:
            continue
        found += session.scalars(
            select(HumanTask)
            .where(condition)
            .options(joinedload(HumanTask.complaint).joinedload(Complaint.district))
            .order_by(HumanTask.created_at, HumanTask.id)
            .limit(limit)
        )
    return sorted(found, key=lambda t: (t.created_at, t.id))[:limit]


def get_task_for(session: Session, user: User, task_id: int) -> HumanTask:
    """A task `user` may see: their own to work, or one of a complaint they may read."""
    task = session.get(HumanTask, task_id)
    if task is None or not (may_work(user, task) or can_read(user, task.complaint)):
        raise NotFound(f"task {task_id}")
    return task


def open_task_of_complaint(session: Session, user: User, complaint: Complaint) -> HumanTask | None:
    """The first open task on this complaint that `user` may work (e.g. the citizen's rating)."""
    return session.scalar(
        select(HumanTask)
        .where(task_filter(user), HumanTask.complaint_id == complaint.id)
        .order_by(HumanTask.created_at, HumanTask.id)
        .limit(1)
    )


def build_form(session: Session, task: HumanTask, actor: User | None, formdata=None):
    """The registered form for the task, with its choices filled in."""
    task_form = get_task_form(task.form_key)
    form = task_form.form_class(formdata=formdata)
    task_form.prepare(form, FormContext(session, task.complaint, actor))
    return form


def accepts_photo(task: HumanTask) -> bool:
    return get_task_form(task.form_key).accepts_photo


@dataclass
class Completion:
    task: HumanTask
    new_tasks: list[HumanTask]


def complete_task(
    session: Session,
    task_id: int,
    actor: User,
    formdata: MultiDict,
    *,
    photo: bytes | None = None,
    store: PhotoStore | None = None,
    now: datetime | None = None,
) -> Completion:
    """Validate the task's form, move the process on and record it; the caller commits.

    Raises Invalid (field errors), NotFound (not the actor's to see), Conflict
    (somebody completed it first: the message says who).
    """
    now = now or utcnow()
    task = session.get(HumanTask, task_id)
    if task is None or not (may_work(actor, task) or (task.completed_at and can_read(actor, task.complaint))):
        raise NotFound(f"task {task_id}")
    # Lock the instance row (PostgreSQL); the version counter guards SQLite.
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.id == task.instance_id).with_for_update()
    )
    session.refresh(task)
    if task.completed_at is not None:
        raise Conflict(_already_done(task))

    task_form = get_task_form(task.form_key)
    complaint = task.complaint
    ctx = FormContext(session, complaint, actor)
    form = build_form(session, task, actor, formdata)
    if not form.validate():
        raise Invalid({name: list(errors) for name, errors in form.errors.items()})
    if photo and not task_form.accepts_photo:
        raise Invalid({"photo": ["This step takes no photo."]})
    data = task_form.to_data(form)

    diagram = processes.diagram_for(session, instance.definition)
    workflow = workflows.restore_process(diagram, instance.state)
    try:
        workflows.complete_task(workflow, task.task_guid, data)
    except workflows.TaskNotOpen:
        raise Conflict("This step is no longer open.") from None
    kind, note = task_form.apply(data, ctx)
    if photo:
        add_photo(session, complaint, actor, photo, store, purpose="evidence")
        note = (note or "") + " (photo attached)"
    session.add(ComplaintEvent(complaint_id=complaint.id, actor_id=actor.id, kind=kind, note=note, created_at=now))
    outbox.notify_complaint_event(session, complaint, kind, now=now)
    try:
        new_tasks = sync_instance(
            session, complaint, instance, workflow, actor=actor, completed_task_id=task.task_guid, now=now
        )
    except StaleDataError:
        # Another writer saved this instance after we loaded it (SQLite has no
        # row locks): nothing of ours is kept, the process moved exactly once.
        session.rollback()
        raise Conflict("Somebody else moved this complaint on at the same moment; reload and check.") from None
    return Completion(task, new_tasks)


def _already_done(task: HumanTask) -> str:
    if task.completed_by is not None:
        return f"{task.completed_by.full_name} already completed this step."
    return "This step was closed by the process (for example, the complaint was resolved)."
