"""The direct state writer (workflows/state_writer.py) writes exactly what the library-based writer writes.

Checked on every state the exploration reaches on the shipped diagram (every answer of every form, every
timer let fire, rework loops included): the same state, the same JSON bytes, and a state that restores to
a workflow whose snapshot and saved state are the same again.
"""
import json
from datetime import datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from workflows import (
    closing_event,
    is_finished,
    next_notice_due,
    next_timer_due,
    open_tasks,
    restore_process,
    save_state,
    snapshot,
)
from workflows.analysis import Bounds, explore, explore_paths
from workflows.engine import _SERIALIZER, library_state
from workflows.state_writer import compact_state, recognised



def stored(state: dict) -> str:
    return json.dumps(state, separators=(",", ":"))


def same_as_the_library(diagram, workflow) -> dict:
    direct, library = save_state(workflow), library_state(workflow)
    assert direct == library
    assert stored(direct) == stored(library)  # the same keys in the same order: the same bytes in the row
    return direct


def read(workflow) -> tuple:
    """What the portal reads from an instance (`snapshot` without taking the notices, which would change it)."""
    return (open_tasks(workflow), next_timer_due(workflow), next_notice_due(workflow), is_finished(workflow),
            closing_event(workflow) if is_finished(workflow) else None)


def restores_alike(diagram, state: dict, workflow) -> None:
    restored = restore_process(diagram, json.loads(stored(state)))
    assert read(restored) == read(workflow)
    assert {t.id: t.data for t in restored.get_tasks()} == {t.id: t.data for t in workflow.get_tasks()}
    assert save_state(restored) == state


def test_every_explored_state_is_written_as_the_library_writes_it(diagram, shipped_xml, form_answers, monkeypatch):
    seen = []
    observe = explore._Walk._observe

    def checking(walk, node, real):
        observe(walk, node, real)
        # Checked at once: the walk goes on with this very workflow after the move.
        state = same_as_the_library(diagram, node.workflow)
        restores_alike(diagram, state, node.workflow)
        seen.append(len(state["tasks"]))

    monkeypatch.setattr(explore._Walk, "_observe", checking)
    result = explore_paths(diagram, shipped_xml.encode(), form_answers, Bounds(max_loops=2))
    assert result.failures == [] and not result.truncated
    assert len(seen) > 200 and max(seen) > 80  # many states, rework loops among them


def test_values_the_registry_converts_go_through_the_registry(flow):
    workflow = flow.assigned()
    moment = datetime(2026, 3, 11, 8, 0, tzinfo=timezone.utc)
    workflow.data["seen"] = {"at": moment, "ids": (1, 2), "wait": timedelta(days=2), "skip": len}
    [task] = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "officer_action"]
    task.internal_data["moments"] = [moment, {"nested": moment}]
    task.triggered = True
    state = same_as_the_library(flow.diagram, workflow)
    assert state["data"]["seen"]["at"] == {"value": moment.isoformat(), "typename": "datetime"}
    assert "skip" not in state["data"]["seen"]


def test_a_workflow_the_writer_does_not_know_is_written_by_the_library(flow, monkeypatch):
    workflow = flow.assigned()

    class OwnTask(Task):
        pass

    [task] = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "officer_action"]
    task.__class__ = OwnTask
    assert compact_state(workflow, _SERIALIZER.registry) is None
    # The library's registry finds no converter for the class either: it is written as it comes.
    task.__class__ = Task
    assert compact_state(workflow, _SERIALIZER.registry) is not None


def test_a_registry_with_converters_of_its_own_is_not_recognised():
    class OwnTaskConverter(TaskConverter):
        pass

    assert recognised(_SERIALIZER.registry)
    config = {**SPIFF_CONFIG, Task: OwnTaskConverter}
    assert not recognised(BpmnWorkflowSerializer.configure(config))


@pytest.mark.parametrize("when", [timedelta(0), timedelta(days=16), timedelta(days=40)])
def test_a_state_written_directly_restores_and_runs_on(flow, when):
    workflow = flow.fire_at(flow.resolved(), flow.T0 + when)
    state = same_as_the_library(flow.diagram, workflow)
    restores_alike(flow.diagram, state, workflow)
    assert snapshot(restore_process(flow.diagram, state)) == snapshot(workflow)
