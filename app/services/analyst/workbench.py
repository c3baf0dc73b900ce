"""The process analyst's workbench: versions, drafts, simulation, deployment, forms.

Reading is open to the pages that call it (the blueprint decides who reaches
them); whatever changes what complaints run on (deploying, choosing the
default, migrating) checks here that the actor is an analyst or administrator.
Migration and the instance view live in `migration` and `instances`; the
package re-exports all three, so callers import `app.services.analyst`.
"""
from __future__ import annotations

from flask_babel import LazyString, lazy_gettext as _l
from collections.abc import Sequence
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from wtforms.validators import DataRequired, InputRequired

from workflows import DecisionFile, DiagramError, DiagramRejected, working_calendar
from workflows.analysis import Scenario, SimulationResult, diagram_warnings, simulate
from workflows.analysis.inspect import user_task_lanes

from ...place_names import lazy_local_name
from ...models import District, Division, InstanceStatus, ProcessDefinition, ProcessInstance, Role, User
from ...task_forms import all_task_forms
from ...task_forms.data_forms import task_form_for
from ..casework import deployments
from .access import require_analyst
from ..errors import Invalid, NotFound

# Dynamic choices are filled per complaint (officers of its district...).
DYNAMIC_CHOICES = _l("from the complaint's district")
# A warning lists this many districts or divisions, then says how many more.
MAX_PLACES_NAMED = 8


class DraftRejected(Invalid, DiagramRejected):
    """A draft that does not validate: an Invalid for pages, a DiagramRejected for the modeler.

    Unlike other Invalid errors, `errors` is the list of DiagramError (element
    id and line for each), as DiagramRejected has it.
    """

    def __init__(self, errors: list[DiagramError]):
        DiagramRejected.__init__(self, errors)


# -- versions ---------------------------------------------------------------------


@dataclass(frozen=True)
class VersionSummary:
    definition_id: int
    version: int
    sha256: str
    deployed_by_name: str | None
    deployed_at: datetime
    note: str | None  # why it was deployed; None for versions deployed before notes were asked for
    is_default: bool
    running: int
    finished: int


@dataclass(frozen=True)
class ProcessSummary:
    process_id: str
    versions: list[VersionSummary]  # newest first


def list_processes(session: Session) -> list[ProcessSummary]:
    """Every process with its versions and how many complaints run on / finished each."""
    counts: dict[tuple[int, InstanceStatus], int] = {
        (definition_id, status): n
        for definition_id, status, n in session.execute(
            select(ProcessInstance.definition_id, ProcessInstance.status, func.count()).group_by(
                ProcessInstance.definition_id, ProcessInstance.status
            )
        )
    }
    rows = session.execute(
        select(
            ProcessDefinition.id,
            ProcessDefinition.process_id,
            ProcessDefinition.version,
            ProcessDefinition.sha256,
            User.full_name,
            ProcessDefinition.deployed_at,
            ProcessDefinition.note,
            ProcessDefinition.is_default,
        )
        .outerjoin(User, User.id == ProcessDefinition.deployed_by_id)
        .order_by(ProcessDefinition.process_id, ProcessDefinition.version.desc())
    ).all()
    summaries: dict[str, list[VersionSummary]] = {}
    for definition_id, process_id, version, sha, deployer, deployed_at, note, is_default in rows:
        summaries.setdefault(process_id, []).append(
            VersionSummary(
                definition_id=definition_id,
                version=version,
                sha256=sha,
                deployed_by_name=deployer,
                deployed_at=deployed_at,
                note=note,
                is_default=is_default,
                running=counts.get((definition_id, InstanceStatus.RUNNING), 0),
                finished=counts.get((definition_id, InstanceStatus.FINISHED), 0),
            )
        )
    return [ProcessSummary(process_id, versions) for process_id, versions in summaries.items()]


def get_definition(session: Session, definition_id: int) -> ProcessDefinition:
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"no process version {definition_id}")
    return definition


def deploy_version(
    session: Session, actor: User, xml: bytes, filename: str = "diagram.bpmn", make_default: bool = True,
    decisions: Sequence[DecisionFile] | None = None,
    forms: dict | None = None,
    *,
    note: str,
    as_process: str | None = None,
) -> ProcessDefinition:
    """Validate and store `xml` with its decision tables and its forms defined as data as the next version,
    `actor` its deployer and `note` why; raises DraftRejected with every error, Invalid for a missing
    note, Conflict when the same version is already deployed. `decisions` None: the tables of the
    current version stay (the diagram changed alone). `as_process`: see deployments.deploy_diagram."""
    require_analyst(actor)
    try:
        return deployments.deploy_diagram(session, xml, deployed_by=actor, note=note, filename=filename,
                                          make_default=make_default, decisions=decisions, forms=forms,
                                          as_process=as_process)
    except DiagramRejected as rejected:
        raise DraftRejected(rejected.errors) from None


def renamed_draft(xml: bytes, as_process: str | None) -> bytes:
    """The draft as it would be deployed: renamed into a version of `as_process` when asked."""
    if as_process is None:
        return xml
    try:
        return deployments.as_version_of(xml, as_process)
    except DiagramRejected as rejected:
        raise DraftRejected(rejected.errors) from None


