"""Timers read and re-dated in one place, and copies of a recorded run that the engine carries on from.

The run is recorded under a frozen clock (the `clock` fixture) only so that
due moments compare exactly; the copies are dated elsewhere in time.
"""
import json
from datetime import UTC, datetime, timedelta

from app.services.demo.cloning import RecordedRun
from workflows import (
    complete_task,
    fire_timers,
    next_notice_due,
    next_timer_due,
    open_tasks,
    restore_process,
    save_state,
    set_timer_due,
    start_process,
    waiting_timers,
)
from workflows.analysis.inspect import view_of
from workflows.engine import COMPACT_KEY

DAY = timedelta(days=1)
OFFICER, COMPLAINT = -77, -11  # placeholders, as the data generator uses them
START = {"complaint_id": COMPLAINT, "district_id": 3, "department_id": 4, "officer_id": None}
ASSIGN = {"dc_decision": "assign", "officer_id": OFFICER, "instruction": None}
SYSTEMIC = {"outcome": "systemic", "action_taken": "needs a budget", "reason": None}
# Where copies are dated: far from the recording clock, so a moment left undated shows.
LODGED = datetime(2024, 2, 1, 8, 15, tzinfo=UTC)


def test_waiting_timers_name_the_timer_events_and_their_due_moments(diagram, clock, flow):
    timers = {t.element_id: t for t in waiting_timers(flow.start())}

    assert set(timers) == {"unresolved_15_days", "unresolved_12_days"}
    assert timers["unresolved_15_days"].due == flow.T0 + 15 * DAY
    assert (timers["unresolved_15_days"].reminder, timers["unresolved_12_days"].reminder) == (False, True)


def test_set_timer_due_moves_a_deadline_and_a_cycle(diagram, clock, flow):
    workflow = flow.systemic()
    (cycle,) = waiting_timers(workflow)
    assert cycle.element_id == "systemic_due_for_review" and next_timer_due(workflow) == flow.T0 + 30 * DAY

    set_timer_due(workflow, cycle.task_id, flow.T0 + 2 * DAY)
    workflow = flow.roundtrip(workflow)
    assert next_timer_due(workflow) == flow.T0 + 2 * DAY
    workflow = flow.fire_at(workflow, flow.T0 + 2 * DAY + timedelta(seconds=1))
    # The cycle fired once and goes on a period after the moment it was given.
    assert flow.open_ids(workflow) == ["dc_systemic_review", "systemic_work"]
    assert next_timer_due(workflow) == flow.T0 + 32 * DAY


def _record(diagram):
    """Lodged (step 0), assigned (1), reminded at day 12 (2), escalated at day 15 (3), made systemic (4)."""
    run = RecordedRun.start(diagram, START)
    run.complete(_open(run.workflow, "dc_triage"), ASSIGN)
    for element in ("unresolved_12_days", "unresolved_15_days"):
        (timer,) = [t for t in run.timers() if t.element_id == element]
        run.fire([timer.task_id])
    run.complete(_open(run.workflow, "officer_action"), SYSTEMIC)
    return run


def _moments(*days):
    return [LODGED + d * DAY for d in days]


def test_a_copy_has_its_own_ids_values_and_moments(diagram, clock):
    run = _record(diagram)
    assert [(t.element_id, t.step, t.offset) for t in run.timers()] == [("systemic_due_for_review", 4, 30 * DAY)]
    template = run.template({"complaint_id": COMPLAINT, "officer_id": OFFICER})
    moments = _moments(0, 1.5, 13.5, 16.5, 20)

    copies = [template.instantiate(moments, {"complaint_id": n, "officer_id": 500 + n}) for n in (1, 2)]

    states = [json.loads(text) for text, _ in copies]
    ids = [set(state["tasks"]) for state in states]
    assert not ids[0] & ids[1] and not ids[0] & set(template.task_ids)
    for n, (state, (_, id_map)) in enumerate(zip(states, copies), start=1):
        assert set(id_map.values()) == set(state["tasks"])
        assert state[COMPACT_KEY] is True  # the form the portal saves at every move, and reads directly
        workflow = restore_process(diagram, state)
        tasks = {t.element_id: t for t in open_tasks(workflow)}
        assert set(tasks) == {"systemic_work"}
        assert (tasks["systemic_work"].assignee, tasks["systemic_work"].data["complaint_id"]) == (500 + n, n)
        assert tasks["systemic_work"].data["district_id"] == 3  # not a placeholder: as recorded
        assert next_timer_due(workflow) == moments[4] + 30 * DAY
        changes = sorted(t.last_state_change for t in workflow.get_tasks())
        assert moments[0].timestamp() <= changes[0] and changes[-1] < moments[4].timestamp() + 1
        # Parents and children point at the copy's own tasks.
        assert all(str(t.parent.id) in state["tasks"] for t in workflow.get_tasks() if t.parent is not None)


