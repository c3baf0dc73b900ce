"""Personal data: a member of staff reveals a citizen's CNIC or mobile number (recorded), the administrator
reads and exports who did, and a citizen downloads everything the portal holds about them.

The rules and the record are app/services/people/personal_data.py and data_export.py; these views
only read the request and answer. Every answer that shows a whole CNIC or number is `no-store`.
"""
from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Role
from ..request_guard import whole_number
from ..services.errors import Invalid
from ..services.people import data_export, personal_data
from ..web import PAKISTAN_TIME, db, roles_required, same_site, session_factory

bp = Blueprint("personal_data", __name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
LOG_PAGE_SIZE = 50
# A cell a spreadsheet would run as a formula starts with one of these: such a cell is written as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _me():
    return current_user._get_current_object()


@bp.route("/people/<int:person_id>/personal-data", methods=["GET", "POST"])
@login_required
def reveal(person_id: int):
    session, viewer = db(), _me()
    source = request.form if request.method == "POST" else request.args
    complaint_id = source.get("complaint_id", type=whole_number)
    person = personal_data.citizen_in_scope(session, viewer, person_id)
    values = {"field": source.get("field", ""), "reason": source.get("reason", ""), "note": source.get("note", ""),
              "complaint_id": complaint_id, "back": same_site(source.get("back", "")) or ""}
    errors, status = {}, 200
    if request.method == "POST":
        ask = personal_data.RevealRequest(field=values["field"], reason=values["reason"], note=values["note"],
                                          complaint_id=complaint_id)
        try:
            value = personal_data.reveal(session, viewer, person.id, ask)
        except Invalid as error:
            session.rollback()
            errors, status = error.errors, 400
        else:
            session.commit()
            page = render_template("personal_data/revealed.html", person=person, field=ask.field,
                                   field_label=personal_data.FIELDS[ask.field], value=value, back=values["back"])
            return page, 200, NO_STORE
    return render_template("personal_data/reveal.html", person=person, masked=personal_data.masked(person),
                           fields=personal_data.FIELDS, reasons=personal_data.REASONS, values=values,
                           errors=errors), status, NO_STORE


@bp.get("/admin/personal-data-access")
@roles_required(Role.ADMIN)
def access_log():
    page = max(request.args.get("page", 1, type=whole_number), 1)
    person_id = request.args.get("person", type=whole_number)
    rows = personal_data.access_log(db(), page=page, per_page=LOG_PAGE_SIZE + 1, person_id=person_id)
    return render_template("personal_data/access_log.html", rows=rows[:LOG_PAGE_SIZE], page=page,
                           more=len(rows) > LOG_PAGE_SIZE, person_id=person_id)


@bp.get("/admin/personal-data-access.csv")
@roles_required(Role.ADMIN)
def access_log_csv():
    person_id = request.args.get("person", type=whole_number)
    # The body is written after the view returned, when the request's own session is already closed:
    # the rows are read in a session of the body's own, closed when the body ends (or the client goes).
    sessions = session_factory()
    header = [_("When (Pakistan time)"), _("Staff id"), _("Staff"), _("Role"), _("Citizen id"), _("Citizen"),
              _("Field"), _("Reason"), _("Reason in words"), _("Tracking number")]

    def lines():
        yield "\ufeff" + _csv_line(header)  # the byte-order mark tells spreadsheets it is UTF-8 (Urdu names)
        with sessions() as session:
            yield from _access_lines(session, person_id)

    headers = {"Content-Disposition": "attachment; filename=personal-data-access.csv", **NO_STORE}
    return Response(stream_with_context(lines()), mimetype="text/csv", headers=headers)


def _access_lines(session, person_id):
    for access in personal_data.all_accesses(session, person_id=person_id):
        yield _csv_line([
            access.at.astimezone(PAKISTAN_TIME).strftime("%Y-%m-%d %H:%M:%S"), access.staff_id, access.staff_name,
            access.staff_role.label if access.staff_role else "", access.person_id, access.person_name,
            str(access.field_label), str(access.reason_label), access.note, access.tracking_number or "",
        ])


def _csv_line(cells) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()


def _spreadsheet_safe(cell):
    """A typed reason such as `=HYPERLINK(...)` stays text when an administrator opens the file."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return "" if cell is None else cell


@bp.get("/account/my-data.json")
@roles_required(Role.CITIZEN)
def export():
    session = db()
    document = data_export.export_for(session, _me())
    session.commit()  # the export is recorded
    body = json.dumps(document, ensure_ascii=False, indent=2)
    headers = {"Content-Disposition": "attachment; filename=my-citizens-portal-data.json", **NO_STORE}
    return Response(body, mimetype="application/json", headers=headers)


def reveal_url(person_id: int, field: str, *, complaint_id: int | None = None, back: str = "") -> str:
    """Where a masked value's "Show" link leads (templates call it through the `reveal_url` global)."""
    return url_for("personal_data.reveal", person_id=person_id, field=field, complaint_id=complaint_id,
                   back=back or None)


bp.add_app_template_global(reveal_url)
bp.add_app_template_filter(personal_data.mask_cnic, "masked_cnic")
bp.add_app_template_filter(personal_data.mask_mobile, "masked_mobile")
