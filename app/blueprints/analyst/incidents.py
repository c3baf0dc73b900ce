"""The incidents page: processes that failed at run time, grouped by version and element, and what to do.

Retrying and resolving redirect back to the page with what happened; moving a
group's complaints to another version posts to the migration page
(`migrate.migrate_complaints`), which shows what moved.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from ...models import IncidentStatus
from ...request_guard import whole_number
from ...services import analyst
from ...web import db, roles_required
from .blueprint import ANALYSTS, bp


@bp.get("/analyst/incidents")
@roles_required(*ANALYSTS)
def incidents():
    session = db()
    status = IncidentStatus.RESOLVED if request.args.get("status") == "resolved" else IncidentStatus.OPEN
    groups = analyst.incident_groups(session, current_user, status=status)
    return render_template("analyst/incidents.html", status=status, groups=groups)


@bp.post("/analyst/incidents/<int:incident_id>/retry")
@roles_required(*ANALYSTS)
def retry_incident(incident_id: int):
    session = db()
    outcome = analyst.retry_incident(session, current_user, incident_id)
    session.commit()
    _tell(outcome)
    return redirect(url_for("analyst.incidents"))


@bp.post("/analyst/incidents/retry-group")
@roles_required(*ANALYSTS)
def retry_group():
    session = db()
    definition_id = request.form.get("definition_id", type=whole_number)
    element_id = request.form.get("element_id") or None
    outcome = analyst.retry_group(session, current_user, definition_id, element_id)
    session.commit()
    _tell(outcome)
    return redirect(url_for("analyst.incidents"))


@bp.post("/analyst/incidents/<int:incident_id>/resolve")
@roles_required(*ANALYSTS)
def resolve_incident(incident_id: int):
    session = db()
    incident = analyst.resolve_incident(session, current_user, incident_id)
    session.commit()
    flash(_("Incident %(reference)s is marked resolved.", reference=incident.reference))
    return redirect(url_for("analyst.incidents"))


def _tell(outcome: analyst.RetryOutcome) -> None:
    if outcome.fired:
        flash(ngettext("%(num)s timer fired; its incident is resolved.", "%(num)s timers fired; their incidents are resolved.",
                       outcome.fired))
    if outcome.failed:
        flash(ngettext("%(num)s timer failed again; its incident stays open.",
                       "%(num)s timers failed again; their incidents stay open.", outcome.failed), "error")
    if outcome.not_due:
        flash(ngettext("%(num)s timer was not due any more (fired meanwhile).",
                       "%(num)s timers were not due any more (fired meanwhile).", outcome.not_due))
    if not (outcome.fired or outcome.failed or outcome.not_due):
        flash(_("There was nothing to retry."))
