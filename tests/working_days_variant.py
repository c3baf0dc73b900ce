"""The test variant of the shipped diagram whose escalation clock counts working days (issue 15, part 4).

Built from `bpmn/complaint.bpmn` rather than kept as a copy, so it follows the
shipped diagram: the three timers of the escalation clock (the 15 days to the
Commissioner, the reminder 3 days before, the 7 more to the Chief Secretary)
get the property calendar="working-days"; the rating deadline keeps its 7
calendar days. Used by tests/workflows/ (no Flask) and tests/app/.
"""
from __future__ import annotations

from pathlib import Path

from lxml import etree

SHIPPED = Path(__file__).resolve().parents[1] / "bpmn" / "complaint.bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# The escalation clock's timer events in the shipped diagram.
ESCALATION_TIMERS = ("unresolved_15_days", "unresolved_12_days", "unresolved_7_more_days")


def with_calendar(xml: bytes, element_ids, calendar: str = "working-days") -> bytes:
    """`xml` with the property calendar=`calendar` on each of these events."""
    root = etree.fromstring(xml)
    for element_id in element_ids:
        (event,) = root.xpath(f"//*[@id='{element_id}']")
        extensions = event.find(f"{{{BPMN}}}extensionElements")
        if extensions is None:
            extensions = etree.Element(f"{{{BPMN}}}extensionElements")
            event.insert(0, extensions)
        properties = extensions.find(f"{{{SPIFF}}}properties")
        if properties is None:
            properties = etree.SubElement(extensions, f"{{{SPIFF}}}properties")
        etree.SubElement(properties, f"{{{SPIFF}}}property", name="calendar", value=calendar)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def working_days_variant() -> bytes:
    """The shipped diagram with its escalation clock counting working days."""
    return with_calendar(SHIPPED.read_bytes(), ESCALATION_TIMERS)
