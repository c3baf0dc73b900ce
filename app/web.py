"""What every request shares: its database session, sign-in, CSRF, errors, filters."""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask import session as flask_session
from flask_babel import (format_date, format_time, format_timedelta, get_locale, gettext as _, lazy_gettext as _l,
                         ngettext)
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from .db import make_engine, make_session_factory
from .i18n import local_name
from .models import STATUS_LABELS, ComplaintStatus, Role, User, utcnow
from .models.complaints import escalation_label
from .services.casework import events, incidents
from .services.casework.milestones import days_until
from .services.errors import Conflict, Invalid, NotAllowed, NotFound, ProcessIncident, TooManyTries
from .services import files, rate_limits
from .services.people import passwords, second_factor, user_sessions

PAKISTAN_TIME = timezone(timedelta(hours=5), "PKT")
# Day, month and year as the pages have always shown them ("06 Dec 2026"), with the month named in the reader's language.
DATE_PATTERN = "dd MMM y"
TIME_PATTERN = "HH:mm"

log = logging.getLogger(__name__)
# A row names a file the store has lost (a restore that missed it, a bucket emptied by hand).
MISSING_FILE = _l("This file is missing from the portal's storage, so it cannot be shown.")

login_manager = LoginManager()
login_manager.login_view = "public.login"
login_manager.login_message = _l("Please sign in to continue.")
login_manager.localize_callback = str  # rendered when flashed, in the language of that request
csrf = CSRFProtect()
# The Flask session's key of this browser's row in user_sessions.
SESSION_KEY = "session_key"
# A sign-in whose password was right and whose second factor is still to come (web.hold_sign_in).
HELD_SIGN_IN = "held_sign_in"


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = make_session_factory(engine)
    app.extensions["file_store"] = files.store_from_settings(app.config)  # no I/O: a client connects when used
    login_manager.init_app(app)
    csrf.init_app(app)
    app.teardown_appcontext(_close_session)
    app.after_request(_note_session_seen)
    app.before_request(_password_change_first)
    app.jinja_env.filters["pk_time"] = pk_time
    app.jinja_env.filters["pk_date"] = pk_date
    app.jinja_env.filters["days_left"] = days_left
    app.jinja_env.filters["options"] = options
    # A timeline line's heading and sentence, made when the page is shown, in the reader's language.
    app.jinja_env.globals.update(Role=Role, STATUS_LABELS=STATUS_LABELS, event_title=events.title,
                                 event_text=events.text, status_label=status_label,
                                 escalation_label=escalation_label, password_minimum=_password_minimum)
    for error, status in ((NotFound, 404), (NotAllowed, 403), (Conflict, 409)):
        app.register_error_handler(error, _error_page(status))
    app.register_error_handler(Invalid, _invalid_page)
    app.register_error_handler(TooManyTries, too_many_tries_page)
    app.register_error_handler(ProcessIncident, _incident_page)
    app.register_error_handler(CSRFError, _csrf_page)
    app.register_error_handler(files.MissingObject, _missing_file_page)
    for status in (400, 403, 404, 405, 413):
        app.register_error_handler(status, _error_page(status))
    app.register_error_handler(500, _server_error_page)


def _password_minimum(staff: bool) -> int:
    return passwords.minimum_length(staff=staff)


def client_address() -> str:
    """The caller's address, for rate limits. Behind reverse proxies, TRUSTED_PROXIES (config)
    makes this the phone's address rather than the proxy's."""
    return request.remote_addr or "unknown"


def count_request(name: str, who: str) -> None:
    """Count this request against the fixed window of settings API_<NAME>_LIMIT / _WINDOW_SECONDS
    (the pages and the API share the window); TooManyTries once over it.

    An allowed request's count is committed with the view's own work (one commit per request,
    not two); a refused one is committed at once. If the view's work is rolled back, the
    teardown counts the request again (`_close_session`): a failed request still counts.
    """
    setting = f"API_{name.upper().replace('-', '_')}"
    session = db()
    decision = rate_limits.hit_with_work(session, f"{name}:{who}", limit=current_app.config[f"{setting}_LIMIT"],
                                         window_seconds=current_app.config[f"{setting}_WINDOW_SECONDS"])
    if not decision.allowed:
        session.commit()
        raise TooManyTries({"": [_l("Too many requests from here or for this account.")]}, decision.retry_after)


def db():
    """The session of this request (or CLI command); committed by the view, once."""
    if "db" not in g:
        g.db = current_app.extensions["db_sessions"]()
    return g.db


