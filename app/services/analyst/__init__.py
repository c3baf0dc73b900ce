"""The process analyst's workbench: versions, drafts, simulation, deployment, forms (`workbench`),
one complaint's path over its diagram (`instances`), what failed at run time and
what to do about it (`incidents`), moving running complaints
between versions (`migration`), what changed between two versions (`changes`), and who
may change what complaints run on (`access`).

Pages import this package and call what it re-exports.
"""
from workflows import DecisionFile, DiagramError, DiagramRejected

from .access import ANALYST_ROLES, require_analyst
from .changes import VersionComparison, aspects_in_words, compare_versions
from .incidents import (
    IncidentGroup,
    RetryOutcome,
    incident_groups,
    other_versions,
    resolve_incident,
    retry_group,
    retry_incident,
)
from .instances import InstanceReport, OpenStep, instance_view_for
from .migration import MigrationCandidate, MigrationOutcome, element_matches, migrate_complaints, preview_migration
from .scenarios import scenario_from_json
from .wording import code_of, detail_in_words, in_words
from .workbench import (
    DraftRejected,
    DraftReport,
    FieldInfo,
    FormInfo,
    ProcessSummary,
    VersionSummary,
    decision_tables,
    default_version_or_none,
    deploy_version,
    draft_decisions,
    deploy_warnings,
    forms_catalogue,
    forms_json,
    get_definition,
    list_processes,
    renamed_draft,
    role_warnings,
    set_default,
    simulate_draft,
    validate_draft,
    version_forms,
)

__all__ = [
    "VersionComparison",
    "aspects_in_words",
    "compare_versions",
    "ANALYST_ROLES",
    "DecisionFile",
    "DiagramError",
    "DiagramRejected",
    "DraftRejected",
    "DraftReport",
    "FieldInfo",
    "FormInfo",
    "IncidentGroup",
    "InstanceReport",
    "MigrationCandidate",
    "MigrationOutcome",
    "OpenStep",
    "ProcessSummary",
    "RetryOutcome",
    "VersionSummary",
    "code_of",
    "decision_tables",
    "default_version_or_none",
    "deploy_version",
    "deploy_warnings",
    "element_matches",
    "draft_decisions",
    "detail_in_words",
    "forms_catalogue",
    "forms_json",
    "get_definition",
    "in_words",
    "incident_groups",
    "instance_view_for",
    "list_processes",
    "other_versions",
    "migrate_complaints",
    "preview_migration",
    "require_analyst",
    "resolve_incident",
    "retry_group",
    "retry_incident",
    "renamed_draft",
    "role_warnings",
    "scenario_from_json",
    "set_default",
    "simulate_draft",
    "validate_draft",
    "version_forms",
]
