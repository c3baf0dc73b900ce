"""What changed between two versions: elements added, removed and changed, matched by id."""
import pytest

from workflows.analysis import diagram_changes

EXTRA_STEP = """
    <bpmn:userTask id="dc_verification" name="Verify the resolution on site">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="dc_directive" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_verified" sourceRef="dc_verification" targetRef="citizen_rating" />
  </bpmn:process>"""


@pytest.fixture
def change(shipped_xml):
    def make(*pairs: tuple[str, str]) -> bytes:
        xml = shipped_xml
        for old, new in pairs:
            assert xml.count(old) == 1, old
            xml = xml.replace(old, new)
        return xml.encode()

    return make


def changed(shipped_xml, newer: bytes) -> dict[str, tuple[str, ...]]:
    return {c.element_id: c.aspects for c in diagram_changes(shipped_xml.encode(), newer).changed}


def test_the_same_diagram_has_no_changes(shipped_xml):
    assert diagram_changes(shipped_xml.encode(), shipped_xml.encode()).unchanged


def test_an_added_step_and_its_flow(shipped_xml, change):
    newer = change(
        ('sourceRef="close_reviews_on_resolution" targetRef="citizen_rating"',
         'sourceRef="close_reviews_on_resolution" targetRef="dc_verification"'),
        ("</bpmn:process>", EXTRA_STEP),
    )
    changes = diagram_changes(shipped_xml.encode(), newer)

    assert [(c.element_id, c.kind, c.name) for c in changes.added] == [
        ("dc_verification", "userTask", "Verify the resolution on site"), ("f_verified", "sequenceFlow", "")]
    assert changes.removed == []
    assert changed(shipped_xml, newer) == {"f_to_rating": ("flow",)}
    # Read backwards, the same pair removes what was added.
    back = diagram_changes(newer, shipped_xml.encode())
    assert [c.element_id for c in back.removed] == ["dc_verification", "f_verified"] and back.added == []


def test_a_timer_a_condition_and_a_name(shipped_xml, change):
    newer = change(
        ('<bpmn:timeDuration>f"P{commissioner_days}D"</bpmn:timeDuration>', '<bpmn:timeDuration>"P10D"</bpmn:timeDuration>'),
        ('targetRef="close_reviews_on_resolution">\n      <bpmn:conditionExpression>outcome == "resolved"',
         'targetRef="close_reviews_on_resolution">\n      <bpmn:conditionExpression>outcome == resolved'),
        ('name="Outcome" default="f_returned"', 'name="What the officer did" default="f_returned"'),
    )
    assert changed(shipped_xml, newer) == {
        "unresolved_15_days": ("timer",),
        "f_resolved": ("condition",),
        "officer_outcome_gw": ("name",),
    }


def test_a_user_task_moved_to_another_lane(shipped_xml, change):
    newer = change(
        ("<bpmn:flowNodeRef>dc_triage</bpmn:flowNodeRef>\n", ""),
        ("<bpmn:flowNodeRef>officer_outcome_gw</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>officer_outcome_gw</bpmn:flowNodeRef><bpmn:flowNodeRef>dc_triage</bpmn:flowNodeRef>"),
    )
    assert changed(shipped_xml, newer) == {"dc_triage": ("lane",)}


def test_moving_boxes_on_the_drawing_is_no_change(shipped_xml):
    import re

    moved = re.sub(r'x="(\d+)"', lambda m: f'x="{int(m[1]) + 40}"', shipped_xml)
    assert moved != shipped_xml
    assert diagram_changes(shipped_xml.encode(), moved.encode()).unchanged


def test_a_task_that_becomes_another_type(shipped_xml):
    start = shipped_xml.index('<bpmn:userTask id="dc_directive"')
    end = shipped_xml.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    block = shipped_xml[start:end].replace("bpmn:userTask", "bpmn:manualTask")
    newer = (shipped_xml[:start] + block + shipped_xml[end:]).encode()
    assert changed(shipped_xml, newer) == {"dc_directive": ("type",)}


def test_a_form_key_is_a_property(shipped_xml):
    start = shipped_xml.index('<bpmn:userTask id="dc_directive"')
    block_end = shipped_xml.index("</bpmn:userTask>", start)
    block = shipped_xml[start:block_end]
    assert block.count('name="formKey" value="dc_directive"') == 1
    newer = (shipped_xml[:start] + block.replace('value="dc_directive"', 'value="systemic_review"')
             + shipped_xml[block_end:]).encode()
    assert changed(shipped_xml, newer) == {"dc_directive": ("properties",)}
