"""The modeler page and what it posts: validate, simulate and deploy a draft diagram.

The modeler (bpmn-js, in the browser) sends the draft's XML as a form field
with the page's CSRF token; these endpoints answer JSON for its script.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import PurePosixPath, PureWindowsPath

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...request_guard import whole_number
from ...models import LANE_ROLES, ComplaintStatus
from ...services import analyst, closures
from ...services.casework import deployments
from ...services.errors import Conflict, Invalid, NotFound
from ...web import db, roles_required
from .blueprint import ANALYSTS, bp, file_name

@bp.get("/analyst/modeler")
@roles_required(*ANALYSTS)
def modeler():
    session = db()
    start = request.args.get("from", type=whole_number)
    definition = analyst.get_definition(session, start) if start else _default_or_none(session)
    return render_template(
        "analyst/modeler.html",
        definition=definition,
        filename=file_name(definition) if definition else "diagram.bpmn",
        forms=analyst.forms_json(session, definition),
        # The version's own forms too, so that the properties panel and the simulator offer them.
        catalogue=[dataclasses.asdict(form) for form in analyst.forms_catalogue(analyst.version_forms(session, definition))],
        statuses=[(s.value, s.label) for s in ComplaintStatus],
        roles=[(r.value, f"{r.value} ({r.label})") for r in sorted(LANE_ROLES, key=lambda r: r.value)],
        complaint_process=deployments.COMPLAINT_PROCESS,
    )


def _default_or_none(session):
    try:
        return deployments.default_definition(session)
    except NotFound:
        return None


@bp.post("/analyst/validate")
@roles_required(*ANALYSTS)
def validate():
    xml = request.form.get("xml", "")
    if not xml.strip():
        return _problems([analyst.DiagramError(_("no diagram was sent"))], status=400)
    try:
        forms = _forms()
    except ValueError as error:
        return _problems([analyst.DiagramError(str(error))], status=400)
    report = analyst.validate_draft(db(), xml.encode("utf-8"), _posted_decisions(), forms, as_process=_as_process())
    return _problems(report.errors, report.warnings)


def _forms() -> dict | None:
    """The draft's forms defined as data: the JSON the analyst wrote in the forms box (empty: none)."""
    text = request.form.get("forms", "").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(_("the forms are not valid JSON: %(error)s", error=error)) from None


@bp.post("/analyst/deploy")
@roles_required(*ANALYSTS)
def deploy():
    xml = request.form.get("xml", "")
    if not xml.strip():
        return _problems([analyst.DiagramError(_("no diagram was sent"))], status=400)
    session = db()
    try:
        forms = _forms()
    except ValueError as error:
        return _problems([analyst.DiagramError(str(error))], status=400)
    try:
        definition = analyst.deploy_version(
            session,
            current_user,
            xml.encode("utf-8"),
            _safe_filename(request.form.get("filename", "")),
            make_default=request.form.get("make_default") == "1",
            decisions=_posted_decisions(),
            forms=forms,
            note=request.form.get("note", ""),
            as_process=_as_process(),
        )
    except analyst.DiagramRejected as rejected:
        session.rollback()
        return _problems(rejected.errors, status=400)
    except Invalid as refused:
        session.rollback()
        return _problems([analyst.DiagramError(message) for message in refused.messages()], status=400)
    except Conflict as refused:
        session.rollback()
        return _problems([analyst.DiagramError(str(refused))], status=409)
    session.commit()
    return (
        jsonify(
            definition_id=definition.id,
            process_id=definition.process_id,
            version=definition.version,
            is_default=definition.is_default,
            list_url=url_for("analyst.index"),
            view_url=url_for("analyst.version", definition_id=definition.id),
            # Deployed, but worth a look: a reminder at or after its deadline, a timer contradicting its name.
            warnings=[_problem(w) for w in analyst.deploy_warnings(session, definition)],
        ),
        201,
    )


@bp.post("/analyst/simulate")
@roles_required(*ANALYSTS)
def simulate():
    xml = request.form.get("xml", "")
    if not xml.strip():
        return _problems([analyst.DiagramError(_("no diagram was sent"))], status=400)
    try:
        scenario = analyst.scenario_from_json(request.form.get("scenario", "{}"))
    except ValueError as error:
        return _problems([analyst.DiagramError(_("the scenario is not valid: %(error)s", error=error))], status=400)
    try:
        xml = analyst.renamed_draft(xml.encode("utf-8"), _as_process())  # its tables are those of the process it becomes
        result = analyst.simulate_draft(xml, scenario, closures.closed_dates(db()),
                                        decisions=analyst.draft_decisions(db(), xml, _posted_decisions()))
    except analyst.DiagramRejected as rejected:
        return _problems(rejected.errors, status=400)
    return jsonify(_simulation(result))


def _posted_decisions() -> list[analyst.DecisionFile] | None:
    """The decision tables sent with the draft (fields `decision_xml` and `decision_filename`, one pair per
    DMN file), or None when none were sent: the current version's tables then stay."""
    tables = request.form.getlist("decision_xml")
    if not tables:
        return None
    names = request.form.getlist("decision_filename")
    return [
        analyst.DecisionFile(_safe_filename(names[n] if n < len(names) else "", "decisions.dmn"), table.encode("utf-8"))
        for n, table in enumerate(tables)
    ]


def _as_process() -> str | None:
    """The known process the analyst asked to deploy the draft as (the modeler's checkbox), or None."""
    wanted = request.form.get("as_process", "")
    return wanted if wanted in deployments.KNOWN_PROCESSES else None


def _problems(errors, warnings=(), status=200):
    return jsonify(errors=[_problem(e) for e in errors], warnings=[_problem(w) for w in warnings]), status


def _problem(error) -> dict:
    # `code` names the kind of problem for scripts; `message` says it in the reader's language.
    problem = {"message": str(analyst.in_words(error.message)), "code": analyst.code_of(error.message),
               "element_id": error.element_id or "", "line": error.line}
    if getattr(error, "file", ""):  # a decision table's problem: which DMN file
        problem["file"] = error.file
    return problem


def _simulation(result) -> dict:
    """The simulation's result for the modeler's script, its details worded in the reader's language."""
    answer = dataclasses.asdict(result)
    answer["steps"] = [{**dataclasses.asdict(step), "detail": str(analyst.detail_in_words(step.detail))}
                       for step in result.steps]
    answer["error"] = str(analyst.in_words(result.error)) if result.error else None
    return answer


def _safe_filename(name: str, default: str = "diagram.bpmn") -> str:
    """The uploaded file's own name, for messages; never a path."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip()
    return base[:120] or default
