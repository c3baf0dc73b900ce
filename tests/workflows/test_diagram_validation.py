"""Deploy rules: each test breaks the shipped diagram in one way and expects
DiagramRejected naming the problem, the element and its line in the file."""
import re

import pytest

from workflows import DiagramError, DiagramRejected
from workflows.notes import Note

FORMS = "citizen_rating, dc_directive, dc_triage, escalation_review, officer_action, systemic_review"
ROLE_LIST = "chief_secretary, citizen, commissioner, deputy_commissioner, district_officer"


@pytest.fixture
def variant(shipped_xml):
    def make(old: str, new: str) -> str:
        # Exactly one match, so a change to the shipped diagram fails loudly here.
        assert shipped_xml.count(old) == 1, old
        return shipped_xml.replace(old, new)

    return make


@pytest.fixture
def retime(shipped_xml):
    """Replace the timer of one event: `retime("rating_overdue", '"P8D"', tag="timeDate")`."""

    def make(element_id: str, body: str, tag: str | None = None) -> str:
        start = shipped_xml.index(f'<bpmn:timerEventDefinition id="{element_id}_def">')
        end = shipped_xml.index("</bpmn:timerEventDefinition>", start)
        block, count = re.subn(
            r"<bpmn:(time\w+)>[^<]*</bpmn:\1>",
            lambda m: f"<bpmn:{tag or m[1]}>{body}</bpmn:{tag or m[1]}>",
            shipped_xml[start:end],
        )
        assert count == 1, element_id
        return shipped_xml[:start] + block + shipped_xml[end:]

    return make


def line_of(xml: str, needle: str) -> int:
    """1-based line of the only line containing `needle`."""
    found = [n for n, text in enumerate(xml.splitlines(), start=1) if needle in text]
    assert len(found) == 1, needle
    return found[0]


def rejected(parse_xml, xml: str) -> list[DiagramError]:
    with pytest.raises(DiagramRejected) as caught:
        parse_xml(xml)
    assert str(caught.value) == "; ".join(str(e) for e in caught.value.errors)
    return in_english(caught.value.errors)


def in_english(errors: list[DiagramError]) -> list[DiagramError]:
    """The errors with each Note as its English sentence (what `str` gives), to compare with expected ones."""
    assert all(isinstance(e.message, Note) for e in errors)
    return [DiagramError(str(e.message), e.element_id, e.line) for e in errors]


def test_shipped_diagram_parses_with_its_8_user_tasks(diagram):
    assert diagram.process_id == "complaint"
    assert sorted(diagram.user_tasks) == [
        "chief_secretary_review",
        "citizen_rating",
        "commissioner_review",
        "dc_directive",
        "dc_systemic_review",
        "dc_triage",
        "officer_action",
        "systemic_work",
    ]
    officer = diagram.user_tasks["officer_action"]
    assert (officer.lane, officer.form_key, officer.assignee_key, officer.status) == (
        "district_officer", "officer_action", "officer_id", "in_progress",
    )
    assert diagram.user_tasks["chief_secretary_review"].escalation_level == 2


def test_rejects_xml_that_is_not_well_formed(parse_xml, variant):
    xml = variant("</bpmn:process>", "</bpmn:proces>")
    line, opened = line_of(xml, "</bpmn:proces>"), line_of(xml, '<bpmn:process id="complaint"')
    assert rejected(parse_xml, xml) == [
        DiagramError(
            f"not well-formed XML: Opening and ending tag mismatch: process line {opened} and proces, "
            f"line {line}, column 17",
            "",
            line,
        )
    ]


def test_rejects_xml_that_breaks_the_bpmn_schema(parse_xml, variant):
    xml = variant('<bpmn:endEvent id="directive_done"', '<bpmn:bogus id="bogus" /><bpmn:endEvent id="directive_done"')
    with pytest.raises(DiagramRejected) as caught:
        parse_xml(xml)
    (error,) = caught.value.errors
    # The engine's own (English, technical) words are a fact of the note; the sentence around them is translated.
    assert error.message.code == "engine_refuses"
    assert error.message.facts["detail"].startswith(
        "Element '{http://www.omg.org/spec/BPMN/20100524/MODEL}bogus': This element is not expected."
    )
    # The schema validator names the element in the message and gives the line, not an id.
    assert (error.element_id, error.line) == ("", line_of(xml, 'id="bogus"'))


def test_rejects_a_lane_that_is_not_a_role(parse_xml, variant):
    xml = variant('name="chief_secretary">', 'name="secretary">')
    assert rejected(parse_xml, xml) == [
        DiagramError(
            f"lane 'secretary' is not a role; use one of: {ROLE_LIST}",
            "lane_chief_secretary",
            line_of(xml, 'id="lane_chief_secretary"'),
        ),
        # ...and the user task in it could then be worked by nobody.
        DiagramError(
            "user task is not in a role's lane, so nobody could work it",
            "chief_secretary_review",
            line_of(xml, 'bpmn:userTask id="chief_secretary_review"'),
        ),
    ]


