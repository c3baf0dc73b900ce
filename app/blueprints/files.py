"""Photos, served only to those who may read the complaint."""
from __future__ import annotations

from flask import Blueprint, send_file
from flask_login import current_user, login_required

from ..services.casework import complaints
from ..web import db, photo_store

bp = Blueprint("files", __name__)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    found = complaints.get_attachment_for(db(), current_user, attachment_id)
    response = send_file(photo_store().path_of(found.storage_key), mimetype=found.content_type, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
