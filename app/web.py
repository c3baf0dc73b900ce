"""What every request shares: its database session, sign-in, CSRF, errors, filters."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, render_template, request, send_file
from flask import session as flask_session
from flask_babel import format_date, format_time, get_locale, gettext as _, lazy_gettext as _l, ngettext
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from config import tile_origin

from .db import make_engine, make_session_factory
from .i18n import local_name
from .models import STATUS_LABELS, ComplaintStatus, Role, User, utcnow
from .models.complaints import escalation_label
from .services.casework import events
from .services.casework.milestones import days_until
from .services.errors import Conflict, Invalid, NotAllowed, NotFound
from .services import files
from .services.people import user_sessions

PAKISTAN_TIME = timezone(timedelta(hours=5), "PKT")
# Day, month and year as the pages have always shown them ("06 Dec 2026"), with the month named in the reader's language.
DATE_PATTERN = "dd MMM y"
TIME_PATTERN = "HH:mm"

login_manager = LoginManager()
login_manager.login_view = "public.login"
login_manager.login_message = _l("Please sign in to continue.")
login_manager.localize_callback = str  # rendered when flashed, in the language of that request
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
    app.extensions["content_security_policy"] = content_security_policy(app.config.get("MAP_TILE_URL", ""))
    app.after_request(_security_headers)
    app.after_request(_note_session_seen)
    app.before_request(_refuse_nul_characters)
    app.jinja_env.filters["pk_time"] = pk_time
    app.jinja_env.filters["pk_date"] = pk_date
    app.jinja_env.filters["days_left"] = days_left
    app.jinja_env.filters["options"] = options
    # A timeline line's heading and sentence, made when the page is shown, in the reader's language.
    app.jinja_env.globals.update(Role=Role, STATUS_LABELS=STATUS_LABELS, event_title=events.title,
                                 event_text=events.text, status_label=status_label,
                                 escalation_label=escalation_label)
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


def file_store() -> files.FileStore:
    from pathlib import Path

    return files.DirectoryStore(Path(current_app.config["UPLOAD_DIR"]))


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


def same_site(target: str) -> str | None:
    """Only same-site paths: never let a page redirect to another host."""
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc or "\\" in target:
        return None
    return target


def uploaded_files(*names: str) -> list[files.Upload]:
    """The files sent in these form fields, in order. An empty file input arrives as a part
    without a file name: nothing chosen."""
    return [files.Upload(name, file.filename, file.read())
            for name in names for file in request.files.getlist(name) if file.filename]


# Private: only those who may read the complaint get it, and only their browser keeps it.
# An hour spares a page's thumbnails a request each; after it, the ETag makes a revisit a 304.
FILE_MAX_AGE = 3600


def send_attachment(attachment, *, thumbnail: bool = False):
    """An attachment's file (or its photo's thumbnail) with a private cache and an ETag of its content.

    The caller has checked that the reader may see it. Documents are downloads, never shown in the page.
    """
    key = attachment.thumbnail_key if thumbnail and attachment.thumbnail_key else attachment.storage_key
    etag = files.sha_of_key(key)
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        document = attachment.kind == "document"
        response = send_file(
            file_store().open(key),
            mimetype=attachment.content_type if key == attachment.storage_key else "image/jpeg",
            as_attachment=document,
            download_name=(attachment.original_filename or "document.pdf") if document else None,
            conditional=False,
            etag=False,
        )
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"private, max-age={FILE_MAX_AGE}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # A file is never a page: nothing in it may run, even if a browser were made to render it.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def pk_time(value) -> str:
    """A moment in Pakistan time, "06 Dec 2026, 14:05" in English; month names and the
    date-time joint (", " or " ") come from the reader's locale (Babel's CLDR data)."""
    if not value:
        return ""
    moment = value.astimezone(PAKISTAN_TIME)
    locale = get_locale()
    joint = locale.datetime_formats.get("medium", "{1} {0}") if locale else "{1}, {0}"
    return joint.replace("{1}", format_date(moment, DATE_PATTERN, rebase=False)).replace(
        "{0}", format_time(moment, TIME_PATTERN, rebase=False))


def pk_date(value) -> str:
    """The Pakistan calendar day of a moment, "06 Dec 2026" in English, the month in the reader's language."""
    return format_date(value.astimezone(PAKISTAN_TIME), DATE_PATTERN, rebase=False) if value else ""


def days_left(deadline: datetime | None) -> str:
    """Days before the process's next deadline (escalation, rating...), counted in Pakistan calendar
    days as the citizen was promised: 15 days on the day of lodging, "due today" on the last day."""
    if deadline is None:
        return ""
    if deadline < utcnow():
        return _("deadline passed")
    days = days_until(deadline)
    if days == 0:
        return _("due today")
    return ngettext("%(num)d day left", "%(num)d days left", days)


def status_label(status: ComplaintStatus) -> str:
    """The status in the reader's words: staff await the citizen's rating, the citizen is asked for theirs."""
    return status.staff_label if current_user.is_authenticated and current_user.is_staff else status.label


def options(items, value="id", text="name"):
    """(value, label) pairs for a select; a place's or department's label in the reader's language."""
    return [(getattr(i, value), local_name(i, text)) for i in items]


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
    """The sentence an error page shows. Never the error's own text for a 404 or 403: that names
    internal ids (NotFound("task 12")) or Werkzeug's English; a Conflict says what happened, for people."""
    if status == 404:
        return _("We could not find that page, or it is not yours to see.")
    if status == 403:
        return _("Your account may not do this.")
    if status == 413:
        return _("The upload is too large: at most 5 files, photos of at most 5 MB and PDF documents of at most 10 MB.")
    if status == 409:
        return str(error)
    return _("This request cannot be handled.")


def _invalid_page(error: Invalid):
    return render_template("error.html", status=400, message=" ".join(error.messages())), 400


def _csrf_page(error):
    message = _("The form expired or did not come from this site. Go back, reload the page and send it again.")
    return render_template("error.html", status=400, message=message), 400
