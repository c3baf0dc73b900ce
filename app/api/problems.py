"""RFC 9457 problem details: the one error format of the JSON interfaces.

Generic on purpose (no routes, no models): any machine-facing blueprint can
raise `ApiProblem` or return `problem(...)`, and use `from_http_error` for the
errors Flask raises itself (unknown URL, wrong method, body too large...).
"""
from __future__ import annotations

import json

from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_JSON = "application/problem+json"

# Details for errors Flask raises before any view runs (Werkzeug's own texts are written for HTML pages).
DETAILS = {
    400: "The request is malformed.",
    404: "There is nothing at this URL, or it is not yours to see.",
    405: "This URL does not take this method: see the Allow header.",
    413: "The request body is too large: a photo may be at most 5 MB.",
    415: "The body is in a media type this URL does not take.",
    500: "Something went wrong on our side. The request may be retried later.",
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
    """A problem+json response. `errors` maps each field to what is wrong with it."""
    body = {"type": type, "title": title or HTTP_STATUS_CODES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = str(detail)  # a service's lazy_gettext text, rendered in the reader's language
    if errors is not None:
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
    return problem(status, detail, headers=headers)


def _is_generic(error: HTTPException) -> bool:
    return error.description == type(error).description
