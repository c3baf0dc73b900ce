"""The decision table editor: open a version's DMN tables in dmn-js, edit, validate and deploy them
with that version's diagram as one new version (the modeler's validate and deploy endpoints answer)."""
from __future__ import annotations

from flask import current_app, make_response, render_template, request

from ...request_guard import whole_number
from ...services import analyst
from ...services.casework import deployments
from ...services.errors import NotFound
from ...web import db, roles_required
from .blueprint import ANALYSTS, bp, file_name


@bp.get("/analyst/decisions")
@roles_required(*ANALYSTS)
def decisions():
    session = db()
    start = request.args.get("from", type=whole_number)
    definition = analyst.get_definition(session, start) if start else _default_or_none(session)
    tables = analyst.decision_tables(session, definition) if definition else []
    response = make_response(render_template(
        "analyst/decisions.html",
        definition=definition,
        filename=file_name(definition) if definition else "",
        tables=[{"filename": table.filename, "xml": table.xml.decode("utf-8")} for table in tables],
        # The version's forms defined as data go with the new version unchanged (deploy takes only those sent).
        forms=analyst.forms_json(session, definition),
    ))
    # dmn-js writes style attributes (column widths, its menus' positions) and its expression editor
    # (CodeMirror) adds <style> elements: this page alone allows inline styles. Scripts stay as strict as
    # everywhere (no inline script); the portal's defaults never overwrite a view's own header.
    policy = current_app.extensions["security_headers"]["Content-Security-Policy"]
    response.headers["Content-Security-Policy"] = (
        f"{policy}; style-src-elem 'self' 'unsafe-inline'; style-src-attr 'unsafe-inline'"
    )
    return response


def _default_or_none(session):
    try:
        return deployments.default_definition(session)
    except NotFound:
        return None
