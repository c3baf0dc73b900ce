"""Saved state: the instance's own JSON, without the spec, restorable at any step."""
import copy
import json
from datetime import timedelta

from workflows import (
    complete_task,
    final_data,
    fire_timers,
    is_finished,
    next_timer_due,
    open_tasks,
    restore_process,
    save_state,
    start_process,
)

DAY = timedelta(days=1)


def snapshot(workflow):
    """What the portal reads from an instance."""
    tasks = sorted((t.element_id, t.assignee, t.status, repr(sorted(t.data.items()))) for t in open_tasks(workflow))
    return tasks, next_timer_due(workflow), is_finished(workflow)


def test_state_has_no_spec_and_is_plain_json(flow):
    state = save_state(flow.start())
    assert "spec" not in state
    assert "subprocess_specs" not in state
    assert state["serializer_version"] == "1.5"
    assert json.loads(json.dumps(state)) == state


def test_fresh_state_is_under_15_kb(flow):
    assert len(json.dumps(save_state(flow.start()))) < 15_000


def test_restore_then_save_gives_back_the_same_state(flow):
    workflow = flow.fire_at(flow.systemic(), flow.T0 + 31 * DAY)
    state = save_state(workflow)
    assert save_state(restore_process(flow.diagram, state)) == state


def test_restore_does_not_modify_the_state_it_was_given(flow):
    # The same row may be loaded twice (a retry after a lost optimistic lock).
    state = save_state(flow.fire_at(flow.start(), flow.T0 + 16 * DAY))
    pristine = copy.deepcopy(state)
    first = restore_process(flow.diagram, state)
    assert state == pristine
    second = restore_process(flow.diagram, state)
    assert snapshot(first) == snapshot(second)


def test_restored_instance_shares_the_cached_spec(flow):
    workflow = restore_process(flow.diagram, save_state(flow.start()))
    assert workflow.spec is flow.diagram.spec


def test_restore_at_every_step_runs_exactly_like_an_instance_kept_in_memory(flow):
    """One script, run twice: kept in memory vs saved and restored before every step."""
    diagram, clock, t0 = flow.diagram, flow.clock, flow.T0

    def run(persist):
        seen = []
        workflow = start_process(diagram, {"complaint_id": 5})

        def step(action):
            nonlocal workflow
            if persist:
                workflow = restore_process(diagram, json.loads(json.dumps(save_state(workflow))))
            action(workflow)
            seen.append(snapshot(workflow))

        def do(element_id, **data):
            def action(w):
                (task,) = [t for t in open_tasks(w) if t.element_id == element_id]
                complete_task(w, task.id, data)

            step(action)

        def at(days):
            clock.move_to(t0 + days * DAY)
            step(fire_timers)

        at(16)
        do("commissioner_review", review_action="reassign", review_officer_id=9, review_instruction="go")
        at(24)
        do("chief_secretary_review", review_action="systemic", review_officer_id=4, review_instruction="plan")
        at(55)
        do("dc_systemic_review", note="seen")
        do("systemic_work", outcome="resolved", action_taken="done")
        do("citizen_rating", rating=3, satisfied=False, comment="meh")
        do("dc_triage", dc_decision="assign", officer_id=9, instruction="finish")
        do("officer_action", outcome="resolved", action_taken="finished")
        at(70)
        clock.move_to(t0)
        return seen, final_data(workflow)

    in_memory, persisted = run(persist=False), run(persist=True)
    assert in_memory == persisted
    seen, final = in_memory
    assert len(seen) == 11
    assert seen[-1] == ([], None, True)  # the script really reached the end (closed without feedback)
    assert (final["officer_id"], final["comment"]) == (9, "meh")
