"""Citizen feedback: satisfied closes, unsatisfied reopens with a fresh escalation
clock, and silence for 7 days closes the complaint as resolved."""
from datetime import timedelta

from SpiffWorkflow.task import TaskState

from workflows import final_data, is_finished, next_timer_due, open_tasks

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
END_EVENTS = {"closed_satisfied", "closed_without_feedback"}


def end_events_reached(workflow) -> list[str]:
    """Which of the process's closing end events ran (read from the engine's tree)."""
    return sorted(
        t.task_spec.bpmn_id
        for t in workflow.get_tasks(state=TaskState.COMPLETED)
        if t.task_spec.bpmn_id in END_EVENTS
    )


def test_rating_task_is_the_citizens(flow):
    workflow = flow.resolved()
    rating = flow.task(workflow, "citizen_rating")
    assert (rating.lane, rating.form_key, rating.status) == ("citizen", "citizen_rating", "resolved")
    assert next_timer_due(workflow) == flow.T0 + 7 * DAY


def test_satisfied_citizen_closes_the_complaint(flow):
    workflow = flow.resolved()
    workflow = flow.complete(workflow, "citizen_rating", rating=5, satisfied=True, comment="thank you")

    assert is_finished(workflow)
    assert open_tasks(workflow) == []
    assert end_events_reached(workflow) == ["closed_satisfied"]
    assert next_timer_due(workflow) is None
    assert final_data(workflow)["rating"] == 5
    assert final_data(workflow)["satisfied"] is True


def test_unsatisfied_citizen_reopens_to_the_dc(flow):
    workflow = flow.fire_at(flow.resolved(), flow.T0 + 2 * DAY)
    workflow = flow.complete(workflow, "citizen_rating", rating=1, satisfied=False, comment="still broken")

    assert not is_finished(workflow)
    assert flow.open_ids(workflow) == ["dc_triage"]
    triage = flow.task(workflow, "dc_triage")
    assert triage.status == "submitted"
    # The DC sees the citizen's verdict on the reopened triage.
    assert (triage.data["rating"], triage.data["comment"]) == (1, "still broken")


def test_reopen_restarts_the_escalation_clock(flow):
    # Lodged at T0, resolved and rejected at day 5: escalation must count from day 5.
    workflow = flow.fire_at(flow.assigned(), flow.T0 + 5 * DAY)
    workflow = flow.complete(workflow, "officer_action", outcome="resolved", action_taken="patched")
    workflow = flow.complete(workflow, "citizen_rating", rating=2, satisfied=False, comment="no")
    reopened = flow.now()
    assert next_timer_due(workflow) == reopened + 15 * DAY

    # Day 19 is past the original lodging + 15 days, yet nothing escalates.
    workflow = flow.fire_at(workflow, reopened + 14 * DAY)
    assert flow.open_ids(workflow) == ["dc_triage"]

    workflow = flow.fire_at(workflow, reopened + 15 * DAY + MINUTE)
    assert flow.open_ids(workflow) == ["commissioner_review", "dc_triage"]


def test_rejected_twice_keeps_reopening(flow):
    workflow = flow.resolved()
    for _ in range(2):
        workflow = flow.complete(workflow, "citizen_rating", rating=1, satisfied=False, comment="no")
        workflow = flow.complete(workflow, "dc_triage", dc_decision="assign", officer_id=7, instruction="again")
        workflow = flow.complete(workflow, "officer_action", outcome="resolved", action_taken="again")
    workflow = flow.complete(workflow, "citizen_rating", rating=4, satisfied=True, comment="ok")
    assert is_finished(workflow)
    assert end_events_reached(workflow) == ["closed_satisfied"]


def test_no_rating_within_7_days_closes_as_resolved(flow):
    workflow = flow.resolved()

    workflow = flow.fire_at(workflow, flow.T0 + 6 * DAY + 23 * timedelta(hours=1))
    assert not is_finished(workflow)
    assert flow.open_ids(workflow) == ["citizen_rating"]

    workflow = flow.fire_at(workflow, flow.T0 + 7 * DAY + MINUTE)
    assert is_finished(workflow)
    assert open_tasks(workflow) == []
    assert end_events_reached(workflow) == ["closed_without_feedback"]
    assert "rating" not in final_data(workflow)


def test_rating_wait_counts_from_the_resolution_not_the_lodging(flow):
    workflow = flow.fire_at(flow.assigned(), flow.T0 + 10 * DAY)
    workflow = flow.complete(workflow, "officer_action", outcome="resolved", action_taken="done")
    workflow = flow.fire_at(workflow, flow.T0 + 16 * DAY)
    assert not is_finished(workflow)
    workflow = flow.fire_at(workflow, flow.T0 + 17 * DAY + MINUTE)
    assert is_finished(workflow)
