"""A diagram's process id: only the processes the portal runs are accepted, and a file from
another modeler (bpmn.io, Camunda: `Process_1abc`) can be renamed into one of them."""
import pytest
from lxml import etree

from workflows import DiagramRejected, parse_diagram, rename_process

from conftest import FORM_KEYS, ROLES, SHIPPED_DECISIONS, STATUSES

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"

# As bpmn.io's "new diagram" saves it: no pool, the plane drawn for the process itself.
BPMN_IO = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  id="Definitions_0x1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Process_1abc" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Process_1abc">
      <bpmndi:BPMNShape id="_BPMNShape_StartEvent_2" bpmnElement="StartEvent_1">
        <dc:Bounds x="179" y="79" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def parse_known(xml: bytes):
    return parse_diagram(xml, roles=ROLES, form_keys=FORM_KEYS, statuses=STATUSES, process_ids=("complaint",),
                         decisions=SHIPPED_DECISIONS)


def foreign(shipped_xml: str) -> str:
    """The shipped diagram as Camunda Modeler would name its process (the pool refers to it)."""
    assert shipped_xml.count('id="complaint"') == 1 and shipped_xml.count('processRef="complaint"') == 1
    return shipped_xml.replace('id="complaint"', 'id="Process_1abc"').replace('processRef="complaint"',
                                                                            'processRef="Process_1abc"')


def test_an_unknown_process_is_refused_naming_it_and_the_fix(shipped_xml):
    xml = foreign(shipped_xml)
    with pytest.raises(DiagramRejected) as rejected:
        parse_known(xml.encode())
    (error,) = rejected.value.errors
    line = next(n for n, text in enumerate(xml.splitlines(), 1) if 'id="Process_1abc"' in text)
    assert (error.message.code, error.element_id, error.line) == ("process_unknown", "Process_1abc", line)
    assert str(error.message) == ("process 'Process_1abc' is not one of this portal's processes (complaint); "
                                  "deploy it as a version of 'complaint', which gives it that id")


def test_the_shipped_process_is_known(shipped_xml):
    assert parse_known(shipped_xml.encode()).process_id == "complaint"


def test_renaming_rewrites_the_process_and_every_reference_to_it():
    renamed = rename_process(BPMN_IO, "complaint")

    root = etree.fromstring(renamed)
    assert [p.get("id") for p in root.iter(f"{{{BPMN}}}process")] == ["complaint"]
    assert root.find(f".//{{{DI}}}BPMNPlane").get("bpmnElement") == "complaint"
    assert b"Process_1abc" not in renamed
    # Nothing else changes, and every element keeps its line (errors name lines of the file the analyst has).
    before, after = BPMN_IO.splitlines(), renamed.splitlines()
    assert [a for a, b in zip(before, after) if a != b] == [line for line in before if b"Process_1abc" in line]
    assert len(before) == len(after)


def test_a_renamed_foreign_diagram_passes_the_checks(shipped_xml):
    renamed = rename_process(foreign(shipped_xml).encode(), "complaint")
    assert b'processRef="complaint"' in renamed
    assert parse_known(renamed).process_id == "complaint"


def test_a_diagram_already_named_so_comes_back_byte_for_byte(shipped_xml):
    assert rename_process(shipped_xml.encode(), "complaint") == shipped_xml.encode()


def test_renaming_onto_an_id_another_element_has_is_refused():
    taken = BPMN_IO.replace(b'id="StartEvent_1"', b'id="complaint"').replace(b'bpmnElement="StartEvent_1"',
                                                                            b'bpmnElement="complaint"')
    with pytest.raises(DiagramRejected) as rejected:
        rename_process(taken, "complaint")
    assert [(e.message.code, e.element_id, e.line) for e in rejected.value.errors] == [("process_id_taken", "complaint", 7)]
