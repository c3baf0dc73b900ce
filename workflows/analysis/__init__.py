"""The analyst's tools over diagrams and saved states: warnings and instance views
(`inspect`), simulation (`simulate`), migration between versions (`migration`).

They read diagrams and states and run processes in memory; none of them moves a
complaint. The runtime core they build on is the `workflows` package itself.
"""
from .inspect import InstanceView, OpenElement, WaitingTimer, diagram_warnings, instance_view
from .migration import MigrationCheck, MigrationRefused, check_migration, migrate_state
from .simulate import Scenario, ScenarioAnswer, SimStep, SimulationResult, simulate

__all__ = [
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