def forms_json(session: Session, definition: ProcessDefinition | None) -> str:
    """A version's forms defined as data, as the modeler's forms box shows them (indented JSON; "" when none)."""
    forms = deployments.forms_of(session, definition.id) if definition is not None else {}
    return json.dumps(forms, ensure_ascii=False, indent=2) if forms else ""


def deploy_warnings(session: Session, definition: ProcessDefinition) -> list[DiagramError]:
    """What a deployed version should still be looked at for: timers contradicting their names or deadlines
    (under every row of its decision tables)."""
    xml = session.scalar(select(ProcessDefinition.xml).where(ProcessDefinition.id == definition.id))
    return deployments.timer_warnings(xml.encode("utf-8"), deployments.decision_files(session, definition))


def set_default(session: Session, actor: User, definition_id: int) -> ProcessDefinition:
    """New complaints of this process start on `definition_id` from now on."""
    require_analyst(actor)
    definition = get_definition(session, definition_id)
    deployments.set_default_version(session, definition)
    return definition


# -- drafts -----------------------------------------------------------------------


@dataclass(frozen=True)
class DraftReport:
    errors: list[DiagramError]  # deploying would be refused
    warnings: list[DiagramError]  # it would deploy, but look here first

    @property
    def ok(self) -> bool:
        return not self.errors


def draft_decisions(session: Session, xml: bytes, decisions: Sequence[DecisionFile] | None) -> list[DecisionFile]:
    """The decision tables a draft is checked with: those sent with it, or else the current version's."""
    return list(decisions) if decisions is not None else deployments.current_decisions(session, xml)


def decision_tables(session: Session, definition: ProcessDefinition) -> list[DecisionFile]:
    """The DMN files of a version, for the decision table editor."""
    return deployments.decision_files(session, definition)


def validate_draft(
    session: Session, xml: bytes, decisions: Sequence[DecisionFile] | None = None, forms: dict | None = None,
    *, as_process: str | None = None,
) -> DraftReport:
    """Every deploy error (also the paths on which a condition or script fails), plus warnings:
    unreachable elements, empty lanes, roles nobody holds, timers that contradict their names."""
    diagram, errors = None, []
    try:
        xml = renamed_draft(xml, as_process)
    except DraftRejected as rejected:
        return DraftReport(rejected.errors, [])
    decisions = draft_decisions(session, xml, decisions)
    try:
        diagram = deployments.check_diagram(xml, decisions=decisions, forms=forms)
        errors = deployments.explore_diagram(diagram, xml, decisions, forms).errors
    except DiagramRejected as rejected:
        errors = rejected.errors
    try:
        warnings = diagram_warnings(xml, diagram, decisions)
        warnings += role_warnings(session, user_task_lanes(xml, diagram))
    except Exception:  # not well-formed XML: the errors already say so
        warnings = []
    return DraftReport(errors, warnings)


def role_warnings(session: Session, lanes: list[tuple[str, str, int | None]]) -> list[DiagramError]:
    """A user task whose lane's role nobody holds somewhere would sit in no inbox there."""
    gaps = _role_gaps(session)
    return [
        DiagramError(_l("user task %(task)s in lane %(lane)s: %(gap)s", task=element_id, lane=lane, gap=gaps[lane]),
                     element_id, line)
        for element_id, lane, line in lanes
        if lane in gaps
    ]


def _role_gaps(session: Session) -> dict[str, object]:
    """Lane -> where nobody active holds its role (a lazy string), for the staff lanes that have such a gap.

    A DC and an officer are needed in every district, a Commissioner in every
    division, a Chief Secretary once. (Officers are counted per district: the
    department a complaint needs is not known from the diagram.)
    """
    active = User.active.is_(True) & User.blocked_at.is_(None)
    district_roles = (Role.DEPUTY_COMMISSIONER, Role.DISTRICT_OFFICER)
    held = set(
        session.execute(
            select(User.role, User.district_id).where(active, User.role.in_(district_roles)).distinct()
        ).all()
    )
    divisions_held = set(
        session.scalars(select(User.division_id).where(active, User.role == Role.COMMISSIONER).distinct())
    )
    chief_secretaries = session.scalar(
        select(func.count()).select_from(User).where(active, User.role == Role.CHIEF_SECRETARY)
    )
    districts = session.execute(
        select(District.id, District.name, District.name_ur, District.name_ps).order_by(District.name)
    ).all()
    divisions = session.execute(
        select(Division.id, Division.name, Division.name_ur, Division.name_ps).order_by(Division.name)
    ).all()

    gaps = {}
    for role in district_roles:
        places = [row for row in districts if (role, row.id) not in held]
        if places:
            gaps[role.value] = _l("nobody holds this role in districts %(places)s", places=_list(places))
    places = [row for row in divisions if row.id not in divisions_held]
    if places:
        gaps[Role.COMMISSIONER.value] = _l("nobody holds this role in divisions %(places)s", places=_list(places))
    if not chief_secretaries:
        gaps[Role.CHIEF_SECRETARY.value] = _l("nobody holds this role")
    return gaps


