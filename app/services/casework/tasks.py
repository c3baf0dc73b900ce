"""Inboxes and completing tasks: the one way a person moves a process on."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, object_session, undefer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from ...models import Complaint, HumanTask, IncidentSource, ProcessInstance, User, utcnow
from ...task_forms import FormContext, TaskForm, form_keys, get_task_form
from ...task_forms.data_forms import task_form_for
from ..notifications import outbox
from . import attachments, deployments, events, incidents, processes, projection
from .. import files
from ..errors import Conflict, Invalid, NotFound, ProcessIncident
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


def first_of_mine(user: User, open_tasks: list[HumanTask]) -> HumanTask | None:
    """As `open_task_of_complaint`, from the complaint's open tasks already read (saves a query)."""
    return next((task for task in open_tasks if may_work(user, task)), None)


def open_task_of_complaint(session: Session, user: User, complaint: Complaint) -> HumanTask | None:
    """The first open task on this complaint that `user` may work (e.g. the citizen's rating)."""
    return session.scalar(
        select(HumanTask)
        .where(task_filter(user), HumanTask.complaint_id == complaint.id)
        .order_by(HumanTask.created_at, HumanTask.id)
        .limit(1)
    )


def task_form_of(session: Session, task: HumanTask) -> TaskForm:
    """The task's form: a registered one, or else one defined as data in its instance's current version."""
    if task.form_key in form_keys():
        return get_task_form(task.form_key)
    definition_id = session.scalar(select(ProcessInstance.definition_id).where(ProcessInstance.id == task.instance_id))
    document = deployments.forms_of(session, definition_id).get(task.form_key)
    if document is None:  # deploy refuses a diagram naming an unknown form: this is a broken row
        raise NotFound(f"form {task.form_key!r} of task {task.id}")
    return task_form_for(task.form_key, document)


def build_form(session: Session, task: HumanTask, actor: User | None, formdata=None, *,
               ctx: FormContext | None = None):
    """The task's form (registered or defined as data), with its choices filled in.

    `ctx`: the context the form will be applied with (what its choice lists read stays in it)."""
    task_form = task_form_of(session, task)
    form = task_form.form_class(formdata=formdata)
    task_form.prepare(form, ctx or FormContext(session, task.complaint, actor))
    return form


def accepts_attachments(task: HumanTask) -> bool:
    """Whether the task's form takes photos and PDF documents with it (an officer's evidence)."""
    return task_form_of(object_session(task), task).accepts_attachments


class StepInvalid(Invalid):
    """The step's form was refused. `form` is bound and validated, for the page to show again."""

    def __init__(self, errors: dict[str, list[str]], task: HumanTask, form):
        super().__init__(errors)
        self.task, self.form = task, form


class StepTaken(Conflict):
    """Somebody (or the process) moved the step on first; `task` tells who and when."""

    def __init__(self, message, task: HumanTask):
        super().__init__(message)
        self.task = task


