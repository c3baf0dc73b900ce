"""What every request shares: its database session, sign-in, CSRF, errors, filters."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import Flask, abort, current_app, g, render_template, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from config import tile_origin

from .db import make_engine, make_session_factory
from .models import STATUS_LABELS, Role, User, utcnow
from .services.errors import Conflict, Invalid, NotAllowed, NotFound
from .services.photos import PhotoStore

PAKISTAN_TIME = timezone(timedelta(hours=5), "PKT")

login_manager = LoginManager()
login_manager.login_view = "public.login"
login_manager.login_message = "Please sign in to continue."
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = make_session_factory(engine)
    login_manager.init_app(app)
    csrf.init_app(app)
    app.teardown_appcontext(_close_session)
    app.extensions["content_security_policy"] = content_security_policy(app.config.get("MAP_TILE_URL", ""))
    app.after_request(_security_headers)
    app.before_request(_refuse_nul_characters)
    app.jinja_env.filters["pk_time"] = pk_time
    app.jinja_env.filters["pk_date"] = pk_date
    app.jinja_env.filters["days_left"] = days_left
    app.jinja_env.filters["options"] = options
    app.jinja_env.globals.update(Role=Role, STATUS_LABELS=STATUS_LABELS)
    for error, status in ((NotFound, 404), (NotAllowed, 403), (Conflict, 409)):
        app.register_error_handler(error, _error_page(status))
    app.register_error_handler(Invalid, _invalid_page)
    app.register_error_handler(CSRFError, _csrf_page)
    for status in (400, 403, 404, 405, 413):
        app.register_error_handler(status, _error_page(status))


def client_address() -> str:
    """The caller's address, for rate limits. Behind reverse proxies, TRUSTED_PROXIES (config)
    makes this the phone's address rather than the proxy's."""
    return request.remote_addr or "unknown"


def db():
    """The session of this request (or CLI command); committed by the view, once."""
    if "db" not in g:
        g.db = current_app.extensions["db_sessions"]()
    return g.db


def session_factory():
    return current_app.extensions["db_sessions"]


def photo_store() -> PhotoStore:
    from pathlib import Path

    return PhotoStore(Path(current_app.config["UPLOAD_DIR"]))


def _close_session(_exc):
    session = g.pop("db", None)
    if session is not None:
        session.rollback()  # anything not committed by the view is dropped
        session.close()


def _refuse_nul_characters():
    """PostgreSQL cannot store a NUL character in text: refuse it up front with a 400
    instead of failing deep in a transaction. (/api/ answers per field itself.)"""
    if request.path.startswith("/api/"):
        return None
    values = [*request.args.values(), *(request.form.values() if request.method == "POST" else ())]
    if any("\x00" in value for value in values):
        abort(400)
    return None


def content_security_policy(tile_url: str) -> str:
    """No inline scripts anywhere, so a strict policy costs nothing and stops injected
    markup from running. Images may also come from the map tile server, when one is set."""
    images = " ".join(filter(None, ("'self' data:", tile_origin(tile_url))))
    return f"default-src 'self'; img-src {images}; frame-ancestors 'none'"


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", current_app.extensions["content_security_policy"])
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@login_manager.user_loader
def _load_user(session_id: str):
    user_id, _, fingerprint = session_id.partition(".")
    user = db().get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or fingerprint != user.password_fingerprint:
        return None  # gone, deactivated, or its password changed since this sign-in
    return user


def roles_required(*roles: Role):
    """Only signed-in users with one of `roles` pass; others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def uploaded_photo(name: str = "photo") -> bytes | None:
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    return file.read()


def pk_time(value):
    return value.astimezone(PAKISTAN_TIME).strftime("%d %b %Y, %H:%M") if value else ""


def pk_date(value):
    return value.astimezone(PAKISTAN_TIME).strftime("%d %b %Y") if value else ""


def days_left(deadline: datetime | None) -> str:
    """Days before the process's next deadline (escalation, rating...), for inbox lists."""
    if deadline is None:
        return ""
    days = (deadline - utcnow()).total_seconds() / 86400
    if days < 0:
        return "deadline passed"
    if days < 1:
        return "less than a day left"
    return f"{int(days)} day{'s' if int(days) != 1 else ''} left"


def options(items, value="id", text="name"):
    return [(getattr(i, value), getattr(i, text)) for i in items]


def register_error_renderer(app: Flask, prefix: str, render) -> None:
    """Paths under `prefix` (a machine interface) get `render(error, status)` instead of an HTML error page."""
    app.extensions.setdefault("error_renderers", {})[prefix] = render


def _error_page(status):
    def handler(error):
        # Unknown URLs and wrong methods never reach a blueprint's own handlers.
        for prefix, render in current_app.extensions.get("error_renderers", {}).items():
            if request.path.startswith(prefix):
                return render(error, status)
        return render_template("error.html", status=status, message=_message(status, error)), status

    return handler


def _message(status, error):
    if status == 404:
        return "We could not find that page, or it is not yours to see."
    if status == 403:
        return "Your account may not do this."
    if status == 413:
        return "The upload is too large: a photo may be at most 5 MB."
    if status == 409:
        return str(error)
    return "This request cannot be handled."


def _invalid_page(error: Invalid):
    return render_template("error.html", status=400, message=str(error)), 400


def _csrf_page(error):
    message = "The form expired or did not come from this site. Go back, reload the page and send it again."
    return render_template("error.html", status=400, message=message), 400