def _list(rows) -> LazyString:
    """The first places by name, in the reader's language, then how many more."""
    names = [lazy_local_name(row) for row in rows[:MAX_PLACES_NAMED]]
    shown = LazyString(lambda: ", ".join(str(name) for name in names))
    more = len(rows) - MAX_PLACES_NAMED
    return _l("%(places)s and %(count)s more", places=shown, count=more) if more > 0 else shown


def simulate_draft(
    xml: bytes, scenario: Scenario, closed: frozenset = frozenset(), decisions: Sequence[DecisionFile] = (),
    *, as_process: str | None = None,
) -> SimulationResult:
    """Run the draft with its decision tables under `scenario` in memory; raises DraftRejected if it does
    not validate.

    `closed`: the province's closures (services/closures.closed_dates), for timers that count working days."""
    xml = renamed_draft(xml, as_process)
    try:
        diagram = deployments.check_diagram(xml, decisions=decisions)
    except DiagramRejected as rejected:
        raise DraftRejected(rejected.errors) from None
    return simulate(diagram, scenario, calendar=working_calendar(closed))


# -- forms catalogue ----------------------------------------------------------------


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str  # radio, select, textarea, string...
    label: str
    required: bool
    # (value the process receives, label) for fixed choices; [DYNAMIC_CHOICES]
    # when the choices depend on the complaint; [] for free input.
    choices: list
    # The task-data key this field ends up in, when it can be told.
    data_key: str | None = None


@dataclass(frozen=True)
class FormInfo:
    key: str
    title: str
    fields: list[FieldInfo]
    writes: tuple[str, ...]
    accepts_attachments: bool
    # Deployed with a version as data (docs/analysts.md), not registered in Python.
    defined_as_data: bool = False


def forms_catalogue(data_forms: dict | None = None) -> list[FormInfo]:
    """The registered form keys, then a version's forms defined as data ({key: document}): their fields and
    the task-data keys each writes."""
    registered = [(task_form, False) for task_form in all_task_forms()]
    own = [(task_form_for(key, document), True) for key, document in sorted((data_forms or {}).items())]
    return [
        FormInfo(
            key=task_form.key,
            title=str(task_form.title),
            fields=_fields_of(task_form),
            writes=tuple(task_form.writes),
            accepts_attachments=task_form.accepts_attachments,
            defined_as_data=defined_as_data,
        )
        for task_form, defined_as_data in registered + own
    ]


def default_version_or_none(session: Session, process_id: str = "complaint") -> ProcessDefinition | None:
    try:
        return deployments.default_definition(session, process_id)
    except NotFound:
        return None


def version_forms(session: Session, definition: ProcessDefinition | None) -> dict:
    """The forms defined as data deployed with `definition` ({} for none)."""
    return deployments.forms_of(session, definition.id) if definition is not None else {}


def _fields_of(task_form) -> list[FieldInfo]:
    form = task_form.form_class()
    sample = _sample_formdata(form)
    infos = []
    for field in form:
        data_key = _data_key(field.name, task_form.writes)
        if getattr(field, "choices", None) is None and hasattr(field, "choices"):
            choices = [str(DYNAMIC_CHOICES)]  # a plain string: the page and the modeler tell it from a pair
        elif getattr(field, "choices", None):
            choices = [
                (_data_value(task_form, sample, field.name, data_key, choice[0]), str(choice[1]))
                for choice in _pairs(field.choices)
            ]
        else:
            choices = []
        infos.append(
            FieldInfo(
                name=field.name,
                type=field.type.removesuffix("Field").lower(),
                label=str(field.label.text),
                required=any(isinstance(v, (InputRequired, DataRequired)) for v in field.validators),
                choices=choices,
                data_key=data_key,
            )
        )
    return infos


def _pairs(choices) -> list[tuple]:
    """(value, label) of each choice, whether given as SelectChoice or as a tuple."""
    return [tuple(choice)[:2] for choice in choices]


def _data_key(name: str, writes) -> str | None:
    if name in writes:
        return name
    endings = [key for key in writes if key.endswith(f"_{name}")]
    return endings[0] if len(endings) == 1 else None


def _sample_formdata(form) -> dict:
    """A filled-in form: first choice of each choice field, a sample for the rest."""
    sample = {}
    for field in form:
        choices = getattr(field, "choices", None)
        sample[field.name] = str(_pairs(choices)[0][0]) if choices else ("1" if hasattr(field, "choices") else "x")
    return sample


def _data_value(task_form, sample: dict, name: str, data_key: str | None, value):
    """What the process receives when this choice is picked ("yes" -> True, "3" -> 3)."""
    if data_key is None:
        return value
    try:
        form = task_form.form_class(formdata=MultiDict({**sample, name: str(value)}))
        return task_form.to_data(form).get(data_key, value)
    except Exception:  # a form whose to_data needs more than a sample: show the raw value
        return value
