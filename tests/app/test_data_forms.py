"""A review step with its own fields and no Python: a form defined as data, deployed with the version.

The variant (fixtures/site_visit.bpmn) sends a resolved complaint to the DC's "Visit the site"
step before the citizen rates it; its form (fixtures/site_visit.forms.json) is a JSON Schema
with labels in English, Urdu and Pashto. A gateway reads the answer: "not yet" gives the DC the
step again. Deploy refuses a bad form document; the task page renders it with the same macros,
keeps what was typed on an error, and the timeline shows the answers in the reader's language.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

import workflows
from app.models import ComplaintEvent, ProcessDefinition, ProcessInstance, Role
from app.services.casework import deployments, events, tasks
from tests.app.helpers import assign, complete, fresh, lodge, open_tasks, reread, text_of
from tests.conftest import login

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VARIANT = (FIXTURES / "site_visit.bpmn").read_bytes()
FORMS = json.loads((FIXTURES / "site_visit.forms.json").read_text())


def forms(**changes) -> dict:
    """The fixture's forms with `changes` applied: {"path.to.key": value}, None deletes the key."""
    changed = copy.deepcopy(FORMS)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = changed["site_visit"]
        for part in parents:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return changed


@pytest.fixture()
def visit(session, make_user, places):
    """The variant deployed with its form; a complaint on it resolved by the officer: the DC's site visit is open."""
    deployments.deploy_diagram(session, VARIANT, deployed_by=None, note="the DC visits the site", forms=FORMS)
    session.commit()
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    complete(session, complaint, officer, outcome="resolved", action_taken="Pipe replaced.")
    (step,) = open_tasks(session, complaint)
    return {"complaint": complaint, "dc": dc, "citizen": citizen, "task": step}


def answers(**overrides) -> dict:
    fields = {"visited": "yes", "visit_date": "2026-12-03", "condition": "fixed", "people_met": "4",
              "findings": "The new pipe holds; the street is dry."}
    return {k: v for k, v in {**fields, **overrides}.items() if v is not None}


def task_data(session, complaint) -> dict:
    reread(session)
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
    return instance.state


# Deploy


def test_the_forms_are_deployed_with_the_version_and_the_step_is_theirs(session, visit):
    definition = deployments.default_definition(session)
    assert (definition.version, definition.forms) == (2, FORMS)
    task = visit["task"]
    assert (task.element_id, task.form_key, task.role) == ("dc_site_visit", "site_visit", Role.DEPUTY_COMMISSIONER)
    assert task in tasks.inbox_for(session, visit["dc"])
    # The shipped version knows no such form: the registered forms are untouched.
    shipped = session.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 1))
    assert shipped.forms is None


def test_the_answers_move_the_process_on_and_are_written_into_task_data(session, visit):
    complaint, dc = visit["complaint"], visit["dc"]

    complete(session, complaint, dc, **answers(visited="no", visit_date=None, condition=None, people_met=None,
                                               findings="Could not reach the street: flooded."))
    (again,) = open_tasks(session, complaint)
    assert again.form_key == "site_visit" and again.id != visit["task"].id  # the gateway read `visited`

    complete(session, complaint, dc, **answers())
    assert [t.form_key for t in open_tasks(session, complaint)] == ["citizen_rating"]
    data = json.dumps(task_data(session, complaint))
    for written in ('"visited": true', '"visit_date": "2026-12-03"', '"condition": "fixed"', '"people_met": 4',
                    '"findings": "The new pipe holds; the street is dry."'):
        assert written in data


def test_the_timeline_line_keeps_every_language(session, visit):
    complete(session, visit["complaint"], visit["dc"], **answers())

    reread(session)
    event = session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == visit["complaint"].id)
                            .order_by(ComplaintEvent.id.desc())).first()
    assert event.kind == "form_answered" and event.actor_id == visit["dc"].id
    assert event.details["title"] == FORMS["site_visit"]["title"]
    assert [a["field"] for a in event.details["answers"]] == ["visited", "visit_date", "condition", "people_met", "findings"]
    assert event.details["answers"][2]["choice"]["ur"] == "ٹھیک ہو چکا ہے"
    assert events.title(event.kind) == "Form completed"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ui.fields.findings.label": {"en": "Findings", "ur": "مشاہدات"}},
         "form 'site_visit': the label of field 'findings' has no text in ps"),
        ({"ui.fields.condition.choices": {"fixed": {"en": "Fixed", "ur": "ٹھیک", "ps": "سم"}}},
         "form 'site_visit': choice 'partly' of field 'condition' has no text in en, ur, ps"),
        ({"title": {"en": "Site visit"}}, "form 'site_visit': the title has no text in ur, ps"),
        ({"schema.properties.findings": {"type": "string", "pattern": "^[a-z]+$"}},
         "form 'site_visit': field 'findings': pattern is not supported; use: enum, format, maxLength, type"),
        ({"schema.properties.people_met": {"type": "number"}},
         "form 'site_visit': field 'people_met' has type number; use one of: boolean, integer, string"),
        ({"schema.required": ["visited", "remarks"]},
         "form 'site_visit': required names 'remarks', which is not a field of the schema"),
        ({"schema.properties.people_met": {"type": "integer", "minimum": 10, "maximum": 1}},
         "form 'site_visit': field 'people_met': minimum and maximum must be whole numbers"),
        ({"ui.fields.visited.widget": "textarea"},
         "form 'site_visit': field 'visited': widget 'textarea' does not fit it; use one of: radio"),
        ({"ui.order": ["visited", "findings"]}, "form 'site_visit': ui.order must name every field exactly once"),
    ],
)
def test_a_bad_form_document_is_refused_and_nothing_is_stored(session, changes, message):
    with pytest.raises(workflows.DiagramRejected) as rejected:
        deployments.deploy_diagram(session, VARIANT, deployed_by=None, note="the DC visits the site", forms=forms(**changes))
    assert any(message in str(e.message) for e in rejected.value.errors), rejected.value.errors
    assert deployments.default_definition(session).version == 1


