"""Notifications: each user's in-app list and the administrators' view of the outbox."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required

from ..request_guard import whole_number
from ..models import Role
from ..services.notifications import delivery, outbox
from ..web import db, roles_required, same_site
from ..offline import offline_copy

bp = Blueprint("notifications", __name__)
PAGE_SIZE = 50  # in-app notifications per page: light enough for a cheap phone


@bp.app_context_processor
def _unread_badge():
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return outbox.unread_count(db(), current_user)

    return {"unread_notifications": unread_notifications}


@bp.route("/notifications")
@login_required
@offline_copy
def index():
    session = db()
    pages = max((outbox.in_app_count(session, current_user) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=whole_number), 1), pages)
    items = outbox.notifications_for(session, current_user, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    unread = outbox.unread_count(session, current_user)
    return render_template("notifications/index.html", items=items, page=page, pages=pages, unread=unread)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id):
    session = db()
    outbox.mark_read(session, current_user, notification_id)
    session.commit()
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    session = db()
    count = outbox.mark_all_read(session, current_user)
    session.commit()
    if count:
        flash(ngettext("Marked %(num)s notification as read.", "Marked %(num)s notifications as read.", count))
    # Back where the button was (the citizen's list of complaints has one too); only paths of this site.
    return redirect(same_site(request.form.get("next", "")) or url_for("notifications.index"))


@bp.route("/admin/notifications", endpoint="outbox")
@roles_required(Role.ADMIN)
def outbox_page():
    session = db()
    return render_template(
        "admin/notifications.html",
        items=delivery.troubled_notifications(session, current_user),
        counts=delivery.outbox_counts(session, current_user),
        max_attempts=current_app.config["NOTIFY_MAX_ATTEMPTS"],
    )


@bp.post("/admin/notifications/<int:notification_id>/retry")
@roles_required(Role.ADMIN)
def retry(notification_id):
    session = db()
    notification = delivery.retry_notification(session, current_user, notification_id)
    session.commit()
    flash(_("Notification %(id)s goes out with the next delivery round.", id=notification.id))
    return redirect(url_for("notifications.outbox"))


@bp.post("/admin/notifications/retry-parked")
@roles_required(Role.ADMIN)
def retry_parked():
    session = db()
    count = delivery.retry_parked(session, current_user)
    session.commit()
    flash(ngettext("%(num)s parked notification goes out with the next delivery round.",
                   "%(num)s parked notifications go out with the next delivery round.", count))
    return redirect(url_for("notifications.outbox"))