class StepFailed(ProcessIncident):
    """The process failed on the way from this step to its next wait; nothing was kept.

    `task_id` is the step, for the page to show its form again with what was typed."""

    def __init__(self, failure, task: HumanTask):
        super().__init__(task.complaint_id, failure, IncidentSource.TASK)
        self.task_id = task.id


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
    uploads: Sequence[files.Upload] = (),
    store: files.FileStore | None = None,
    now: datetime | None = None,
) -> Completion:
    """Validate the task's form, move the process on and record it; the caller commits.

    Raises StepInvalid (field errors, with the bound form), NotFound (not the
    actor's to see), StepTaken (somebody completed it first: the message says who),
    StepFailed (the process failed at run time: the caller rolls back and records
    the incident).
    """
    now = now or utcnow()
    task = session.get(HumanTask, task_id)
    if task is None or not (may_work(actor, task) or (task.completed_at and can_read(actor, task.complaint))):
        raise NotFound(f"task {task_id}")
    task_form = task_form_of(session, task)
    # Files are checked (photos decoded and re-encoded: up to seconds) before the instance is
    # locked, so that work never holds the lock; what is wrong with them is told with the form.
    prepared, file_errors = [], {}
    if uploads and not task_form.accepts_attachments:
        file_errors = {uploads[0].field: [_l("This step takes no photo or document.")]}
    elif uploads and task.completed_at is None:
        try:
            prepared = attachments.check_uploads(uploads, documents=True, field="attachments")
        except Invalid as refused:
            file_errors = refused.errors
    if prepared and store is None:
        raise ValueError("attachments need a FileStore to be kept in")
    # Lock the instance row (PostgreSQL); the version counter guards SQLite. Its state and version come
    # in the same round trip: the move needs both.
    instance = session.scalar(_INSTANCE_LOCKED, {"instance_id": task.instance_id})
    # The instance's open inbox rows, read under its lock: the step is still open when its row is among them
    # (read again, as a refresh would), and the move's projection takes them instead of reading them once more.
    open_rows = projection.open_task_rows(session, instance.id)
    if task not in open_rows:
        session.refresh(task)
    if task.completed_at is not None:
        raise StepTaken(_already_done(task), task)

    # With what its messages, timeline and answer name (category, department, district, the citizen told of the
    # step): one query, not five; and no read of the citizen in the middle of the step's writes (it would flush them).
    # And whether anyone supports it (they hear of a resolution) and whether a failed try of a step left an
    # incident open (a step that succeeds resolves it): each was a statement of every step, nearly always for none.
    complaint, supported, failed_before = session.execute(_COMPLAINT_OF_STEP, {"complaint_id": task.complaint_id}).one()
    # The task holds its complaint (and so what the complaint holds: places, citizen, a chosen officer): the
    # session keeps loaded rows only while something refers to them, and the answer reads them after the commit.
    set_committed_value(task, "complaint", complaint)
    ctx = FormContext(session, complaint, actor)
    form = build_form(session, task, actor, formdata, ctx=ctx)
    if not form.validate() or file_errors:
        raise StepInvalid({**{name: list(errors) for name, errors in form.errors.items()}, **file_errors}, task, form)
    data = task_form.to_data(form)
    # Stored before the process moves, so nothing is half done if storing fails.
    attachments.attach(session, complaint, actor, prepared, store, purpose="evidence", now=now)

    move = processes.begin(session, instance)
    try:
        move.complete_task(task.task_guid, data)
    except processes.TaskNotOpen:
        raise StepTaken(_l("This step is no longer open."), task) from None
    except processes.ProcessFailed as failed:
        raise StepFailed(failed.failure, task) from failed
    kind, note, details = task_form.apply(data, ctx)
    if prepared:
        details = {**details, "files": len(prepared)}  # the list of attachments on the page says more
    events.record(session, complaint, kind, note=note, details=details, actor=actor, now=now)
    outbox.notify_complaint_event(session, complaint, kind, now=now, supported=supported)
    try:
        with incidents.none_open(session, complaint.id, IncidentSource.TASK, known=not failed_before):
            new_tasks = move.save(complaint, actor=actor, completed_task_id=task.task_guid, now=now, open_rows=open_rows)
    except StaleDataError:
        # Another writer saved this instance after we loaded it (SQLite has no
        # row locks): nothing of ours is kept, the process moved exactly once.
        session.rollback()
        raise StepTaken(_l("Somebody else moved this complaint on at the same moment; reload and check."), task) from None
    return Completion(task, new_tasks)


# The step's two reads, made once with their ids bound at execution: every step of every complaint runs them, and
# building them (the complaint's with two EXISTS) cost about as much as reading.
_INSTANCE_LOCKED = (
    select(ProcessInstance).where(ProcessInstance.id == bindparam("instance_id"))
    .options(undefer(ProcessInstance.state), joinedload(ProcessInstance.definition, innerjoin=True))
    .with_for_update(of=ProcessInstance)
)
_COMPLAINT_OF_STEP = (
    select(Complaint, outbox.supporters_of(Complaint.id), incidents.open_of(Complaint.id, IncidentSource.TASK))
    .where(Complaint.id == bindparam("complaint_id"))
    .options(joinedload(Complaint.category), joinedload(Complaint.department), joinedload(Complaint.district),
             joinedload(Complaint.citizen))
)


def _already_done(task: HumanTask):
    if task.completed_by is not None:
        return _l("%(name)s already completed this step.", name=task.completed_by.full_name)
    return _l("This step was closed by the process (for example, the complaint was resolved).")
