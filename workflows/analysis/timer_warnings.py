"""Warnings about timers that run but say something else than they do.

Two mistakes an analyst makes when changing a duration in one place only:
- a reminder ("3 days before the escalation") that now fires at or after the
  deadline it announces, because the escalation was shortened and the reminder
  was not;
- a timer whose name promises one duration ("15 days unresolved") while its
  value is another (P10D). A name may count from an earlier timer on the same
  clock: "22 days unresolved" after a 15-day timer is a 7-day timer.

Read from the XML (no engine run): these are warnings, never refusals. A timer
whose value reads the outputs of a decision table ("P{commissioner_days}D") is
evaluated with each row's outputs (`contexts`), as each complaint may get any
row: a row that makes the reminder late is named in the warning.
"""
from __future__ import annotations

import ast
import re

from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .. import notes
from ..diagram import BPMN_NS, DiagramError
from ..notes import Note

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_UNIT_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0, "week": 168.0, "month": 720.0, "year": 8760.0}
# "15 days", "48 hours", "2 weeks"; in the name of a timer event.
_NAMED_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(minute|hour|day|week|month|year)s?\b", re.IGNORECASE)
# Elements a clock passes through without waiting for a person.
_PASS_THROUGH = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
                 "intermediateThrowEvent", "scriptTask"}


def timer_warnings(process, contexts=(("", 0, {}),)) -> list[DiagramError]:
    """Reminders at or after their deadline, and timers whose name contradicts their value: under each
    (decision id, row, task data) of `contexts` (workflows.decisions.rule_contexts), each warning once."""
    found, seen = [], set()
    for decision_id, row, data in contexts:
        graph = _Graph(process, data)
        for warning in [*_late_reminders(graph), *_misnamed_timers(graph)]:
            key = (warning.message.code, warning.element_id)
            if key in seen:
                continue
            seen.add(key)
            if decision_id and _reads(graph, warning, data):
                warning = DiagramError(Note("timer_with_decision", {"detail": warning.message, "row": row,
                                                                    "decision": decision_id}),
                                       warning.element_id, warning.line)
            found.append(warning)
    return found


def _reads(graph: "_Graph", warning: DiagramError, data: dict) -> bool:
    """Whether the warned timer's value (or its deadline's) reads the decision's outputs."""
    facts = warning.message.facts if isinstance(warning.message, Note) else {}
    ids = {warning.element_id, *(f.facts.get("id") for f in facts.values() if isinstance(f, Note))}
    return any(set(graph.names.get(element_id, ())) & set(data) for element_id in ids if element_id)


class _Graph:
    def __init__(self, process, data: dict | None = None):
        self.nodes = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
        self.outgoing: dict[str, list[str]] = {}
        self.incoming: dict[str, list[str]] = {}
        for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            self.outgoing.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
            self.incoming.setdefault(flow.get("targetRef"), []).append(flow.get("sourceRef"))
        # Timer event id -> its duration in hours (a cycle: its period); timers that do not evaluate
        # to a constant duration (dates, expressions over data) are left out.
        self.hours: dict[str, float] = {}
        self.values: dict[str, str] = {}
        self.names: dict[str, set[str]] = {}  # timer id -> the data names its expression reads
        for definition in process.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
            event = definition.getparent().get("id")
            self.names[event] = _expression_names(definition)
            found = _duration(definition, data or {})
            if found is not None:
                self.values[event], self.hours[event] = found

    def kind(self, element_id: str) -> str | None:
        element = self.nodes.get(element_id)
        return etree.QName(element).localname if element is not None else None

    def is_reminder(self, element_id: str) -> bool:
        """A timer whose path leads, without waiting, to a notice (the `notify` property)."""
        seen, todo = set(), list(self.outgoing.get(element_id, []))
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if _notify(self.nodes.get(node)):
                return True
            if self.kind(node) in _PASS_THROUGH:
                todo.extend(self.outgoing.get(node, []))
        return False

    def describe(self, element_id: str) -> Note:
        element = self.nodes[element_id]
        return notes.element(etree.QName(element).localname, element_id, element.get("name"))


