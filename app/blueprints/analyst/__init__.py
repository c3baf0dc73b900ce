"""The process analyst's workbench: versions, diagrams, the modeler, migration, forms.

Only analysts and administrators reach the workbench (`blueprint.py`). Each
module adds its pages to the one blueprint: `versions` (processes, versions,
the default, the forms catalogue), `modeler` (editing, validating, simulating,
deploying), `decisions` (the decision table editor, dmn-js), `migrate` (moving running complaints between versions), `incidents`
(processes that failed at run time: retry, resolve, move to a corrected version), `instance`
(a complaint's path over its diagram, for every reader of the complaint) and
`assets` (bpmn-js's and dmn-js's files from node_modules).
"""
from . import assets, decisions, incidents, instance, migrate, modeler, versions  # noqa: F401  (each adds its routes to bp)
from .blueprint import bp

__all__ = ["bp"]
