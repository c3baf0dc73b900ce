"""The cached state names (workflows/state_names.py) are the library's, for every value a state can take."""
from SpiffWorkflow.util.task import TaskState

import workflows  # noqa: F401 - importing the engine puts the cached names in place
from workflows.state_names import library_name


def test_every_state_and_mask_has_the_name_the_library_gives_it():
    values = range(0, 2 * TaskState.ANY_MASK + 2)
    assert [TaskState.get_name(value) for value in values] == [library_name(value) for value in values]
    assert TaskState.get_name(TaskState.WAITING) == "WAITING"
    assert TaskState.get_name(TaskState.FINISHED_MASK) == "FINISHED_MASK"
    assert TaskState.get_name(TaskState.READY | TaskState.WAITING) == "WAITING|READY"


def test_the_engine_uses_the_cached_names():
    assert TaskState.get_name.__func__.__module__ == "workflows.state_names"
