"""Versions of each process: the list, one version, its XML, the default for new complaints, the forms."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...request_guard import whole_number
from ...services import analyst
from ...web import db, roles_required
from .blueprint import ANALYSTS, bp, file_name


@bp.get("/analyst")
@roles_required(*ANALYSTS)
def index():
    return render_template("analyst/index.html", processes=analyst.list_processes(db()))


@bp.post("/analyst/default")
@roles_required(*ANALYSTS)
def set_default():
    definition_id = request.form.get("definition_id", type=whole_number)
    if definition_id is None:
        abort(400)
    session = db()
    definition = analyst.set_default(session, current_user, definition_id)
    session.commit()
    flash(_("Version %(version)s of %(process)s is now the default for new complaints.", version=definition.version,
            process=definition.process_id))
    return redirect(url_for("analyst.index"))


@bp.get("/analyst/versions/<int:definition_id>")
@roles_required(*ANALYSTS)
def version(definition_id: int):
    definition = analyst.get_definition(db(), definition_id)
    return render_template("analyst/version.html", definition=definition)


@bp.get("/analyst/versions/<int:definition_id>/changes")
@roles_required(*ANALYSTS)
def changes(definition_id: int):
    """What changed from another version (default: the one before), listed and marked on the diagram."""
    session = db()
    comparison = analyst.compare_versions(session, definition_id, request.args.get("against", type=whole_number))
    described = {
        change.element_id: ", ".join(str(word) for word in analyst.aspects_in_words(change.aspects))
        for change in comparison.changes.changed
    }
    marks = {
        "added": [change.element_id for change in comparison.changes.added],
        "changed": [{"element_id": element_id, "label": label} for element_id, label in described.items()],
    }
    others = [v for process in analyst.list_processes(session) if process.process_id == comparison.newer.process_id
              for v in process.versions if v.definition_id != definition_id]
    return render_template("analyst/changes.html", comparison=comparison, described=described, marks=marks,
                           others=others)


@bp.get("/analyst/versions/<int:definition_id>/xml")
@roles_required(*ANALYSTS)
def download(definition_id: int):
    definition = analyst.get_definition(db(), definition_id)
    response = Response(definition.xml, mimetype="application/xml")
    if request.args.get("inline") != "1":
        response.headers["Content-Disposition"] = f'attachment; filename="{file_name(definition)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/analyst/forms")
@roles_required(*ANALYSTS)
def forms():
    session = db()
    default = analyst.default_version_or_none(session)
    return render_template("analyst/forms.html", forms=analyst.forms_catalogue(analyst.version_forms(session, default)),
                           default=default)
