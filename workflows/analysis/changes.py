"""What changed between two versions of a diagram, element by element.

Elements are matched by id, as the engine matches them when complaints migrate:
an element whose id is only in the newer version is added, one only in the older
is removed, and one in both is changed when any aspect the portal or the engine
reads differs. The aspects are codes (`ASPECTS`) that app/ words for the reader.
Layout (the drawing's positions) is not a change: moving a box changes no complaint.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ..diagram import BPMN_NS

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# What may differ in an element present in both versions, in the order they are listed.
ASPECTS = ("type", "name", "lane", "flow", "properties", "condition", "timer", "script", "documentation", "other")

# Children folded into an aspect of their own (or ignored: incoming/outgoing repeat the flows' own ends).
_TIMER_PARTS = {"timeDuration", "timeDate", "timeCycle"}
_FLOW_ATTRIBUTES = ("sourceRef", "targetRef", "attachedToRef", "default", "cancelActivity")
_IGNORED_CHILDREN = {"incoming", "outgoing", "flowNodeRef", "documentation", "extensionElements", "conditionExpression", "script"}
_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    kind: str  # the BPMN element: userTask, sequenceFlow, boundaryEvent...
    name: str
    aspects: tuple[str, ...] = ()  # for a changed element: which of ASPECTS differ


@dataclass(frozen=True)
class DiagramChanges:
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diagram_changes(older: bytes, newer: bytes) -> DiagramChanges:
    """Elements added, removed and changed from `older` to `newer` (two diagrams' XML), each sorted by id."""
    before, after = _elements(older), _elements(newer)
    added = [_described(after[i]) for i in sorted(after.keys() - before.keys())]
    removed = [_described(before[i]) for i in sorted(before.keys() - after.keys())]
    changed = []
    for element_id in sorted(before.keys() & after.keys()):
        old, new = _signature(before[element_id]), _signature(after[element_id])
        aspects = tuple(a for a in ASPECTS if old.get(a) != new.get(a))
        if aspects:
            changed.append(ElementChange(element_id, after[element_id].kind, after[element_id].name, aspects))
    return DiagramChanges(added, removed, changed)


@dataclass(frozen=True)
class _Element:
    kind: str
    name: str
    node: object
    lane: str | None


def _elements(xml: bytes) -> dict[str, _Element]:
    """Every element of the executable processes (nested ones too) and their lanes, by id."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    lanes = {
        ref.text.strip(): lane.get("name") or lane.get("id")
        for lane in root.iter(f"{{{BPMN_NS}}}lane")
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef")
        if ref.text
    }
    found: dict[str, _Element] = {}
    for process in root.findall(f"{{{BPMN_NS}}}process"):
        _collect(process, lanes, found)
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        found[lane.get("id")] = _Element("lane", lane.get("name") or "", lane, None)
    return found


def _collect(container, lanes: dict, found: dict) -> None:
    for child in container:
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{BPMN_NS}}}") or not child.get("id"):
            continue
        kind = etree.QName(child).localname
        if kind in {"laneSet", "extensionElements", "documentation"}:
            continue
        found[child.get("id")] = _Element(kind, child.get("name") or "", child, lanes.get(child.get("id")))
        if kind in _CONTAINERS:
            _collect(child, lanes, found)


def _described(element: _Element) -> ElementChange:
    return ElementChange(element.node.get("id"), element.kind, element.name)


def _signature(element: _Element) -> dict[str, object]:
    """Each aspect of one element as a comparable value."""
    node = element.node
    definitions = [c for c in node if isinstance(c.tag, str) and etree.QName(c).localname.endswith("EventDefinition")]
    return {
        "type": (element.kind, tuple(etree.QName(d).localname for d in definitions)),
        "name": element.name,
        "lane": element.lane,
        "flow": tuple(node.get(a) for a in _FLOW_ATTRIBUTES),
        "properties": {
            p.get("name"): p.get("value")
            for p in node.findall(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property")
        },
        "condition": _text(node.find(f"{{{BPMN_NS}}}conditionExpression")),
        "timer": tuple(
            (etree.QName(part).localname, _text(part))
            for d in definitions
            for part in d
            if isinstance(part.tag, str) and etree.QName(part).localname in _TIMER_PARTS
        ),
        "script": (
            _text(node.find(f"{{{BPMN_NS}}}script")),
            tuple(_text(s) for s in node.iter(f"{{{SPIFF_NS}}}preScript", f"{{{SPIFF_NS}}}postScript")),
        ),
        "documentation": _text(node.find(f"{{{BPMN_NS}}}documentation")),
        "other": (
            tuple(sorted((k, v) for k, v in node.attrib.items() if k not in {"id", "name", *_FLOW_ATTRIBUTES})),
            tuple(_canonical(d, skip=_TIMER_PARTS) for d in definitions),
            _canonical(node.find(f"{{{BPMN_NS}}}extensionElements"), skip={"properties", "preScript", "postScript"}),
            # A subprocess's own elements are compared one by one, not as part of it.
            () if element.kind in _CONTAINERS else tuple(
                _canonical(c)
                for c in node
                if isinstance(c.tag, str)
                and etree.QName(c).localname not in _IGNORED_CHILDREN
                and not etree.QName(c).localname.endswith("EventDefinition")
            ),
        ),
    }


def _text(node) -> str | None:
    return " ".join(node.text.split()) if node is not None and node.text else None


def _canonical(node, skip: set[str] = frozenset()) -> str | None:
    """An element's content as text, ignoring whitespace and the children named in `skip`."""
    if node is None:
        return None
    parts = [etree.QName(node).localname, repr(sorted(node.attrib.items())), _text(node) or ""]
    for child in node:
        if isinstance(child.tag, str) and etree.QName(child).localname not in skip:
            parts.append(_canonical(child))
    return "|".join(parts)
