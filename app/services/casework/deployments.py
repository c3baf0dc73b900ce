"""Deploying diagrams, and the parsed diagram of each deployed version (parsed once per process).

A version is a diagram and the decision tables (DMN) its business rule tasks
call: deployed, hashed and parsed together, so what a complaint runs on is
always the pair that was validated together. The forms an analyst defines as
data (JSON documents, workflows/forms.py) are deployed with it the same way.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from workflows import (
    DecisionFile, Diagram, DiagramError, DiagramRejected, check_form_documents, parse_diagram, process_id_of,
    rename_process,
)
from workflows.analysis import Exploration, diagram_warnings, explore_paths

__all__ = [
    "COMPLAINT_PROCESS",
    "KNOWN_PROCESSES",
    "DecisionFile",
    "DiagramRejected",
    "check_diagram",
    "current_decisions",
    "decision_files",
    "default_definition",
    "default_version",
    "deploy_diagram",
    "deploy_file",
    "diagram_for",
    "as_version_of",
    "explore_diagram",
    "forms_of",
    "timer_warnings",
    "refuse_failing_paths",
    "set_default_version",
    "version_sha256",
]

from ...models import LANE_ROLES, LANGUAGES, ComplaintStatus, DecisionFileRow, ProcessDefinition, User
from ...task_forms import all_answer_sets, answer_sets, form_keys
from ...task_forms.data_forms import task_form_for
from ..errors import Conflict, Invalid, NotFound

# The processes the portal runs: complaints start on `complaint`, and nothing
# starts any other. A diagram of another process is refused at deploy (it
# would sit there as a process no complaint ever starts) unless it is deployed
# as a version of one of these, which renames its process.
COMPLAINT_PROCESS = "complaint"
KNOWN_PROCESSES = (COMPLAINT_PROCESS,)
# Long enough for a paragraph of reasons; a version's note is not its documentation.
NOTE_MAX_LENGTH = 2000

# Parsed specs by sha256: a version's files never change, so parsing them once per
# process is enough, and the state of each instance is stored without them.
_DIAGRAMS: dict[str, Diagram] = {}
# Explorations by sha256: the same diagram explores the same way (the forms do not change while the
# portal runs), and the test suite deploys the shipped diagram many times.
_EXPLORATIONS: dict[str, Exploration] = {}


def check_diagram(
    xml: bytes, filename: str = "diagram.bpmn", decisions: Sequence[DecisionFile] = (), forms: dict | None = None,
    *, known_process: bool = True,
) -> Diagram:
    """Parse and validate, with the decision tables and the forms defined as data ({key: document}) deployed
    beside it; raises DiagramRejected with every problem (element, line, message, file; each bad form's own).

    `known_process=False` (a stored version) accepts any process id and any form key: a version stored
    before those checks, or whose registered form a release removed, still loads, so its complaints still
    run; a task whose form is gone is refused where it matters (its task page, a migration onto the version).
    """
    forms = forms or {}
    problems = check_form_documents(forms, registered=form_keys(), languages=LANGUAGES)
    try:
        diagram = parse_diagram(
            xml,
            roles={r.value for r in LANE_ROLES},
            # A user task may name a registered form or one of the version's own.
            form_keys=(form_keys() | (set(forms) if isinstance(forms, dict) else set())) if known_process else None,
            statuses={s.value for s in ComplaintStatus},
            process_ids=KNOWN_PROCESSES if known_process else None,
            filename=filename,
            decisions=decisions,
        )
    except DiagramRejected as rejected:
        raise DiagramRejected(problems + rejected.errors) from None
    if problems:
        raise DiagramRejected(problems)
    return diagram


def version_sha256(xml: bytes, decisions: Sequence[DecisionFile] = (), forms: dict | None = None) -> str:
    """The identity of a version: its diagram, every decision file (by name and content) and its forms.

    A diagram without decision tables or forms keeps the hash of its XML alone, as versions had before them.
    """
    digest = hashlib.sha256(xml)
    for file in sorted(decisions, key=lambda f: f.filename):
        digest.update(b"\0" + file.filename.encode("utf-8") + b"\0" + file.xml)
    if forms:
        digest.update(b"\0forms\0" + json.dumps(forms, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def as_version_of(xml: bytes, process_id: str) -> bytes:
    """`xml` with its process renamed to `process_id`, a known process (a foreign file deployed as its version)."""
    if process_id not in KNOWN_PROCESSES:
        raise Invalid(_l("%(process)s is not a process of this portal", process=process_id))
    return rename_process(xml, process_id)


def deploy_diagram(
    session: Session,
    xml: bytes,
    *,
    deployed_by: User | None,
    note: str,
    filename: str = "diagram.bpmn",
    make_default: bool = True,
    decisions: Sequence[DecisionFile] | None = None,
    forms: dict | None = None,
    as_process: str | None = None,
) -> ProcessDefinition:
    """Validate `xml` with its decision tables and its forms defined as data, and store them as the next
    version of its process, with `note` saying why.

    `decisions` None: a diagram changed alone keeps the decision tables of its process's
    current default version (an empty list deploys it without any). The forms are only those given.
    `as_process`: deploy it as a version of that known process, whatever its own process id
    (rewritten before validating, so the stored XML says it). The same content deployed again is
    refused (Conflict naming the version).
    """
    note = _required_note(note)
    if as_process is not None:
        xml = as_version_of(xml, as_process)
    if decisions is None:
        decisions = current_decisions(session, xml)
    diagram = check_diagram(xml, filename, decisions, forms)
    sha = version_sha256(xml, decisions, forms)
    same = session.scalar(
        select(ProcessDefinition.version).where(
            ProcessDefinition.process_id == diagram.process_id, ProcessDefinition.sha256 == sha
        )
    )
    if same is not None:
        raise Conflict(_l("this diagram is already deployed, unchanged, as %(process)s version %(version)s",
                          process=diagram.process_id, version=same))
    refuse_failing_paths(diagram, xml, decisions, forms)
    latest = session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_id == diagram.process_id)
    )
    by_file = {table.filename: table.decision_id for table in diagram.decisions.values()}
    definition = ProcessDefinition(
        process_id=diagram.process_id,
        version=(latest or 0) + 1,
        sha256=sha,
        xml=xml.decode("utf-8"),
        note=note,
        deployed_by_id=deployed_by.id if deployed_by else None,
        decision_files=[
            DecisionFileRow(filename=file.filename, decision_id=by_file.get(file.filename, ""),
                            xml=file.xml.decode("utf-8"))
            for file in decisions
        ],
        forms=forms or None,
    )
    session.add(definition)
    session.flush()
    if make_default:
        set_default_version(session, definition)
    _DIAGRAMS[sha] = diagram
    return definition


def explore_diagram(
    diagram: Diagram, xml: bytes, decisions: Sequence[DecisionFile] = (), forms: dict | None = None
) -> Exploration:
    """Run `diagram` (parsed with `decisions`) over every path its forms' answers (registered, and the
    version's own defined as data) and its timers open (bounded)."""
    forms = forms or {}
    sha = version_sha256(xml, decisions, forms)
    if sha not in _EXPLORATIONS:
        own = {key: answer_sets(task_form_for(key, document)) for key, document in forms.items()}
        _EXPLORATIONS[sha] = explore_paths(diagram, xml, {**all_answer_sets(), **own})
    return _EXPLORATIONS[sha]


def refuse_failing_paths(
    diagram: Diagram, xml: bytes, decisions: Sequence[DecisionFile] = (), forms: dict | None = None
) -> None:
    """Raise DiagramRejected when a condition or script fails on some path (element, line, path, error)."""
    errors = explore_diagram(diagram, xml, decisions, forms).errors
    if errors:
        raise DiagramRejected(errors)


def timer_warnings(xml: bytes, decisions: Sequence[DecisionFile] = ()) -> list[DiagramError]:
    """What deploy accepts but the analyst should look at: a reminder at or after its deadline, a timer
    whose name contradicts its value, also under any row of `decisions` (the workbench's Validate shows
    these with its other warnings)."""
    codes = {"reminder_after_deadline", "timer_name_contradicts"}

    def code_of(warning):
        message = warning.message
        if getattr(message, "code", None) == "timer_with_decision":
            message = message.facts["detail"]
        return getattr(message, "code", None)

    return [w for w in diagram_warnings(xml, decisions=decisions) if code_of(w) in codes]


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


def _required_note(note: str | None) -> str:
    note = (note or "").strip()
    if not note:
        raise Invalid({"note": [_l("Say why this version is deployed: a note is required.")]})
    if len(note) > NOTE_MAX_LENGTH:
        raise Invalid({"note": [_l("The note is too long: at most %(count)s characters.", count=NOTE_MAX_LENGTH)]})
    return note


def deploy_file(
    session: Session, path: Path, *, note: str, deployed_by: User | None = None,
    decisions: Sequence[Path] | None = None, make_default: bool = True, forms: dict | None = None,
    as_process: str | None = None,
) -> ProcessDefinition:
    """Deploy the diagram at `path` with the DMN files `decisions`; None: every *.dmn file beside it, and
    when there is none, the tables of the current version stay (see `deploy_diagram`)."""
    paths = sorted(path.parent.glob("*.dmn")) if decisions is None else list(decisions)
    return deploy_diagram(
        session, path.read_bytes(), deployed_by=deployed_by, note=note, filename=path.name, make_default=make_default,
        decisions=[DecisionFile(p.name, p.read_bytes()) for p in paths] if paths else None, forms=forms,
        as_process=as_process,
    )


def default_version(process_id: str = COMPLAINT_PROCESS):
    """The condition on ProcessDefinition of the version new instances of `process_id` start on."""
    return and_(ProcessDefinition.process_id == process_id, ProcessDefinition.is_default)


def default_definition(session: Session, process_id: str = COMPLAINT_PROCESS) -> ProcessDefinition:
    definition = session.scalar(select(ProcessDefinition).where(default_version(process_id)))
    if definition is None:
        raise NotFound(f"no deployed version of process {process_id!r}; run `flask --app app process deploy`")
    return definition


def diagram_for(session: Session, definition: ProcessDefinition) -> Diagram:
    diagram = _DIAGRAMS.get(definition.sha256)
    if diagram is None:
        xml, forms = session.execute(
            select(ProcessDefinition.xml, ProcessDefinition.forms).where(ProcessDefinition.id == definition.id)
        ).one()
        diagram = _DIAGRAMS[definition.sha256] = check_diagram(
            xml.encode("utf-8"), decisions=decision_files(session, definition), forms=forms, known_process=False
        )
    return diagram


def forms_of(session: Session, definition_id: int) -> dict:
    """The forms defined as data that were deployed with a version: {form key: document}."""
    forms = session.scalar(select(ProcessDefinition.forms).where(ProcessDefinition.id == definition_id))
    return forms or {}
