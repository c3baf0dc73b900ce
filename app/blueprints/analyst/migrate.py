"""Moving running complaints from one version of a process to another.

The analyst picks a source and a target version, sees which complaints can
move and why the others cannot, then moves the chosen ones (or all that can).
Each move is recorded in the complaint's timeline by the service; a move that
fails leaves that complaint as it was.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ...request_guard import whole_number
from ...models import Complaint
from ...services import analyst
from ...services.errors import Invalid
from ...web import db, roles_required
from .blueprint import ANALYSTS, bp


@bp.get("/analyst/migrate")
@roles_required(*ANALYSTS)
def migrate():
    session = db()
    source = request.args.get("source", type=whole_number)
    target = request.args.get("target", type=whole_number)
    candidates = None
    if source and target and source != target:
        candidates = analyst.preview_migration(session, source, target)
    return render_template(
        "analyst/migrate.html",
        processes=analyst.list_processes(session),
        source=source,
        target=target,
        candidates=candidates,
    )


@bp.post("/analyst/migrate")
@roles_required(*ANALYSTS)
def migrate_complaints():
    session = db()
    form = request.form
    source = form.get("source", type=whole_number)
    target = form.get("target", type=whole_number)
    if not target:
        raise Invalid(_("Choose the version to move the complaints to."))
    if form.get("all") == "1":
        if not source:
            raise Invalid(_("Choose the version to move the complaints from."))
        chosen = [c.complaint_id for c in analyst.preview_migration(session, source, target) if c.possible]
    else:
        chosen = [int(value) for value in form.getlist("complaint_id") if value.isdigit()]
    if not chosen:
        raise Invalid(_("Choose at least one complaint that can move."))
    outcome = analyst.migrate_complaints(session, current_user, chosen, target)
    session.commit()
    ids = [*outcome.moved, *outcome.refused]
    tracking = dict(session.execute(select(Complaint.id, Complaint.tracking_number).where(Complaint.id.in_(ids))).all())
    return render_template(
        "analyst/migrated.html",
        outcome=outcome,
        tracking=tracking,
        target_version=analyst.get_definition(session, target).version,
        source=source,
        target=target,
    )