def test_a_copy_goes_on_like_the_engine_run_at_its_moments(diagram, clock):
    moments = _moments(0, 1.5, 13.5, 16.5, 20)
    text, _ = _record(diagram).template({"complaint_id": COMPLAINT, "officer_id": OFFICER}).instantiate(
        moments, {"complaint_id": 1, "officer_id": 7})
    copy = restore_process(diagram, json.loads(text))

    # The same route, run by the engine with the clock at each moment.
    clock.move_to(moments[0])
    direct = start_process(diagram, {**START, "complaint_id": 1})
    clock.move_to(moments[1])
    complete_task(direct, _open(direct, "dc_triage"), {**ASSIGN, "officer_id": 7})
    clock.move_to(moments[2] + timedelta(microseconds=1))
    fire_timers(direct)
    clock.move_to(moments[3] + timedelta(microseconds=1))
    fire_timers(direct)
    clock.move_to(moments[4])
    complete_task(direct, _open(direct, "officer_action"), SYSTEMIC)

    mine, theirs = view_of(copy), view_of(direct)
    # The same elements completed in the same order (ordered by each task's last change).
    assert mine.completed == theirs.completed
    assert [t.element_id for t in mine.open_tasks] == [t.element_id for t in theirs.open_tasks] == ["systemic_work"]
    assert mine.waiting_timers == theirs.waiting_timers
    assert (next_timer_due(copy), next_notice_due(copy)) == (next_timer_due(direct), next_notice_due(direct))

    # Both fire the 30-day review at the same moment and go on alike.
    clock.move_to(moments[4] + 30 * DAY + timedelta(seconds=1))
    for workflow in (copy, direct):
        fire_timers(workflow)
        assert sorted(t.element_id for t in open_tasks(workflow)) == ["dc_systemic_review", "systemic_work"]
    assert next_timer_due(copy) == next_timer_due(direct) == moments[4] + 60 * DAY


def test_a_date_timer_keeps_its_date_in_every_copy(shipped_xml, parse_xml, clock):
    date = "2030-05-01T00:00:00+00:00"
    escalation = '<bpmn:timeDuration>f"P{commissioner_days}D"</bpmn:timeDuration>'  # days from bpmn/sla.dmn
    assert shipped_xml.count(escalation) == 1
    xml = shipped_xml.replace(escalation, f'<bpmn:timeDate>"{date}"</bpmn:timeDate>')
    run = RecordedRun.start(parse_xml(xml), START)
    (timer,) = [t for t in run.timers() if t.element_id == "unresolved_15_days"]
    assert (timer.step, timer.at) == (None, datetime.fromisoformat(date))

    text, _ = run.template().instantiate(_moments(0), {})
    assert datetime.fromisoformat(date) in {t.due for t in waiting_timers(restore_process(parse_xml(xml), json.loads(text)))}


def test_branches_of_a_run_are_independent(diagram, clock):
    run = RecordedRun.start(diagram, START)
    other = run.branch()
    before = save_state(other.workflow)
    run.complete(_open(run.workflow, "dc_triage"), ASSIGN)

    assert save_state(other.workflow) == before
    assert [t.element_id for t in open_tasks(other.workflow)] == ["dc_triage"]
    assert (run.steps, other.steps) == (2, 1)


def _open(workflow, element_id: str) -> str:
    (task,) = [t for t in open_tasks(workflow) if t.element_id == element_id]
    return task.id


def test_a_working_day_timer_is_counted_from_each_copys_own_moment(parse_xml, clock):
    """Two copies lodged on different days get their own working-day deadlines (issue 15, part 4)."""
    from tests.working_days_variant import working_days_variant

    variant = parse_xml(working_days_variant())
    closure = datetime(2027, 3, 9).date()  # the day before Eid ul-Fitr 2027, closed by the province
    template = RecordedRun.start(variant, START, frozenset({closure})).template()
    # Monday 1 March 2027, 14:30 in Peshawar: 15 working days skip the closure, Eid (10-12 March) and
    # Pakistan Day (23 March). A month earlier only Kashmir Solidarity Day (Friday 5 February) is in the way.
    for lodged, due in ((datetime(2027, 3, 1, 9, 30, tzinfo=UTC), datetime(2027, 3, 29, 9, 30, tzinfo=UTC)),
                        (datetime(2027, 2, 1, 9, 30, tzinfo=UTC), datetime(2027, 2, 23, 9, 30, tzinfo=UTC))):
        text, _ = template.instantiate([lodged], {})
        assert next_timer_due(restore_process(variant, json.loads(text))) == due
