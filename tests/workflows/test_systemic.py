"""Systemic complaints: no timer closes them; the DC reviews them every 30 days.

The review cycle ("R/P30D") starts when the casework reaches systemic_work. Each
due cycle opens one more dc_systemic_review; open reviews pile up until the DC
completes them. A sweep that runs late fires every missed cycle at once.
"""
from datetime import timedelta

from workflows import is_finished, next_timer_due, send_signal

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def review_count(flow, workflow) -> int:
    return len(flow.tasks_at(workflow, "dc_systemic_review"))


def test_systemic_work_is_assigned_to_the_officer_and_stops_escalation(flow):
    workflow = flow.systemic(officer_id=7)
    assert flow.open_ids(workflow) == ["systemic_work"]
    work = flow.task(workflow, "systemic_work")
    assert (work.lane, work.assignee, work.status) == ("district_officer", 7, "systemic")
    # The 15-day escalation is gone; the first review is due 30 days from now.
    assert next_timer_due(workflow) == flow.T0 + 30 * DAY


def test_systemic_complaint_is_never_closed_by_a_timer(flow):
    workflow = flow.systemic()
    work_id = flow.task(workflow, "systemic_work").id

    workflow = flow.fire_at(workflow, flow.T0 + 200 * DAY)

    assert not is_finished(workflow)
    assert flow.task(workflow, "systemic_work").id == work_id
    assert flow.tasks_at(workflow, "commissioner_review") == []
    # One late sweep catches up on every missed cycle: days 30, 60, ..., 180.
    assert review_count(flow, workflow) == 6
    assert next_timer_due(workflow) == flow.T0 + 210 * DAY


def test_dc_gets_a_systemic_review_every_30_days(flow):
    workflow = flow.systemic()

    workflow = flow.fire_at(workflow, flow.T0 + 30 * DAY)  # due, but timers fire strictly after
    assert review_count(flow, workflow) == 0

    counts = []
    for day in (31, 61, 91):
        workflow = flow.fire_at(workflow, flow.T0 + day * DAY)
        counts.append(review_count(flow, workflow))
    assert counts == [1, 2, 3]  # unworked reviews accumulate

    review = flow.tasks_at(workflow, "dc_systemic_review")[0]
    assert (review.lane, review.form_key, review.status) == ("deputy_commissioner", "systemic_review", None)
    # The cycle keeps its own rhythm from the systemic start, not from each sweep.
    assert next_timer_due(workflow) == flow.T0 + 120 * DAY


def test_completing_a_review_does_not_disturb_the_cycle(flow):
    workflow = flow.fire_at(flow.systemic(), flow.T0 + 31 * DAY)
    workflow = flow.complete(workflow, "dc_systemic_review", note="budget requested")
    assert flow.open_ids(workflow) == ["systemic_work"]
    assert next_timer_due(workflow) == flow.T0 + 60 * DAY
    workflow = flow.fire_at(workflow, flow.T0 + 61 * DAY)
    assert review_count(flow, workflow) == 1


def test_resolved_closes_open_reviews_and_asks_the_citizen(flow):
    workflow = flow.fire_at(flow.systemic(), flow.T0 + 61 * DAY)
    assert review_count(flow, workflow) == 2

    workflow = flow.complete(workflow, "systemic_work", outcome="resolved", action_taken="new pipeline")

    assert flow.open_ids(workflow) == ["citizen_rating"]
    assert next_timer_due(workflow) == flow.T0 + 68 * DAY


def test_returned_goes_back_to_triage_with_a_fresh_escalation_clock(flow):
    workflow = flow.fire_at(flow.systemic(), flow.T0 + 20 * DAY)
    workflow = flow.complete(workflow, "systemic_work", outcome="returned", reason="not systemic")
    returned = flow.now()

    assert flow.open_ids(workflow) == ["dc_triage"]
    assert next_timer_due(workflow) == returned + 15 * DAY

    workflow = flow.fire_at(workflow, returned + 14 * DAY)
    assert flow.open_ids(workflow) == ["dc_triage"]
    workflow = flow.fire_at(workflow, returned + 15 * DAY + MINUTE)
    assert flow.open_ids(workflow) == ["commissioner_review", "dc_triage"]


def test_redirect_signal_moves_systemic_work_to_the_named_officer(flow):
    workflow = flow.fire_at(flow.systemic(officer_id=7), flow.T0 + 31 * DAY)
    old_id = flow.task(workflow, "systemic_work").id

    caught = send_signal(
        workflow, "case_redirected", {"action": "reassign", "officer_id": 11, "instruction": "officer left"}
    )
    workflow = flow.roundtrip(workflow)

    assert caught == 1
    # The open review was closed by the redirect (it throws close_reviews on the way).
    assert flow.open_ids(workflow) == ["systemic_work"]
    work = flow.task(workflow, "systemic_work")
    assert (work.assignee, work.status) == (11, "systemic")
    assert work.id != old_id
    # A new systemic_work instance starts a new 30-day cycle.
    assert next_timer_due(workflow) == flow.T0 + 61 * DAY


def test_redirect_signal_without_an_officer_goes_back_to_the_dc(flow):
    workflow = flow.systemic(officer_id=7)
    caught = send_signal(workflow, "case_redirected", {"action": "reassign", "officer_id": None, "instruction": "?"})
    workflow = flow.roundtrip(workflow)
    assert caught == 1
    assert flow.open_ids(workflow) == ["dc_triage"]
    assert next_timer_due(workflow) == flow.T0 + 15 * DAY


def test_signal_with_no_catcher_waiting_returns_0_and_changes_nothing(flow):
    workflow = flow.resolved()  # citizen_rating has no redirect boundary
    before = flow.open_ids(workflow), next_timer_due(workflow)

    caught = send_signal(workflow, "case_redirected", {"action": "reassign", "officer_id": 11, "instruction": "x"})

    assert caught == 0
    assert (flow.open_ids(workflow), next_timer_due(workflow)) == before
    assert send_signal(workflow, "no_such_signal", {}) == 0