def session_factory():
    return current_app.extensions["db_sessions"]


def file_store() -> files.FileStore:
    """Where this app keeps photos and documents (FILE_STORAGE): one store per app, built when the app is."""
    return current_app.extensions["file_store"]


def _close_session(_exc):
    session = g.pop("db", None)
    if session is not None:
        session.rollback()  # anything not committed by the view is dropped
        try:
            rate_limits.recount_lost(session)  # ... except that the request counts against its limit
        finally:
            session.close()


# Where a person whose password must be changed may still go: the page itself, signing out, the language,
# and what pages are built from (styles, fonts, scripts, the app shell).
PASSWORD_CHANGE_ALLOWS = {"account.new_password", "account.password", "public.logout", "public.choose_language",
                          "static"}
PASSWORD_CHANGE_ALLOWS_BLUEPRINTS = {"vendor", "app_shell", "second_factor"}  # the second factor comes first


def _password_change_first():
    """A signed-in person whose password must be changed (users.must_change_password) goes to that page
    before anything else. The API answers its own problem (app/api/auth.py); machine paths are skipped."""
    if request.path.startswith(("/api/", "/open311/")) or request.endpoint in PASSWORD_CHANGE_ALLOWS:
        return None
    if request.blueprint in PASSWORD_CHANGE_ALLOWS_BLUEPRINTS:
        return None
    if request.endpoint is None or not current_user.is_authenticated or not current_user.must_change_password:
        return None
    return redirect(url_for("account.new_password"))


@login_manager.user_loader
def _load_user(session_id: str):
    user_id, _, fingerprint = session_id.partition(".")
    user = db().get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or fingerprint != user.sign_in_fingerprint:
        return None  # gone, deactivated, or its password or role changed since this sign-in
    row = user_sessions.live_session(db(), user, flask_session.get(SESSION_KEY), limits=session_limits())
    if row is None:
        return None  # signed out (here or from another browser), idle too long or past its lifetime
    if not row.second_factor and second_factor.required_for(user):
        return None  # began without a second factor (before the role needed one): sign in again, with it
    if user_sessions.needs_touch(row, user.role, limits=session_limits()):
        g.session_seen = row.id
    return user


def session_limits() -> user_sessions.SessionLimits:
    """How long signed-in browsers live (settings SESSION_*), read once per app."""
    limits = current_app.extensions.get("session_limits")
    if limits is None:
        limits = current_app.extensions["session_limits"] = user_sessions.SessionLimits.from_settings(current_app.config)
    return limits


def sign_in(user: User, *, with_second_factor: bool = False) -> None:
    """Sign this browser in as `user`, with a new row in user_sessions (committed here).

    Whatever the browser's Flask session held before (another account's key, a half-finished
    sign-in) is dropped, so nothing from before signing in carries over into the signed-in session.
    `with_second_factor`: the person also gave a code of their second factor.
    """
    session = db()
    user_sessions.end_session_by_key(session, flask_session.get(SESSION_KEY))
    key = user_sessions.start_session(session, user, user_agent=request.user_agent.string, address=client_address(),
                                      second_factor=with_second_factor, limits=session_limits())
    session.commit()
    flask_session.clear()
    login_user(user)
    flask_session[SESSION_KEY] = key
    flask_session.permanent = user.role is Role.CITIZEN  # staff: the cookie ends with the browser too


def hold_sign_in(user: User, next_page: str | None) -> None:
    """The password was right and a second factor must follow: remember who, for a few minutes, without
    signing in. The browser's Flask session starts afresh, as at sign-in."""
    flask_session.clear()
    flask_session[HELD_SIGN_IN] = {"user": user.get_id(), "since": utcnow().timestamp(), "next": next_page or ""}


def held_sign_in() -> tuple[User, str] | None:
    """The person whose password was right in this browser a few minutes ago (SECOND_FACTOR_PENDING_MINUTES),
    and the page they were going to; None when nobody is waiting, it is too late, or the account changed."""
    held = flask_session.get(HELD_SIGN_IN)
    if not isinstance(held, dict):
        return None
    age = utcnow().timestamp() - float(held.get("since", 0))
    if not 0 <= age <= 60 * current_app.config["SECOND_FACTOR_PENDING_MINUTES"]:
        return None
    user_id, _, fingerprint = str(held.get("user", "")).partition(".")
    user = db().get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or fingerprint != user.sign_in_fingerprint:
        return None
    return user, same_site(held.get("next") or "") or ""


