"""Tier dashboards (/dashboard) for the DC, the Commissioner and the Chief Secretary, with CSV export."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..models import Role
from ..services.statistics import dashboards as dashboards
from ..web import db, roles_required

bp = Blueprint("dashboards", __name__, url_prefix="/dashboard")
TIERS = dashboards.DASHBOARD_ROLES
TITLES = {"summary": _l("Summary"), "ageing": _l("Ageing of open complaints"), "departments": _l("Per department"),
          "areas": _l("League table"), "officers": _l("Officer performance"),
          "trends": _l("Lodged and resolved, last 30 days")}


@bp.get("")
@roles_required(*TIERS)
def index():
    board = dashboards.build_dashboard(db(), current_user, officer_medians=dashboards.OFFICER_ROWS_SHOWN)
    return render_template("dashboards/index.html", board=board, tables=board.tables(), titles=TITLES,
                           shown=dashboards.OFFICER_ROWS_SHOWN,
                           is_cs=current_user.role is Role.CHIEF_SECRETARY)


@bp.get("/<table>.csv")
@roles_required(*TIERS)
def table_csv(table: str):
    tables = dashboards.build_dashboard(db(), current_user).tables()
    if table not in tables:
        abort(404)
    columns, rows = tables[table]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "name", *columns])
    for row in rows:
        writer.writerow([row.key if row.key is not None else "", _safe(row.name),
                         *["" if row.numbers.get(c) is None else row.numbers[c] for c in columns]])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={table}.csv"})


def _safe(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; quote them as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
