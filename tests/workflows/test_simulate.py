"""The simulator: a scenario run on the engine with a virtual clock, nothing saved.

No time travel here: the simulator must give exact days with the real clock
running, because the web server cannot move the clock of all its threads.
"""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from workflows.analysis import Scenario, ScenarioAnswer
from workflows.analysis import simulate

ASSIGN = {"dc_decision": "assign", "officer_id": 7, "instruction": "go", "target_district_id": None}
RESOLVE = {"outcome": "resolved", "action_taken": "fixed", "reason": None}
SYSTEMIC = {"outcome": "systemic", "action_taken": "needs a budget", "reason": None}
SATISFIED = {"rating": 5, "satisfied": True, "comment": None}


def answers(*pairs) -> list[ScenarioAnswer]:
    return [ScenarioAnswer(data, days) for data, days in pairs]


def steps_of(result, kind: str) -> list[tuple[float, str]]:
    return [(step.day, step.element_id) for step in result.steps if step.kind == kind]


def opened(result, element_id: str) -> list[float]:
    return [day for day, element in steps_of(result, "task_opened") if element == element_id]


@pytest.fixture(scope="module")
def p10d(shipped_xml, parse_xml):
    old = '<bpmn:timeDuration>f"P{commissioner_days}D"</bpmn:timeDuration>'
    assert shipped_xml.count(old) == 1
    return parse_xml(shipped_xml.replace(old, '<bpmn:timeDuration>"P10D"</bpmn:timeDuration>'))


def test_an_unassigned_complaint_reaches_the_commissioner_on_day_15_and_the_chief_secretary_on_day_22(diagram):
    result = simulate(diagram, Scenario(steps={}))

    assert opened(result, "dc_triage") == [0.0]
    assert opened(result, "commissioner_review") == [15.0]
    assert opened(result, "chief_secretary_review") == [22.0]
    assert (15.0, "unresolved_15_days") in steps_of(result, "timer_fired")
    assert (22.0, "unresolved_7_more_days") in steps_of(result, "timer_fired")
    escalation = next(s for s in result.steps if s.element_id == "commissioner_review")
    assert (escalation.kind, escalation.lane, escalation.name) == (
        "task_opened", "commissioner", "Review an escalated complaint",
    )
    # Nobody answers and no timer is left: nothing more can happen after day 22.
    assert (result.finished, result.stopped, result.ended_at_day) == (False, "stuck", 22.0)


def test_with_p10d_the_commissioner_step_comes_on_day_10(p10d):
    result = simulate(p10d, Scenario(steps={}))

    assert opened(result, "commissioner_review") == [10.0]
    assert opened(result, "chief_secretary_review") == [17.0]
    assert (10.0, "unresolved_15_days") in steps_of(result, "timer_fired")


def test_steps_come_in_time_order(diagram):
    result = simulate(diagram, Scenario(steps={}))
    days = [step.day for step in result.steps]
    assert days == sorted(days)


def test_a_resolved_and_rated_complaint_finishes_with_no_escalation(diagram):
    scenario = Scenario(
        steps={
            "dc_triage": answers((ASSIGN, 2)),
            "officer_action": answers((RESOLVE, 3)),
            "citizen_rating": answers((SATISFIED, 1)),
        }
    )
    result = simulate(diagram, scenario)

    assert [(s.day, s.kind, s.element_id) for s in result.steps if s.kind.startswith("task_")] == [
        (0.0, "task_opened", "dc_triage"),
        (2.0, "task_completed", "dc_triage"),
        (2.0, "task_opened", "officer_action"),
        (5.0, "task_completed", "officer_action"),
        (5.0, "task_opened", "citizen_rating"),
        (6.0, "task_completed", "citizen_rating"),
    ]
    assert "unresolved_15_days" not in [element for _, element in steps_of(result, "timer_fired")]
    assert (result.finished, result.stopped, result.ended_at_day) == (True, "finished", 6.0)
    assert result.steps[-1].kind == "ended" and result.steps[-1].element_id == "closed_satisfied"
    assert result.steps[-1].text == "the process finishes here"
    assert result.path[0] == "lodged" and result.path[-1] == "closed_satisfied"
    completed = next(s for s in result.steps if s.kind == "task_completed")
    assert "dc_decision='assign'" in completed.text


def test_no_rating_closes_it_seven_days_after_the_resolution(diagram):
    scenario = Scenario(steps={"dc_triage": answers((ASSIGN, 1)), "officer_action": answers((RESOLVE, 3.5))})
    result = simulate(diagram, scenario)

    assert (11.5, "rating_overdue") in steps_of(result, "timer_fired")
    assert steps_of(result, "ended")[-1] == (11.5, "closed_without_feedback")
    assert result.finished and result.ended_at_day == 11.5


