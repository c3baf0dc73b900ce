"""With CSRF protection on (as in production), a POST without the form's token
is refused and changes nothing; with the token of the rendered page it works."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.models import Channel, Complaint, IncidentSource, Notification, Role, User, UserSession
from app.services import closures
from app.services.casework import incidents
from app.services.people import accounts, mobile_numbers, password_resets, user_sessions
from app.services.interop import api_keys, api_tokens
from tests.app.helpers import (
    category,
    complaint_form,
    fresh,
    lodge,
    open_tasks,
    snapshot,
    text_of,
)
from tests.app.media import phone_jpeg
from tests.conftest import PASSWORD, ROOT, BuiltOnce, login
from workflows.failures import RunFailure

CSRF_MESSAGE = "The form expired or did not come from this site."
DIAGRAM = (ROOT / "bpmn" / "complaint.bpmn").read_text()


@pytest.fixture()
def csrf_app(app):
    """A second app on the same database as `app` (whose teardown empties it), with CSRF on."""
    protected = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "WTF_CSRF_ENABLED": True,
        }
    )
    yield protected
    protected.extensions["db_engine"].dispose()


@pytest.fixture()
def csrf_client(csrf_app):
    return csrf_app.test_client()


@pytest.fixture(scope="module")
def built_people(db_url, engine, tmp_path_factory) -> BuiltOnce:
    """The same people and rows for each of the module's tests: built once (0.3 s), put back for each."""
    return BuiltOnce(db_url, engine, tmp_path_factory, build_people)


@pytest.fixture()
def people(app, session, built_people: BuiltOnce) -> dict:
    return built_people.put_back(app, session)


def build_people(app, session, make_user, places) -> dict:
    citizen, dc, admin = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER), make_user(Role.ADMIN)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    blocked = make_user(Role.CITIZEN)
    accounts.block_citizen(session, dc, blocked.id, "Abusive language in complaints")
    api_key, _ = api_keys.issue_api_key(session, admin, "Civic app")
    session.commit()
    (triage,) = open_tasks(session, complaint)
    resetter = make_user(Role.CITIZEN)
    neighbour = make_user(Role.CITIZEN)  # of Peshawar too: may add their voice to the citizen's complaint
    password_resets.request_code(session, resetter.mobile, address="127.0.0.1", pepper=app.config["SECRET_KEY"])
    session.commit()
    reset_code = session.scalar(select(Notification.context).where(Notification.user_id == resetter.id,
                                                                    Notification.template == password_resets.TEMPLATE))["code"]
    changer = make_user(Role.CITIZEN)  # asked for a code to a new number
    mobile_numbers.send_code(session, changer, "0345-9998887", address=None, pepper=app.config["SECRET_KEY"])
    other_browser = user_sessions.start_session(session, citizen, user_agent="Laptop")
    phone = api_tokens.issue_token(session, citizen, lifetime=timedelta(days=30))
    session.commit()
    mobile_code = session.scalar(select(Notification.context).where(Notification.user_id == changer.id,
                                                                     Notification.template == "mobile_code"))["code"]
    closure = closures.add_closure(session, admin, date(2027, 8, 14), None, "Independence Day, observed")
    incident = incidents.record_incident(session, complaint.id, RunFailure("count_escalation", None, "NameError", "name x"),
                                         source=IncidentSource.TIMER)
    session.commit()
    return {
        "closure": closure,
        "incident": incident,
        "citizen": citizen,
        "complaint": complaint,
        "dc": dc,
        "admin": admin,
        "officer": officer,
        "blocked": blocked,
        "triage": triage,
        "resetter": resetter,
        "neighbour": neighbour,
        "reset_code": reset_code,
        "changer": changer,
        "mobile_code": mobile_code,
        "other_browser_id": session.scalar(select(UserSession.id).where(
            UserSession.key_hash == user_sessions.hash_key(other_browser))),
        "phone_id": phone.row.id,
        "peshawar": places["peshawar"],
        "category": category(session),
        "api_key": api_key,
        "sms": session.scalar(select(Notification).where(Notification.user_id == citizen.id, Notification.channel == Channel.SMS).limit(1)),
        "in_app": session.scalar(select(Notification).where(Notification.user_id == citizen.id, Notification.channel == Channel.IN_APP).limit(1)),
    }


