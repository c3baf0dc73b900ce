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


def size(workflow) -> int:
    return len(json.dumps(save_state(workflow)))


def test_a_state_at_lodging_is_at_most_8_kb_and_grows_at_most_4_kb_per_rework_loop(flow):
    # Written at every move of every complaint: its size is the write path's main cost in bytes.
    workflow = flow.start()
    assert size(workflow) <= 8_000
    workflow = flow.resolved()
    sizes = [size(workflow)]
    for _ in range(3):  # the citizen rejects, the DC assigns again, the officer resolves again
        workflow = flow.complete(workflow, "citizen_rating", rating=1, satisfied=False, comment="no")
        workflow = flow.complete(workflow, "dc_triage", dc_decision="assign", officer_id=7, instruction="again")
        workflow = flow.complete(workflow, "officer_action", outcome="resolved", action_taken="again")
        sizes.append(size(workflow))
    assert all(later - earlier <= 4_000 for earlier, later in zip(sizes, sizes[1:])), sizes


def test_a_compacted_state_comes_back_as_the_library_wrote_it(flow):
    """Saved tasks leave out SpiffWorkflow's defaults (their own id, empty data...); restoring puts them back.
    A task without data keeps the delta `{}` in place of its parent's keys, which the library reads alike."""
    from workflows.engine import _SERIALIZER, _expanded

    workflow = flow.fire_at(flow.resolved(), flow.T0 + 3 * DAY)
    full = _SERIALIZER.to_dict(workflow)
    del full["spec"], full["subprocess_specs"]
    empty = {str(t.id) for t in workflow.get_tasks() if t.parent is not None and not t.data}
    empty = {task_id for task_id in empty if full["tasks"][task_id]["delta"]["deletions"]}  # else the default
    assert empty
    for task_id in empty:
        full["tasks"][task_id]["delta"] = {}
    expanded = _expanded(save_state(workflow))
    expanded.pop("serializer_version")
    assert expanded == full
    restored = restore_process(flow.diagram, save_state(workflow))
    assert {t.id: t.data for t in restored.get_tasks()} == {t.id: t.data for t in workflow.get_tasks()}


def test_a_state_compacted_with_the_deltas_of_empty_tasks_still_restores(flow):
    """States saved before the empty delta list every key of the parent as deleted."""
    from workflows.engine import COMPACT_KEY, _compacted, full_state

    workflow = flow.fire_at(flow.resolved(), flow.T0 + 3 * DAY)
    old = full_state(workflow)
    old["tasks"] = _compacted(old["tasks"])
    old[COMPACT_KEY] = True
    assert old != save_state(workflow)
    restored = restore_process(flow.diagram, old)
    assert snapshot(restored) == snapshot(workflow)
    assert {t.id: t.data for t in restored.get_tasks()} == {t.id: t.data for t in workflow.get_tasks()}
    assert save_state(restored) == save_state(workflow)


def test_a_state_saved_before_compaction_still_restores(flow):
    from workflows.engine import _SERIALIZER

    workflow = flow.assigned()
    old = _SERIALIZER.to_dict(workflow)
    del old["spec"], old["subprocess_specs"]
    old["serializer_version"] = "1.5"
    assert snapshot(restore_process(flow.diagram, old)) == snapshot(workflow)


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
