"""The process analyst's workbench: versions, diagrams, the modeler, migration, forms.

Only analysts and administrators reach the workbench. The pages in
analyst_modeler.py (editing, validating, simulating, deploying),
analyst_migrate.py (moving running complaints between versions) and
analyst_instance.py (a complaint's path over its diagram, for every reader of
the complaint) and analyst_assets.py (bpmn-js's files from node_modules) add
their routes to this blueprint.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..models import ProcessDefinition, Role
from ..services import analyst
from ..web import db, roles_required

bp = Blueprint("analyst", __name__)

ANALYSTS = (Role.ANALYST, Role.ADMIN)
# bpmn-js's modeler writes a few style attributes (the alignment icons of its
# popup menu); every other page keeps the application's strict policy.
RELAXED_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
RELAXED_ENDPOINTS = {"analyst.modeler"}


@bp.after_request
def _relax_styles_for_the_modeler(response):
    if request.endpoint in RELAXED_ENDPOINTS:
        response.headers["Content-Security-Policy"] = RELAXED_CSP
    return response


@bp.get("/analyst")
@roles_required(*ANALYSTS)
def index():
    return render_template("analyst/index.html", processes=analyst.list_processes(db()))


@bp.post("/analyst/default")
@roles_required(*ANALYSTS)
def set_default():
    definition_id = request.form.get("definition_id", type=int)
    if definition_id is None:
        abort(400)
    session = db()
    definition = analyst.set_default(session, current_user, definition_id)
    session.commit()
    flash(f"Version {definition.version} of {definition.process_id} is now the default for new complaints.")
    return redirect(url_for("analyst.index"))


@bp.get("/analyst/versions/<int:definition_id>")
@roles_required(*ANALYSTS)
def version(definition_id: int):
    definition = analyst.get_definition(db(), definition_id)
    return render_template("analyst/version.html", definition=definition)


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
    return render_template("analyst/forms.html", forms=analyst.forms_catalogue())


def file_name(definition: ProcessDefinition) -> str:
    return f"{definition.process_id}-v{definition.version}.bpmn"


# The other workbench pages register their routes on `bp` when imported.
from . import analyst_assets, analyst_instance, analyst_migrate, analyst_modeler  # noqa: E402,F401
