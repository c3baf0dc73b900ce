"""Exploration before deploy: every path the forms' answers and the timers open, run on the engine.

The answer sets are written here as app/task_forms would give them: this package knows no forms.
"""
import time
from pathlib import Path

import pytest

from workflows.analysis import Bounds, explore_paths

HERE = Path(__file__).parent / "diagrams"

SMALL_ANSWERS = {"dc_triage": [{"dc_decision": "assign", "officer_id": 7}, {"dc_decision": "transfer", "officer_id": None}]}


def line_of(xml: str, text: str) -> int:
    return xml[: xml.index(text)].count("\n") + 1


@pytest.fixture(scope="module")
def small(parse_xml):
    xml = (HERE / "explore_small.bpmn").read_bytes()
    return parse_xml(xml), xml


def test_the_shipped_diagram_explores_without_a_failure_and_within_its_bounds(diagram, shipped_xml, form_answers):
    started = time.process_time()
    result = explore_paths(diagram, shipped_xml.encode(), form_answers)
    assert result.failures == []
    assert not result.truncated
    # Every decision of the shipped process was taken somewhere: the escalations and the redirect too.
    assert result.paths > 50 and result.steps > 100 and result.deepest >= 8
    assert time.process_time() - started < 10  # ~1.5 s of CPU on the development machines


def test_an_unquoted_condition_is_found_with_its_flow_line_path_and_error(shipped_xml, parse_xml, form_answers):
    good = '<bpmn:conditionExpression>outcome == "resolved"</bpmn:conditionExpression>'
    bad = '<bpmn:conditionExpression>outcome == resolved</bpmn:conditionExpression>'
    xml = shipped_xml.replace(good, bad, 1)
    result = explore_paths(parse_xml(xml), xml.encode(), form_answers)
    [failure] = result.failures
    assert failure.element_id == "f_resolved"
    assert failure.line == line_of(xml, bad)
    assert "NameError" in failure.detail and "outcome == resolved" in failure.detail
    # The shortest way there: triage assigns, the officer answers (any outcome: the first condition fails).
    assert [(c.element_id, dict(c.answer or ())) for c in failure.path][:1] == [("dc_triage", {"dc_decision": "assign", "officer_id": 1})]
    assert failure.path[-1].element_id == "officer_action"
    error = failure.as_error()
    assert (error.element_id, error.line) == ("f_resolved", failure.line)
    text = str(error)
    assert "f_resolved (line" in text and "'Record the action taken' (officer_action) answered outcome=" in text


def test_a_script_failing_only_on_one_answer_names_that_answer(small):
    diagram, xml = small
    result = explore_paths(diagram, xml, SMALL_ANSWERS)
    failure = next(f for f in result.failures if f.element_id == "assign_script")
    assert failure.line == line_of(xml.decode(), '<bpmn:scriptTask id="assign_script"')
    assert [(c.element_id, c.answer) for c in failure.path] == [("triage", (("dc_decision", "assign"), ("officer_id", 7)))]
    assert "AttributeError" in failure.detail


def test_a_script_after_a_timer_is_reached_by_letting_the_timer_fire_first(small):
    diagram, xml = small
    result = explore_paths(diagram, xml, SMALL_ANSWERS)
    failure = next(f for f in result.failures if f.element_id == "late_script")
    assert [(c.element_id, c.answer) for c in failure.path] == [("triage_late", None)]
    assert "days_late" in failure.detail
    assert "timer '2 days without triage' (triage_late) fires first" in str(failure.as_error())


def test_a_rework_loop_is_followed_at_most_max_loops_times(small):
    diagram, xml = small
    only_transfer = {"dc_triage": [{"dc_decision": "transfer", "officer_id": None}]}
    for loops in (0, 1, 3):
        result = explore_paths(diagram, xml, only_transfer, Bounds(max_loops=loops, prune_covered=False))
        assert not result.truncated and result.failures[0].element_id == "late_script"
        # Each transfer opens the triage again; the one that opens it a (loops + 2)-th time ends the path.
        assert result.deepest == loops + 1


def test_a_path_that_only_repeats_what_was_run_is_not_followed_far(small):
    diagram, xml = small
    only_transfer = {"dc_triage": [{"dc_decision": "transfer", "officer_id": None}]}
    result = explore_paths(diagram, xml, only_transfer, Bounds(max_loops=10, dull_moves=1))
    # The second transfer runs nothing new, the third neither: the walk stops there, not at ten.
    assert result.deepest == 3 and not result.truncated


def test_the_step_budget_stops_the_walk_and_says_so(diagram, shipped_xml, form_answers):
    result = explore_paths(diagram, shipped_xml.encode(), form_answers, Bounds(max_steps=20))
    assert result.truncated and result.steps == 20


def test_a_form_without_answer_sets_is_answered_with_no_data(small):
    diagram, xml = small
    result = explore_paths(diagram, xml, {})
    # No dc_decision: the condition cannot evaluate, as it could not at run time.
    assert any(f.element_id == "f_transfer" and "dc_decision" in f.detail for f in result.failures)
