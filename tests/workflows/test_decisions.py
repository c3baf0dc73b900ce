"""Escalation days from a decision table (bpmn/sla.dmn): evaluated by the business rule task, per
department and category, and checked at deploy like the diagram (element, line, file)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from workflows import DecisionFile, DiagramRejected, next_notice_due, next_timer_due, open_tasks, waiting_timers
from workflows.analysis import Scenario, simulate

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)

RULE = """      <rule id="rule_{n}">
        <inputEntry id="rule_{n}_department"><text>{department}</text></inputEntry>
        <inputEntry id="rule_{n}_category"><text>{category}</text></inputEntry>
        <outputEntry id="rule_{n}_commissioner"><text>{commissioner}</text></outputEntry>
        <outputEntry id="rule_{n}_chief_secretary"><text>{chief_secretary}</text></outputEntry>
      </rule>
"""


def sla_table(*rows, hit_policy="FIRST", department_input="department_code", output="commissioner_days") -> bytes:
    """A DMN like the shipped one; rows are (department, category, commissioner days, chief secretary days)."""
    rules = "".join(
        RULE.format(n=n, department=d, category=c, commissioner=days, chief_secretary=more)
        for n, (d, c, days, more) in enumerate(rows, start=1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="sla_definitions" name="SLA"
             namespace="http://citizens-portal/dmn">
  <decision id="sla_days" name="Escalation days">
    <decisionTable id="sla_days_table" hitPolicy="{hit_policy}">
      <input id="input_department" label="Department">
        <inputExpression id="input_department_expression" typeRef="string"><text>{department_input}</text></inputExpression>
      </input>
      <input id="input_category" label="Category">
        <inputExpression id="input_category_expression" typeRef="string"><text>category_code</text></inputExpression>
      </input>
      <output id="output_commissioner_days" label="Days" name="{output}" typeRef="integer" />
      <output id="output_chief_secretary_days" label="More days" name="chief_secretary_days" typeRef="integer" />
{rules}    </decisionTable>
  </decision>
</definitions>
""".encode()


# Water (Public Health Engineering) gets 7 days, revenue 30; everything else keeps the province's 15 and 7.
PROVINCE_VARIANT = sla_table(('"PHED"', "-", 7, 3), ('"REVENUE"', "-", 30, 10), ("-", "-", 15, 7))


@pytest.fixture(scope="module")
def by_department(shipped_xml, parse_xml):
    """The shipped diagram, unchanged, deployed with another table."""
    return parse_xml(shipped_xml, decisions=[DecisionFile("sla.dmn", PROVINCE_VARIANT)])


def escalation_due(workflow):
    return {timer.element_id: timer.due for timer in waiting_timers(workflow)}


def test_the_shipped_table_keeps_the_provinces_promise_of_15_and_7_days(flow):
    workflow = flow.start(department_code="PHED", category_code="PHED-NO-WATER-SUPPLY")
    due = escalation_due(workflow)
    assert due["unresolved_15_days"] == flow.T0 + 15 * DAY
    assert due["unresolved_12_days"] == flow.T0 + 12 * DAY  # the reminder, 3 days before
    workflow = flow.fire_at(workflow, flow.T0 + 15 * DAY + MINUTE)
    assert next_timer_due(workflow) == flow.T0 + 22 * DAY + MINUTE  # the Chief Secretary, 7 days after the escalation


@pytest.mark.parametrize("department, category, days, more", [
    ("PHED", "PHED-NO-WATER-SUPPLY", 7, 3),
    ("REVENUE", "REVENUE-MUTATION", 30, 10),
    ("HEALTH", "HEALTH-STAFF-ABSENT", 15, 7),
    (None, None, 15, 7),  # a complaint no row names: the last row
])
def test_a_new_table_alone_changes_the_days_per_department(by_department, flow, department, category, days, more):
    flow.diagram = by_department
    workflow = flow.start(department_code=department, category_code=category)
    due = escalation_due(workflow)
    assert due["unresolved_15_days"] == flow.T0 + days * DAY
    assert next_notice_due(workflow) == flow.T0 + (days - 3) * DAY
    workflow = flow.fire_at(workflow, flow.T0 + days * DAY + MINUTE)
    assert [t.element_id for t in open_tasks(workflow)].count("commissioner_review") == 1
    assert next_timer_due(workflow) == flow.T0 + (days + more) * DAY + MINUTE


