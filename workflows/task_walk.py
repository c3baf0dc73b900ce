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
