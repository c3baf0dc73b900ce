"""What workflows/ reports (codes and facts) reaches the analyst in the analyst's language: page and JSON."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.models import ProcessDefinition, Role
from tests.app.helpers import lodge, reread, text_of
from tests.conftest import login

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
# The escalation timer reads its days from the decision table (bpmn/sla.dmn); a variant fixes them at 10.
P15D = '<bpmn:timeDuration>f"P{commissioner_days}D"</bpmn:timeDuration>'
P10D = '<bpmn:timeDuration>"P10D"</bpmn:timeDuration>'


@pytest.fixture()
def shipped(session) -> ProcessDefinition:
    return session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id).limit(1))


def analyst_reading(session, make_user, language: str):
    analyst = make_user(Role.ANALYST)
    analyst.language = language
    session.commit()
    return analyst


def broken_draft(xml: str) -> str:
    return xml.replace(
        '<spiffworkflow:property name="formKey" value="dc_triage" />',
        '<spiffworkflow:property name="formKey" value="dc_triage_v2" />',
    ).replace(P15D, "<bpmn:timeDuration>P15D</bpmn:timeDuration>")


@pytest.mark.parametrize("language", ["ur", "ps"])
def test_validation_errors_come_in_the_analysts_language_with_their_codes(client, session, make_user, shipped,
                                                                          language):
    login(client, analyst_reading(session, make_user, language))

    body = client.post("/analyst/validate", data={"xml": broken_draft(shipped.xml)}).get_json()

    assert [e["code"] for e in body["errors"]] == ["timer_not_evaluated", "unknown_form"]
    for error in body["errors"]:
        assert ARABIC_SCRIPT.search(error["message"]), error
    # The facts stay as the diagram and the engine wrote them.
    timer, form = body["errors"]
    assert "'P15D'" in timer["message"] and "NameError" in timer["message"]
    assert "dc_triage_v2" in form["message"] and "officer_action" in form["message"]
    # A list of names is joined the way the language joins a list.
    assert "،" in form["message"]


def test_the_same_draft_in_english_has_the_english_sentences(client, session, make_user, shipped):
    login(client, analyst_reading(session, make_user, "en"))

    body = client.post("/analyst/validate", data={"xml": broken_draft(shipped.xml)}).get_json()

    assert body["errors"][1]["message"].startswith("unknown formKey 'dc_triage_v2'; registered forms: ")
    assert not any(ARABIC_SCRIPT.search(e["message"]) for e in body["errors"])


def test_warnings_name_the_element_kind_and_places_in_urdu(client, session, make_user, shipped):
    login(client, analyst_reading(session, make_user, "ur"))

    body = client.post("/analyst/validate", data={"xml": shipped.xml}).get_json()

    by_task = {w["element_id"]: w for w in body["warnings"]}
    # Nobody is a Chief Secretary in this portal: the warning says so in Urdu, not in English.
    cs = by_task["chief_secretary_review"]
    assert cs["code"] is None and ARABIC_SCRIPT.search(cs["message"]) and "nobody" not in cs["message"]


def test_simulation_details_come_in_the_analysts_language(client, session, make_user, shipped):
    login(client, analyst_reading(session, make_user, "ps"))
    scenario = json.dumps({"steps": {}, "horizon_days": 20})

    body = client.post("/analyst/simulate", data={"xml": shipped.xml, "scenario": scenario}).get_json()

    details = [step["detail"] for step in body["steps"] if step["detail"]]
    assert details and all(ARABIC_SCRIPT.search(detail) for detail in details)
    assert not any("no answer in the scenario" in detail for detail in details)


def test_migration_reasons_on_the_page_in_urdu(client, session, make_user, places, shipped):
    analyst = analyst_reading(session, make_user, "ur")
    login(client, analyst)
    at_triage = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    # The target version calls the DC's first task by another id: the open task has no place there.
    renamed = shipped.xml.replace('"dc_triage"', '"dc_sorting"').replace(">dc_triage<", ">dc_sorting<")
    renamed = renamed.replace('value="dc_sorting"', 'value="dc_triage"')  # the form key stays
    response = client.post("/analyst/deploy", data={"xml": renamed, "note": "the DC sorts"})
    assert response.status_code == 201, response.get_json()
    reread(session)
    target = session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id.desc()).limit(1))

    # The analyst leaves the renamed task unmapped (the page would suggest dc_sorting).
    page = text_of(client.get(f"/analyst/migrate?source={shipped.id}&target={target.id}&map-dc_triage="))

    assert at_triage.tracking_number in page
    assert "dc_triage" in page  # the fact: which open task has no place in the target
    assert "does not exist in the target version" not in page
    assert "منزل والے ورژن میں موجود نہیں" in page


def test_a_worded_note_is_escaped_in_a_page(app):
    """A note holds what an analyst typed into a diagram: a page shows it as text, never as markup."""
    from markupsafe import Markup

    from app.services.analyst import in_words
    from workflows.notes import Note

    with app.test_request_context():
        worded = in_words(Note("subprocess_missing_in_target", {"name": "<script>alert(1)</script>"}))
        assert "<script>" not in str(Markup("{}").format(worded))
        assert "&lt;script&gt;" in str(Markup("{}").format(worded))
