"""Deploying diagrams, and the parsed diagram of each deployed version (parsed once per process)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflows import Diagram, DiagramError, DiagramRejected, parse_diagram
from workflows.analysis import Exploration, diagram_warnings, explore_paths

__all__ = [
    "DiagramRejected",
    "check_diagram",
    "default_definition",
    "deploy_diagram",
    "deploy_file",
    "diagram_for",
    "explore_diagram",
    "timer_warnings",
    "refuse_failing_paths",
    "set_default_version",
]

from ...models import LANE_ROLES, ComplaintStatus, ProcessDefinition, User
from ...task_forms import all_answer_sets, form_keys
from ..errors import NotFound

# Parsed specs by sha256: a version's XML never changes, so parsing it once per
# process is enough, and the state of each instance is stored without it.
_DIAGRAMS: dict[str, Diagram] = {}
# Explorations by sha256: the same diagram explores the same way (the forms do not change while the
# portal runs), and the test suite deploys the shipped diagram many times.
_EXPLORATIONS: dict[str, Exploration] = {}


def check_diagram(xml: bytes, filename: str = "diagram.bpmn") -> Diagram:
    """Parse and validate; raises DiagramRejected with every problem (element, line, message)."""
    return parse_diagram(
        xml,
        roles={r.value for r in LANE_ROLES},
        form_keys=form_keys(),
        statuses={s.value for s in ComplaintStatus},
        filename=filename,
    )


def deploy_diagram(
    session: Session, xml: bytes, *, deployed_by: User | None, filename: str = "diagram.bpmn", make_default: bool = True
) -> ProcessDefinition:
    """Validate `xml` and store it as the next version of its process."""
    diagram = check_diagram(xml, filename)
    refuse_failing_paths(diagram, xml)
    sha = hashlib.sha256(xml).hexdigest()
    latest = session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_id == diagram.process_id)
    )
    definition = ProcessDefinition(
        process_id=diagram.process_id,
        version=(latest or 0) + 1,
        sha256=sha,
        xml=xml.decode("utf-8"),
        deployed_by_id=deployed_by.id if deployed_by else None,
    )
    session.add(definition)
    session.flush()
    if make_default:
        set_default_version(session, definition)
    _DIAGRAMS[sha] = diagram
    return definition


def explore_diagram(diagram: Diagram, xml: bytes) -> Exploration:
    """Run `diagram` over every path the registered forms' answers and its timers open (bounded)."""
    sha = hashlib.sha256(xml).hexdigest()
    if sha not in _EXPLORATIONS:
        _EXPLORATIONS[sha] = explore_paths(diagram, xml, all_answer_sets())
    return _EXPLORATIONS[sha]


def refuse_failing_paths(diagram: Diagram, xml: bytes) -> None:
    """Raise DiagramRejected when a condition or script fails on some path (element, line, path, error)."""
    errors = explore_diagram(diagram, xml).errors
    if errors:
        raise DiagramRejected(errors)


def timer_warnings(xml: bytes) -> list[DiagramError]:
    """What deploy accepts but the analyst should look at: a reminder at or after its deadline, a timer
    whose name contradicts its value (the workbench's Validate shows these with its other warnings)."""
    codes = {"reminder_after_deadline", "timer_name_contradicts"}
    return [w for w in diagram_warnings(xml) if getattr(w.message, "code", None) in codes]


def set_default_version(session: Session, definition: ProcessDefinition) -> None:
    session.execute(
        update(ProcessDefinition)
        .where(ProcessDefinition.process_id == definition.process_id, ProcessDefinition.id != definition.id)
        .values(is_default=False)
    )
    definition.is_default = True
    session.flush()


def deploy_file(session: Session, path: Path, *, deployed_by: User | None = None) -> ProcessDefinition:
    return deploy_diagram(session, path.read_bytes(), deployed_by=deployed_by, filename=path.name)


def default_definition(session: Session, process_id: str = "complaint") -> ProcessDefinition:
    definition = session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.process_id == process_id, ProcessDefinition.is_default)
    )
    if definition is None:
        raise NotFound(f"no deployed version of process {process_id!r}; run `flask --app app process deploy`")
    return definition


def diagram_for(session: Session, definition: ProcessDefinition) -> Diagram:
    diagram = _DIAGRAMS.get(definition.sha256)
    if diagram is None:
        xml = session.scalar(select(ProcessDefinition.xml).where(ProcessDefinition.id == definition.id))
        diagram = _DIAGRAMS[definition.sha256] = check_diagram(xml.encode("utf-8"))
    return diagram