def test_a_row_may_name_a_category_of_a_department(shipped_xml, parse_xml, flow):
    table = sla_table(('"PHED"', '"PHED-NO-WATER-SUPPLY"', 5, 2), ('"PHED"', "-", 7, 3), ("-", "-", 15, 7))
    flow.diagram = parse_xml(shipped_xml, decisions=[DecisionFile("sla.dmn", table)])
    no_water = flow.start(department_code="PHED", category_code="PHED-NO-WATER-SUPPLY")
    other = flow.start(department_code="PHED", category_code="PHED-CONTAMINATED-WATER")
    assert escalation_due(no_water)["unresolved_15_days"] == flow.T0 + 5 * DAY
    assert escalation_due(other)["unresolved_15_days"] == flow.T0 + 7 * DAY


def test_the_simulator_reads_the_table_with_the_scenarios_department(by_department):
    result = simulate(by_department, Scenario(steps={}, horizon_days=40, start_data={"department_code": "REVENUE"}))
    opened = [step.day for step in result.steps if step.kind == "task_opened" and step.element_id == "commissioner_review"]
    assert opened == [30]
    default = simulate(by_department, Scenario(steps={}, horizon_days=40))
    assert [s.day for s in default.steps if s.kind == "task_opened" and s.element_id == "commissioner_review"] == [15]


# -- refused at deploy ---------------------------------------------------------------------------------


def rejected(parse_xml, xml, decisions):
    with pytest.raises(DiagramRejected) as caught:
        parse_xml(xml, decisions=decisions)
    return caught.value.errors


def line_of(text: str | bytes, needle: str) -> int:
    text = text.decode() if isinstance(text, bytes) else text
    return text[: text.index(needle)].count("\n") + 1


def test_a_diagram_calling_a_decision_nobody_deployed_is_refused_at_its_task(shipped_xml, parse_xml):
    (error,) = rejected(parse_xml, shipped_xml, [])
    assert (error.element_id, error.line) == ("escalation_days", line_of(shipped_xml, 'id="escalation_days"'))
    assert str(error.message) == (
        "business rule task calls decision 'sla_days', which is not among the decision tables deployed with the "
        "diagram ()"
    )


def test_malformed_dmn_is_refused_with_its_file_and_line(shipped_xml, parse_xml):
    broken = PROVINCE_VARIANT.replace(b"</decisionTable>", b"</decisionTabel>")
    errors = rejected(parse_xml, shipped_xml, [DecisionFile("sla.dmn", broken)])
    assert errors[0].file == "sla.dmn"
    assert errors[0].line == line_of(broken, "</decisionTabel>")
    assert str(errors[0].message).startswith("not well-formed XML")


@pytest.mark.parametrize("table, element_id, message", [
    (sla_table(('"PHED"', "-", 7, 3)), "sla_days_table",
     "no row matches every complaint; add a last row with - in every input"),
    (sla_table(("-", "-", 15, 7), hit_policy="COLLECT"), "sla_days_table", "hit policy COLLECT is not supported"),
    (sla_table(("-", "-", 15, 7), department_input=""), "input_department", "input 'Department' has no expression"),
    (sla_table(("-", "-", 15, 7), output="commissioner days"), "output_commissioner_days",
     "output 'Days' has no valid name ('commissioner days')"),
    (sla_table(('"PHED', "-", 7, 3), ("-", "-", 15, 7)), "rule_1_department",
     "row 1: the input entry \"PHED is not a valid test"),
    (sla_table(("-", "-", "fifteen", 7)), "rule_1_commissioner", "row 1: output commissioner_days is fifteen, which"),
])
def test_a_broken_table_is_refused_naming_element_line_and_file(shipped_xml, parse_xml, table, element_id, message):
    errors = rejected(parse_xml, shipped_xml, [DecisionFile("sla.dmn", table)])
    assert [(e.file, e.element_id) for e in errors] == [("sla.dmn", element_id)]
    assert errors[0].line == line_of(table, f'id="{element_id}"')
    assert str(errors[0].message).startswith(message)


