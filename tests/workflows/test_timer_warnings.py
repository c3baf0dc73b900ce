"""Warnings (not refusals) about timers: a reminder at or after its deadline, a name that contradicts the value."""
from workflows.analysis import diagram_warnings
from tests.workflows.conftest import DIAGRAM_PATH

DIAGRAM_DIR = DIAGRAM_PATH.parent

P15D = '<bpmn:timeDuration>"P15D"</bpmn:timeDuration>'
P12D = '<bpmn:timeDuration>"P12D"</bpmn:timeDuration>'


def with_literal_days(xml: str) -> str:
    """The shipped diagram as it was before its days came from the decision table (bpmn/sla.dmn): literal
    timers and names that say their days, which is what these warnings compare."""
    for new, old in (('f"P{commissioner_days}D"', '"P15D"'), ('f"P{max(commissioner_days - 3, 0)}D"', '"P12D"'),
                     ('f"P{chief_secretary_days}D"', '"P7D"'), ("Commissioner's days passed", "15 days unresolved"),
                     ('name="3 days before the escalation"', 'name="12 days unresolved"'),
                     ("Chief Secretary's days passed", "22 days unresolved")):
        assert xml.count(new) == 1, new
        xml = xml.replace(new, old)
    return xml


def codes(xml: str, decisions=()) -> list[tuple[str, str]]:
    return [(w.message.code, w.element_id) for w in diagram_warnings(xml.encode(), decisions=decisions)
            if w.message.code.startswith(("reminder", "timer_name", "timer_with"))]


def test_the_shipped_diagram_has_no_timer_warning(shipped_xml):
    # "22 days unresolved" waits P7D after the 15-day timer: named from the same clock, not a contradiction.
    assert codes(shipped_xml) == []


def test_a_reminder_after_the_escalation_it_announces_is_a_warning_naming_both(shipped_xml):
    shipped_xml = with_literal_days(shipped_xml)
    xml = shipped_xml.replace(P12D, '<bpmn:timeDuration>"P15D"</bpmn:timeDuration>')
    [warning] = [w for w in diagram_warnings(xml.encode()) if w.message.code == "reminder_after_deadline"]
    assert warning.element_id == "unresolved_12_days"
    assert warning.line == xml[: xml.index('id="unresolved_12_days"')].count("\n") + 1
    text = str(warning.message)
    assert "unresolved_12_days" in text and "unresolved_15_days" in text and "P15D" in text


def test_a_shorter_escalation_warns_about_the_reminder_and_the_names(shipped_xml):
    shipped_xml = with_literal_days(shipped_xml)
    xml = shipped_xml.replace(P15D, '<bpmn:timeDuration>"P10D"</bpmn:timeDuration>')
    assert codes(xml) == [
        ("reminder_after_deadline", "unresolved_12_days"),
        ("timer_name_contradicts", "unresolved_15_days"),  # "15 days unresolved" waits P10D
        ("timer_name_contradicts", "unresolved_7_more_days"),  # "22 days unresolved" is now day 17
    ]
    [named] = [w for w in diagram_warnings(xml.encode()) if w.element_id == "unresolved_15_days"]
    assert str(named.message) == (
        "catch event 'unresolved_15_days' (15 days unresolved) is named '15 days' but waits P10D; "
        "correct the name or the value"
    )


def test_names_in_weeks_and_hours_and_before_offsets(shipped_xml):
    shipped_xml = with_literal_days(shipped_xml)
    two_weeks = shipped_xml.replace('name="15 days unresolved"', 'name="2 weeks unresolved"')
    assert ("timer_name_contradicts", "unresolved_15_days") in codes(two_weeks)
    hours = shipped_xml.replace('name="15 days unresolved"', 'name="360 hours unresolved"')
    assert codes(hours) == []
    offset = shipped_xml.replace('name="12 days unresolved"', 'name="3 days before the escalation"')
    assert codes(offset) == []


def test_a_reminder_late_only_for_one_row_of_the_decision_table_names_that_row(shipped_xml):
    """The escalation's days come from the table; the reminder was left at a literal 12 days. A row giving
    water complaints 7 days makes the reminder come after the escalation it announces, for those complaints."""
    from workflows.decisions import DecisionFile

    sla = (DIAGRAM_DIR / "sla.dmn").read_text(encoding="utf-8")
    water_row = sla[sla.index("      <rule id="):sla.index("</rule>") + len("</rule>")]
    water_row = (water_row.replace("rule_province_default", "rule_water")
                 .replace("<text>-</text>", '<text>"PHED"</text>', 1).replace("<text>15</text>", "<text>7</text>"))
    table = sla.replace("      <rule id=", water_row + "\n      <rule id=", 1)
    xml = shipped_xml.replace('f"P{max(commissioner_days - 3, 0)}D"', '"P12D"')

    assert codes(shipped_xml, [DecisionFile("sla.dmn", table.encode())]) == []  # the shipped reminder follows the row
    [warning] = [w for w in diagram_warnings(xml.encode(), decisions=[DecisionFile("sla.dmn", table.encode())])
                 if w.element_id == "unresolved_12_days"]
    assert warning.message.code == "timer_with_decision"
    assert warning.message.facts["detail"].code == "reminder_after_deadline"
    assert warning.message.facts["row"] == 1 and warning.message.facts["decision"] == "sla_days"
    assert "P7D" in str(warning.message)
    assert codes(xml, [DecisionFile("sla.dmn", sla.encode())]) == []  # with 15 days everywhere, 12 is in time
