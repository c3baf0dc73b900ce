"""Attachments (photos, their thumbnails, documents), served only to those who may read the complaint."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

from ..services.casework import complaints
from ..web import db, send_attachment

bp = Blueprint("files", __name__)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    return send_attachment(complaints.get_attachment_for(db(), current_user, attachment_id))


@bp.get("/attachments/<int:attachment_id>/thumbnail")
@login_required
def thumbnail(attachment_id: int):
    """A photo's small version for pages (a photo stored before thumbnails: itself)."""
    found = complaints.get_attachment_for(db(), current_user, attachment_id)
    if found.kind != "photo":
        abort(404)  # a document has no picture
    return send_attachment(found, thumbnail=True)
