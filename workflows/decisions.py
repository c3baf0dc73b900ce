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
- the hit policy is FIRST (the first matching row decides) or UNIQUE (the DMN
  default: only one row may match); a COLLECT table would hand lists to timers
  that expect days. SpiffWorkflow 3.2 takes the first matching row under UNIQUE
  too, so the diagram is parsed with `DecisionParser`, whose engine raises when
  more than one row matches a UNIQUE table (an incident, like any error of a
  process at run time), and deploy tries each table's inputs on the values its
  rows name (`overlapping_rows`) so the analyst hears of overlaps before;
- some row matches every complaint (all inputs "-" or empty): without one, a
  complaint no row matches would get no values and fail at its first timer;
- every output entry is a value (15, "water"), so deploy can check each row's
  outputs against the expressions that use them (see `rule_outputs`).
"""
from __future__ import annotations

import ast
import itertools
import keyword
from dataclasses import dataclass
from types import SimpleNamespace

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from .notes import Note

DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
)
# The policies that give one row's values (others the engine does not know, or collects lists).
ONE_ROW_POLICIES = ("UNIQUE", "FIRST")
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
    hit_policy: str = "UNIQUE"
    rule_entries: tuple[tuple[str, ...], ...] = ()  # per row: its input entries' texts, by input
    rule_ids: tuple[str, ...] = ()  # per row: its element id


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
    if policy not in ONE_ROW_POLICIES:
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
    rule_outputs, catch_all, rule_entries, rule_ids = [], None, [], []
    for number, rule in enumerate(table.findall("dmn:rule", ns), start=1):
        entries = [(entry.findtext("dmn:text", default="", namespaces=ns) or "").strip()
                   for entry in rule.findall("dmn:inputEntry", ns)]
        rule_entries.append(tuple(entries))
        rule_ids.append(rule.get("id", ""))
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
                          tuple(rule_outputs), catch_all, policy, tuple(rule_entries), tuple(rule_ids))
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


# -- UNIQUE: one row only ------------------------------------------------------------------------------

class DecisionParser(SpiffBpmnParser):
    """The engine's parser, whose business rule tasks decide with `OneRowEngine`."""

    def get_engine(self, decision_ref, node):
        return OneRowEngine(super().get_engine(decision_ref, node).decision_table)


class OneRowEngine(DMNEngine):
    """SpiffWorkflow 3.2 stops at the first matching row under UNIQUE, as under FIRST; DMN says a UNIQUE
    table whose rows overlap is an error, and taking one of them silently would give a complaint days the
    analyst never chose for it. So every row is tried, and a second match raises (an incident)."""

    def decide(self, task):
        if self.decision_table.hit_policy != "UNIQUE":
            return super().decide(task)
        # The engine's own row test (name-mangled, private to DMNEngine): the same reading as FIRST.
        matched = [rule for rule in self.decision_table.rules if self._DMNEngine__check_rule(rule, task)]
        if len(matched) > 1:
            rows = ", ".join(str(rule.row_number) for rule in matched)
            inputs = ", ".join(f"{column.expression}={_input_value(column.expression, task)!r}"
                               for column in self.decision_table.inputs)
            raise WorkflowTaskException(
                f"decision table {self.decision_table.id}: hit policy UNIQUE, but rows {rows} all match "
                f"({inputs}); make the rows exclusive, or set hitPolicy=\"FIRST\" if the first one should decide",
                task=task)
        return matched


def _input_value(expression: str, task):
    try:
        return task.workflow.script_engine.evaluate(task, expression)
    except Exception:  # noqa: BLE001 - only for the message; the rows were tested with it already
        return "?"


# How many input combinations deploy tries per table (the product of each input's values).
MAX_TRIED = 5000
_VALUE = "dmn_input_value"


def overlapping_rows(tables: dict[str, DecisionTable]) -> list[DecisionProblem]:
    """For each UNIQUE table, the pairs of rows that match one input combination, tried on the values the
    rows name (each input's literals, numbers either side of a bound, and None: a value no row names).

    Found at deploy (the exploration runs it) rather than when a version is parsed: a version stored
    before the check must still load, and its complaints get an incident naming the rows instead.
    """
    problems = []
    for table in tables.values():
        if table.hit_policy != "UNIQUE" or len(table.rule_entries) < 2:
            continue
        columns = list(zip(*table.rule_entries)) if table.rule_entries else []
        tried = [_tried_values(column) for column in columns]
        # For each input and value, the rows whose entry for that input accepts it.
        accepts = [[frozenset(row for row, entry in enumerate(column) if _accepts(entry, value)) for value in values]
                   for column, values in zip(columns, tried)]
        reported = set()
        every_row = frozenset(range(len(table.rule_entries)))
        for combination in itertools.islice(itertools.product(*(range(len(v)) for v in tried)), MAX_TRIED):
            rows = every_row.intersection(*(accepts[i][k] for i, k in enumerate(combination)))
            if len(rows) < 2:
                continue
            pair = tuple(sorted(rows)[:2])
            if pair in reported:
                continue
            reported.add(pair)
            inputs = ", ".join(f"{expression}={tried[i][k]!r}"
                               for i, (expression, k) in enumerate(zip(table.inputs, combination)))
            first, second = pair
            problems.append(DecisionProblem(
                Note("decision_rows_overlap", {"decision": table.decision_id, "rows": f"{first + 1}, {second + 1}",
                                               "inputs": inputs}),
                table.filename, table.rule_ids[second] if second < len(table.rule_ids) else table.decision_id,
                _line(table.root, table.rule_ids[second]) if second < len(table.rule_ids) else None))
    return problems


def _tried_values(column) -> list:
    values = [None]
    for entry in column:
        if entry in ANY_VALUE:
            continue
        for text in (entry, f"v {entry}", entry.replace("?", "v")):
            try:
                tree = ast.parse(text, mode="eval")
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant):
                    found = [node.value]
                    if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
                        found += [node.value - 1, node.value + 1]
                    values.extend(v for v in found if v not in values)
            break
    return values


def _accepts(entry: str, value) -> bool:
    """Whether the entry accepts `value`, read as the engine reads it at run time."""
    if entry in ANY_VALUE:
        return True
    task = SimpleNamespace(data={_VALUE: value}, workflow=SimpleNamespace(script_engine=PythonScriptEngine()))
    try:
        return bool(DMNEngine(None).evaluate(_VALUE, entry, task))
    except Exception:  # noqa: BLE001 - a test that cannot compare this value (None > 10) does not match it
        return False
