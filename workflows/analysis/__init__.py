"""The analyst's tools over diagrams and saved states: warnings and instance views
(`inspect`), simulation (`simulate`), the exploration deploy runs before it accepts a diagram
(`explore`), migration between versions (`migration`, with the matching of renamed elements in
`mapping` and the recounting of timers in `retiming`), and what changed between two versions
(`changes`).

They read diagrams and states and run processes in memory; none of them moves a
complaint. The runtime core they build on is the `workflows` package itself.
"""
from .changes import DiagramChanges, ElementChange, diagram_changes
from .explore import Bounds, Choice, Exploration, Failure, explore_paths
from .inspect import InstanceView, OpenElement, WaitingTimer, diagram_warnings, instance_view
from .mapping import Candidate, ElementMatch, suggested_mapping, unmatched_elements
from .migration import (
    MigrationCheck, MigrationRefused, check_migration, migrate_state, open_elements, retimed_timers, user_tasks_in_target,
)
from .retiming import TimerChange
from .simulate import Scenario, ScenarioAnswer, SimStep, SimulationResult, simulate

__all__ = [
    "DiagramChanges",
    "ElementChange",
    "diagram_changes",
    "Bounds",
    "Choice",
    "Exploration",
    "Failure",
    "explore_paths",
    "Candidate",
    "ElementMatch",
    "TimerChange",
    "open_elements",
    "retimed_timers",
    "suggested_mapping",
    "unmatched_elements",
    "user_tasks_in_target",
    "InstanceView",
    "MigrationCheck",
    "MigrationRefused",
    "OpenElement",
    "Scenario",
    "ScenarioAnswer",
    "SimStep",
    "SimulationResult",
    "WaitingTimer",
    "check_migration",
    "diagram_warnings",
    "instance_view",
    "migrate_state",
    "simulate",
]
