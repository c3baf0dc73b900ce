"""A form defined as data through the API: the task describes its fields, completing it is validated as on
the page, and the answers reach the process (the variant and its form: tests/app/fixtures/site_visit.*)."""
from __future__ import annotations

from app.models import Role
from tests.app.helpers import open_tasks
from tests.app.test_data_forms import answers, visit  # noqa: F401  (the fixture: a site visit waiting for the DC)

from .helpers import assert_documented, assert_problem


def test_the_task_describes_the_analysts_form(api, visit):  # noqa: F811
    response = api.as_(visit["dc"]).get(f"/tasks/{visit['task'].id}")

    assert response.status_code == 200
    assert_documented(response)
    form = response.get_json()["form"]
    assert form["key"] == "site_visit" and form["accepts_attachments"] is False
    fields = {f["name"]: f for f in form["fields"]}
    assert list(fields) == ["visited", "visit_date", "condition", "people_met", "findings"]
    assert fields["visited"] == {"name": "visited", "type": "choice", "label": "Did you visit the site?", "required": True,
                                 "max_length": None, "choices": [{"value": "yes", "label": "Yes, visited"},
                                                                 {"value": "no", "label": "Not yet"}]}
    assert (fields["visit_date"]["type"], fields["visit_date"]["required"]) == ("date", False)
    assert [c["value"] for c in fields["condition"]["choices"]] == ["", "fixed", "partly", "not_fixed"]
    assert fields["people_met"]["type"] == "integer"
    assert (fields["findings"]["type"], fields["findings"]["max_length"], fields["findings"]["required"]) == ("text", 2000, True)


def test_the_labels_follow_the_callers_language(api, session, visit):  # noqa: F811
    visit["dc"].language = "ps"
    session.commit()

    form = api.as_(visit["dc"]).get(f"/tasks/{visit['task'].id}", headers={"Accept-Language": "ps"}).get_json()["form"]

    labels = {f["name"]: f["label"] for f in form["fields"]}
    assert labels["findings"] == "موندنې" and labels["visited"] == "آیا تاسو د موقع کتنه وکړه؟"


def test_the_pages_validation_applies(api, session, visit):  # noqa: F811
    response = api.as_(visit["dc"]).post(
        f"/tasks/{visit['task'].id}/completion", json=answers(visited="maybe", people_met=-1, findings=None)
    )

    body = assert_problem(response, 422)
    assert_documented(response)
    assert body["errors"] == {"visited": ["Not a valid choice."], "people_met": ["Enter a whole number from 0 to 500."],
                              "findings": ["Fill in this field."]}
    assert open_tasks(session, visit["complaint"])[0].id == visit["task"].id  # nothing moved


def test_completing_moves_the_complaint_on_to_the_citizen(api, session, visit):  # noqa: F811
    response = api.as_(visit["dc"]).post(f"/tasks/{visit['task'].id}/completion", json=answers(people_met=4))

    assert response.status_code == 200, response.get_json()
    assert_documented(response)
    assert [s["role"] for s in response.get_json()["next_steps"]] == [Role.CITIZEN.value]
    detail = api.as_(visit["dc"]).get(f"/complaints/{visit['complaint'].id}").get_json()
    assert "Site visit — Did you visit the site?: Yes, visited" in str(detail)