def forget_held_sign_in() -> None:
    flask_session.pop(HELD_SIGN_IN, None)


def second_factor_box() -> second_factor.SecretBox:
    """What encrypts and decrypts TOTP secrets (settings SECOND_FACTOR_KEYS), made once per app."""
    box = current_app.extensions.get("second_factor_box")
    if box is None:
        box = current_app.extensions["second_factor_box"] = second_factor.SecretBox.from_settings(current_app.config)
    return box


def renew_sign_in(user: User) -> None:
    """After a password change: this browser stays signed in under a new key, and its cookie carries the new
    password's fingerprint, so a copy of the cookie taken before the change signs nobody in (committed here)."""
    session = db()
    row = user_sessions.live_session(session, user, flask_session.get(SESSION_KEY), limits=session_limits())
    if row is None:
        return  # this browser was signed out meanwhile
    key = user_sessions.renew_key(session, row)
    session.commit()
    login_user(user)
    flask_session[SESSION_KEY] = key


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
        try:
            stream = file_store().open(key)
        except files.MissingObject:
            # For the operators to restore it: which row, which key; nothing about whose it is.
            log.warning("attachment %s: stored file %s is missing from the file store", attachment.id, key)
            raise
        response = send_file(
            stream,
            mimetype=attachment.content_type if key == attachment.storage_key else "image/jpeg",
            as_attachment=document,
            download_name=(attachment.original_filename or "document.pdf") if document else None,
            conditional=False,
            etag=False,
        )
        if response.content_length is None:
            response.content_length = _size_of(stream)
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"private, max-age={FILE_MAX_AGE}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # A file is never a page: nothing in it may run, even if a browser were made to render it.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _size_of(stream) -> int | None:
    """The length of a stored file before it is read, for Content-Length (Werkzeug measures only
    paths and BytesIO): a file's from the file system, an object store's body from its answer."""
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return getattr(getattr(stream, "raw", stream), "size", None)


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


def _missing_file_page(error):
    for prefix, render in current_app.extensions.get("error_renderers", {}).items():
        if request.path.startswith(prefix):
            return render(error, 404)
    return render_template("error.html", status=404, message=MISSING_FILE), 404


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


def _server_error_page(error):
    """An unhandled error: the person gets what to do and the request id to quote (the log line and Sentry
    carry the same id). Rendered without the database where possible: it may be why we are here."""
    from .observability import server_error_message

    for prefix, render in current_app.extensions.get("error_renderers", {}).items():
        if request.path.startswith(prefix):
            return render(error, 500)
    message = server_error_message()
    try:
        return render_template("error.html", status=500, message=message), 500
    except Exception:  # the page's own layout failed too (e.g. the database is down): plain text still helps
        current_app.logger.exception("the error page could not be rendered")
        return current_app.response_class(message, status=500, mimetype="text/plain"), 500


def recorded_incident(failed: ProcessIncident, actor: User | None) -> str:
    """Roll back the failed move, record the incident in a short transaction of its own; its reference."""
    session = db()
    session.rollback()
    reference = incidents.record_failure(session, failed, actor).reference
    session.commit()
    return reference


def incident_message(reference: str) -> str:
    return _("This step cannot be completed now; the process analysts have been told. Reference: %(reference)s",
             reference=reference)


def _incident_page(failed: ProcessIncident):
    """A process failed under a page that does not show its own form again: the message and the reference."""
    actor = current_user if current_user.is_authenticated else None
    message = incident_message(recorded_incident(failed, actor))
    return render_template("error.html", status=500, message=message), 500


def _invalid_page(error: Invalid):
    return render_template("error.html", status=400, message=" ".join(error.messages())), 400


def too_many_tries_page(error: TooManyTries):
    """429 with Retry-After, and a page that says when to try again (in Pakistan time) and why."""
    again = utcnow() + timedelta(seconds=error.retry_after)
    wait = format_timedelta(timedelta(seconds=error.retry_after), threshold=1.5)
    rule = request.url_rule
    if rule is not None and "GET" in (rule.methods or ()):
        back = request.path
    else:
        back = url_for("account.index") if current_user.is_authenticated else url_for("public.index")
    page = render_template("too_many.html", messages=error.messages(), again=pk_time(again), wait=wait, back=back)
    return page, 429, {"Retry-After": str(error.retry_after)}


def _csrf_page(error):
    message = _("The form expired or did not come from this site. Go back, reload the page and send it again.")
    return render_template("error.html", status=400, message=message), 400
