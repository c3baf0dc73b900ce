"""Parse and validate a BPMN diagram before it may run complaints.

A process analyst deploys diagrams without a developer, so every mistake the
engine would otherwise only hit at run time (days later, when a timer fires)
is caught here and reported with the element id and the line in the file.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.parser import VALIDATOR
from SpiffWorkflow.spiff.specs.defaults import UserTask

from .calendar import CALENDAR_PROPERTY, CALENDARS, DURATION_CALENDARS, counts_working_days
from .decisions import DecisionFile, DecisionParser, DecisionTable, read_decisions, rule_contexts
from .notes import Note

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# Element ids that collide with tasks SpiffWorkflow adds to every process;
# using one yields a silently empty process instead of an error.
RESERVED_IDS = {"Start", "End", "Root"}


@dataclass(frozen=True)
class DiagramError:
    """One problem of a diagram. `message` is a Note (code and facts) that app/ words in the
    reader's language; app/ may also put its own, already translated, text there."""

    message: Note | str
    element_id: str = ""
    line: int | None = None
    file: str = ""  # a decision table's file; "" for the diagram itself

    def __str__(self) -> str:
        where = f"{self.element_id or self.file or 'diagram'}"
        if self.file and self.element_id:
            where = f"{self.file}: {where}"
        if self.line:
            where += f" (line {self.line})"
        return f"{where}: {self.message}"


class DiagramRejected(Exception):
    """The diagram cannot be deployed; `errors` says why, element by element."""

    def __init__(self, errors: list[DiagramError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class UserTaskInfo:
    """What the portal reads from a user task of the diagram."""

    element_id: str
    name: str
    lane: str | None
    form_key: str | None
    assignee_key: str | None
    status: str | None
    escalation_level: int | None


@dataclass
class Diagram:
    """A parsed, validated diagram: the executable spec plus what the portal reads."""

    process_id: str
    spec: object
    subprocess_specs: dict
    user_tasks: dict[str, UserTaskInfo] = field(default_factory=dict)
    # Element ids of the timers that count working days (property calendar="working-days"): when there
    # are none, the portal need not build a calendar to run this diagram.
    working_day_timers: frozenset[str] = frozenset()
    # The decision tables deployed with it, by decision id (what its business rule tasks call).
    decisions: dict[str, DecisionTable] = field(default_factory=dict)


def user_task_info(task_spec) -> UserTaskInfo:
    props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    level = props.get("escalationLevel")
    return UserTaskInfo(
        element_id=task_spec.bpmn_id,
        name=task_spec.bpmn_name or task_spec.bpmn_id,
        lane=task_spec.lane,
        form_key=props.get("formKey"),
        assignee_key=props.get("assignee") or None,
        status=props.get("status") or None,
        escalation_level=int(level) if level and level.isdigit() else None,
    )


def parse_diagram(
    xml: bytes,
    *,
    roles: Collection[str],
    form_keys: Collection[str] | None,
    statuses: Collection[str],
    process_ids: Collection[str] | None = None,
    filename: str = "diagram.bpmn",
    decisions: Sequence[DecisionFile] = (),
) -> Diagram:
    """Parse `xml`, with the decision tables deployed beside it, and check both against the rules in DESIGN.md.

    `process_ids`: the processes the portal knows; a diagram of any other is
    refused before anything else is checked (None: any id, for stored versions).
    `form_keys`: the forms a user task may name (None: any, for stored versions).
    Raises DiagramRejected listing every problem found, not just the first.
    """
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DiagramRejected([DiagramError(Note("xml_malformed", {"detail": exc.msg}), line=exc.lineno)]) from None
    lines = {el.get("id"): el.sourceline for el in root.iter() if isinstance(el.tag, str) and el.get("id")}

    errors = [
        DiagramError(Note("id_reserved", {"id": element_id}), element_id, line)
        for element_id, line in lines.items()
        if element_id in RESERVED_IDS
    ]
    if errors:
        raise DiagramRejected(errors)

    process_id = _executable_process_id(root)
    if process_ids is not None and process_id not in process_ids:
        raise DiagramRejected([_unknown_process(root, process_id, process_ids)])
    tables, problems = read_decisions(list(decisions))
    errors.extend(DiagramError(p.message, p.element_id, p.line, p.filename) for p in problems)
    called = dict(_called_decisions(root))
    errors.extend(_check_called_decisions(root, called, tables))
    if errors:
        raise DiagramRejected(errors)
    parser = DecisionParser(validator=VALIDATOR)
    for table in tables.values():
        try:
            parser.add_dmn_xml(table.root, filename=table.filename)
        except ValidationException as exc:
            line = getattr(exc, "line_number", None)
            detail = str(exc.args[0]) if exc.args else str(exc)
            errors.append(DiagramError(Note("engine_refuses", {"detail": detail}), getattr(exc, "id", "") or "",
                                       int(line) if line else None, table.filename))
    if errors:
        raise DiagramRejected(errors)
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename=filename)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise DiagramRejected([_from_validation(exc, lines)]) from None
    except Exception as exc:  # the parser raises bare exceptions for some malformed input
        raise DiagramRejected([DiagramError(Note("not_parsed", {"detail": str(exc)}))]) from None

    errors.extend(_check_lanes(root, roles, lines))
    errors.extend(_check_timers(root, rule_contexts(tables, called.values())))
    errors.extend(_check_calendars(root))
    all_specs = [spec, *subprocess_specs.values()]
    user_tasks = {}
    for process_spec in all_specs:
        for task_spec in process_spec.task_specs.values():
            if isinstance(task_spec, UserTask):
                info = user_task_info(task_spec)
                user_tasks[info.element_id] = info
                errors.extend(_check_user_task(info, roles, form_keys, statuses, lines))
    if errors:
        raise DiagramRejected(errors)
    working_day_timers = frozenset(
        task_spec.bpmn_id
        for process_spec in all_specs
        for task_spec in process_spec.task_specs.values()
        if task_spec.bpmn_id and counts_working_days(task_spec)
    )
    return Diagram(process_id, spec, subprocess_specs, user_tasks, working_day_timers, tables)


def process_id_of(xml: bytes) -> str | None:
    """The id of the executable process of `xml`, or None when the file does not say (parse_diagram says why)."""
    try:
        return _executable_process_id(etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False,
                                                                                   no_network=True)))
    except (etree.XMLSyntaxError, DiagramRejected):
        return None


