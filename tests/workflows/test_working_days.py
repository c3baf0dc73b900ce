"""Working-day timers (issue 15, part 4): calendar math and the engine, no Flask.

A timer with the property calendar="working-days" counts the days of its
duration on the province's calendar: weekends (Saturday, Sunday), Pakistan's
public holidays (the `holidays` package) and the province's own closures.
The crossing test runs the test variant of the shipped diagram (escalation clock
in working days) over Eid ul-Fitr 2027 and a provincial closure.
"""
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from tests.working_days_variant import ESCALATION_TIMERS, with_calendar, working_days_variant
from workflows import DiagramRejected, fire_timers, next_notice_due, next_timer_due, restore_process, save_state
from workflows import complete_task, open_tasks, start_process
from workflows.analysis import Scenario, ScenarioAnswer, simulate
from workflows.calendar import PAKISTAN_TIME, WorkingCalendar, pakistan_holidays, working_calendar, working_due

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
# Monday 1 March 2027, 14:30 in Peshawar: nine days before Eid ul-Fitr.
LODGED = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
# A provincial closure the day before Eid (KP often closes its offices longer than the federal holidays).
PROVINCIAL_CLOSURE = date(2027, 3, 9)


def eid_ul_fitr(year: int) -> list[date]:
    return sorted(day for day, name in pakistan_holidays(year).items() if "Eid al-Fitr" in name)


def at_pkt(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PAKISTAN_TIME).astimezone(UTC)


# -- calendar math ---------------------------------------------------------------------------------


def test_eid_ul_fitr_2027_comes_from_the_holidays_package():
    assert eid_ul_fitr(2027) == [date(2027, 3, 10), date(2027, 3, 11), date(2027, 3, 12)]


def test_a_weekend_is_skipped_and_the_time_of_day_kept():
    calendar = WorkingCalendar()
    friday_afternoon = at_pkt(2026, 12, 4, 15)  # no holiday near
    assert calendar.add_working_days(friday_afternoon, 1) == at_pkt(2026, 12, 7, 15)
    assert calendar.add_working_days(friday_afternoon, 5) == at_pkt(2026, 12, 11, 15)


def test_counting_starts_after_a_closed_day_of_lodging():
    saturday = at_pkt(2026, 12, 5, 10)
    assert WorkingCalendar().add_working_days(saturday, 1) == at_pkt(2026, 12, 7, 10)


def test_days_are_pakistan_dates_not_utc_dates():
    # 20:00 UTC on Friday is 01:00 on Saturday in Peshawar: one working day later is Monday 01:00 there,
    # i.e. Sunday 20:00 UTC (counting UTC dates would give Monday 20:00 UTC).
    late_friday_utc = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    assert WorkingCalendar().add_working_days(late_friday_utc, 1) == datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def test_fifteen_working_days_cross_eid_and_a_provincial_closure():
    # Mar 2-5 (4), 8 (5), 9 closed by the province, 10-12 Eid, 15-19 (10), 22 (11), 23 Pakistan Day, 24-26 (14), 29.
    calendar = working_calendar([PROVINCIAL_CLOSURE])
    assert working_due(calendar, LODGED, "P15D") == at_pkt(2027, 3, 29, 14, 30)
    # Without the closure, one day sooner; in calendar days, the 16th.
    assert working_due(WorkingCalendar(), LODGED, "P15D") == at_pkt(2027, 3, 26, 14, 30)


def test_weeks_are_five_working_days_and_a_time_part_is_added_as_it_is():
    calendar = WorkingCalendar()
    start = at_pkt(2026, 12, 1, 9)  # Tuesday
    assert working_due(calendar, start, "P1W") == at_pkt(2026, 12, 8, 9)
    assert working_due(calendar, start, "P1DT4H") == at_pkt(2026, 12, 2, 13)


def test_working_days_between_counts_open_days_after_the_first_date():
    calendar = working_calendar([PROVINCIAL_CLOSURE])
    assert calendar.working_days_between(date(2027, 3, 1), date(2027, 3, 29)) == 15
    assert calendar.working_days_between(date(2027, 3, 29), date(2027, 3, 1)) == -15


def test_a_calendar_with_no_open_day_is_refused_rather_than_hanging():
    closed = WorkingCalendar(weekend=frozenset(range(7)))
    with pytest.raises(ValueError):
        closed.add_working_days(LODGED, 1)


# -- the engine --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def variant(parse_xml):
    return parse_xml(working_days_variant())


def roundtrip(diagram, workflow):
    return restore_process(diagram, save_state(workflow))


def open_ids(workflow):
    return sorted(task.element_id for task in open_tasks(workflow))


def test_the_variant_marks_its_escalation_timers_and_the_shipped_diagram_none(variant, diagram):
    assert variant.working_day_timers == frozenset(ESCALATION_TIMERS)
    assert diagram.working_day_timers == frozenset()


