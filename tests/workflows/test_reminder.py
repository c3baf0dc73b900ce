"""The reminder 3 days before escalation: a timer in the escalation clock that
leads to a notice (an event with the property `notify`), never a task, never a
deadline, and cancelled by `close_reviews` like the rest of the clock."""
from datetime import timedelta

from workflows import fire_timers, next_notice_due, next_timer_due, start_process, take_notices

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
REMINDER = "escalation_reminder"


def test_the_reminder_waits_for_day_12_and_is_not_a_deadline(flow):
    workflow = flow.start()

    assert next_notice_due(workflow) == flow.T0 + 12 * DAY
    assert next_timer_due(workflow) == flow.T0 + 15 * DAY  # the escalation stays the deadline
    assert take_notices(workflow) == []


def test_no_reminder_on_day_11(flow):
    workflow = flow.fire_at(flow.assigned(), flow.T0 + 11 * DAY + 23 * 60 * MINUTE)

    assert take_notices(workflow) == []
    assert next_notice_due(workflow) == flow.T0 + 12 * DAY
    assert flow.open_ids(workflow) == ["officer_action"]


def test_the_reminder_fires_on_day_12_once_and_blocks_nothing(flow):
    workflow = flow.fire_at(flow.assigned(), flow.T0 + 12 * DAY + MINUTE)

    assert take_notices(workflow) == [REMINDER]
    assert take_notices(workflow) == []  # reported once ...
    workflow = flow.roundtrip(workflow)
    assert take_notices(workflow) == []  # ... also after the state was saved and restored
    assert next_notice_due(workflow) is None
    assert next_timer_due(workflow) == flow.T0 + 15 * DAY
    assert flow.open_ids(workflow) == ["officer_action"]  # the officer keeps working, no new task

    workflow = flow.fire_at(workflow, flow.T0 + 15 * DAY + MINUTE)
    assert flow.open_ids(workflow) == ["commissioner_review", "officer_action"]
    assert take_notices(workflow) == []


def test_a_notice_taken_before_saving_is_not_reported_again(flow):
    workflow = flow.fire_at(flow.start(), flow.T0 + 13 * DAY)
    assert take_notices(workflow) == [REMINDER]

    workflow = flow.roundtrip(workflow)

    assert take_notices(workflow) == []


def test_resolved_on_day_10_cancels_the_reminder(flow):
    workflow = flow.fire_at(flow.assigned(), flow.T0 + 10 * DAY)
    workflow = flow.complete(workflow, "officer_action", outcome="resolved", action_taken="fixed")

    assert next_notice_due(workflow) is None
    workflow = flow.fire_at(workflow, flow.T0 + 12 * DAY + MINUTE)
    assert take_notices(workflow) == []
    assert flow.open_ids(workflow) == ["citizen_rating"]


def test_a_systemic_complaint_gets_no_reminder(flow):
    workflow = flow.systemic()

    assert next_notice_due(workflow) is None


def test_reopening_restarts_the_reminder(flow):
    workflow = flow.fire_at(flow.assigned(), flow.T0 + 5 * DAY)
    workflow = flow.complete(workflow, "officer_action", outcome="resolved", action_taken="patched")
    workflow = flow.complete(workflow, "citizen_rating", rating=2, satisfied=False, comment="no")
    reopened = flow.now()

    assert next_notice_due(workflow) == reopened + 12 * DAY
    workflow = flow.fire_at(workflow, reopened + 12 * DAY + MINUTE)
    assert take_notices(workflow) == [REMINDER]


def test_analysts_move_the_reminder_by_editing_the_timer(shipped_xml, parse_xml, clock):
    reminder = 'f"P{max(commissioner_days - 3, 0)}D"'  # 3 days before the table's escalation days
    assert shipped_xml.count(reminder) == 1
    diagram = parse_xml(shipped_xml.replace(reminder, '"P10D"'))
    workflow = start_process(diagram, {"complaint_id": 1})
    assert next_notice_due(workflow) == next_timer_due(workflow) - 5 * DAY

    clock.shift(10 * DAY + MINUTE)
    fire_timers(workflow)
    assert take_notices(workflow) == [REMINDER]
