"""workflows/task_walk.py gives the library's own answers: the same tasks in the same order as
`get_tasks(state=...)`, on every state the exploration reaches on the shipped diagram."""
import json
from datetime import UTC, datetime

import time_machine
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.task import TaskState

from workflows import engine
from workflows.analysis import Bounds, explore, explore_paths
from workflows.engine import library_state
from workflows.task_walk import PortalWorkflow, reached_tasks


def library_answers(workflow):
    return [workflow.get_tasks(state=state) for state in (TaskState.WAITING, TaskState.READY, TaskState.COMPLETED)]


def test_one_walk_finds_what_the_library_finds_in_every_explored_state(diagram, shipped_xml, form_answers,
                                                                      monkeypatch):
    compared = []
    observe = explore._Walk._observe

    def checking(walk, node, real):
        observe(walk, node, real)
        reached = reached_tasks(node.workflow)
        assert [reached.waiting, reached.ready, reached.completed] == library_answers(node.workflow)
        everything_completed = [task for task in node.workflow.tasks.values() if task.state == TaskState.COMPLETED]
        compared.append((len(reached.waiting), len(reached.ready), len(reached.completed),
                         len(everything_completed) - len(reached.completed)))

    monkeypatch.setattr(explore._Walk, "_observe", checking)
    result = explore_paths(diagram, shipped_xml.encode(), form_answers, Bounds(max_loops=2))
    assert result.failures == [] and not result.truncated
    assert len(compared) > 200
    # Not a trivial comparison: states with timers waiting, tasks open and many tasks completed.
    assert max(waiting for waiting, *_ in compared) >= 2 and max(ready for _, ready, *_ in compared) >= 1
    assert max(completed for _, _, completed, _ in compared) > 20
    # The library leaves out completed tasks under a parent still waiting (a boundary event's task): the walk
    # was compared on states where that happens.
    assert max(hidden for *_, hidden in compared) > 0



MASKS = (TaskState.READY, TaskState.WAITING, TaskState.COMPLETED, TaskState.FUTURE, TaskState.PREDICTED_MASK,
         TaskState.NOT_FINISHED_MASK, TaskState.FINISHED_MASK, TaskState.ANY_MASK, TaskState.READY | TaskState.WAITING)


def test_the_portal_workflow_walks_by_state_as_the_library_does_in_every_explored_state(
        diagram, shipped_xml, form_answers, monkeypatch):
    compared = []
    observe = explore._Walk._observe

    def checking(walk, node, real):
        observe(walk, node, real)
        workflow = node.workflow
        assert isinstance(workflow, PortalWorkflow)
        for mask in MASKS:
            library = list(BpmnTaskIterator(workflow.task_tree, state=mask))
            assert list(workflow.get_tasks_iterator(state=mask)) == library
            for manual in (True, False):
                assert workflow.get_tasks(state=mask, manual=manual) == \
                    list(BpmnTaskIterator(workflow.task_tree, state=mask, manual=manual))
        compared.append(len(workflow.tasks))

    monkeypatch.setattr(explore._Walk, "_observe", checking)
    result = explore_paths(diagram, shipped_xml.encode(), form_answers, Bounds(max_loops=2))
    assert result.failures == [] and len(compared) > 200


def without_ids(state: dict) -> dict:
    """A compact state with its tasks' random ids replaced by their positions (two runs make different ids)."""
    position = {task_id: n for n, task_id in enumerate(state["tasks"])}
    text = json.dumps({**state, "tasks": list(state["tasks"].values())})
    for task_id, n in position.items():
        text = text.replace(task_id, f"task-{n}")
    return json.loads(text)


def test_the_portal_workflow_runs_every_explored_path_as_the_library_s_workflow_does(
        diagram, shipped_xml, form_answers, monkeypatch):
    """The same path run on both classes gives the same saved state after every move."""
    states = {}
    observe = explore._Walk._observe

    def recording(walk, node, real):
        observe(walk, node, real)
        states.setdefault(type(node.workflow), []).append(without_ids(library_state(node.workflow)))

    monkeypatch.setattr(explore._Walk, "_observe", recording)
    with time_machine.travel(datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        explore_paths(diagram, shipped_xml.encode(), form_answers, Bounds(max_loops=1))
        monkeypatch.setattr(engine, "PortalWorkflow", BpmnWorkflow)  # what start_process makes: the library's
        explore_paths(diagram, shipped_xml.encode(), form_answers, Bounds(max_loops=1))
    assert set(states) == {PortalWorkflow, BpmnWorkflow}
    assert len(states[PortalWorkflow]) > 100
    assert states[PortalWorkflow] == states[BpmnWorkflow]
