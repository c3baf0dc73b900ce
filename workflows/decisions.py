"""Decision tables (DMN) deployed with a diagram, checked before they may decide anything.

A diagram's business rule task (`spiffworkflow:calledDecisionId`) asks a decision
table for values, e.g. how many days a complaint of this department and category
waits before it reaches the Commissioner. SpiffWorkflow evaluates the table when
the task runs; the table itself belongs to the version (it is part of the parsed
spec, never of a saved state). What the engine would only find when a complaint
reaches the task is found here, with the element and the line of the DMN file:

- the file is DMN (1.1 to 1.3, as the engine's schemas know it) and holds one
  decision with one table; decision ids are unique across the version's files;
- every input has an expression (what it reads from the task data), every output
  a name (the task data variable it writes), every entry parses;
- the hit policy is one the engine honours as "the first matching row decides"
  (UNIQUE, FIRST): a COLLECT table would hand lists to timers that expect days;
- some row matches every complaint (all inputs "-" or empty): without one, a
  complaint no row matches would get no values and fail at its first timer;
- every output entry is a value (15, "water"), so deploy can check each row's
  outputs against the expressions that use them (see `rule_outputs`).
"""
from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from .notes import Note

DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
)
# The engine stops at the first matching row for these; others it does not know or collects lists.
FIRST_MATCH_POLICIES = ("UNIQUE", "FIRST")
ANY_VALUE = ("", "-")


@dataclass(frozen=True)
class DecisionFile:
    """One DMN file of a version, as deployed."""

    filename: str
    xml: bytes


@dataclass(frozen=True)
class DecisionTable:
    """What deploy reads from one decision: its id, where it is, and each row's output values."""

    decision_id: str
    name: str
    filename: str
    root: object  # the file's parsed root element, for the engine's parser
    inputs: tuple[str, ...]  # input expressions
    outputs: tuple[str, ...]  # output names (task data variables)
    rule_outputs: tuple[dict, ...]  # per row: output name -> value
    catch_all: int | None = None  # index (from 0) of the first row matching every complaint


@dataclass(frozen=True)
class DecisionProblem:
    """A problem of a DMN file (workflows.diagram turns it into a DiagramError)."""

    message: Note
    filename: str
    element_id: str = ""
    line: int | None = None


def read_decisions(files: list[DecisionFile]) -> tuple[dict[str, DecisionTable], list[DecisionProblem]]:
    """Every decision table of `files` by decision id, and every problem found (all of them, not the first)."""
    tables: dict[str, DecisionTable] = {}
    problems: list[DecisionProblem] = []
    for file in files:
        table, found = _read_file(file)
        problems.extend(found)
        if table is None:
            continue
        if table.decision_id in tables:
            problems.append(DecisionProblem(
                Note("decision_duplicate", {"decision": table.decision_id, "other": tables[table.decision_id].filename}),
                file.filename, table.decision_id, _line(table.root, table.decision_id)))
            continue
        tables[table.decision_id] = table
    return tables, problems