CASES = ["login", "register", "logout", "lodge", "photo-position", "task", "add-officer", "deactivate", "block", "unblock", "admin-staff",
         "api-key-issue", "api-key-revoke", "notification-read", "notifications-read-all", "notification-retry",
         "notifications-retry-parked", "analyst-default", "analyst-validate", "analyst-simulate", "analyst-deploy",
         "analyst-migrate", "password-forgot", "password-reset", "language", "track", "place-names", "support",
         "account-language", "account-password", "account-email", "account-notices", "account-mobile", "account-verify",
         "account-resend", "account-session-end", "account-sessions-end-others", "account-phone-end",
         "login-code", "login-enrol", "second-factor-enrol", "second-factor-recovery-codes", "second-factor-off",
         "second-factor-reset", "staff-edit", "staff-move", "staff-deactivate", "staff-reactivate",
         "staff-password-change", "department-add", "category-add", "department-rename", "department-active",
         "personal-data-reveal", "closure-add", "closure-remove", "incident-retry", "incident-retry-group",
         "incident-resolve"]


def post_cases(p):
    """name: (path, who is signed in, a form that would succeed with a token)."""
    registration = {"full_name": "Bilal Ahmad", "cnic": "1730112345671", "mobile": "03001234567",
                    "district_id": str(p["peshawar"].id), "password": PASSWORD, "password_confirm": PASSWORD}
    officer = {"full_name": "Inspector Gul Khan", "username": "gul.khan", "password": PASSWORD,
               "department_id": str(p["officer"].department_id)}
    staff = {"role": "analyst", "full_name": "Sana Analyst", "username": "sana", "password": PASSWORD}
    return {
        "login": ("/login", None, {"login": p["citizen"].cnic, "password": PASSWORD}),
        "register": ("/register", None, registration),
        "logout": ("/logout", p["citizen"], {}),
        "lodge": ("/my/complaints/new", p["citizen"], complaint_form(p["category"], p["peshawar"])),
        "photo-position": ("/my/complaints/photo-position", p["citizen"],
                           {"photo": (io.BytesIO(phone_jpeg((64, 48))), "street.jpg")}),
        "task": (f"/tasks/{p['triage'].id}", p["dc"], {"decision": "assign", "officer_id": str(p["officer"].id)}),
        "add-officer": ("/district/officers", p["dc"], officer),
        "deactivate": (f"/district/officers/{p['officer'].id}/deactivate", p["dc"], {}),
        "block": (f"/district/citizens/{p['citizen'].id}/block", p["dc"], {"reason": "Filed forty fake complaints"}),
        "unblock": (f"/district/citizens/{p['blocked'].id}/unblock", p["dc"], {}),
        "admin-staff": ("/admin/staff", p["admin"], staff),
        "api-key-issue": ("/admin/api-keys", p["admin"], {"name": "Peshawar civic app"}),
        "api-key-revoke": (f"/admin/api-keys/{p['api_key'].id}/revoke", p["admin"], {}),
        "notification-read": (f"/notifications/{p['in_app'].id}/read", p["citizen"], {}),
        "notifications-read-all": ("/notifications/read-all", p["citizen"], {}),
        "notification-retry": (f"/admin/notifications/{p['sms'].id}/retry", p["admin"], {}),
        "notifications-retry-parked": ("/admin/notifications/retry-parked", p["admin"], {}),
        "analyst-default": ("/analyst/default", p["admin"], {"definition_id": "1"}),
        "analyst-validate": ("/analyst/validate", p["admin"], {"xml": DIAGRAM}),
        "analyst-simulate": ("/analyst/simulate", p["admin"], {"xml": DIAGRAM, "scenario": "{}"}),
        "analyst-deploy": ("/analyst/deploy", p["admin"], {"xml": DIAGRAM.replace("P15D", "P10D"), "make_default": "1", "note": "faster"}),
        "analyst-migrate": ("/analyst/migrate", p["admin"], {"source": "1", "target": "1", "all": "1"}),
        "password-forgot": ("/password/forgot", None, {"login": p["citizen"].mobile}),
        "language": ("/language", None, {"language": "ur", "next": "/"}),
        "track": ("/track", None, {"tracking_number": p["complaint"].tracking_number,
                                   "mobile_digits": p["citizen"].mobile[-4:]}),
        "place-names": ("/admin/places", p["admin"], {"kind": "district", "id": str(p["peshawar"].id),
                                                      "name_ur": "نیا نام", "name_ps": "نوی نوم"}),
        "support": (f"/complaints/{p['complaint'].id}/support", p["neighbour"], {}),
        "password-reset": ("/password/reset", None, {"login": p["resetter"].mobile, "code": p["reset_code"],
                                                     "password": PASSWORD + "-new", "password_confirm": PASSWORD + "-new"}),
        "account-language": ("/account/language", p["citizen"], {"language": "ur"}),
        "account-password": ("/account/password", p["citizen"], {"current_password": PASSWORD, "password": PASSWORD + "-new",
                                                                 "password_confirm": PASSWORD + "-new"}),
        "account-email": ("/account/email", p["citizen"], {"email": "bilal@example.org"}),
        "account-notices": ("/account/notices", p["citizen"], {"sms": ["complaint_closed"]}),
        "account-mobile": ("/account/mobile", p["citizen"], {"mobile": "0345-1112223"}),
        "account-verify": ("/account/verify", p["changer"], {"code": p["mobile_code"]}),
        "account-resend": ("/account/verify/resend", p["changer"], {}),
        "account-session-end": (f"/account/sessions/{p['other_browser_id']}/end", p["citizen"], {}),
        "account-sessions-end-others": ("/account/sessions/end-others", p["citizen"], {}),
        "account-phone-end": (f"/account/phones/{p['phone_id']}/end", p["citizen"], {}),
        # The code step after the password: the form is refused for want of a token before anything else.
        "login-code": ("/login/code", None, {"code": "123456"}),
        "login-enrol": ("/login/enrol", None, {"code": "123456"}),
        "second-factor-enrol": ("/account/second-factor", p["officer"], {"code": "123456"}),
        "second-factor-recovery-codes": ("/account/second-factor/recovery-codes", p["dc"], {"password": PASSWORD}),
        "second-factor-off": ("/account/second-factor/off", p["officer"], {"password": PASSWORD}),
        "second-factor-reset": (f"/admin/second-factors/{p['dc'].id}/reset", p["admin"], {}),
        "staff-edit": (f"/admin/staff/{p['officer'].id}", p["admin"], {"full_name": "Inspector Gul Khan Afridi",
                                                                        "username": p["officer"].username}),
        "staff-move": (f"/admin/staff/{p['officer'].id}/move", p["admin"], {"district_id": str(p["peshawar"].id),
                                                                            "department_id": str(p["officer"].department_id)}),
        "staff-deactivate": (f"/admin/staff/{p['officer'].id}/deactivate", p["admin"], {}),
        "staff-reactivate": (f"/admin/staff/{p['officer'].id}/reactivate", p["admin"], {}),
        "staff-password-change": (f"/admin/staff/{p['officer'].id}/password-change", p["admin"], {}),
        "department-add": ("/admin/departments", p["admin"], {"name": "Sports", "name_ur": "کھیل", "name_ps": "لوبې"}),
        "category-add": ("/admin/categories", p["admin"], {"department_id": str(p["category"].department_id),
                                                           "name": "Broken swings", "name_ur": "ٹوٹے جھولے",
                                                           "name_ps": "مات ټالونه"}),
        "department-rename": (f"/admin/departments/{p['category'].department_id}", p["admin"],
                              {"name": "Water and Sanitation", "name_ur": "پانی", "name_ps": "اوبه"}),
        "department-active": (f"/admin/categories/{p['category'].id}/active", p["admin"], {"active": "0"}),
        "personal-data-reveal": (f"/people/{p['citizen'].id}/personal-data", p["dc"],
                                 {"field": "cnic", "reason": "calling back", "complaint_id": str(p["complaint"].id)}),
        "closure-add": ("/admin/closures", p["admin"], {"starts_on": "2027-09-06", "reason": "Defence Day, observed"}),
        "closure-remove": (f"/admin/closures/{p['closure'].id}/remove", p["admin"], {}),
        "incident-retry": (f"/analyst/incidents/{p['incident'].id}/retry", p["admin"], {}),
        "incident-retry-group": ("/analyst/incidents/retry-group", p["admin"],
                                 {"definition_id": "1", "element_id": "count_escalation"}),
        "incident-resolve": (f"/analyst/incidents/{p['incident'].id}/resolve", p["admin"], {}),
    }


