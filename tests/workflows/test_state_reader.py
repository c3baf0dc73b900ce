"""The direct state reader (workflows/state_reader.py) builds exactly the workflow the library builds.

Checked on every state the exploration reaches on the shipped diagram (every answer of every form, every
timer let fire, two rework loops): the same tasks in the same order with the same parents, children,
states, times, data and internal data, the same waiting events registered, the same workflow attributes;
and the restored workflow runs on as the library's does.
"""
import json

from workflows import engine
from workflows.analysis import Bounds, explore, explore_paths
from workflows.engine import _SERIALIZER, _expanded, restore_process, save_state
from workflows.state_reader import compact_restore


def library_restore(diagram, state: dict):
    state = _expanded(state)
    state.pop(_SERIALIZER.VERSION_KEY)
    state["spec"], state["subprocess_specs"] = diagram.spec, dict(diagram.subprocess_specs)
    return _SERIALIZER.from_dict(state)


def written(value):
    """A value as the registry writes it: restored objects (e.g. a caught event) compare by what they hold."""
    return _SERIALIZER.registry.convert(value)


def task_facts(workflow) -> list[tuple]:
    return [(task.id, task._parent, task._children, task._state, task.last_state_change, task.triggered,
             task.task_spec, written(task.data), written(task.internal_data)) for task in workflow.tasks.values()]


def workflow_facts(workflow) -> tuple:
    return (task_facts(workflow), workflow.task_tree.id, sorted(map(str, workflow.event_manager.tasks)),
            written(workflow.data), workflow.success, workflow.completed, workflow.correlations,
            workflow.last_task.id if workflow.last_task else None, written(workflow.bpmn_events),
            workflow.subprocesses)


def reads_alike(diagram, workflow) -> None:
    state = json.loads(json.dumps(save_state(workflow)))  # as a row gives it back
    state.pop(_SERIALIZER.VERSION_KEY), state.pop(engine.COMPACT_KEY)
    direct = compact_restore(diagram, json.loads(json.dumps(state)), _SERIALIZER.registry)
    assert direct is not None
    library = library_restore(diagram, {**state, _SERIALIZER.VERSION_KEY: engine.SERIALIZER_VERSION,
                                        engine.COMPACT_KEY: True})
    assert workflow_facts(direct) == workflow_facts(library)
    # Nothing shared with the state it was read from: changing the workflow leaves the row's value alone.
    for task in direct.tasks.values():
        task.data["touched"] = True
        task.internal_data["touched"] = True
    assert "touched" not in json.dumps(state)


def test_every_explored_state_is_read_as_the_library_reads_it(diagram, shipped_xml, form_answers, monkeypatch):
    seen = []
    observe = explore._Walk._observe

    def checking(walk, node, real):
        observe(walk, node, real)
        reads_alike(diagram, node.workflow)
        seen.append(len(node.workflow.tasks))

    monkeypatch.setattr(explore._Walk, "_observe", checking)
    result = explore_paths(diagram, shipped_xml.encode(), form_answers, Bounds(max_loops=2))
    assert result.failures == [] and not result.truncated
    assert len(seen) > 200 and max(seen) > 80


def test_restore_process_reads_a_compact_state_directly_and_an_older_one_through_the_library(flow, monkeypatch):
    workflow = flow.start()
    state = json.loads(json.dumps(save_state(workflow)))
    calls = []
    real = engine.compact_restore
    monkeypatch.setattr(engine, "compact_restore", lambda *args: calls.append(1) or real(*args))

    direct = restore_process(flow.diagram, state)
    assert calls == [1] and save_state(direct) == save_state(workflow)

    not_compact = engine.library_state(workflow)
    not_compact.pop(engine.COMPACT_KEY)
    library = restore_process(flow.diagram, _expanded({**not_compact, engine.COMPACT_KEY: True}))
    assert calls == [1] and save_state(library) == save_state(workflow)  # the library read it
