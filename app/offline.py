"""The citizen's pages on a weak signal: which pages a phone may keep, and for whom.

The service worker (templates/app_shell/service-worker.js) keeps a copy of a page
only when the answer says so with the `Portal-Offline: keep` header. The portal
says so only for the pages marked `@offline_copy` and only to a citizen or to
someone not signed in: staff pages (every CNIC of a district) never stay on a
phone. Sign-out clears what stayed (`Clear-Site-Data`, and the page script does
the same for browsers without that header), and sign-in clears the copies of
whoever used the phone before.

Complaints written without signal wait in the phone's IndexedDB under the
citizen's `outbox_key` (a keyed hash of the account id, so one citizen's waiting
complaints are never sent, or shown, under another's account).
"""
from __future__ import annotations

import hashlib
import hmac
from functools import wraps

from flask import current_app, g, request
from flask_login import current_user

from .models import Role

HEADER = "Portal-Offline"
# Signing out: the copies of pages, the waiting complaints and the service worker go.
CLEAR_ON_SIGN_OUT = '"cache", "storage"'
# Signing in: the copies of the pages someone else saw go; waiting complaints are the page script's to sort out.
CLEAR_ON_SIGN_IN = '"cache"'


def offline_copy(view):
    """Mark a page a citizen may open again without signal (read-only)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.offline_copy = True
        return view(*args, **kwargs)

    return wrapped


def mark_offline_copy(response):
    """after_request: tell the service worker it may keep this answer."""
    if (g.pop("offline_copy", False) and request.method == "GET" and response.status_code == 200 and response.mimetype == "text/html"
            and (not current_user.is_authenticated or current_user.role is Role.CITIZEN)):
        response.headers[HEADER] = "keep"
    return response


def outbox_key(user) -> str:
    """Whose complaints wait on this phone: stable per account, meaningless outside the portal."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"outbox:{user.id}".encode(), hashlib.sha256).hexdigest()[:24]


def init_app(app) -> None:
    app.after_request(mark_offline_copy)
    app.jinja_env.globals["outbox_key"] = outbox_key
