"""Open311 GeoReport v2 at /open311/v2, for other government bodies and civic apps.

Every resource answers in XML or JSON by its extension (`services.xml`,
`services.json`). Reading is public and shows no personal data (see
app/services/open311.py); posting a request needs an API key issued by an
administrator. Errors are the specification's list of {code, description}.
The interface is machine-facing: no session cookie authenticates here, so it is
exempt from the CSRF check of the pages.
"""
from __future__ import annotations

import re
from dataclasses import fields
from datetime import datetime

from flask import Blueprint, current_app, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ... import i18n
from ...request_guard import whole_number
from ...services.interop import api_keys, open311, open311_intake
from ...services import rate_limits
from ...services.errors import Invalid, NotAllowed, NotFound, ProcessIncident
from ...web import csrf, db, incident_message, recorded_incident, register_error_renderer
from .formats import errors, format_of, respond

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)

FMT = "<any(xml, json):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this interface last changed in a way clients may care about (discovery's changeset).
CHANGESET = datetime.fromisoformat("2026-11-27T00:00:00+05:00")
# Requests a client may post per key and window, unless the settings say otherwise.
EXTENSIONS = [
    {
        "name": "district_code",
        "description": _l("Required when posting a request: the code of the district the problem is in, from "
                          "districts.xml / districts.json (we have no district boundaries to place lat/long in)."),
    },
    {"name": "page, page_size",
     "description": _l("GET requests: pages of at most %(count)s requests.", count=open311.MAX_REQUESTS)},
    {
        "name": "privacy",
        "description": _l("Requests show the district as address and lat/long rounded to 3 decimals (about 100 m); "
                          "no name, phone, e-mail, street address or photo (no media_url); personal details are cut "
                          "out of descriptions. media_url sent with a request is not fetched."),
    },
    {
        "name": "token",
        "description": _l("Requests are created at once: POST answers with service_request_id, and "
                          "tokens/{token} answers for a token equal to a service_request_id."),
    },
    {
        "name": "language",
        "description": _l("Descriptions, service names and errors are in the language the Accept-Language header "
                          "asks for: English (en), Urdu (ur) or Pashto (ps); Content-Language says which."),
    },
]


@bp.record_once
def _machine_errors(state) -> None:
    # Unknown URLs and wrong methods under /open311/ get the error list, not an HTML page.
    register_error_renderer(state.app, "/open311/", lambda error, status: _error_list(error, status))
    # Machines ask for a language with Accept-Language; a browser's page cookie or session must not decide.
    i18n.without_session(state.app, "/open311/")


@bp.after_app_request
def _content_language(response):
    """Every answer under /open311/ says which language its descriptions are in."""
    if request.path.startswith("/open311/"):
        response.headers["Content-Language"] = str(get_locale() or i18n.DEFAULT)
        response.vary.add("Accept-Language")
    return response