def _executable_process_id(root) -> str:
    processes = root.findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes if p.get("isExecutable", "true") == "true"] or processes
    if len(executable) != 1:
        raise DiagramRejected([DiagramError(Note("not_one_process", {"count": len(executable)}))])
    return executable[0].get("id")


def _unknown_process(root, process_id: str, process_ids: Collection[str]) -> DiagramError:
    # Every file from bpmn.io or Camunda Modeler names its process `Process_1abc`: deployed as it
    # is, it would become a process of its own that no complaint ever starts.
    element = root.find(f"{{{BPMN_NS}}}process[@id='{process_id}']")
    return DiagramError(
        Note("process_unknown", {"process": process_id, "known": sorted(process_ids), "suggested": min(process_ids)}),
        process_id,
        element.sourceline if element is not None else None,
    )


# Attributes that name a process: its own id, a pool's processRef, a call activity's
# calledElement, and the diagram plane drawn for it (bpmndi:BPMNPlane bpmnElement).
PROCESS_REFERENCES = ("processRef", "calledElement", "bpmnElement")


def rename_process(xml: bytes, process_id: str) -> bytes:
    """`xml` with its executable process renamed to `process_id` and every reference to it rewritten.

    The same bytes come back when the process already has that id (so the
    stored content, and its sha256, do not change). Raises DiagramRejected if
    the file cannot be read or another element already uses `process_id`.
    """
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DiagramRejected([DiagramError(Note("xml_malformed", {"detail": exc.msg}), line=exc.lineno)]) from None
    old_id = _executable_process_id(root)
    if old_id == process_id:
        return xml
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id") == process_id:
            raise DiagramRejected([DiagramError(Note("process_id_taken", {"process": process_id}), process_id,
                                                element.sourceline)])
    # The text is rewritten, not re-serialised: every other byte, and so every line the
    # validation names, stays as in the analyst's file. Ids are unique, so `id="old"` is the process.
    names = "|".join(("id", *PROCESS_REFERENCES))
    pattern = re.compile(rb"(\s(?:%s)\s*=\s*)([\"'])%s\2" % (names.encode(), re.escape(old_id.encode())))
    return pattern.sub(lambda m: m[1] + m[2] + process_id.encode() + m[2], xml)


def _from_validation(exc: ValidationException, lines: dict) -> DiagramError:
    element_id = getattr(exc, "id", "") or ""
    line = getattr(exc, "line_number", None) or lines.get(element_id)
    # SpiffWorkflow's own words (English, technical) are a fact of the note, not its sentence.
    detail = str(exc.args[0]) if exc.args else str(exc)
    return DiagramError(Note("engine_refuses", {"detail": detail}), element_id, int(line) if line else None)


def _check_lanes(root, roles, lines):
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        if lane.get("name") not in roles:
            yield DiagramError(
                Note("lane_not_role", {"lane": lane.get("name"), "roles": sorted(roles)}),
                lane.get("id"),
                lane.sourceline,
            )


