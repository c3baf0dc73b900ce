"""What every request shares: its database session, sign-in, CSRF, errors, filters."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import Flask, abort, current_app, g, render_template, request
from flask import session as flask_session
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from .db import make_engine, make_session_factory
from .models import STATUS_LABELS, Role, User, utcnow
from .services.errors import Conflict, Invalid, NotAllowed, NotFound
from .services.people import user_sessions
from .services.photos import PhotoStore

PAKISTAN_TIME = timezone(timedelta(hours=5), "PKT")

login_manager = LoginManager()
login_manager.login_view = "public.login"
login_manager.login_message = "Please sign in to continue."
csrf = CSRFProtect()
# The Flask session's key of this browser's row in user_sessions.
SESSION_KEY = "session_key"


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = make_session_factory(engine)
    login_manager.init_app(app)
    csrf.init_app(app)
    app.teardown_appcontext(_close_session)
    app.after_request(_security_headers)
    app.after_request(_note_session_seen)
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


def _security_headers(response):
    # No inline scripts anywhere, so a strict policy costs nothing and stops
    # injected markup from running.
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@login_manager.user_loader
def _load_user(session_id: str):
    user_id, _, fingerprint = session_id.partition(".")
    user = db().get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or fingerprint != user.password_fingerprint:
        return None  # gone, deactivated, or its password changed since this sign-in
    row = user_sessions.live_session(db(), user.id, flask_session.get(SESSION_KEY))
    if row is None:
        return None  # signed out from another browser, or idle too long
    if user_sessions.needs_touch(row):
        g.session_seen = row.id
    return user


def sign_in(user: User) -> None:
    """Sign this browser in as `user`, with its own row in user_sessions (committed here)."""
    session = db()
    key = user_sessions.start_session(session, user, user_agent=request.user_agent.string, address=client_address())
    session.commit()
    login_user(user)
    flask_session[SESSION_KEY] = key


def renew_sign_in(user: User) -> None:
    """After a password change: this browser stays signed in (its cookie carries the new password's fingerprint)."""
    login_user(user)


def sign_out() -> None:
    """Sign this browser out, and end its row (committed here)."""
    session = db()
    user_sessions.end_session_by_key(session, flask_session.pop(SESSION_KEY, None))
    session.commit()
    logout_user()


def current_session_key() -> str | None:
    return flask_session.get(SESSION_KEY)


def _note_session_seen(response):
    """When this browser's row was last seen, every few minutes: its own small unit of work, after the view's."""
    session_id = g.pop("session_seen", None)
    if session_id is not None:
        session = db()
        session.rollback()  # what the view did not commit is dropped, as the teardown would
        user_sessions.touch_session(session, session_id)
        session.commit()
    return response


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