@bp.get(f"/discovery.{FMT}")
def discovery(fmt):
    contact = current_app.config["OPEN311_CONTACT"]
    document = {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _l("API keys for posting requests are issued by the portal's administrators."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url_for("open311.discovery", fmt=fmt, _external=True).rsplit("/", 1)[0],
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
        "extensions": EXTENSIONS,
    }
    return _public(respond(fmt, "discovery", document))


@bp.get(f"/services.{FMT}")
def services(fmt):
    return _public(respond(fmt, "services", open311.list_services(db(), i18n.current_language().code)))


@bp.get(f"/services/<service_code>.{FMT}")
def service_definition(service_code, fmt):
    return _public(respond(fmt, "service_definition", open311.service_definition(db(), service_code)))


@bp.get(f"/districts.{FMT}")
def districts(fmt):
    return _public(respond(fmt, "districts", open311.list_districts(db())))


@bp.get(f"/requests.{FMT}")
def requests(fmt):
    args = request.args
    query = open311.RequestQuery(
        service_request_ids=_list(args.get("service_request_id")),
        service_codes=_list(args.get("service_code")),
        start=_datetime(args, "start_date"),
        end=_datetime(args, "end_date"),
        statuses=[s.lower() for s in _list(args.get("status"))],
        page=_integer(args, "page", 1),
        page_size=_integer(args, "page_size", open311.MAX_REQUESTS),
    )
    return _public(respond(fmt, "service_requests", open311.find_requests(db(), query)))


@bp.post(f"/requests.{FMT}")
def post_request(fmt):
    session = db()
    key = api_keys.authenticate_api_key(session, request.values.get("api_key"))
    if key is None:
        raise NotAllowed(_("api_key is missing, unknown or revoked."))
    limit = current_app.config["OPEN311_POST_LIMIT"]
    window = current_app.config["OPEN311_POST_WINDOW_SECONDS"]
    decision = rate_limits.hit(session, f"open311-post:{key.id}", limit=limit, window_seconds=window)
    session.commit()  # a refused attempt counts even if this request fails later
    if not decision.allowed:
        response = errors(fmt, 429, [_("More than %(limit)s requests in %(window)s seconds with this api_key; try later.",
                                       limit=limit, window=window)])
        response.headers["Retry-After"] = str(decision.retry_after)
        return response
    form = request.form
    data = open311_intake.RequestInput(**{f.name: form.get(f.name, "") for f in fields(open311_intake.RequestInput)})
    try:
        complaint = open311_intake.submit_request(session, key, data)
    except IntegrityError:
        session.rollback()  # a concurrent request created the reporter's account: it exists now
        complaint = open311_intake.submit_request(session, key, data)
    session.commit()
    notice = _("Lodged with %(department)s, %(district)s; the Deputy Commissioner assigns it.",
               department=complaint.department.name, district=complaint.district.name)
    created = [{"service_request_id": complaint.tracking_number, "service_notice": notice, "account_id": None}]
    return respond(fmt, "service_requests", created, 201)


@bp.get(f"/requests/<service_request_id>.{FMT}")
def get_request(service_request_id, fmt):
    return _public(respond(fmt, "service_requests", [open311.get_request(db(), service_request_id)]))


@bp.get(f"/tokens/<token>.{FMT}")
def token(token, fmt):
    return _public(respond(fmt, "service_requests", [open311.request_for_token(db(), token)]))


@bp.errorhandler(Invalid)
def _invalid(error: Invalid):
    descriptions = [f"{name}: {message}" if name else str(message)
                    for name, messages in error.errors.items() for message in messages]
    return errors(_format(), 400, descriptions)


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    # The error names what the client asked for (a service_code, a service_request_id): its own words, not ours.
    return errors(_format(), 404, [_("Not found: %(what)s.", what=str(error))])


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return errors(_format(), 403, [str(error)])


@bp.errorhandler(ProcessIncident)
def _incident(failed: ProcessIncident):
    # The complaint's process failed at its start: nothing was kept (a reporter account made for it neither, so
    # the incident names no one); the client gets the reference in the error list, not the portal's HTML page.
    return errors(_format(), 500, [incident_message(recorded_incident(failed, None))])


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return _error_list(error, error.code or 500)


def _error_list(error, status: int):
    description = getattr(error, "description", None) or _("This request cannot be handled.")
    response = errors(_format(), status, [description])
    if getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _format() -> str:
    return (request.view_args or {}).get("fmt") or format_of(request.path)


def _public(response):
    # Public data: a civic web app on another site may read it from the browser.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _datetime(args, name: str) -> datetime | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    # An unescaped "+" of the offset arrives as a space.
    value = re.sub(r" (\d\d:?\d\d)$", r"+\1", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Invalid({name: [_("Give a W3C datetime with its offset, e.g. 2026-01-31T09:00:00+05:00 or ...Z.")]})
    return parsed


def _integer(args, name: str, default: int) -> int:
    value = (args.get(name) or "").strip()
    if not value:
        return default
    try:
        number = whole_number(value)
    except ValueError:
        number = -1
    if number < 0:  # str.isdigit() would take "²" and 30-digit pages the database cannot count to
        raise Invalid({name: [_("Give a whole number.")]})
    return number