def _check_user_task(info: UserTaskInfo, roles, form_keys, statuses, lines):
    line = lines.get(info.element_id)
    if info.lane not in roles:
        yield DiagramError(Note("task_without_lane"), info.element_id, line)
    if not info.form_key:
        yield DiagramError(Note("task_without_form"), info.element_id, line)
    elif form_keys is not None and info.form_key not in form_keys:
        yield DiagramError(
            Note("unknown_form", {"form_key": info.form_key, "forms": sorted(form_keys)}),
            info.element_id,
            line,
        )
    if info.status is not None and info.status not in statuses:
        yield DiagramError(
            Note("unknown_status", {"status": info.status, "statuses": sorted(statuses)}), info.element_id, line
        )


_TIMER_KINDS = {
    "timeDuration": DurationTimerEventDefinition,
    "timeDate": TimeDateEventDefinition,
    "timeCycle": CycleTimerEventDefinition,
}


SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _called_decisions(root):
    """(business rule task id, decision id it calls) for each business rule task of the file."""
    for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        called = (task.findtext(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId") or "").strip()
        yield task.get("id"), called


def _check_called_decisions(root, called: dict, tables: dict):
    for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        decision_id = called[task.get("id")]
        if not decision_id:
            yield DiagramError(Note("decision_missing"), task.get("id"), task.sourceline)
        elif decision_id not in tables:
            yield DiagramError(Note("decision_unknown", {"decision": decision_id, "decisions": sorted(tables)}),
                               task.get("id"), task.sourceline)


def _check_timers(root, contexts):
    """Every timer in the file, read from the XML so each error names its own event.

    (SpiffWorkflow folds the timers behind an event-based gateway into the
    gateway, which would otherwise hide them from a check on the parsed spec.)
    A timer is evaluated with the outputs of every row of the decision tables
    the diagram calls (`contexts`), as each complaint may get any of them.
    """
    for definition in root.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        event = definition.getparent()
        for child in definition:
            kind = etree.QName(child).localname if isinstance(child.tag, str) else None
            if kind in _TIMER_KINDS:
                timer = _TIMER_KINDS[kind](event.get("id"), (child.text or "").strip())
                yield from _check_timer_with_decisions(event.get("id"), timer, event.sourceline, contexts)


def _check_timer_with_decisions(element_id, timer, line, contexts):
    """The timer's errors under the first row that gives one; named with that row when the expression
    reads a decision's output (the same error for every complaint otherwise)."""
    for decision_id, row, data in contexts:
        errors = list(_check_timer_expression(element_id, timer, line, data))
        if errors:
            if decision_id and _names(timer.expression) & set(data):
                errors = [DiagramError(Note("timer_with_decision", {"detail": error.message, "row": row,
                                                                    "decision": decision_id}), element_id, line)
                          for error in errors]
            yield from errors
            return


def _names(expression: str) -> set[str]:
    try:
        return {node.id for node in ast.walk(ast.parse(expression, mode="eval")) if isinstance(node, ast.Name)}
    except SyntaxError:
        return set()


def _check_calendars(root):
    """The `calendar` property of every event: a known calendar, on a timer with a duration to count."""
    for event in root.iter():
        if not isinstance(event.tag, str) or not event.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        calendar = _property(event, CALENDAR_PROPERTY)
        if calendar is None:
            continue
        if calendar not in CALENDARS:
            note = Note("unknown_calendar", {"calendar": calendar, "calendars": list(CALENDARS)})
            yield DiagramError(note, event.get("id") or "", event.sourceline)
        elif calendar in DURATION_CALENDARS and event.find(f"{{{BPMN_NS}}}timerEventDefinition/{{{BPMN_NS}}}timeDuration") is None:
            yield DiagramError(Note("calendar_on_event_without_duration"), event.get("id") or "", event.sourceline)


def _property(element, name: str) -> str | None:
    """The value of a SpiffWorkflow property (`spiffworkflow:property name=...`) of an element, or None."""
    extensions = element.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is None:
        return None
    for prop in extensions.iter():
        if isinstance(prop.tag, str) and etree.QName(prop).localname == "property" and prop.get("name") == name:
            return prop.get("value") or ""
    return None


def _check_timer_expression(element_id, timer, line, data=None):
    try:
        value = PythonScriptEngine().environment.evaluate(timer.expression, dict(data or {}))
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        yield DiagramError(Note("timer_not_evaluated", {"expression": repr(timer.expression), "detail": detail}), element_id, line)
        return
    if not isinstance(value, str):
        yield DiagramError(Note("timer_not_text", {"value": repr(value)}), element_id, line)
        return
    try:
        if isinstance(timer, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
        elif isinstance(timer, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
        elif isinstance(timer, TimeDateEventDefinition):
            # SpiffWorkflow would read a date without offset in the server's
            # local zone; a province-wide deadline must not depend on that.
            if datetime.fromisoformat(value).tzinfo is None:
                yield DiagramError(Note("timer_date_without_offset", {"value": repr(value)}), element_id, line)
    except Exception as exc:
        yield DiagramError(Note("timer_not_iso", {"value": repr(value), "detail": str(exc)}), element_id, line)
