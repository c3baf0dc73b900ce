"""Nobody reaches a complaint, task or photo outside their scope through the API: 404, the same as for an id that does not exist."""
from __future__ import annotations

import pytest

from app.models import Attachment, Role
from app.services import organisation
from tests.app.helpers import assign, jpeg_bytes, lodge, open_tasks, store_of

from .helpers import assert_documented, assert_problem

OUTSIDERS = {
    "other_citizen": (Role.CITIZEN, "peshawar", False),
    "dc_other_district": (Role.DEPUTY_COMMISSIONER, "nowshera", False),
    "officer_other_district": (Role.DISTRICT_OFFICER, "nowshera", True),
    "officer_other_department": (Role.DISTRICT_OFFICER, "peshawar", False),
    "commissioner_other_division": (Role.COMMISSIONER, "mardan", False),
}
INSIDERS = {
    "owner": None,
    "dc": (Role.DEPUTY_COMMISSIONER, "peshawar", False),
    "officer": None,
    "commissioner": (Role.COMMISSIONER, "peshawar", False),
    "chief_secretary": (Role.CHIEF_SECRETARY, "peshawar", False),
}


@pytest.fixture()
def world(app, session, make_user, places):
    """A Peshawar complaint with a photo, assigned to an officer whose action task is open."""
    owner = make_user(Role.CITIZEN)
    complaint = lodge(session, owner, places["peshawar"], photo=jpeg_bytes(), store=store_of(app))
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    triage = assign(session, complaint, dc, officer)
    (action,) = open_tasks(session, complaint)
    attachment = session.query(Attachment).filter_by(complaint_id=complaint.id).one()
    return {"owner": owner, "officer": officer, "complaint": complaint, "triage": triage, "action": action,
            "attachment": attachment, "dc": dc, "departments": organisation.departments(session)}


def person(make_user, places, world, name, table):
    if table[name] is None:
        return world[name]
    role, district, same_department = table[name]
    department = None
    if role is Role.DISTRICT_OFFICER:
        own = world["complaint"].department_id
        department = own if same_department else next(d.id for d in world["departments"] if d.id != own)
    return make_user(role, district=places[district], department_id=department)


def reads(world):
    return {
        "complaint": f"/complaints/{world['complaint'].id}",
        "open task": f"/tasks/{world['action'].id}",
        "completed task": f"/tasks/{world['triage'].id}",
        "photo": f"/attachments/{world['attachment'].id}",
    }


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("what", ["complaint", "open task", "completed task", "photo"])
def test_outsiders_get_404_on_reads(api, make_user, places, world, outsider, what):
    as_outsider = api.as_(person(make_user, places, world, outsider, OUTSIDERS))

    response = as_outsider.get(reads(world)[what])

    body = assert_problem(response, 404)
    assert_documented(response)
    missing = as_outsider.get(reads(world)[what].rsplit("/", 1)[0] + "/999999")
    assert missing.get_json() == body  # not telling "exists, not yours" from "does not exist"


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_cannot_complete_the_task(api, session, make_user, places, world, outsider):
    as_outsider = api.as_(person(make_user, places, world, outsider, OUTSIDERS))

    response = as_outsider.post(
        f"/tasks/{world['action'].id}/completion", json={"outcome": "resolved", "action_taken": "Closed it myself."}
    )

    assert_problem(response, 404)
    assert [t.id for t in open_tasks(session, world["complaint"])] == [world["action"].id]


def test_another_citizen_cannot_rate(api, make_user, world):
    response = api.as_(make_user(Role.CITIZEN)).post(
        f"/complaints/{world['complaint'].id}/rating", json={"rating": 1, "satisfied": False, "comment": "Bad"}
    )

    assert_problem(response, 404)


@pytest.mark.parametrize("insider", INSIDERS)
def test_insiders_read_the_complaint(api, make_user, places, world, insider):
    response = api.as_(person(make_user, places, world, insider, INSIDERS)).get(reads(world)["complaint"])

    assert response.status_code == 200 and response.get_json()["id"] == world["complaint"].id


def test_another_districts_dc_does_not_see_the_task_in_the_inbox(api, make_user, places, world):
    nowshera_dc = make_user(Role.DEPUTY_COMMISSIONER, district=places["nowshera"])
    assert api.as_(world["dc"]).get("/tasks").get_json()["items"] == []  # the triage is done; the officer holds it
    assert api.as_(world["officer"]).get("/tasks").get_json()["items"][0]["id"] == world["action"].id

    assert api.as_(nowshera_dc).get("/tasks").get_json()["items"] == []