def _late_reminders(graph: _Graph):
    for reminder in graph.hours:
        if graph.kind(reminder) != "intermediateCatchEvent" or not graph.is_reminder(reminder):
            continue
        for deadline in _announced(graph, reminder):
            if graph.hours[reminder] >= graph.hours[deadline]:
                yield DiagramError(
                    Note("reminder_after_deadline", {
                        "reminder": graph.describe(reminder), "value": graph.values[reminder],
                        "deadline": graph.describe(deadline), "deadline_value": graph.values[deadline],
                    }),
                    reminder,
                    graph.nodes[reminder].sourceline,
                )


def _announced(graph: _Graph, reminder: str) -> list[str]:
    """The deadlines a reminder announces: the first timers (not reminders) on the other branches
    of the parallel split the reminder's own branch starts at, so both clocks start together."""
    node = reminder
    for _ in range(len(graph.nodes)):
        sources = graph.incoming.get(node, [])
        if len(sources) != 1:
            return []
        node = sources[0]
        if graph.kind(node) == "parallelGateway":
            break
        if graph.kind(node) not in _PASS_THROUGH:
            return []
    else:
        return []
    found, seen, todo = [], {node}, [n for n in graph.outgoing.get(node, [])]
    while todo:
        current = todo.pop()
        if current in seen or current == reminder:
            continue
        seen.add(current)
        if current in graph.hours and graph.kind(current) == "intermediateCatchEvent":
            if not graph.is_reminder(current):
                found.append(current)
            continue
        if graph.kind(current) in ("eventBasedGateway", "parallelGateway"):
            todo.extend(graph.outgoing.get(current, []))
    return sorted(found)


def _misnamed_timers(graph: _Graph):
    for timer, hours in graph.hours.items():
        name = graph.nodes[timer].get("name") or ""
        match = _NAMED_DURATION.search(name)
        if match is None or re.search(r"\bbefore\b", name, re.IGNORECASE):
            continue  # "3 days before the escalation" names an offset, not this timer's value
        named = float(match.group(1)) * _UNIT_HOURS[match.group(2).lower()]
        if not any(_same(named, total) for total in _totals(graph, timer)):
            yield DiagramError(
                Note("timer_name_contradicts", {
                    "element": graph.describe(timer), "named": match.group(0), "value": graph.values[timer],
                }),
                timer,
                graph.nodes[timer].sourceline,
            )


def _totals(graph: _Graph, timer: str) -> set[float]:
    """The timer's own duration, and the time since each earlier timer on the same clock started:
    its own plus the timers before it, walking back through elements that do not wait for a person."""
    totals, todo = set(), [(timer, graph.hours[timer], frozenset({timer}))]
    while todo and len(totals) < 100:
        node, total, seen = todo.pop()
        totals.add(total)
        for source in graph.incoming.get(node, []):
            if source in seen:
                continue
            if source in graph.hours and graph.kind(source) == "intermediateCatchEvent":
                todo.append((source, total + graph.hours[source], seen | {source}))
            elif graph.kind(source) in _PASS_THROUGH:
                todo.append((source, total, seen | {source}))
    return totals


def _same(named: float, hours: float) -> bool:
    # A month counts 30 days both in a name and in a value (P1M), so "1 month" and "30 days" agree.
    return abs(named - hours) < 1e-6


def _expression_names(definition) -> set[str]:
    names = set()
    for child in definition:
        if isinstance(child.tag, str):
            try:
                tree = ast.parse((child.text or "").strip(), mode="eval")
            except SyntaxError:
                continue
            names |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return names


def _duration(definition, data: dict) -> tuple[str, float] | None:
    for child in definition:
        kind = etree.QName(child).localname if isinstance(child.tag, str) else None
        if kind not in ("timeDuration", "timeCycle"):
            continue
        try:
            value = PythonScriptEngine().environment.evaluate((child.text or "").strip(), dict(data))
            if kind == "timeCycle":
                return value, TimerEventDefinition.parse_iso_recurring_interval(value)[2].total_seconds() / 3600
            return value, _hours(TimerEventDefinition.parse_iso_duration(value))
        except Exception:  # noqa: BLE001 - deploy validation reports a timer that does not evaluate
            return None
    return None


def _hours(parts: dict) -> float:
    return sum(float(parts.get(unit + "s", 0)) * _UNIT_HOURS[unit] for unit in _UNIT_HOURS) + \
        float(parts.get("seconds", 0)) / 3600


def _notify(element) -> bool:
    if element is None:
        return False
    return any(prop.get("name") == "notify" and prop.get("value")
               for prop in element.iter(f"{{{SPIFF_NS}}}property"))