def test_rejects_an_unknown_form_key(parse_xml, variant):
    xml = variant('name="formKey" value="dc_directive"', 'name="formKey" value="dc_order"')
    assert rejected(parse_xml, xml) == [
        DiagramError(
            f"unknown formKey 'dc_order'; registered forms: {FORMS}",
            "dc_directive",
            line_of(xml, 'bpmn:userTask id="dc_directive"'),
        )
    ]


def test_rejects_a_user_task_without_a_form_key(parse_xml, variant):
    xml = variant('<spiffworkflow:property name="formKey" value="dc_directive" />', "")
    assert rejected(parse_xml, xml) == [
        DiagramError("user task has no formKey property", "dc_directive", line_of(xml, 'userTask id="dc_directive"'))
    ]


def test_rejects_an_unknown_status(parse_xml, variant):
    xml = variant('name="status" value="submitted"', 'name="status" value="lodged"')
    assert rejected(parse_xml, xml) == [
        DiagramError(
            "unknown status 'lodged'; use one of: closed, in_progress, resolved, submitted, systemic",
            "dc_triage",
            line_of(xml, 'bpmn:userTask id="dc_triage"'),
        )
    ]


# Both kinds of timer element: the escalation timer sits behind an event-based
# gateway, the rating timer is a boundary event. Deploy must check both.
TIMERS = [("unresolved_15_days", "P15D"), ("unresolved_7_more_days", "P7D"), ("rating_overdue", "P7D")]


@pytest.mark.parametrize("element_id, bare", TIMERS)
def test_rejects_an_unquoted_timer_at_deploy_time(parse_xml, retime, element_id, bare):
    xml = retime(element_id, bare)
    (error,) = rejected(parse_xml, xml)
    assert (error.element_id, error.line) == (element_id, line_of(xml, f'id="{element_id}"'))
    # The reason in brackets comes from the script engine; the advice is ours.
    assert str(error.message).startswith(f"timer expression '{bare}' does not evaluate (")
    assert str(error.message).endswith('); write an ISO-8601 value in quotes, e.g. "P15D"')


@pytest.mark.parametrize("element_id", [element_id for element_id, _ in TIMERS])
def test_rejects_a_timer_that_is_not_iso_8601(parse_xml, retime, element_id):
    xml = retime(element_id, '"15 days"')
    assert rejected(parse_xml, xml) == [
        DiagramError(
            "timer value '15 days' is not a valid ISO-8601 value: Invalid duration",
            element_id,
            line_of(xml, f'id="{element_id}"'),
        )
    ]


def test_rejects_a_cycle_that_is_not_iso_8601(parse_xml, retime):
    xml = retime("systemic_due_for_review", '"monthly"')
    (error,) = rejected(parse_xml, xml)
    assert str(error.message).startswith("timer value 'monthly' is not a valid ISO-8601 value: ")
    assert (error.element_id, error.line) == ("systemic_due_for_review", line_of(xml, 'id="systemic_due_for_review"'))


def test_rejects_a_date_timer_without_utc_offset(parse_xml, retime):
    # Without an offset the engine would read the date in the server's local zone.
    xml = retime("rating_overdue", '"2026-06-01T09:00:00"', tag="timeDate")
    assert rejected(parse_xml, xml) == [
        DiagramError(
            "timer date '2026-06-01T09:00:00' has no UTC offset; add one, e.g. +05:00",
            "rating_overdue",
            line_of(xml, 'id="rating_overdue"'),
        )
    ]


def test_accepts_a_date_timer_with_utc_offset(parse_xml, retime):
    # The counterpart of the test above: the offset, not the date timer, is the problem.
    xml = retime("rating_overdue", '"2026-06-01T09:00:00+05:00"', tag="timeDate")
    assert "citizen_rating" in parse_xml(xml).user_tasks


@pytest.mark.parametrize("reserved, original", [("Start", "lodged"), ("End", "closed_satisfied")])
def test_rejects_an_element_with_a_reserved_id(parse_xml, shipped_xml, reserved, original):
    assert shipped_xml.count(f'"{original}"') > 1  # renamed everywhere, so only the id is wrong
    xml = shipped_xml.replace(f'"{original}"', f'"{reserved}"').replace(f">{original}<", f">{reserved}<")
    assert rejected(parse_xml, xml) == [
        DiagramError(
            f"the id '{reserved}' is reserved by the engine; rename the element",
            reserved,
            line_of(xml, f'Event id="{reserved}"'),
        )
    ]


def test_rejects_a_flow_to_a_missing_element(parse_xml, variant):
    xml = variant('sourceRef="lodged" targetRef="handling_entry"', 'sourceRef="lodged" targetRef="nowhere"')
    (error,) = rejected(parse_xml, xml)
    assert "nowhere" in str(error.message)
