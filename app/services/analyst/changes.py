"""What changed between two versions of a process, for the workbench's "Changes" page."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.analysis import DiagramChanges, diagram_changes

from ...models import ProcessDefinition
from ..errors import Invalid
from .workbench import get_definition

# How the page names each aspect of a changed element (workflows.analysis.changes.ASPECTS).
ASPECT_WORDS = {
    "type": _l("type"),
    "name": _l("name"),
    "lane": _l("lane"),
    "flow": _l("connections"),
    "properties": _l("properties"),
    "condition": _l("condition"),
    "timer": _l("timer"),
    "script": _l("script"),
    "documentation": _l("documentation"),
    "other": _l("other details"),
}


@dataclass(frozen=True)
class VersionComparison:
    newer: ProcessDefinition
    older: ProcessDefinition | None  # None: the first version, nothing to compare with
    changes: DiagramChanges


def compare_versions(session: Session, definition_id: int, against_id: int | None = None) -> VersionComparison:
    """What changed from `against_id` (default: the version just before) to `definition_id`."""
    newer = get_definition(session, definition_id)
    older = get_definition(session, against_id) if against_id else _previous(session, newer)
    if older is None:
        return VersionComparison(newer, None, DiagramChanges())
    if older.process_id != newer.process_id:
        raise Invalid(_l("Both versions must be of the same process."))
    return VersionComparison(newer, older, diagram_changes(older.xml.encode("utf-8"), newer.xml.encode("utf-8")))


def aspects_in_words(aspects: tuple[str, ...]) -> list:
    return [ASPECT_WORDS.get(aspect, aspect) for aspect in aspects]


def _previous(session: Session, definition: ProcessDefinition) -> ProcessDefinition | None:
    version = session.scalar(
        select(func.max(ProcessDefinition.version)).where(
            ProcessDefinition.process_id == definition.process_id, ProcessDefinition.version < definition.version
        )
    )
    if version is None:
        return None
    return session.scalar(
        select(ProcessDefinition).where(
            ProcessDefinition.process_id == definition.process_id, ProcessDefinition.version == version
        )
    )