def test_every_post_endpoint_is_covered(csrf_app, people):
    # /api and /open311 take bearer tokens and API keys, never the session cookie, so
    # they carry no CSRF token (their tests show a cookie alone is refused there).
    posts = {r.rule for r in csrf_app.url_map.iter_rules()
             if "POST" in r.methods and not r.rule.startswith(("/api/", "/open311/"))}
    # Each case's path, matched to the rule it reaches (so converters such as any(...) count as covered).
    urls = csrf_app.url_map.bind("localhost")
    covered = {urls.match(path.split("?")[0], method="POST", return_rule=True)[0].rule
               for path, _, _ in post_cases(people).values()}
    assert posts == covered and set(post_cases(people)) == set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_post_without_token_is_refused_and_changes_nothing(csrf_client, session, people, case):
    path, user, form = post_cases(people)[case]
    if user is not None:
        login(csrf_client, user)
    before = snapshot(session)

    response = csrf_client.post(path, data=form)

    assert response.status_code == 400
    assert CSRF_MESSAGE in text_of(response)
    assert snapshot(session) == before
    with csrf_client.session_transaction() as flask_session:
        signed_in_as = flask_session.get("_user_id")
    assert signed_in_as == (user.get_id() if user else None)  # neither signed in nor out


def test_a_wrong_token_is_refused_too(csrf_client, session, people):
    login(csrf_client, people["citizen"])
    csrf_client.get("/my/complaints/new")
    form = complaint_form(people["category"], people["peshawar"], csrf_token="forged-token")

    response = csrf_client.post("/my/complaints/new", data=form)

    assert response.status_code == 400 and CSRF_MESSAGE in text_of(response)
    assert session.scalar(select(Complaint.id).where(Complaint.subject == "Overflowing drain")) is None