def _read_file(file: DecisionFile) -> tuple[DecisionTable | None, list[DecisionProblem]]:
    name = file.filename
    try:
        root = etree.fromstring(file.xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return None, [DecisionProblem(Note("xml_malformed", {"detail": exc.msg}), name, line=exc.lineno)]
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "definitions" or namespace not in DMN_NAMESPACES:
        return None, [DecisionProblem(Note("decision_not_dmn"), name, line=root.sourceline)]
    ns = {"dmn": namespace}
    decisions = root.findall("dmn:decision", ns)
    tables = [table for decision in decisions for table in decision.findall("dmn:decisionTable", ns)]
    if len(decisions) != 1 or len(tables) != 1:
        return None, [DecisionProblem(Note("decision_not_one", {"decisions": len(decisions), "tables": len(tables)}),
                                      name, line=root.sourceline)]
    decision, table = decisions[0], tables[0]
    problems = []
    policy = table.get("hitPolicy", "UNIQUE").upper()
    if policy not in FIRST_MATCH_POLICIES:
        problems.append(DecisionProblem(Note("decision_hit_policy", {"policy": policy}), name, table.get("id", ""),
                                        table.sourceline))
    inputs, outputs = [], []
    for column in table.findall("dmn:input", ns):
        text = (column.findtext("dmn:inputExpression/dmn:text", default="", namespaces=ns) or "").strip()
        if not text:
            problems.append(DecisionProblem(Note("decision_input_unnamed", {"label": column.get("label", "")}),
                                            name, column.get("id", ""), column.sourceline))
        elif not _parses(text):
            problems.append(DecisionProblem(Note("decision_input_not_parsed", {"expression": text}),
                                            name, column.get("id", ""), column.sourceline))
        inputs.append(text)
    for column in table.findall("dmn:output", ns):
        output = (column.get("name") or "").strip()
        if not output.isidentifier() or keyword.iskeyword(output):
            problems.append(DecisionProblem(Note("decision_output_unnamed", {"label": column.get("label", ""),
                                                                              "name": output}),
                                            name, column.get("id", ""), column.sourceline))
        outputs.append(output)
    rule_outputs, catch_all = [], None
    for number, rule in enumerate(table.findall("dmn:rule", ns), start=1):
        entries = [(entry.findtext("dmn:text", default="", namespaces=ns) or "").strip()
                   for entry in rule.findall("dmn:inputEntry", ns)]
        for entry, text in zip(rule.findall("dmn:inputEntry", ns), entries):
            if text not in ANY_VALUE and not _entry_parses(text):
                problems.append(DecisionProblem(Note("decision_entry_not_parsed", {"row": number, "entry": text}),
                                                name, entry.get("id", ""), entry.sourceline))
        if catch_all is None and all(text in ANY_VALUE for text in entries):
            catch_all = number - 1
        values = {}
        for entry, output in zip(rule.findall("dmn:outputEntry", ns), outputs):
            text = (entry.findtext("dmn:text", default="", namespaces=ns) or "").strip()
            try:
                values[output] = PythonScriptEngine().environment.evaluate(text, {})
            except Exception as exc:
                problems.append(DecisionProblem(
                    Note("decision_output_not_value", {"row": number, "output": output, "entry": text,
                                                       "detail": f"{type(exc).__name__}: {exc}"}),
                    name, entry.get("id", ""), entry.sourceline))
        rule_outputs.append(values)
    if catch_all is None:
        problems.append(DecisionProblem(Note("decision_no_catch_all"), name, table.get("id", ""), table.sourceline))
    found = DecisionTable(decision.get("id", ""), decision.get("name", ""), name, root, tuple(inputs), tuple(outputs),
                          tuple(rule_outputs), catch_all)
    return found, problems


def _parses(expression: str) -> bool:
    try:
        ast.parse(expression, mode="eval")
    except SyntaxError:
        return False
    return True


def _entry_parses(text: str) -> bool:
    """An input entry is a value the input must equal ("water"), or a test it completes (`> 10`, `in (...)`),
    or a comparison with `?` standing for the input (`5 < ? < 10`); the engine reads it the same way."""
    return _parses(text.replace("?", "v")) or _parses(f"v {text}")


def _line(root, element_id: str) -> int | None:
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id") == element_id:
            return element.sourceline
    return None


def rule_contexts(tables: dict[str, DecisionTable], decision_ids) -> list[tuple[str, int, dict]]:
    """Task data the tables `decision_ids` may write, to evaluate the expressions that read their outputs:
    (decision id, row number, data) for each row of each table, the other tables at their first row.
    [("", 0, {})] when no table is used."""
    used = [tables[decision_id] for decision_id in sorted(set(decision_ids)) if decision_id in tables]
    first = {}
    for table in used:
        first.update(table.rule_outputs[0] if table.rule_outputs else {})
    contexts = [(table.decision_id, number, {**first, **row})
                for table in used for number, row in enumerate(table.rule_outputs, start=1)]
    return contexts or [("", 0, first)]


def default_outputs(tables: dict[str, DecisionTable]) -> dict:
    """The values every table gives a complaint no other row names (its first row matching every complaint)."""
    values = {}
    for table in tables.values():
        if table.catch_all is not None and table.catch_all < len(table.rule_outputs):
            values.update(table.rule_outputs[table.catch_all])
    return values
