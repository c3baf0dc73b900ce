"""The smartphone app's JSON API, /api/v1: bearer tokens, problem-details errors, an OpenAPI document.

Routes live in account.py, complaints.py, tasks.py and docs.py; the document
they must match is openapi.py (a test checks both ways).
"""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import get_locale, gettext as _
from werkzeug.exceptions import HTTPException

from .. import i18n
from ..services import files
from ..services.errors import Conflict, Invalid, MobileUnconfirmed, NotAllowed, NotFound, ProcessIncident, TooManyTries
from ..web import MISSING_FILE, csrf, incident_message, recorded_incident, register_error_renderer
from .auth import api_user
from .problems import ApiProblem, from_http_error, problem

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
# The problem type of an incident (a process that failed at run time); docs/analysts.md describes incidents.
INCIDENT_TYPE = PREFIX + "/problems/incident"
# Bearer tokens only: the session cookie is never read here, so there is nothing for CSRF to forge.
csrf.exempt(bp)

# Flask's own errors for /api/ paths that reach no view (unknown URL, wrong method) as problem documents.
bp.record_once(lambda state: register_error_renderer(state.app, "/api/", from_http_error))
# The language of an answer: the token's user's saved choice (auth.token_required), else Accept-Language;
# never the pages' session or language cookie.
bp.record_once(lambda state: i18n.without_session(state.app, PREFIX + "/"))


@bp.after_app_request
def _content_language(response):
    """Every answer under /api/v1 says which language its texts are in (also errors that reach no view)."""
    if request.path.startswith(PREFIX + "/"):
        response.headers["Content-Language"] = str(get_locale() or i18n.DEFAULT)
        response.vary.add("Accept-Language")
    return response


# Codes registered one by one: the app's HTML handler for a code would otherwise win over a class handler here.
for _code in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500):
    bp.register_error_handler(_code, from_http_error)
bp.register_error_handler(HTTPException, from_http_error)
bp.register_error_handler(ApiProblem, lambda error: error.response())
# A NotFound's own message names internal ids ("task 12"): never shown.
bp.register_error_handler(NotFound, lambda error: problem(404, _("There is no such thing, or it is not yours to see.")))
bp.register_error_handler(files.MissingObject, lambda error: problem(404, str(MISSING_FILE)))
bp.register_error_handler(NotAllowed, lambda error: problem(403, str(error)))
bp.register_error_handler(Conflict, lambda error: problem(409, str(error)))
bp.register_error_handler(
    Invalid, lambda error: problem(422, _("Some fields are wrong: see errors."), errors=error.errors)
)
bp.register_error_handler(
    TooManyTries,
    lambda error: problem(429, _("Too many tries. Try again in %(seconds)s seconds.", seconds=error.retry_after),
                          errors=error.errors, headers={"Retry-After": str(error.retry_after)}),
)
bp.register_error_handler(
    MobileUnconfirmed,
    lambda error: problem(403, _("%(reason)s Send the code to POST /api/v1/me/mobile/confirmation; "
                                 "POST /api/v1/me/mobile sends a new one.", reason=error)),
)


@bp.errorhandler(ProcessIncident)
def _incident(failed: ProcessIncident):
    """The process failed at run time: nothing was kept; the analysts have an incident, the client its reference."""
    reference = recorded_incident(failed, api_user())
    return problem(500, incident_message(reference), title=_("The process could not go on"), type=INCIDENT_TYPE,
                   reference=reference)


from . import account, complaints, docs, personal_data, tasks  # noqa: E402,F401  (they add their routes to bp)