def token_in(response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page renders no CSRF token"
    return match.group(1)


def test_lodging_with_the_token_of_the_rendered_page_works(csrf_client, session, people):
    login(csrf_client, people["citizen"])
    token = token_in(csrf_client.get("/my/complaints/new"))

    response = csrf_client.post(
        "/my/complaints/new", data=complaint_form(people["category"], people["peshawar"], csrf_token=token)
    )

    assert response.status_code == 302
    complaint = session.scalar(select(Complaint).where(Complaint.subject == "Overflowing drain"))
    assert complaint is not None and response.headers["Location"] == f"/complaints/{complaint.id}"
    assert complaint.tracking_number in text_of(csrf_client.get(response.headers["Location"]))


def test_completing_a_task_with_the_token_of_the_task_page_works(csrf_client, session, people):
    login(csrf_client, people["dc"])
    triage = people["triage"]
    token = token_in(csrf_client.get(f"/tasks/{triage.id}"))

    response = csrf_client.post(
        f"/tasks/{triage.id}", data={"decision": "assign", "officer_id": str(people["officer"].id), "csrf_token": token}
    )

    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    (action,) = open_tasks(session, triage.complaint)
    assert action.form_key == "officer_action" and action.assignee_id == people["officer"].id


def test_the_photo_position_takes_the_token_in_a_header_as_the_lodge_pages_script_sends_it(csrf_client, people):
    login(csrf_client, people["citizen"])
    token = token_in(csrf_client.get("/my/complaints/new"))
    photo = {"photo": (io.BytesIO(phone_jpeg((64, 48))), "street.jpg")}

    response = csrf_client.post("/my/complaints/photo-position", data=photo, headers={"X-CSRFToken": token})

    assert response.status_code == 200 and response.get_json()["latitude"] == pytest.approx(34.0151, abs=1e-5)
def test_the_account_forms_work_with_the_token_of_their_pages(csrf_client, session, people):
    changer = people["changer"]
    login(csrf_client, changer)
    token = token_in(csrf_client.get("/account/verify"))

    confirmed = csrf_client.post("/account/verify", data={"code": people["mobile_code"], "csrf_token": token})

    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/account"
    assert fresh(session, User, changer.id).mobile == "03459998887"
    token = token_in(csrf_client.get("/account"))
    saved = csrf_client.post("/account/language", data={"language": "ps", "csrf_token": token})
    assert saved.status_code == 302 and fresh(session, User, changer.id).language == "ps"