def test_escalation_across_eid_and_a_provincial_closure(variant):
    calendar = working_calendar([PROVINCIAL_CLOSURE])
    with time_machine.travel(LODGED, tick=False) as clock:
        workflow = roundtrip(variant, start_process(variant, {"complaint_id": 1}, calendar))
        assert next_timer_due(workflow) == at_pkt(2027, 3, 29, 14, 30)
        # The reminder: 12 working days, 3 before the escalation it announces.
        assert next_notice_due(workflow) == at_pkt(2027, 3, 24, 14, 30)

        # On the 16th calendar day (when the shipped diagram escalates) nothing happens.
        clock.move_to(LODGED + timedelta(days=15) + MINUTE)
        fire_timers(workflow, calendar)
        workflow = roundtrip(variant, workflow)
        assert open_ids(workflow) == ["dc_triage"]

        clock.move_to(at_pkt(2027, 3, 29, 14, 30) + MINUTE)
        fire_timers(workflow, calendar)
        workflow = roundtrip(variant, workflow)
        assert open_ids(workflow) == ["commissioner_review", "dc_triage"]
        # 7 more working days from the escalation (Monday 29 March): Wednesday 7 April.
        assert next_timer_due(workflow) == at_pkt(2027, 4, 7, 14, 31)


def test_a_due_moment_once_counted_stays_put(variant):
    with time_machine.travel(LODGED, tick=False):
        workflow = start_process(variant, {"complaint_id": 1}, WorkingCalendar())
        due = next_timer_due(workflow)
        # A closure announced later does not move a deadline already given.
        fire_timers(workflow, working_calendar([PROVINCIAL_CLOSURE]))
        assert next_timer_due(roundtrip(variant, workflow)) == due == at_pkt(2027, 3, 26, 14, 30)


def test_timers_without_the_property_keep_counting_calendar_days(diagram):
    with time_machine.travel(LODGED, tick=False):
        workflow = start_process(diagram, {"complaint_id": 1}, working_calendar([PROVINCIAL_CLOSURE]))
        assert next_timer_due(workflow) == LODGED + timedelta(days=15)
        complete_task(workflow, open_tasks(workflow)[0].id,
                      {"dc_decision": "assign", "officer_id": 7, "instruction": "go"}, WorkingCalendar())
        assert next_timer_due(workflow) == LODGED + timedelta(days=15)


def test_the_calendar_days_value_counts_calendar_days(parse_xml, shipped_xml):
    diagram = parse_xml(with_calendar(shipped_xml.encode(), ["unresolved_15_days"], "calendar-days"))
    with time_machine.travel(LODGED, tick=False):
        assert next_timer_due(start_process(diagram, {"complaint_id": 1})) == LODGED + timedelta(days=15)


# -- the simulator ------------------------------------------------------------------------------------


def test_the_simulator_counts_working_days_from_its_virtual_start(variant):
    result = simulate(variant, Scenario(steps={}, horizon_days=60), start=LODGED,
                      calendar=working_calendar([PROVINCIAL_CLOSURE]))
    opened = [(step.day, step.element_id) for step in result.steps if step.kind == "task_opened"]
    # 29 March is 28 days after 1 March; 7 April, 37.
    assert (28.0, "commissioner_review") in opened
    assert (37.0, "chief_secretary_review") in opened


# -- deploy validation ------------------------------------------------------------------------------------


def test_an_unknown_calendar_is_refused_with_element_and_line(parse_xml, shipped_xml):
    xml = with_calendar(shipped_xml.encode(), ["unresolved_15_days"], "working-dayz")
    with pytest.raises(DiagramRejected) as refused:
        parse_xml(xml)
    (error,) = refused.value.errors
    assert error.element_id == "unresolved_15_days"
    line = next(n for n, text in enumerate(xml.decode().splitlines(), 1) if 'id="unresolved_15_days"' in text)
    assert error.line == line
    assert str(error.message) == "unknown calendar 'working-dayz'; use one of: calendar-days, working-days"


def test_working_days_on_a_cycle_are_refused(parse_xml, shipped_xml):
    with pytest.raises(DiagramRejected) as refused:
        parse_xml(with_calendar(shipped_xml.encode(), ["systemic_due_for_review"]))
    (error,) = refused.value.errors
    assert (error.element_id, error.message.code) == ("systemic_due_for_review", "calendar_on_event_without_duration")


def test_the_simulator_keeps_a_working_day_timer_when_a_task_is_answered_later(variant):
    # The 7 more working days start at the escalation (day 28); the DC assigns on day 30: no new count.
    assign = {"dc_decision": "assign", "officer_id": 7, "instruction": "go", "target_district_id": None}
    scenario = Scenario(steps={"dc_triage": [ScenarioAnswer(assign, 30)]}, horizon_days=60)
    result = simulate(variant, scenario, start=LODGED, calendar=working_calendar([PROVINCIAL_CLOSURE]))
    opened = [(step.day, step.element_id) for step in result.steps if step.kind == "task_opened"]
    assert (28.0, "commissioner_review") in opened
    assert (37.0, "chief_secretary_review") in opened