def test_a_task_completed_at_the_very_moment_of_a_timer_beats_it(diagram):
    # Timers fire strictly after their moment: resolving at exactly day 15 is in time.
    in_time = simulate(
        diagram, Scenario(steps={"dc_triage": answers((ASSIGN, 5)), "officer_action": answers((RESOLVE, 10))})
    )
    assert opened(in_time, "commissioner_review") == []

    late = simulate(
        diagram, Scenario(steps={"dc_triage": answers((ASSIGN, 5)), "officer_action": answers((RESOLVE, 10.01))})
    )
    assert opened(late, "commissioner_review") == [15.0]
    # The resolution then closes the open review through the close_reviews signal.
    closing = [s for s in late.steps if s.element_id == "commissioner_review_closed"]
    assert [(s.day, s.kind) for s in closing] == [(15.01, "signal")]
    assert "closes 'Review an escalated complaint'" in closing[0].text


NOTICE = """<bpmn:sequenceFlow id="f_escalate_2" sourceRef="unresolved_7_more_days" targetRef="tell_the_cs" />
    <bpmn:intermediateThrowEvent id="tell_the_cs" name="Tell the Chief Secretary">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="notify" value="escalated_to_cs" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="f_told_cs" sourceRef="tell_the_cs" targetRef="chief_secretary_review" />"""


def test_a_notice_the_diagram_sends_is_shown_on_its_day(shipped_xml, parse_xml):
    old = '<bpmn:sequenceFlow id="f_escalate_2" sourceRef="unresolved_7_more_days" targetRef="chief_secretary_review" />'
    assert shipped_xml.count(old) == 1
    result = simulate(parse_xml(shipped_xml.replace(old, NOTICE)), Scenario(steps={}))

    (notice,) = [s for s in result.steps if s.element_id == "tell_the_cs"]
    assert (notice.day, notice.kind, notice.text) == (22.0, "signal", "sends the notice 'escalated_to_cs'")
    assert opened(result, "chief_secretary_review") == [22.0]


def test_a_systemic_complaint_gets_a_dc_review_every_30_days_until_the_horizon(diagram):
    scenario = Scenario(
        steps={"dc_triage": answers((ASSIGN, 2)), "officer_action": answers((SYSTEMIC, 3))}, horizon_days=100
    )
    result = simulate(diagram, scenario)

    assert opened(result, "dc_systemic_review") == [35.0, 65.0, 95.0]
    fired = [s for s in result.steps if s.kind == "timer_fired" and s.element_id == "systemic_due_for_review"]
    assert [s.day for s in fired] == [35.0, 65.0, 95.0]
    assert "repeats" in fired[0].text and "stays open" in fired[0].text
    assert (result.finished, result.stopped, result.ended_at_day) == (False, "horizon", 100.0)


def test_the_nth_answer_goes_to_the_nth_opening_of_a_task(diagram):
    send_back = {"outcome": "returned", "action_taken": "wrong department", "reason": "not ours"}
    scenario = Scenario(
        steps={
            "dc_triage": answers((ASSIGN, 1), (ASSIGN, 2)),
            "officer_action": answers((send_back, 1), (RESOLVE, 1)),
            "citizen_rating": answers((SATISFIED, 0.5)),
        }
    )
    result = simulate(diagram, scenario)

    assert opened(result, "dc_triage") == [0.0, 2.0]
    assert opened(result, "officer_action") == [1.0, 4.0]
    assert result.finished and result.ended_at_day == 5.5


def test_default_days_apply_to_answers_without_their_own(diagram):
    scenario = Scenario(steps={"dc_triage": [ScenarioAnswer(ASSIGN)]}, default_days=4, horizon_days=10)
    result = simulate(diagram, scenario)
    assert opened(result, "officer_action") == [4.0]
    assert result.stopped == "horizon" and result.ended_at_day == 10.0


def test_an_answer_the_diagram_cannot_use_stops_with_the_engine_error(diagram):
    # No dc_decision: the DC decision gateway's condition cannot be evaluated.
    result = simulate(diagram, Scenario(steps={"dc_triage": answers(({"officer_id": 7}, 1))}))

    assert result.stopped == "error" and not result.finished
    assert "dc_decision" in str(result.error)
    assert result.ended_at_day == 1.0


def test_the_start_moment_does_not_change_durations(diagram):
    start = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)
    result = simulate(diagram, Scenario(steps={}), start=start)
    assert opened(result, "commissioner_review") == [15.0]


def test_the_simulation_moves_no_clock_and_runs_beside_other_threads(diagram):
    seen = []
    worker = threading.Thread(target=lambda: seen.append(datetime.now(timezone.utc)))
    before = datetime.now(timezone.utc)
    worker.start()
    simulate(diagram, Scenario(steps={}, horizon_days=200))
    worker.join()
    after = datetime.now(timezone.utc)
    # 22 virtual days passed; the real clock (in this thread and another) did not jump.
    assert after - before < timedelta(minutes=1)
    assert before - timedelta(minutes=1) < seen[0] < after + timedelta(minutes=1)
