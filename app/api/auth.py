"""Bearer-token sign-in for the API. The session cookie is never looked at here:
a browser signed in to the pages gets 401 on the API, so no page can be made
to call it on a user's behalf (and the API needs no CSRF token)."""
from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_babel import lazy_gettext as _l

from .. import i18n
from ..models import Role, User, utcnow
from ..services.interop import api_tokens
from ..web import db
from .problems import ApiProblem

REALM = "Citizen's Portal API"
# What a token whose account must change its password may still call (users.must_change_password).
PASSWORD_CHANGE_ALLOWS = {"api.me", "api.change_password", "api.sign_out"}
# The problem's `code`, for an app to recognise and open its change-password screen.
PASSWORD_CHANGE_REQUIRED = "password_change_required"


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def unauthorized(detail, *, invalid: bool = False) -> ApiProblem:
    challenge = f'Bearer realm="{REALM}"' + (', error="invalid_token"' if invalid else "")
    return ApiProblem(401, detail, headers={"WWW-Authenticate": challenge})


def token_required(*roles: Role):
    """The caller must send a live bearer token; with `roles`, their role must be one of them (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = bearer_token()
            if token is None:
                raise unauthorized(_l("Send an access token: Authorization: Bearer <token> (from POST /api/v1/auth/token)."))
            session = db()
            now = utcnow()
            try:
                row = api_tokens.authenticate_token(session, token, now=now)
            except api_tokens.TokenRefused as refused:
                raise unauthorized(refused.message, invalid=True) from None
            if row.last_used_at == now:
                # Its own small unit of work: views that only read never commit.
                session.commit()
            g.api_token, g.api_user = row, row.user
            i18n.set_reader(row.user)
            if row.user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ALLOWS:
                raise ApiProblem(403, _l("Your password no longer meets the portal's rules. Change it first: "
                                         "POST /api/v1/me/password."), code=PASSWORD_CHANGE_REQUIRED)
            if roles and row.user.role not in roles:
                raise ApiProblem(403, _l("Your account's role may not do this."))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def api_user() -> User:
    return g.api_user
