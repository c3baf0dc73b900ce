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
from app.models import ComplaintStatus, ProcessDefinition, ProcessInstance, Role
from app.services.casework import deployments, tasks
from app.services.errors import Conflict, Invalid
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
    v2 = deployments.deploy_diagram(session, variant_xml(), deployed_by=None, note="a test version")
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
        deployments.deploy_diagram(session, xml, deployed_by=None, note="a test version")
    assert any(message in str(e.message) for e in rejected.value.errors)
    assert deployments.default_definition(session).version == 1


# -- process identity and versions with a story (issue 15, parts 1 and 8) -------------------

# The shipped diagram as a file from Camunda Modeler or bpmn.io names its process.
def foreign(xml: str) -> str:
    return xml.replace('id="complaint"', 'id="Process_1abc"').replace('processRef="complaint"', 'processRef="Process_1abc"')


FOREIGN = foreign(SHIPPED)


def process_ids(session) -> set[str]:
    return set(session.scalars(select(ProcessDefinition.process_id)))


def test_a_foreign_process_id_is_refused_with_the_fix_and_nothing_is_stored(session):
    with pytest.raises(workflows.DiagramRejected) as rejected:
        deployments.deploy_diagram(session, FOREIGN.encode(), deployed_by=None, note="from Camunda")
    (error,) = rejected.value.errors
    assert (error.message.code, error.element_id) == ("process_unknown", "Process_1abc")
    assert "deploy it as a version of 'complaint'" in str(error.message)
    assert process_ids(session) == {"complaint"}


def test_a_foreign_file_deploys_as_the_next_version_of_complaint(session, make_user):
    analyst = make_user(Role.ANALYST)
    xml = foreign(variant_xml().decode())
    v2 = deployments.deploy_diagram(session, xml.encode(), deployed_by=analyst, note="from Camunda",
                                    as_process="complaint")
    session.commit()

    assert (v2.process_id, v2.version, v2.is_default, v2.deployed_by_id) == ("complaint", 2, True, analyst.id)
    assert "Process_1abc" not in v2.xml and 'processRef="complaint"' in v2.xml
    assert v2.sha256 == deployments.version_sha256(v2.xml.encode(), deployments.decision_files(session, v2))
    assert process_ids(session) == {"complaint"}
    assert deployments.diagram_for(session, v2).process_id == "complaint"


def test_only_a_known_process_can_be_deployed_as(session):
    with pytest.raises(Invalid):
        deployments.deploy_diagram(session, FOREIGN.encode(), deployed_by=None, note="x", as_process="Process_9")
    assert process_ids(session) == {"complaint"}


@pytest.mark.parametrize("note", ["", "   \n", None])
def test_a_version_needs_a_note(session, note):
    with pytest.raises(Invalid) as refused:
        deployments.deploy_diagram(session, variant_xml(), deployed_by=None, note=note)
    assert list(refused.value.errors) == ["note"]
    assert deployments.default_definition(session).version == 1


def test_the_note_is_kept_on_the_version(session):
    v2 = deployments.deploy_diagram(session, variant_xml(), deployed_by=None, note="  DC verifies on site  ")
    session.commit()
    assert session.get(ProcessDefinition, v2.id).note == "DC verifies on site"
    v1 = session.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 1))
    assert v1.note == "the province's process as shipped"


def test_the_same_diagram_is_not_deployed_twice(session):
    with pytest.raises(Conflict) as refused:
        deployments.deploy_diagram(session, SHIPPED.encode(), deployed_by=None, note="again")
    assert str(refused.value) == "this diagram is already deployed, unchanged, as complaint version 1"

    # Renamed into `complaint`, a foreign copy of the shipped file is the shipped text again, byte for byte.
    with pytest.raises(Conflict):
        deployments.deploy_diagram(session, FOREIGN.encode(), deployed_by=None, note="again", as_process="complaint")
    assert [d.version for d in session.scalars(select(ProcessDefinition))] == [1]
