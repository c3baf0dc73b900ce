"""Working tasks from another system: my inbox, one task with its form, completing it."""
from __future__ import annotations

from ..models import Role
from ..services.casework import tasks
from ..web import db, file_store
from . import bp, serializers
from .auth import api_user, token_required
from .inputs import body, form_data, row_id
from .problems import ApiProblem

# Everybody who works tasks (a citizen's are ratings); analysts and administrators have no inbox.
WORKERS = (Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER, Role.CHIEF_SECRETARY, Role.CITIZEN)


@bp.get("/tasks")
@token_required(*WORKERS)
def inbox():
    return {"items": [serializers.task(t) for t in tasks.inbox_for(db(), api_user())]}


@bp.get("/tasks/<int:task_id>")
@token_required()
def task(task_id: int):
    session, user = db(), api_user()
    found = tasks.get_task_for(session, user, row_id(task_id, "task"))
    return _task_detail(session, found)


@bp.post("/tasks/<int:task_id>/completion")
@token_required()
def complete(task_id: int):
    session, user = db(), api_user()
    task_id = row_id(task_id, "task")
    # `attachments` repeated, up to 5 photos and PDF documents; `photo` is the single photo of the first versions.
    source, uploads = body(files=("attachments", "photo"))
    formdata = form_data(source)
    try:
        completion = tasks.complete_task(session, task_id, user, formdata, uploads=uploads, store=file_store())
    except tasks.StepTaken as taken:
        session.rollback()
        raise ApiProblem(
            409,
            str(taken),
            completed_by=serializers.person(taken.task.completed_by, user),
            completed_at=serializers.when(taken.task.completed_at),
        ) from None
    session.commit()
    complaint = completion.task.complaint
    return {
        "task": serializers.task(completion.task),
        "complaint": {
            "id": complaint.id,
            "status": complaint.status.value,
            "status_label": complaint.status.label,
            "url": serializers.complaint_summary(complaint)["url"],
        },
        "next_steps": [serializers.step(t, user) for t in completion.new_tasks],
    }


def _task_detail(session, found) -> dict:
    user = api_user()
    may_work = found.completed_at is None and tasks.may_work(user, found)
    return {
        **serializers.task(found),
        "open": found.completed_at is None,
        "may_work": may_work,
        "completed_by": serializers.person(found.completed_by, user),
        # The form names the district's officers, their ids and departments: only for whoever may complete
        # the task now (the complaint's page shows it to them alone too). Everyone else reads null.
        "form": _work_form(session, found, user) if may_work else None,
    }


def _work_form(session, found, user) -> dict:
    return {
        "key": found.form_key,
        # Kept for the app's first versions: a form that takes attachments takes a photo.
        "accepts_photo": tasks.accepts_attachments(found),
        "accepts_attachments": tasks.accepts_attachments(found),
        "fields": serializers.form_fields(tasks.build_form(session, found, user)),
    }
