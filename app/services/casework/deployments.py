"""Deploying diagrams, and the parsed diagram of each deployed version (parsed once per process).

A version is a diagram and the decision tables (DMN) its business rule tasks
call: deployed, hashed and parsed together, so what a complaint runs on is
always the pair that was validated together.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflows import DecisionFile, Diagram, DiagramError, DiagramRejected, parse_diagram, process_id_of
from workflows.analysis import Exploration, diagram_warnings, explore_paths

__all__ = [
    "DecisionFile",
    "DiagramRejected",
    "check_diagram",
    "current_decisions",
    "decision_files",
    "default_definition",
    "deploy_diagram",
    "deploy_file",
    "diagram_for",
    "explore_diagram",
    "timer_warnings",
    "refuse_failing_paths",
    "set_default_version",
    "version_sha256",
]

from ...models import LANE_ROLES, ComplaintStatus, DecisionFileRow, ProcessDefinition, User
from ...task_forms import all_answer_sets, form_keys
from ..errors import NotFound

# Parsed specs by sha256: a version's files never change, so parsing them once per
# process is enough, and the state of each instance is stored without them.
_DIAGRAMS: dict[str, Diagram] = {}
# Explorations by sha256: the same diagram explores the same way (the forms do not change while the
# portal runs), and the test suite deploys the shipped diagram many times.
_EXPLORATIONS: dict[str, Exploration] = {}


def check_diagram(xml: bytes, filename: str = "diagram.bpmn", decisions: Sequence[DecisionFile] = ()) -> Diagram:
    """Parse and validate; raises DiagramRejected with every problem (element, line, message, file)."""
    return parse_diagram(
        xml,
        roles={r.value for r in LANE_ROLES},
        form_keys=form_keys(),
        statuses={s.value for s in ComplaintStatus},
        filename=filename,
        decisions=decisions,
    )


def version_sha256(xml: bytes, decisions: Sequence[DecisionFile] = ()) -> str:
    """The identity of a version: its diagram and every decision file (by name and content).

    A diagram without decision tables keeps the hash of its XML alone, as versions had before tables.
    """
    digest = hashlib.sha256(xml)
    for file in sorted(decisions, key=lambda f: f.filename):
        digest.update(b"\0" + file.filename.encode("utf-8") + b"\0" + file.xml)
    return digest.hexdigest()


def deploy_diagram(
    session: Session,
    xml: bytes,
    *,
    deployed_by: User | None,
    filename: str = "diagram.bpmn",
    make_default: bool = True,
    decisions: Sequence[DecisionFile] | None = None,
) -> ProcessDefinition:
    """Validate `xml` with its decision tables and store them as the next version of its process.

    `decisions` None: a diagram changed alone keeps the decision tables of its process's
    current default version (an empty list deploys it without any).
    """
    if decisions is None:
        decisions = current_decisions(session, xml)
    diagram = check_diagram(xml, filename, decisions)
    refuse_failing_paths(diagram, xml, decisions)
    sha = version_sha256(xml, decisions)
    latest = session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_id == diagram.process_id)
    )
    by_file = {table.filename: table.decision_id for table in diagram.decisions.values()}
    definition = ProcessDefinition(
        process_id=diagram.process_id,
        version=(latest or 0) + 1,
        sha256=sha,
        xml=xml.decode("utf-8"),
        deployed_by_id=deployed_by.id if deployed_by else None,
        decision_files=[
            DecisionFileRow(filename=file.filename, decision_id=by_file.get(file.filename, ""),
                            xml=file.xml.decode("utf-8"))
            for file in decisions
        ],
    )
    session.add(definition)
    session.flush()
    if make_default:
        set_default_version(session, definition)
    _DIAGRAMS[sha] = diagram
    return definition


def explore_diagram(diagram: Diagram, xml: bytes, decisions: Sequence[DecisionFile] = ()) -> Exploration:
    """Run `diagram` (parsed with `decisions`) over every path the registered forms' answers and its timers
    open (bounded)."""
    sha = version_sha256(xml, decisions)
    if sha not in _EXPLORATIONS:
        _EXPLORATIONS[sha] = explore_paths(diagram, xml, all_answer_sets())
    return _EXPLORATIONS[sha]


def refuse_failing_paths(diagram: Diagram, xml: bytes, decisions: Sequence[DecisionFile] = ()) -> None:
    """Raise DiagramRejected when a condition or script fails on some path (element, line, path, error)."""
    errors = explore_diagram(diagram, xml, decisions).errors
    if errors:
        raise DiagramRejected(errors)


def timer_warnings(xml: bytes) -> list[DiagramError]:
    """What deploy accepts but the analyst should look at: a reminder at or after its deadline, a timer
    whose name contradicts its value (the workbench's Validate shows these with its other warnings)."""
    codes = {"reminder_after_deadline", "timer_name_contradicts"}
    return [w for w in diagram_warnings(xml) if getattr(w.message, "code", None) in codes]


def current_decisions(session: Session, xml: bytes) -> list[DecisionFile]:
    """The decision tables of the current default version of `xml`'s process ([] for a new process)."""
    process_id = process_id_of(xml)
    if process_id is None:
        return []
    current = session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.process_id == process_id, ProcessDefinition.is_default)
    )
    return decision_files(session, current) if current is not None else []


def decision_files(session: Session, definition: ProcessDefinition) -> list[DecisionFile]:
    """The DMN files deployed with `definition`, by file name."""
    rows = session.execute(
        select(DecisionFileRow.filename, DecisionFileRow.xml)
        .where(DecisionFileRow.definition_id == definition.id)
        .order_by(DecisionFileRow.filename)
    )
    return [DecisionFile(name, xml.encode("utf-8")) for name, xml in rows]


def set_default_version(session: Session, definition: ProcessDefinition) -> None:
    session.execute(
        update(ProcessDefinition)
        .where(ProcessDefinition.process_id == definition.process_id, ProcessDefinition.id != definition.id)
        .values(is_default=False)
    )
    definition.is_default = True
    session.flush()


def deploy_file(
    session: Session, path: Path, *, deployed_by: User | None = None, decisions: Sequence[Path] | None = None,
    make_default: bool = True,
) -> ProcessDefinition:
    """Deploy the diagram at `path` with the DMN files `decisions`; None: every *.dmn file beside it, and
    when there is none, the tables of the current version stay (see `deploy_diagram`)."""
    paths = sorted(path.parent.glob("*.dmn")) if decisions is None else list(decisions)
    return deploy_diagram(
        session, path.read_bytes(), deployed_by=deployed_by, filename=path.name, make_default=make_default,
        decisions=[DecisionFile(p.name, p.read_bytes()) for p in paths] if paths else None,
    )


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
        diagram = _DIAGRAMS[definition.sha256] = check_diagram(xml.encode("utf-8"),
                                                               decisions=decision_files(session, definition))
    return diagram
