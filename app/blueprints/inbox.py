"""Each person's task inbox, the task page and completing a task."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Role
from ..services.casework import complaints, tasks
from ..web import db, file_store, incident_message, recorded_incident, roles_required, uploaded_files

bp = Blueprint("inbox", __name__)

WORKERS = (Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER, Role.CHIEF_SECRETARY, Role.CITIZEN)


@bp.get("/inbox")
@roles_required(*WORKERS)
def index():
    return render_template("inbox/index.html", tasks=tasks.inbox_for(db(), current_user))


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int):
    session = db()
    task = tasks.get_task_for(session, current_user, task_id)
    return _task_page(task, tasks.build_form(session, task, current_user), {})


@bp.post("/tasks/<int:task_id>")
@login_required
def complete(task_id: int):
    session = db()
    try:
        completion = tasks.complete_task(
            session, task_id, current_user, request.form, uploads=uploaded_files("attachments", "photo"),
            store=file_store(),
        )
    except tasks.StepInvalid as refused:
        # Nothing was written; the request's session ends with a rollback.
        return _task_page(refused.task, refused.form, refused.errors), 400
    except tasks.StepTaken as taken:
        session.rollback()
        flash(str(taken), "error")
        return redirect(url_for("complaints.show", complaint_id=taken.task.complaint_id)), 303
    except tasks.StepFailed as failed:
        # The process failed past this step (a diagram's condition or script): nothing was kept, the
        # analysts get an incident, and the person gets the reference with everything they typed.
        flash(incident_message(recorded_incident(failed, current_user)), "error")
        task = tasks.get_task_for(session, current_user, failed.task_id)
        return _task_page(task, tasks.build_form(session, task, current_user, request.form), {}), 500
    session.commit()
    flash(_("Done. The complaint has moved on."))
    if current_user.role is Role.CITIZEN:
        return redirect(url_for("complaints.show", complaint_id=completion.task.complaint_id))
    return redirect(url_for("inbox.index"))


def _task_page(task, form, errors):
    session = db()
    complaint = task.complaint
    return render_template(
        "inbox/task.html",
        task=task,
        complaint=complaint,
        form=form,
        errors=errors,
        events=complaints.timeline(session, complaint),
        attachments=complaints.attachments_of(session, complaint),
        may_work=task.completed_at is None and tasks.may_work(current_user, task),
        accepts_attachments=tasks.accepts_attachments(task),
    )
