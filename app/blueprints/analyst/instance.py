"""One complaint's path over its diagram, for everyone who may read the complaint.

Staff see the diagram with what is done, the open tasks and who holds them,
and the timers waiting with their due time. The citizen who lodged it sees
"where is my complaint": its milestones in plain words (received, with an
officer, resolved...), never the diagram, its timers, gateways or task names.
Outside the reader's scope the page is a 404, like the complaint itself.
"""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from lxml import etree

from ...models import Role
from ...services import analyst
from ...services.casework import milestones
from ...web import db, pk_time
from .blueprint import bp

# What the page lists of the path: the steps people take and the moments a
# timer moved it on; gateways and signals are on the diagram only.
STEP_KINDS = {"startEvent", "userTask", "timer", "endEvent"}


@bp.get("/complaints/<int:complaint_id>/process")
@login_required
def instance(complaint_id: int):
    if current_user.role is Role.CITIZEN:
        tracking = milestones.tracking_for(db(), current_user, complaint_id)
        return render_template("complaints/where.html", tracking=tracking, complaint_id=complaint_id)
    report = analyst.instance_view_for(db(), current_user, complaint_id)
    elements = _elements(report.xml)
    marks = {
        "completed": report.completed,
        "open": [{"element_id": s.element_id, "label": _holders(s.holders) or s.lane_label} for s in report.open_tasks],
        "timers": [{"element_id": t.element_id, "label": _("due %(time)s", time=pk_time(t.due_at))}
                   for t in report.waiting_timers],
    }
    steps = [elements.get(element_id, ("", "")) for element_id in report.completed]
    return render_template(
        "analyst/instance.html", report=report, marks=marks,
        done=[name for kind, name in steps if kind in STEP_KINDS and name],
    )


def _elements(xml: str) -> dict[str, tuple[str, str]]:
    """element id -> (kind, name), read from the version's XML to name the path's steps.

    An event with a timer definition is of kind "timer".
    """
    root = etree.fromstring(xml.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    found = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.get("id"):
            continue
        kind = etree.QName(element).localname
        if any(isinstance(c.tag, str) and etree.QName(c).localname == "timerEventDefinition" for c in element):
            kind = "timer"
        found[element.get("id")] = (kind, (element.get("name") or "").strip())
    return found


def _holders(names: list[str], shown: int = 2) -> str:
    """A short label for the diagram; the page lists everyone."""
    more = len(names) - shown
    listed = ", ".join(map(str, names[:shown]))
    return _("%(names)s and %(count)s more", names=listed, count=more) if more > 0 else listed