def test_a_row_whose_days_make_no_timer_is_refused_at_the_timer_naming_the_row(shipped_xml, parse_xml):
    table = sla_table(('"PHED"', "-", '"a week"', 3), ("-", "-", 15, 7))
    errors = rejected(parse_xml, shipped_xml, [DecisionFile("sla.dmn", table)])
    assert {e.element_id for e in errors} == {"unresolved_15_days", "unresolved_12_days"}
    timer = next(e for e in errors if e.element_id == "unresolved_15_days")
    assert timer.line == line_of(shipped_xml, 'id="unresolved_15_days"')
    assert str(timer.message) == (
        "timer value 'Pa weekD' is not a valid ISO-8601 value: Invalid duration, with the outputs of row 1 of "
        "decision sla_days"
    )


def test_two_files_with_one_decision_id_are_refused(shipped_xml, parse_xml):
    errors = rejected(parse_xml, shipped_xml, [DecisionFile("a.dmn", PROVINCE_VARIANT),
                                               DecisionFile("b.dmn", PROVINCE_VARIANT)])
    assert [(e.file, e.element_id) for e in errors] == [("b.dmn", "sla_days")]
    assert str(errors[0].message) == "decision 'sla_days' is also in a.dmn; give each decision its own id"


def test_a_bpmn_file_given_as_a_table_is_refused(shipped_xml, parse_xml):
    errors = rejected(parse_xml, shipped_xml, [DecisionFile("sla.dmn", shipped_xml.encode())])
    assert str(errors[0].message) == "this file is not a DMN decision table (DMN 1.1, 1.2 or 1.3)"
    assert errors[0].file == "sla.dmn"


def test_a_complaint_started_before_the_table_migrates_with_its_last_rows_days(shipped_xml, parse_xml, flow, diagram):
    """A version older than the tables: literal timers, no business rule task. Its complaints move onto the
    shipped version, whose timers read commissioner_days: they get the table's row for every complaint."""
    from workflows.analysis import migrate_state
    from workflows import restore_process, save_state

    task = shipped_xml[shipped_xml.index('    <bpmn:businessRuleTask id="escalation_days"'):
                       shipped_xml.index('    <bpmn:parallelGateway id="escalation_clock"')]
    old_xml = (shipped_xml.replace(task, "")
               .replace('targetRef="escalation_days" />', 'targetRef="escalation_clock" />')
               .replace("<bpmn:flowNodeRef>escalation_days</bpmn:flowNodeRef>", "")
               .replace('f"P{commissioner_days}D"', '"P15D"')
               .replace('f"P{max(commissioner_days - 3, 0)}D"', '"P12D"')
               .replace('f"P{chief_secretary_days}D"', '"P7D"'))
    old = parse_xml(old_xml, decisions=())
    assert not old.decisions
    flow.diagram = old
    started = flow.assigned()
    moved = restore_process(diagram, migrate_state(old, diagram, save_state(started)))
    assert escalation_due(moved)["unresolved_15_days"] == flow.T0 + 15 * DAY
    assert {t.data.get("commissioner_days") for t in moved.get_tasks() if t.data} == {15}


# -- UNIQUE: only one row may match ----------------------------------------------------------------------

# Water has its own row, and the last row matches every complaint: under UNIQUE a water complaint matches both.
OVERLAPPING = sla_table(('"PHED"', "-", 7, 3), ("-", "-", 15, 7), hit_policy="UNIQUE")


