"""Deploy explores before it accepts: a condition or script that fails on some path refuses the diagram,
naming the element, its line, the choices that lead there and the error (service, CLI, workbench)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import ProcessDefinition, Role
from app.services.casework import deployments
from app.task_forms import all_answer_sets
from tests.conftest import login

SHIPPED = Path(__file__).resolve().parents[2] / "bpmn" / "complaint.bpmn"
GOOD = '<bpmn:conditionExpression>outcome == "resolved"</bpmn:conditionExpression>'
UNQUOTED = '<bpmn:conditionExpression>outcome == resolved</bpmn:conditionExpression>'
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def unquoted() -> str:
    xml = SHIPPED.read_text(encoding="utf-8")
    assert GOOD in xml
    return xml.replace(GOOD, UNQUOTED, 1)


def literal_days(xml: str) -> str:
    """The shipped diagram with literal timers and names that say their days, as before its days came from
    the decision table (bpmn/sla.dmn): the timer warnings compare literal values with names."""
    for new, old in (('f"P{commissioner_days}D"', '"P15D"'), ('f"P{max(commissioner_days - 3, 0)}D"', '"P12D"'),
                     ('f"P{chief_secretary_days}D"', '"P7D"'), ("Commissioner's days passed", "15 days unresolved"),
                     ('name="3 days before the escalation"', 'name="12 days unresolved"'),
                     ("Chief Secretary's days passed", "22 days unresolved")):
        assert xml.count(new) == 1, new
        xml = xml.replace(new, old)
    return xml


def condition_line(xml: str) -> int:
    return xml[: xml.index(UNQUOTED)].count("\n") + 1


def version_count(session) -> int:
    return session.scalar(select(func.count()).select_from(ProcessDefinition))


def test_each_form_offers_every_choice_of_its_decisive_fields():
    answers = all_answer_sets()
    assert {a["outcome"] for a in answers["officer_action"]} == {"resolved", "systemic", "returned"}
    assert {a["dc_decision"] for a in answers["dc_triage"]} == {"assign", "transfer"}
    assert {a["satisfied"] for a in answers["citizen_rating"]} == {True, False}
    # A reviewer may order "systemic" with or without naming an officer: the diagram tests which.
    systemic = [a["review_officer_id"] for a in answers["escalation_review"] if a["review_action"] == "systemic"]
    assert sorted(systemic, key=str) == [1, None]
    assert answers["dc_directive"] == [{"directive_response": "x"}]


def test_the_service_refuses_an_unquoted_condition_and_stores_nothing(app, session, unquoted):
    before = version_count(session)
    with pytest.raises(deployments.DiagramRejected) as refused:
        deployments.deploy_diagram(session, unquoted.encode(), deployed_by=None, note="unquoted")
    [error] = refused.value.errors
    assert (error.element_id, error.line) == ("f_resolved", condition_line(unquoted))
    assert error.message.code == "explore_failed"
    assert "NameError" in error.message.facts["detail"]
    assert "'Record the action taken' (officer_action) answered outcome=" in str(error)
    session.rollback()
    assert version_count(session) == before


def test_the_shipped_diagram_still_deploys(app, session):
    definition = deployments.default_definition(session)  # the fixture deployed it through deploy_file
    exploration = deployments.explore_diagram(deployments.diagram_for(session, definition), SHIPPED.read_bytes())
    assert exploration.failures == [] and not exploration.truncated and exploration.paths > 50


def test_the_cli_refuses_it_naming_element_line_path_and_error(app, make_user, tmp_path, unquoted):
    path = tmp_path / "complaint.bpmn"
    path.write_text(unquoted, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["process", "deploy", str(path), "--note", "a test version", "--by", make_user(Role.ANALYST).username])
    assert result.exit_code == 1
    assert f"error: f_resolved (line {condition_line(unquoted)}): fails on the path " in result.output
    assert "'Assign to an officer or transfer' (dc_triage) answered dc_decision='assign'" in result.output
    assert "NameError: Error evaluating expression 'outcome == resolved'" in result.output


def test_the_workbench_refuses_it_on_deploy_and_shows_it_on_validate(client, session, make_user, unquoted):
    login(client, make_user(Role.ANALYST))
    before = version_count(session)

    deployed = client.post("/analyst/deploy", data={"xml": unquoted, "make_default": "1", "note": "unquoted"})
    validated = client.post("/analyst/validate", data={"xml": unquoted}).get_json()

    assert deployed.status_code == 400
    assert version_count(session) == before
    for errors in (deployed.get_json()["errors"], validated["errors"]):
        [error] = errors
        assert (error["code"], error["element_id"], error["line"]) == ("explore_failed", "f_resolved", condition_line(unquoted))
        assert error["message"].startswith("fails on the path 'Assign to an officer or transfer' (dc_triage)")
        assert "outcome == resolved" in error["message"]


@pytest.mark.parametrize("language", ["ur", "ps"])
def test_the_refusal_is_worded_in_the_analysts_language(client, session, make_user, unquoted, language):
    analyst = make_user(Role.ANALYST)
    analyst.language = language
    session.commit()
    login(client, analyst)

    [error] = client.post("/analyst/validate", data={"xml": unquoted}).get_json()["errors"]

    assert ARABIC_SCRIPT.search(error["message"]) and not error["message"].startswith("fails on the path")
    assert "answered" not in error["message"]
    # The facts stay as the diagram and the engine wrote them.
    assert "dc_triage" in error["message"] and "outcome == resolved" in error["message"]


def test_a_script_that_fails_only_after_the_escalation_timer_is_refused_too(app, session):
    # The incidents' fixture: a script after the 15-day timer reads a name nothing sets.
    xml = (Path(__file__).parent / "diagrams" / "failing_escalation.bpmn").read_bytes()
    with pytest.raises(deployments.DiagramRejected) as refused:
        deployments.deploy_diagram(session, xml, deployed_by=None, note="failing escalation")
    [error] = refused.value.errors
    assert error.element_id == "count_escalation"
    assert "timer '15 days unresolved' (unresolved_15_days) fires first" in str(error)
    session.rollback()


def test_the_cli_deploys_with_timer_warnings_and_the_shipped_diagram_without(app, make_user, tmp_path):
    # The shipped diagram is deployed already (the same content is not deployed twice): it has no warnings.
    assert deployments.timer_warnings(SHIPPED.read_bytes()) == []

    path = tmp_path / "complaint.bpmn"
    path.write_text(literal_days(SHIPPED.read_text(encoding="utf-8")).replace('"P15D"', '"P10D"'), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["process", "deploy", str(path), "--note", "a test version", "--by", make_user(Role.ANALYST).username])
    assert result.exit_code == 0, result.output
    assert "warning: unresolved_12_days (line" in result.output and "the deadline it announces" in result.output
    assert "warning: unresolved_15_days (line" in result.output and "is named '15 days' but waits P10D" in result.output
    assert "deployed complaint version" in result.output


def test_validate_shows_the_timer_warnings(client, make_user):
    login(client, make_user(Role.ANALYST))
    xml = literal_days(SHIPPED.read_text(encoding="utf-8")).replace('"P15D"', '"P10D"')
    body = client.post("/analyst/validate", data={"xml": xml}).get_json()
    assert body["errors"] == []
    warned = {(w["code"], w["element_id"]) for w in body["warnings"]}
    assert {("reminder_after_deadline", "unresolved_12_days"), ("timer_name_contradicts", "unresolved_15_days")} <= warned
