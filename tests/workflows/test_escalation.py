"""The escalation clock: 15 days to the Commissioner, 7 more to the Chief Secretary.

It runs beside the casework and never interrupts it; resolving the complaint or
making it systemic stops it. Every step saves and restores the instance.
"""
from datetime import timedelta

from workflows import next_timer_due

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def test_nothing_escalates_at_day_14(flow):
    workflow = flow.fire_at(flow.start(), flow.T0 + 14 * DAY)
    assert flow.open_ids(workflow) == ["dc_triage"]


def test_nothing_escalates_at_exactly_15_days(flow):
    # Timers fire strictly after their due time; the sweep a minute later catches it.
    workflow = flow.fire_at(flow.start(), flow.T0 + 15 * DAY)
    assert flow.open_ids(workflow) == ["dc_triage"]


def test_commissioner_review_opens_after_15_days_without_interrupting_triage(flow):
    workflow = flow.start()
    triage_id = flow.task(workflow, "dc_triage").id
    workflow = flow.fire_at(workflow, flow.T0 + 15 * DAY + MINUTE)

    assert flow.open_ids(workflow) == ["commissioner_review", "dc_triage"]
    review = flow.task(workflow, "commissioner_review")
    assert (review.lane, review.escalation_level, review.form_key) == ("commissioner", 1, "escalation_review")
    # Non-interrupting: the DC keeps the very same triage task.
    assert flow.task(workflow, "dc_triage").id == triage_id


def test_chief_secretary_review_opens_7_days_after_the_commissioner(flow):
    workflow = flow.fire_at(flow.start(), flow.T0 + 15 * DAY + MINUTE)
    # The 7 days count from the moment the first escalation fired (15d + 1 min).
    workflow = flow.fire_at(workflow, flow.T0 + 22 * DAY + MINUTE)
    assert flow.open_ids(workflow) == ["commissioner_review", "dc_triage"]

    workflow = flow.fire_at(workflow, flow.T0 + 22 * DAY + 2 * MINUTE)
    assert flow.open_ids(workflow) == ["chief_secretary_review", "commissioner_review", "dc_triage"]
    review = flow.task(workflow, "chief_secretary_review")
    assert (review.lane, review.escalation_level, review.form_key) == ("chief_secretary", 2, "escalation_review")


def test_resolution_closes_every_open_review_and_directive(flow):
    workflow = flow.fire_at(flow.start(), flow.T0 + 15 * DAY + MINUTE)
    workflow = flow.complete(
        workflow, "commissioner_review", review_action="direct", review_officer_id=None, review_instruction="hurry"
    )
    workflow = flow.fire_at(workflow, flow.T0 + 23 * DAY)
    workflow = flow.complete(workflow, "dc_triage", dc_decision="assign", officer_id=7, instruction="go")
    assert flow.open_ids(workflow) == ["chief_secretary_review", "dc_directive", "officer_action"]

    workflow = flow.complete(workflow, "officer_action", outcome="resolved", action_taken="repaired")

    assert flow.open_ids(workflow) == ["citizen_rating"]
    # The escalation clock is gone too: the only timer left is the 7-day rating wait.
    assert next_timer_due(workflow) == flow.T0 + 30 * DAY


def test_resolution_before_15_days_stops_the_clock(flow):
    workflow = flow.fire_at(flow.assigned(), flow.T0 + 10 * DAY)
    workflow = flow.complete(workflow, "officer_action", outcome="resolved", action_taken="done")
    workflow = flow.fire_at(workflow, flow.T0 + 15 * DAY + MINUTE)
    assert flow.open_ids(workflow) == ["citizen_rating"]
    assert next_timer_due(workflow) == flow.T0 + 17 * DAY  # the rating wait, not an escalation


def test_direct_gives_the_dc_a_directive_and_the_officer_keeps_the_task(flow):
    workflow = flow.fire_at(flow.assigned(officer_id=7), flow.T0 + 15 * DAY + MINUTE)
    officer_task = flow.task(workflow, "officer_action")

    workflow = flow.complete(
        workflow, "commissioner_review", review_action="direct", review_officer_id=None, review_instruction="call him"
    )

    assert flow.open_ids(workflow) == ["dc_directive", "officer_action"]
    directive = flow.task(workflow, "dc_directive")
    assert (directive.lane, directive.form_key) == ("deputy_commissioner", "dc_directive")
    assert directive.data["review_instruction"] == "call him"
    kept = flow.task(workflow, "officer_action")
    assert (kept.id, kept.assignee) == (officer_task.id, 7)


def test_directive_done_leaves_the_casework_alone(flow):
    workflow = flow.fire_at(flow.assigned(officer_id=7), flow.T0 + 15 * DAY + MINUTE)
    workflow = flow.complete(
        workflow, "commissioner_review", review_action="direct", review_officer_id=None, review_instruction="x"
    )
    workflow = flow.complete(workflow, "dc_directive", response="officer chased")
    assert flow.open_ids(workflow) == ["officer_action"]
    assert flow.task(workflow, "officer_action").assignee == 7


def test_reassign_moves_the_officer_task_to_the_named_officer(flow):
    workflow = flow.fire_at(flow.assigned(officer_id=7), flow.T0 + 15 * DAY + MINUTE)
    old = flow.task(workflow, "officer_action")

    workflow = flow.complete(
        workflow, "commissioner_review", review_action="reassign", review_officer_id=9, review_instruction="new hands"
    )

    assert flow.open_ids(workflow) == ["officer_action"]
    new = flow.task(workflow, "officer_action")
    assert new.assignee == 9
    assert new.id != old.id  # the old officer's task was withdrawn, not relabelled
    assert (new.lane, new.status) == ("district_officer", "in_progress")


def test_reassign_while_still_in_triage_skips_the_dc(flow):
    workflow = flow.fire_at(flow.start(), flow.T0 + 15 * DAY + MINUTE)
    workflow = flow.complete(
        workflow, "commissioner_review", review_action="reassign", review_officer_id=9, review_instruction="take it"
    )
    assert flow.open_ids(workflow) == ["officer_action"]
    assert flow.task(workflow, "officer_action").assignee == 9


def test_systemic_order_moves_casework_to_systemic_work_and_closes_all_reviews(flow):
    workflow = flow.fire_at(flow.assigned(officer_id=7), flow.T0 + 15 * DAY + MINUTE)
    workflow = flow.fire_at(workflow, flow.T0 + 23 * DAY)
    workflow = flow.complete(
        workflow, "chief_secretary_review", review_action="systemic", review_officer_id=12, review_instruction="plan"
    )

    assert flow.open_ids(workflow) == ["systemic_work"]
    work = flow.task(workflow, "systemic_work")
    assert (work.assignee, work.status, work.form_key) == (12, "systemic", "officer_action")
    # No escalation timer is left; only the 30-day review cycle.
    assert next_timer_due(workflow) == flow.T0 + 53 * DAY


def test_next_timer_due_reports_each_escalation_moment(flow):
    workflow = flow.start()
    assert next_timer_due(workflow) == flow.T0 + 15 * DAY

    workflow = flow.fire_at(workflow, flow.T0 + 15 * DAY + MINUTE)
    assert next_timer_due(workflow) == flow.T0 + 22 * DAY + MINUTE

    workflow = flow.fire_at(workflow, flow.T0 + 22 * DAY + 5 * MINUTE)
    assert flow.tasks_at(workflow, "chief_secretary_review")
    assert next_timer_due(workflow) is None  # nothing further escalates

