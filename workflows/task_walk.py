"""The tasks a process has reached, sorted by state in one walk of its task tree.

Every move reads the same things from the process afterwards: the timers it waits on, the user
tasks open for people, the notices and end events it has passed. SpiffWorkflow's `get_tasks`
walks the whole tree for each question with its general-purpose iterator (depth bookkeeping,
filters for names, classes and times), and after a move it was asked six or seven times: on the
timer sweep, a fifth of the engine's CPU went to walking the same forty tasks again.

`reached_tasks` walks the tree once and answers all of these, with the library's own answer: the
same tasks in the same order. The library's iterator goes depth first, children in order, and
does not descend below a task whose state is lower than the lowest state it looks for — for
waiting and ready tasks, not into predicted ones (MAYBE, LIKELY); for completed tasks, only
through finished ones (a parent may still wait while a child has completed, and the library
does not count that child). The walk keeps both rules. A process with subprocesses, whose tasks
the library also visits, is read through the library as before
(tests/workflows/test_task_walk.py compares both on every state the exploration reaches).
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import TaskState


@dataclass(frozen=True)
class ReachedTasks:
    waiting: list  # TaskState.WAITING: timers and other events the process waits on
    ready: list  # TaskState.READY: user tasks open for people (and engine tasks about to run)
    completed: list  # TaskState.COMPLETED below finished tasks only, as `get_tasks(state=COMPLETED)`


def reached_tasks(workflow) -> ReachedTasks:
    if workflow.subprocesses:
        return ReachedTasks(*(workflow.get_tasks(state=state)
                              for state in (TaskState.WAITING, TaskState.READY, TaskState.COMPLETED)))
    waiting, ready, completed = [], [], []
    tasks = workflow.tasks
    # (task, whether every task above it is finished); popped from the end, so children go on reversed.
    stack = [(workflow.task_tree, True)]
    while stack:
        task, under_finished = stack.pop()
        state = task._state
        if state == TaskState.WAITING:
            waiting.append(task)
        elif state == TaskState.READY:
            ready.append(task)
        elif state == TaskState.COMPLETED and under_finished:
            completed.append(task)
        if state >= TaskState.FUTURE and task._children:  # below a predicted task there are only predicted ones
            finished = under_finished and (state & TaskState.FINISHED_MASK) != 0
            stack.extend((tasks[child], finished) for child in reversed(task._children))
    return ReachedTasks(waiting, ready, completed)


class PortalWorkflow(BpmnWorkflow):
    """SpiffWorkflow's BpmnWorkflow, whose walks of its task tree by state take the short way.

    The engine asks for the tasks in a state over and over while it runs (`do_engine_steps` looks for ready
    tasks on every round, and every completed task makes it look at the waiting ones again): a third of an
    escalation's engine time went to the library's general-purpose iterator. A question by state alone (and
    `manual`), from the root of a process without subprocesses, is answered by `tasks_in_state`: the same
    tasks, in the same order, visited as lazily (a task's children are taken when it is reached, before the
    caller sees it); anything else goes to the library. Saved and restored as a BpmnWorkflow (engine.py
    registers it under that name), so its states are the library's.
    """

    def get_tasks_iterator(self, first_task=None, **kwargs):
        if first_task is None and not self.subprocesses and kwargs.keys() <= {"state", "manual"}:
            tasks = tasks_in_state(self, kwargs.get("state", TaskState.ANY_MASK))
            manual = kwargs.get("manual")
            return tasks if manual is None else (task for task in tasks if task.task_spec.manual == manual)
        return super().get_tasks_iterator(first_task, **kwargs)

    def update_waiting_tasks(self) -> None:
        if self.subprocesses:
            return super().update_waiting_tasks()
        for task in tasks_in_state(self, TaskState.WAITING):
            task.task_spec._update(task)


def tasks_in_state(workflow, state: int):
    """The tasks in `state` (a mask), depth first, children in order, not descending below a task in a state
    lower than the lowest `state` asks for (predicted tasks follow definite ones, definite ones finished
    ones): the library's TaskIterator, without its depth bookkeeping and general filters."""
    if state & TaskState.PREDICTED_MASK:
        lowest = TaskState.MAYBE
    elif state & TaskState.DEFINITE_MASK:
        lowest = TaskState.FUTURE
    else:
        lowest = TaskState.COMPLETED
    child_task = workflow.tasks.__getitem__  # map() over it: no generator frame per task visited
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        current = task._state
        if task._children and current >= lowest:
            stack.extend(map(child_task, reversed(task._children)))
        if current & state:
            yield task