def test_a_unique_table_whose_rows_both_match_fails_at_run_time_naming_the_rows(shipped_xml, parse_xml, flow):
    """SpiffWorkflow 3.2 would take row 1 silently; DMN says UNIQUE rows must not overlap."""
    from workflows import describe_failure

    flow.diagram = parse_xml(shipped_xml, decisions=[DecisionFile("sla.dmn", OVERLAPPING)])
    with pytest.raises(Exception) as caught:
        flow.start(department_code="PHED", category_code="PHED-NO-WATER-SUPPLY")
    failure = describe_failure(caught.value)  # what the portal records as the incident
    assert failure.element_id == "escalation_days"
    assert "decision table sla_days_table: hit policy UNIQUE, but rows 1, 2 all match" in failure.message
    assert "department_code='PHED', category_code='PHED-NO-WATER-SUPPLY'" in failure.message
    # A complaint only the last row matches is decided by it, as before.
    other = flow.start(department_code="HEALTH", category_code="HEALTH-STAFF-ABSENT")
    assert escalation_due(other)["unresolved_15_days"] == flow.T0 + 15 * DAY


def test_a_table_without_hit_policy_is_unique(shipped_xml, parse_xml, flow):
    table = OVERLAPPING.replace(b' hitPolicy="UNIQUE"', b"")
    flow.diagram = parse_xml(shipped_xml, decisions=[DecisionFile("sla.dmn", table)])
    with pytest.raises(Exception, match="hit policy UNIQUE, but rows 1, 2 all match"):
        flow.start(department_code="PHED", category_code=None)


def test_exploring_before_deploy_names_the_overlapping_rows_table_and_inputs(shipped_xml, parse_xml):
    from workflows.analysis import explore_paths

    diagram = parse_xml(shipped_xml, decisions=[DecisionFile("sla.dmn", OVERLAPPING)])
    overlaps = [e for e in explore_paths(diagram, shipped_xml.encode(), {}).errors
                if getattr(e.message, "code", None) == "decision_rows_overlap"]
    assert [(e.file, e.element_id, e.line) for e in overlaps] == [("sla.dmn", "rule_2", line_of(OVERLAPPING, 'id="rule_2"'))]
    assert str(overlaps[0].message) == (
        "decision sla_days has hit policy UNIQUE, but rows 1, 2 both match department_code='PHED', "
        "category_code=None; make the rows exclusive, or set hitPolicy=\"FIRST\" if the first matching row should "
        "decide"
    )


@pytest.mark.parametrize("rows, hit_policy", [
    ((('"PHED"', "-", 7, 3), ("-", "-", 15, 7)), "FIRST"),  # FIRST: the first matching row decides, by design
    ((("-", "-", 15, 7),), "UNIQUE"),  # one row
    ((('"PHED"', "-", 7, 3), ('not in ("PHED",)', "-", 15, 7)), "UNIQUE"),  # exclusive rows
    ((("-", "&lt; 10", 7, 3), ("-", ">= 10", 15, 7)), "UNIQUE"),  # exclusive bounds, tried on either side
])
def test_rows_that_cannot_both_match_are_no_overlap(rows, hit_policy):
    from workflows.decisions import overlapping_rows, read_decisions

    tables, problems = read_decisions([DecisionFile("sla.dmn", sla_table(*rows, hit_policy=hit_policy))])
    assert "sla_days" in tables and all(p.message.code == "decision_no_catch_all" for p in problems)
    assert overlapping_rows(tables) == []


def test_overlapping_bounds_are_found_on_the_values_either_side():
    from workflows.decisions import overlapping_rows, read_decisions

    table = sla_table(("-", "&lt; 10", 7, 3), ("-", "> 8", 15, 7), hit_policy="UNIQUE")
    tables, problems = read_decisions([DecisionFile("sla.dmn", table)])
    assert [p.message.code for p in problems] == ["decision_no_catch_all"]
    (problem,) = overlapping_rows(tables)
    assert problem.message.facts["rows"] == "1, 2"
    assert problem.message.facts["inputs"] == "department_code=None, category_code=9"


def test_the_shipped_table_says_first(shipped_xml):
    from pathlib import Path

    from workflows.decisions import overlapping_rows, read_decisions

    xml = (Path(__file__).resolve().parents[2] / "bpmn" / "sla.dmn").read_bytes()
    tables, problems = read_decisions([DecisionFile("sla.dmn", xml)])
    assert problems == [] and tables["sla_days"].hit_policy == "FIRST"
    assert overlapping_rows(tables) == []
