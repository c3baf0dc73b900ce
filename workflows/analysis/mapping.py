"""Which element of the target version an element of the source version became, when its id changed.

The engine aligns two versions by element id (SpiffWorkflow names each task
spec after its BPMN id, and a saved state names each task by its spec). An
analyst who renames ids in a modeler breaks that alignment although the
process is the same. Here the elements the target lacks are matched to the
elements only the target has: same kind and name first, then the same lane,
then the same neighbours (already matched), which tells apart the many
"Resolved" events of a diagram. The result is a suggestion: the analyst
confirms or changes it before anything moves.

Only the top-level process is matched; subprocesses keep their ids.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import notes
from ..diagram import Diagram
from ..notes import Note

# SpiffWorkflow names the helper specs of an element after it ("officer_action.BoundaryEventSplit"):
# a renamed element takes its helpers along.
_HELPER_SEPARATOR = "."


@dataclass(frozen=True)
class Candidate:
    """An element only the target version has."""

    element_id: str
    name: str | None
    lane: str | None


@dataclass(frozen=True)
class ElementMatch:
    """An element of the source version whose id the target version lacks."""

    element_id: str
    name: str | None
    lane: str | None
    described: Note  # "user task 'officer_action' (Record the action taken)", worded by app/
    candidates: tuple[Candidate, ...]  # target-only elements of the same kind
    suggestion: str | None  # the candidate's id, or None when nothing fits unambiguously


def unmatched_elements(source: Diagram, target: Diagram) -> list[ElementMatch]:
    """The source's elements the target lacks by id, each with its candidates and the suggested one."""
    missing, only_in_target = _elements(source, target), _elements(target, source)
    suggestions = _suggest(missing, only_in_target)
    return [
        ElementMatch(
            element_id=spec.bpmn_id,
            name=spec.bpmn_name,
            lane=spec.lane,
            described=notes.element(_kind_name(spec), spec.bpmn_id, spec.bpmn_name),
            candidates=tuple(
                Candidate(other.bpmn_id, other.bpmn_name, other.lane)
                for other in only_in_target
                if type(other) is type(spec)
            ),
            suggestion=suggestions.get(spec.bpmn_id),
        )
        for spec in missing
    ]


def suggested_mapping(source: Diagram, target: Diagram) -> dict[str, str]:
    """Old id -> new id for every element matched unambiguously."""
    return {m.element_id: m.suggestion for m in unmatched_elements(source, target) if m.suggestion}


def spec_name_in_target(spec_name: str, mapping: dict[str, str]) -> str:
    """The name the target gives the spec `spec_name` of the source: its element's new id, helpers included."""
    if spec_name in mapping:
        return mapping[spec_name]
    element_id, separator, helper = spec_name.partition(_HELPER_SEPARATOR)
    if separator and element_id in mapping:
        return f"{mapping[element_id]}{separator}{helper}"
    return spec_name


def _elements(diagram: Diagram, other: Diagram) -> list:
    """The element specs of `diagram` (helpers left out) whose id `other` lacks, in diagram order."""
    return [
        spec
        for spec in diagram.spec.task_specs.values()
        if spec.bpmn_id and spec.bpmn_id not in other.spec.task_specs
    ]


def _suggest(missing: list, only_in_target: list) -> dict[str, str]:
    """Match until nothing more can be told apart: each round may settle neighbours for the next."""
    mapping: dict[str, str] = {}
    while True:
        taken = set(mapping.values())
        found: dict[str, list[str]] = {}
        for spec in missing:
            if spec.bpmn_id in mapping:
                continue
            pool = [
                other
                for other in only_in_target
                if other.bpmn_id not in taken and type(other) is type(spec) and (other.bpmn_name or "") == (spec.bpmn_name or "")
            ]
            if len(pool) > 1:
                pool = [other for other in pool if other.lane == spec.lane] or pool
            if len(pool) > 1:
                pool = _closest_neighbours(spec, pool, mapping)
            if len(pool) == 1:
                found.setdefault(pool[0].bpmn_id, []).append(spec.bpmn_id)
        # A candidate two elements both point to is nobody's suggestion: the analyst decides.
        settled = {olds[0]: new for new, olds in found.items() if len(olds) == 1}
        if not settled:
            return mapping
        mapping.update(settled)


def _closest_neighbours(spec, pool, mapping) -> list:
    """The candidates whose neighbours, before and after, are those of `spec` under their new ids.

    Both sides matching beats one: two "Close open reviews" events may lead to the same task but
    come from different gateways. One side is enough when the other's neighbours are not matched yet.
    """
    def around(specs, rename=lambda name: name):
        return sorted(rename(s.name) for s in specs)

    def new_name(name):
        return spec_name_in_target(name, mapping)

    def sides_alike(other) -> int:
        return sum(
            bool(mine) and around(mine, new_name) == around(theirs)
            for mine, theirs in ((spec.inputs, other.inputs), (spec.outputs, other.outputs))
        )

    best = max(sides_alike(other) for other in pool)
    return [other for other in pool if sides_alike(other) == best] if best else pool


def _kind_name(spec) -> str:
    """The BPMN local name the notes know kinds by (UserTask -> userTask); gateways share one word."""
    name = type(spec).__name__
    if name.endswith("Gateway"):
        return "gateway"
    return name[0].lower() + name[1:]
