"""A process analyst's new diagram runs through the same services, unchanged.

The variant adds a step the shipped diagram does not have (the DC verifies a
resolution before the citizen is asked to rate it), reusing a registered form
key. No Python names the new task: the inbox, the task form and the status
all come from the diagram's properties.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import workflows
from app.models import ComplaintStatus, ProcessInstance, Role
from app.services.casework import deployments, tasks
from tests.app.helpers import complete, lodge, open_tasks

SHIPPED = (Path(__file__).resolve().parents[2] / "bpmn" / "complaint.bpmn").read_text()

EXTRA_STEP = """
    <bpmn:userTask id="dc_verification" name="Verify the resolution on site">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="dc_directive" />
          <spiffworkflow:property name="status" value="in_progress" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_verified" sourceRef="dc_verification" targetRef="citizen_rating" />
  </bpmn:process>"""


def variant_xml() -> bytes:
    xml = SHIPPED.replace(
        '<bpmn:sequenceFlow id="f_to_rating" sourceRef="close_reviews_on_resolution" targetRef="citizen_rating" />',
        '<bpmn:sequenceFlow id="f_to_rating" sourceRef="close_reviews_on_resolution" targetRef="dc_verification" />',
    )
    xml = xml.replace("</bpmn:process>", EXTRA_STEP)
    xml = xml.replace(
        "<bpmn:flowNodeRef>dc_triage</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>dc_triage</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>dc_verification</bpmn:flowNodeRef>",
    )
    assert xml != SHIPPED
    return xml.encode()


def test_an_extra_step_runs_through_the_same_services(session, make_user, places):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    on_v1 = lodge(session, citizen, places["peshawar"])
    v2 = deployments.deploy_diagram(session, variant_xml(), deployed_by=None)
    session.commit()
    assert (v2.version, v2.is_default) == (2, True)

    on_v2 = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=on_v2.department_id)
    for complaint in (on_v1, on_v2):
        complete(session, complaint, dc, decision="assign", officer_id=str(officer.id))
        complete(session, complaint, officer, outcome="resolved", action_taken="Pipe replaced.")

    # v1 goes straight to the citizen; v2 first gives the DC the new step.
    assert [t.form_key for t in open_tasks(session, on_v1)] == ["citizen_rating"]
    (verification,) = open_tasks(session, on_v2)
    assert (verification.element_id, verification.form_key, verification.role) == (
        "dc_verification",
        "dc_directive",
        Role.DEPUTY_COMMISSIONER,
    )
    assert verification in tasks.inbox_for(session, dc)
    assert on_v2.status is ComplaintStatus.IN_PROGRESS

    complete(session, on_v2, dc, response="Visited the street; the pipe is fixed.")
    assert [t.form_key for t in open_tasks(session, on_v2)] == ["citizen_rating"]
    assert on_v2.status is ComplaintStatus.RESOLVED

    versions = dict(
        session.execute(select(ProcessInstance.complaint_id, ProcessInstance.definition_id)).all()
    )
    assert versions[on_v1.id] != versions[on_v2.id] == v2.id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('value="dc_directive"', 'value="no_such_form"'), "unknown formKey 'no_such_form'"),
        (('name="deputy_commissioner"', 'name="clerk"'), "lane 'clerk' is not a role"),
    ],
)
def test_a_broken_variant_is_refused_and_nothing_is_stored(session, change, message):
    xml = variant_xml().decode().replace(*change).encode()
    with pytest.raises(workflows.DiagramRejected) as rejected:
        deployments.deploy_diagram(session, xml, deployed_by=None)
    assert any(message in str(e.message) for e in rejected.value.errors)
    assert deployments.default_definition(session).version == 1