def test_a_task_naming_a_form_the_version_lacks_is_refused(session):
    with pytest.raises(workflows.DiagramRejected) as rejected:
        deployments.deploy_diagram(session, VARIANT, deployed_by=None, note="the DC visits the site")
    (error,) = rejected.value.errors
    assert error.element_id == "dc_site_visit" and "unknown formKey 'site_visit'" in str(error.message)


def test_a_form_may_not_take_a_registered_forms_key(session):
    taken = {"dc_triage": FORMS["site_visit"]}
    with pytest.raises(workflows.DiagramRejected) as rejected:
        deployments.deploy_diagram(session, VARIANT, deployed_by=None, note="the DC visits the site", forms={**FORMS, **taken})
    assert [str(e.message) for e in rejected.value.errors] == [
        "form 'dc_triage': its key is already a form of the portal; choose another key"]


# Pages


def test_the_task_page_renders_the_form_with_the_same_macros(client, session, visit):
    login(client, visit["dc"])

    page = client.get(f"/tasks/{visit['task'].id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert "<legend>Did you visit the site?</legend>" in html
    assert 'type="radio"' in html and 'value="yes"' in html and "Yes, visited" in html
    assert '<label for="visit_date">Date of the visit</label>' in html and 'type="date"' in html
    assert '<span class="hint" id="visit_date-hint">Leave it empty if you have not visited yet.</span>' in html
    assert 'aria-describedby="visit_date-hint"' in html
    assert "<option value=\"partly\">Partly fixed</option>" in html
    assert 'type="number"' in html and '<textarea' in html


def test_a_refused_answer_keeps_what_was_typed_and_says_why(client, session, visit):
    login(client, visit["dc"])
    typed = answers(visited=None, people_met="900", visit_date="3 December")

    response = client.post(f"/tasks/{visit['task'].id}", data=typed)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert '<span class="field-error" id="visited-error">Choose an answer.</span>' in html
    assert "Enter a whole number from 0 to 500." in html
    assert "Enter a date as year-month-day, for example 2026-12-31." in html
    assert "The new pipe holds; the street is dry." in html  # the findings, kept
    assert 'value="900"' in html and 'value="3 December"' in html
    assert 'aria-invalid="true"' in html
    assert open_tasks(session, visit["complaint"])[0].id == visit["task"].id  # nothing moved


def test_a_long_text_is_refused_as_the_schema_says(client, session, visit):
    login(client, visit["dc"])

    response = client.post(f"/tasks/{visit['task'].id}", data=answers(findings="x" * 2001))

    assert response.status_code == 400
    assert "Write at most 2000 characters." in response.get_data(as_text=True)


def test_the_page_and_the_timeline_speak_the_readers_language(client, session, visit):
    dc = visit["dc"]
    dc.language = "ur"
    session.commit()
    login(client, dc)

    page = text_of(client.get(f"/tasks/{visit['task'].id}"))
    assert "کیا آپ نے موقع کا دورہ کیا؟" in page and "جی ہاں، دورہ کیا" in page and "مشاہدات" in page
    assert "Did you visit the site?" not in page

    done = client.post(f"/tasks/{visit['task'].id}", data=answers())
    assert done.status_code == 302

    in_urdu = text_of(client.get(f"/complaints/{visit['complaint'].id}"))
    assert "موقع کا معائنہ — کیا آپ نے موقع کا دورہ کیا؟: جی ہاں، دورہ کیا" in in_urdu
    assert "موقع کی حالت: ٹھیک ہو چکا ہے" in in_urdu
    assert "The new pipe holds; the street is dry." in in_urdu

    dc = fresh(session, type(dc), dc.id)
    dc.language = "ps"
    session.commit()
    in_pashto = text_of(client.get(f"/complaints/{visit['complaint'].id}"))
    assert "د موقع کتنه — آیا تاسو د موقع کتنه وکړه؟: هو، کتنه مې وکړه" in in_pashto
    dc.language = "en"
    session.commit()
    in_english = text_of(client.get(f"/complaints/{visit['complaint'].id}"))
    assert ("Site visit — Did you visit the site?: Yes, visited; Date of the visit: 03 Dec 2026; "
            "What you found: Fixed; People spoken to: 4; Findings: The new pipe holds; the street is dry.") in in_english


def test_the_service_refuses_what_the_page_refuses(session, visit):
    with pytest.raises(tasks.StepInvalid) as refused:
        tasks.complete_task(session, visit["task"].id, visit["dc"], MultiDict(answers(findings="", condition="gone")))
    assert set(refused.value.errors) == {"findings", "condition"}


# The command line


def test_the_command_line_deploys_a_diagram_with_its_forms(app, session, make_user, tmp_path):
    runner = app.test_cli_runner()
    who = ["--note", "the DC visits the site", "--by", make_user(Role.ANALYST).username]
    refused = runner.invoke(args=["process", "deploy", str(FIXTURES / "site_visit.bpmn"), *who])
    assert refused.exit_code == 1 and "unknown formKey 'site_visit'" in refused.output

    bad = tmp_path / "forms.json"
    bad.write_text(json.dumps(forms(**{"ui.fields.findings.hint": {"en": "What you saw."}})))
    refused = runner.invoke(args=["process", "deploy", str(FIXTURES / "site_visit.bpmn"), "--forms", str(bad), *who])
    assert refused.exit_code == 1
    assert "error: diagram: form 'site_visit': the hint of field 'findings' has no text in ur, ps" in refused.output

    done = runner.invoke(args=["process", "deploy", str(FIXTURES / "site_visit.bpmn"),
                               "--forms", str(FIXTURES / "site_visit.forms.json"), *who])
    assert done.exit_code == 0, done.output
    reread(session)
    assert deployments.default_definition(session).forms == FORMS


# The workbench: a JSON box beside the modeler, validated and deployed with the diagram


def test_the_workbench_validates_and_deploys_the_forms_with_the_diagram(client, session, make_user):
    analyst = make_user(Role.ANALYST)
    analyst.language = "ur"
    session.commit()
    login(client, analyst)
    draft = VARIANT.decode()
    bad = json.dumps(forms(**{"ui.fields.findings.label": {"en": "Findings"}}), ensure_ascii=False)

    checked = client.post("/analyst/validate", data={"xml": draft, "forms": bad}).get_json()
    (error,) = checked["errors"]
    assert error["code"] == "form_problem"
    # In the analyst's language, the facts (names, language codes) as written.
    assert error["message"] == "فارم 'site_visit': خانہ 'findings' کا لیبل ur اور ps میں موجود نہیں"

    not_json = client.post("/analyst/deploy", data={"xml": draft, "forms": "{site_visit: }", "make_default": "1", "note": "a site visit"})
    assert not_json.status_code == 400 and deployments.default_definition(session).version == 1

    deployed = client.post("/analyst/deploy", data={"xml": draft, "forms": json.dumps(FORMS), "make_default": "1", "note": "a site visit"})
    assert deployed.status_code == 201, deployed.get_json()
    reread(session)
    version = deployments.default_definition(session)
    assert version.forms == FORMS and version.deployed_by_id == analyst.id

    # The modeler opens the version with its forms in the box, to edit them for the next one.
    page = client.get(f"/analyst/modeler?from={version.id}").get_data(as_text=True)
    assert '<textarea id="forms" name="forms"' in page and "موقع کا معائنہ" in page


def test_deploy_explores_the_paths_a_data_forms_answers_open(session):
    """A gateway condition on a data form's answer that cannot evaluate (unquoted) is refused at deploy,
    naming the flow and the answer that leads there, as for a registered form."""
    broken = VARIANT.replace(b"<bpmn:conditionExpression>visited == True</bpmn:conditionExpression>",
                             b"<bpmn:conditionExpression>visited == yes</bpmn:conditionExpression>")
    assert broken != VARIANT

    with pytest.raises(workflows.DiagramRejected) as rejected:
        deployments.deploy_diagram(session, broken, deployed_by=None, note="unquoted", forms=FORMS)

    messages = [(e.element_id, str(e.message)) for e in rejected.value.errors]
    ((element, message),) = messages
    assert element == "f_visited"
    assert "'Visit the site' (dc_site_visit) answered visited=" in message
    assert "Error evaluating expression 'visited == yes'" in message
    assert deployments.default_definition(session).version == 1


def test_the_forms_catalogue_and_the_modeler_list_the_versions_own_forms(client, session, make_user, visit):
    login(client, make_user(Role.ANALYST))

    page = client.get("/analyst/forms")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="form-site_visit"' in html and "Defined as data in version 2" in html
    assert "<code>visit_date</code>" in html and "Yes, visited" in html
    modeler = client.get("/analyst/modeler").get_data(as_text=True)
    assert "&#34;key&#34;: &#34;site_visit&#34;" in modeler or '"key": "site_visit"' in modeler
