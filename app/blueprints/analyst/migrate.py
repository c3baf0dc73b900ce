"""Moving running complaints from one version of a process to another.

The analyst picks a source and a target version, chooses whether waiting
timers keep their due dates or are recounted under the target, confirms or
changes the suggested mapping of elements the target renamed, sees which
complaints can move (with their deadlines before and after) and why the others
cannot, then moves the chosen ones (or all that can). Each move is recorded in
the complaint's timeline by the service; a move that fails leaves that
complaint as it was.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ...request_guard import whole_number
from ...models import ROLE_LABELS, Complaint, Role
from ...services import analyst
from ...services.errors import Invalid
from ...web import db, roles_required
from .blueprint import ANALYSTS, bp

# The field of each renamed element's <select>: "map-officer_action" = the target's id ("" = left unmapped).
MAP_PREFIX = "map-"
RECOUNT = "recount"


def _lane_label(lane: str | None) -> str:
    """A lane in the analyst's words: the role it stands for, or the lane's own name."""
    try:
        return ROLE_LABELS[Role(lane)]
    except ValueError:
        return lane or ""


def _choices(values, matches):
    """(mapping, retime) from the request: a <select> not sent yet stands at its suggestion."""
    mapping = {}
    for match in matches:
        field = MAP_PREFIX + match.element_id
        chosen = values.get(field) if field in values else match.suggestion
        if chosen:
            mapping[match.element_id] = chosen
    return mapping, values.get("timers") == RECOUNT


@bp.get("/analyst/migrate")
@roles_required(*ANALYSTS)
def migrate():
    session = db()
    source = request.args.get("source", type=whole_number)
    target = request.args.get("target", type=whole_number)
    candidates, matches, mapping, retime = None, [], {}, request.args.get("timers") == RECOUNT
    if source and target and source != target:
        matches = analyst.element_matches(session, source, target)
        mapping, retime = _choices(request.args, matches)
        candidates = analyst.preview_migration(session, source, target, mapping=mapping, retime=retime)
    return render_template(
        "analyst/migrate.html",
        processes=analyst.list_processes(session),
        source=source,
        target=target,
        candidates=candidates,
        matches=matches,
        described={m.element_id: analyst.in_words(m.described) for m in matches},
        lanes={m.element_id: _lane_label(m.lane) for m in matches},
        mapping=mapping,
        retime=retime,
        map_prefix=MAP_PREFIX,
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
    # The mapping is the one the analyst saw in the preview: every <select> travels as a hidden field.
    mapping = {key.removeprefix(MAP_PREFIX): value for key, value in form.items() if key.startswith(MAP_PREFIX)}
    retime = form.get("timers") == RECOUNT
    if mapping and not source:
        raise Invalid(_("Choose the version to move the complaints from."))
    if form.get("all") == "1":
        if not source:
            raise Invalid(_("Choose the version to move the complaints from."))
        preview = analyst.preview_migration(session, source, target, mapping=mapping, retime=retime)
        chosen = [c.complaint_id for c in preview if c.possible]
    else:
        chosen = [int(value) for value in form.getlist("complaint_id") if value.isdigit()]
    if not chosen:
        raise Invalid(_("Choose at least one complaint that can move."))
    outcome = analyst.migrate_complaints(
        session, current_user, chosen, target, source_definition_id=source, mapping=mapping, retime=retime
    )
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
