"""RFC 9457 problem details: the one error format of the JSON interfaces.

Generic on purpose (no routes, no models): any machine-facing blueprint can
raise `ApiProblem` or return `problem(...)`, and use `from_http_error` for the
errors Flask raises itself (unknown URL, wrong method, body too large...).
"""
from __future__ import annotations

import json

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from .. import request_ids

PROBLEM_JSON = "application/problem+json"

# Details for errors Flask raises before any view runs (Werkzeug's own texts are written for HTML pages).
DETAILS = {
    400: _l("The request is malformed."),
    404: _l("There is nothing at this URL, or it is not yours to see."),
    405: _l("This URL does not take this method: see the Allow header."),
    413: _l("The request body is too large: at most 5 files, photos of at most 5 MB and PDF documents of at most 10 MB."),
    415: _l("The body is in a media type this URL does not take."),
    500: _l("Something went wrong on our side. The request may be retried later."),
}
# Titles of the statuses the API answers with, in the reader's language (the English is HTTP's reason phrase).
TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    409: _l("Conflict"),
    413: _l("Request Entity Too Large"),
    415: _l("Unsupported Media Type"),
    422: _l("Unprocessable Entity"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
}


class ApiProblem(Exception):
    """Raise anywhere in a machine-facing view to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type: str = "about:blank",
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions,
    ):
        super().__init__(detail or title or HTTP_STATUS_CODES.get(status, "Error"))
        self.status, self.detail, self.title, self.type = status, detail, title, type
        self.errors, self.headers, self.extensions = errors, headers or {}, extensions

    def response(self):
        return problem(
            self.status,
            self.detail,
            title=self.title,
            type=self.type,
            errors=self.errors,
            headers=self.headers,
            **self.extensions,
        )


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    type: str = "about:blank",
    errors: dict[str, list[str]] | None = None,
    headers=None,
    **extensions,
):
    """A problem+json response. `errors` maps each field to what is wrong with it.

    Texts may be lazy strings (services' messages): they are rendered here, in the
    language of this request (the API user's saved choice, else Accept-Language).
    """
    title = title or TITLES.get(status) or HTTP_STATUS_CODES.get(status, "Error")
    body = {"type": type, "title": str(title), "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors is not None:
        # str(): the services' messages are lazy, rendered here in the reader's language.
        body["errors"] = {name or "_form": [str(m) for m in messages] for name, messages in errors.items()}
    body.update(extensions)
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in dict(headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def from_http_error(error: Exception, status: int | None = None):
    """A problem document for a Werkzeug HTTP error, keeping its headers (Allow, Retry-After...)."""
    if isinstance(error, HTTPException):
        status = error.code or status or 500
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        # Werkzeug's generic descriptions are pages' prose; ours say what to do.
        detail = DETAILS.get(status) if _is_generic(error) else error.description
    else:
        status, headers = status or 500, {}
        detail = DETAILS.get(status) or str(error)
    if status >= 500:
        return server_problem(status, headers)
    return problem(status, detail, headers=headers)


def server_problem(status: int = 500, headers=None):
    """The portal failed: what to do, and the request id to quote (also in the X-Request-ID header)."""
    reference = request_ids.current() or "-"
    detail = _("Something went wrong on our side and nothing was saved. The request may be retried later; "
               "if it fails again, quote this reference: %(reference)s", reference=reference)
    return problem(status, detail, headers=headers, request_id=reference)


def _is_generic(error: HTTPException) -> bool:
    return error.description == type(error).description
