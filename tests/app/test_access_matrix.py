"""Who may open which page: every endpoint × every role, one test id per cell.

The world: a citizen of Peshawar lodged a complaint with a photo; the DC of
Peshawar assigned it to a District Officer of its department, whose
"record the action" task is open. Each role then calls each endpoint once.

Legend: 200 / 403 / 404 are statuses; "→/path" is a 302 redirect whose path
matches the regular expression; LOGIN is the redirect an anonymous visitor
gets to the sign-in page. A 404 means "not in your scope" (we do not say
whether it exists); a 403 means "your role never does this".
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.models import Channel, Notification, ProcessDefinition, Role, User, UserSession
from app.services.people import accounts, user_sessions
from app.services.interop import api_keys, api_tokens
from app.services.casework import complaints
from app.services import closures, organisation
from tests.app.helpers import assign, jpeg_bytes, lodge, open_tasks, snapshot, store_of
from tests.app.media import phone_jpeg
from tests.conftest import PASSWORD, BuiltOnce, login

ROLES = (
    "owner",  # the citizen who lodged the complaint (Peshawar)
    "other_citizen",  # a neighbour in Peshawar
    "officer",  # District Officer of Peshawar, the complaint's department, assigned to it
    "officer_other_dept",  # District Officer of Peshawar, another department
    "dc",  # Deputy Commissioner of Peshawar
    "dc_other_district",  # DC of Nowshera (same division)
    "commissioner",  # Commissioner of Peshawar division
    "commissioner_other_division",  # Commissioner of Mardan division
    "chief_secretary",
    "analyst",
    "admin",
    "anonymous",
)
LOGIN = "→/login"
MY, INBOX, LIST = "→/my/complaints", "→/inbox", "→/complaints"
LODGED = r"→/complaints/\d+"
OFFICERS, CITIZENS, STAFF = "→/district/officers", "→/district/citizens", "→/admin/staff"
NOTES, DELIVERY = "→/notifications", "→/admin/notifications"
RESET = "→/password/reset"
ACCOUNT, VERIFY = "→/account", "→/account/verify"
STATS = "→/statistics"
PLACES = "→/admin/places"
MEMBER = r"→/admin/staff/\d+"
DEPTS = "→/admin/departments"
CLOSURES = "→/admin/closures"
INCIDENTS = "→/analyst/incidents"

# fmt: off
#                                               owner   other   off.   off.2  dc        dc2       comm   comm2  cs     analyst  admin  anon
EXPECTED = {
    "GET /":                                   (MY,     MY,     INBOX, INBOX, INBOX,    INBOX,    INBOX, INBOX, INBOX, LIST,    LIST,  200),
    "GET /login":                              (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /register":                           (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    # Open to everyone; sent empty here, so refused (the forms are tested in test_auth).
    "POST /login":                             (401,    401,    401,   401,   401,      401,      401,   401,   401,   401,     401,   401),
    "POST /register":                          (400,    400,    400,   400,   400,      400,      400,   400,   400,   400,     400,   400),
    # Forgot your password (tests/app/test_password_reset.py): open to everyone. Asking for a code
    # for the owner's number queues an SMS and answers with the reset page; a reset sent empty is refused.
    "GET /password/forgot":                    (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "POST /password/forgot":                   (RESET,  RESET,  RESET, RESET, RESET,    RESET,    RESET, RESET, RESET, RESET,   RESET, RESET),
    "GET /password/reset":                     (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "POST /password/reset":                    (400,    400,    400,   400,   400,      400,      400,   400,   400,   400,     400,   400),
    # Track a complaint without signing in (tests/app/test_track.py): open to everyone; a lookup sent
    # empty is refused with field errors, and changes nothing but its rate-limit counters.
    "GET /track":                              (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /manifest.webmanifest":               (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /service-worker.js":                  (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /offline":                            (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "POST /track":                             (400,    400,    400,   400,   400,      400,      400,   400,   400,   400,     400,   400),
    "GET /my/complaints":                      (200,    200,    403,   403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    "GET /my/complaints/new":                  (200,    200,    403,   403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    "POST /my/complaints/new":                 (LODGED, LODGED, 403,   403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    # Reads where a chosen photo was taken, for the lodge page to offer; stores nothing (tests/app/test_attachments.py).
    "POST /my/complaints/photo-position":      (200,    200,    403,   403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    "GET /complaints":                         (403,    403,    200,   200,   200,      200,      200,   200,   200,   200,     200,   LOGIN),
    "GET /complaints/<id>":                    (200,    404,    200,   404,   200,      404,      200,   404,   200,   200,     200,   LOGIN),
    # "Add my voice" from the lodge page: a citizen of the complaint's district, never its own lodger.
    "POST /complaints/<id>/support":           (403,    MY,     403,   403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    # The list on a map (tests/app/test_complaint_map.py checks each reader gets only their scope's markers).
    "GET /complaints/map":                     (403,    403,    200,   200,   200,      200,      200,   200,   200,   200,     200,   LOGIN),
    "GET /complaints/map.json":                (403,    403,    200,   200,   200,      200,      200,   200,   200,   200,     200,   LOGIN),
    # The district a map pin suggests: open to everyone, like the statistics (it tells only the nearest centre).
    "GET /places/district":                    (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /inbox":                              (200,    200,    200,   200,   200,      200,      200,   200,   200,   403,     403,   LOGIN),
    "GET /tasks/<id>":                         (200,    404,    200,   404,   200,      404,      200,   404,   200,   200,     200,   LOGIN),
    "POST /tasks/<id>":                        (404,    404,    INBOX, 404,   404,      404,      404,   404,   404,   404,     404,   LOGIN),
    "GET /attachments/<id>":                   (200,    404,    200,   404,   200,      404,      200,   404,   200,   200,     200,   LOGIN),
    "GET /attachments/<id>/thumbnail":         (200,    404,    200,   404,   200,      404,      200,   404,   200,   200,     200,   LOGIN),
    "GET /district/officers":                  (403,    403,    403,   403,   200,      200,      403,   403,   403,   403,     403,   LOGIN),
    "POST /district/officers":                 (403,    403,    403,   403,   OFFICERS, OFFICERS, 403,   403,   403,   403,     403,   LOGIN),
    "POST /district/officers/<id>/deactivate": (403,    403,    403,   403,   OFFICERS, 404,      403,   403,   403,   403,     403,   LOGIN),
    "GET /district/citizens":                  (403,    403,    403,   403,   200,      200,      403,   403,   403,   403,     403,   LOGIN),
    "POST /district/citizens/<id>/block":      (403,    403,    403,   403,   CITIZENS, 404,      403,   403,   403,   403,     403,   LOGIN),
    "POST /district/citizens/<id>/unblock":    (403,    403,    403,   403,   CITIZENS, 404,      403,   403,   403,   403,     403,   LOGIN),
    "GET /admin/staff":                        (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "POST /admin/staff":                       (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     STAFF, LOGIN),
    # One staff member (tests/app/test_staff_admin.py): details, post, account; and the audit log. The administrator's alone.
    "GET /admin/staff/<id>":                   (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "POST /admin/staff/<id>":                  (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     MEMBER, LOGIN),
    "POST /admin/staff/<id>/move":             (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     MEMBER, LOGIN),
    "POST /admin/staff/<id>/deactivate":       (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     MEMBER, LOGIN),
    "POST /admin/staff/<id>/reactivate":       (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     MEMBER, LOGIN),
    "POST /admin/staff/<id>/password-change":  (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     MEMBER, LOGIN),
    "GET /admin/audit":                        (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    # Departments and categories (tests/app/test_departments_admin.py): names, new ones, deactivation. The administrator's alone.
    "GET /admin/departments":                  (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "POST /admin/departments":                 (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     DEPTS, LOGIN),
    "POST /admin/categories":                  (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     DEPTS, LOGIN),
    "POST /admin/<id>/<id>":                   (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     DEPTS, LOGIN),
    "POST /admin/<id>/<id>/active":            (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     DEPTS, LOGIN),
    # Office closures that working-day deadlines skip (tests/app/test_working_days.py): the administrator's alone.
    "GET /admin/closures":                     (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "POST /admin/closures":                    (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     CLOSURES, LOGIN),
    "POST /admin/closures/<id>/remove":        (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     CLOSURES, LOGIN),
    # The API-key page answers its POSTs with itself (a new key is shown once).
    "GET /admin/api-keys":                     (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "POST /admin/api-keys":                    (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "POST /admin/api-keys/<id>/revoke":        (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    # Urdu and Pashto names of places (tests/app/test_place_names.py): the administrator's alone.
    "GET /admin/places":                       (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "POST /admin/places":                      (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     PLACES, LOGIN),
    # Notifications: reading and retrying change only notification rows (tests/notifications checks how).
    "GET /notifications":                      (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   LOGIN),
    "POST /notifications/<id>/read":           (NOTES,  404,    404,   404,   404,      404,      404,   404,   404,   404,     404,   LOGIN),
    "POST /notifications/read-all":            (NOTES,  NOTES,  NOTES, NOTES, NOTES,    NOTES,    NOTES, NOTES, NOTES, NOTES,   NOTES, LOGIN),
    "GET /admin/notifications":                (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "POST /admin/notifications/<id>/retry":    (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     DELIVERY, LOGIN),
    "POST /admin/notifications/retry-parked":  (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     DELIVERY, LOGIN),
    # The process analyst's workbench (tests/app/test_analyst_pages.py); its POSTs are sent empty here, so refused.
    "GET /analyst":                            (403,    403,    403,   403,   403,      403,      403,   403,   403,   200,     200,   LOGIN),
    "POST /analyst/default":                   (403,    403,    403,   403,   403,      403,      403,   403,   403,   400,     400,   LOGIN),
    "GET /analyst/versions/<id>":              (403,    403,    403,   403,   403,      403,      403,   403,   403,   200,     200,   LOGIN),
    "GET /analyst/versions/<id>/xml":          (403,    403,    403,   403,   403,      403,      403,   403,   403,   200,     200,   LOGIN),
    "GET /analyst/versions/<id>/changes":      (403,    403,    403,   403,   403,      403,      403,   403,   403,   200,     200,   LOGIN),
    "GET /analyst/forms":                      (403,    403,    403,   403,   403,      403,      403,   403,   403,   200,     200,   LOGIN),
    "GET /analyst/modeler":                    (403,    403,    403,   403,   403,      403,      403,   403,   403,   200,     200,   LOGIN),
    "GET /analyst/decisions":                  (403,    403,    403,   403,   403,      403,      403,   403,   403,   200,     200,   LOGIN),
    "POST /analyst/validate":                  (403,    403,    403,   403,   403,      403,      403,   403,   403,   400,     400,   LOGIN),
    "POST /analyst/deploy":                    (403,    403,    403,   403,   403,      403,      403,   403,   403,   400,     400,   LOGIN),
    "POST /analyst/simulate":                  (403,    403,    403,   403,   403,      403,      403,   403,   403,   400,     400,   LOGIN),
    "GET /analyst/migrate":                    (403,    403,    403,   403,   403,      403,      403,   403,   403,   200,     200,   LOGIN),
    "POST /analyst/migrate":                   (403,    403,    403,   403,   403,      403,      403,   403,   403,   400,     400,   LOGIN),
    # Incidents (tests/app/test_incident_pages.py): no incident exists in this world, so acting on one finds
    # nothing (404) and retrying a group retries nothing.
    "GET /analyst/incidents":                  (403,    403,    403,   403,   403,      403,      403,   403,   403,   200,     200,   LOGIN),
    "POST /analyst/incidents/<id>/retry":      (403,    403,    403,   403,   403,      403,      403,   403,   403,   404,     404,   LOGIN),
    "POST /analyst/incidents/<id>/resolve":    (403,    403,    403,   403,   403,      403,      403,   403,   403,   404,     404,   LOGIN),
    "POST /analyst/incidents/retry-group":     (403,    403,    403,   403,   403,      403,      403,   403,   403,   INCIDENTS, INCIDENTS, LOGIN),
    "GET /complaints/<id>/process":            (200,    404,    200,   404,   200,      404,      200,   404,   200,   200,     200,   LOGIN),
    # bpmn-js's prebuilt files (an allow-list under node_modules), public like /static.
    "GET /vendor/bpmn-js/<id>":                (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /vendor/dmn-js/<id>":                 (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    # The Urdu and Pashto web fonts (an allow-list under node_modules) and their @font-face rules, public.
    "GET /vendor/<id>/-/<id>":                 (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /fonts.css":                          (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    # For load balancers and monitoring, the same for everyone (tests/operations). No worker has beaten in
    # this world, so /readyz says 503 to all alike.
    "GET /healthz":                            (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /readyz":                             (503,    503,    503,   503,   503,      503,      503,   503,   503,   503,     503,   503),
    # Prometheus: by network (loopback here, as the test client is) or bearer token, never by role (tests/operations).
    "GET /metrics":                            (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    # The language switch in every page's header: open to everyone, back to the page it was on.
    "POST /language":                          (STATS,  STATS,  STATS, STATS, STATS,    STATS,    STATS, STATS, STATS, STATS,   STATS, STATS),
    # Public statistics (no sign-in) and the tier dashboards (tests/statistics checks their numbers and scope).
    "GET /statistics":                         (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /statistics/<id>/<id>":               (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   200),
    "GET /dashboard":                          (403,    403,    403,   403,   200,      200,      200,   200,   200,   403,     403,   LOGIN),
    "GET /dashboard/<id>.csv":                 (403,    403,    403,   403,   200,      200,      200,   200,   200,   403,     403,   LOGIN),
    "POST /logout":                            ("→/",   "→/",   "→/",  "→/",  "→/",     "→/",     "→/",  "→/",  "→/",  "→/",    "→/",  LOGIN),
    # My account (tests/app/test_account.py): everyone's language, password and sign-ins; a citizen's number,
    # e-mail and SMS notices. Confirming a number: citizens (the two here are confirmed and wait for nothing).
    "GET /account":                            (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   LOGIN),
    "GET /account/password":                   (200,    200,    200,   200,   200,      200,      200,   200,   200,   200,     200,   LOGIN),
    "POST /account/language":                  (ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, LOGIN),
    "POST /account/password":                  (ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, LOGIN),
    "POST /account/email":                     (ACCOUNT, ACCOUNT, 403, 403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    "POST /account/notices":                   (ACCOUNT, ACCOUNT, 403, 403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    "POST /account/mobile":                    (VERIFY, VERIFY, 403,   403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    "GET /account/verify":                     (ACCOUNT, ACCOUNT, 403, 403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    "POST /account/verify":                    (400,    400,    403,   403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    "POST /account/verify/resend":             (400,    400,    403,   403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    # The owner's other browser and phone: only the owner may sign them out.
    "POST /account/sessions/<id>/end":         (ACCOUNT, 404,   404,   404,   404,      404,      404,   404,   404,   404,     404,   LOGIN),
    "POST /account/sessions/end-others":       (ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT, LOGIN),
    "POST /account/phones/<id>/end":           (ACCOUNT, 404,   404,   404,   404,      404,      404,   404,   404,   404,     404,   LOGIN),
    # Personal data (tests/app/test_personal_data.py): a citizen's CNIC or number shown in full to staff whose
    # scope holds the citizen (the owner's complaint), recorded; never to citizens or analysts. The record is
    # the administrator's; a citizen's own data (JSON) is the citizen's alone.
    "GET /people/<id>/personal-data":          (403,    403,    200,   404,   200,      404,      200,   404,   200,   403,     200,   LOGIN),
    "POST /people/<id>/personal-data":         (403,    403,    200,   404,   200,      404,      200,   404,   200,   403,     200,   LOGIN),
    "GET /admin/personal-data-access":         (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "GET /admin/personal-data-access.csv":     (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "GET /account/my-data.json":               (200,    200,    403,   403,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    # Second factor (tests/app/test_second_factor.py). The code and enrolment steps of signing in need a password
    # given in this browser first: without one, everybody is sent to sign in. Staff here have none set up yet
    # (signed in by the helper): they may set one up; an empty code is refused; nothing to reset for the DC.
    "GET /login/code":                         (LOGIN,  LOGIN,  LOGIN, LOGIN, LOGIN,    LOGIN,    LOGIN, LOGIN, LOGIN, LOGIN,   LOGIN, LOGIN),
    "POST /login/code":                        (LOGIN,  LOGIN,  LOGIN, LOGIN, LOGIN,    LOGIN,    LOGIN, LOGIN, LOGIN, LOGIN,   LOGIN, LOGIN),
    "GET /login/enrol":                        (LOGIN,  LOGIN,  LOGIN, LOGIN, LOGIN,    LOGIN,    LOGIN, LOGIN, LOGIN, LOGIN,   LOGIN, LOGIN),
    "POST /login/enrol":                       (LOGIN,  LOGIN,  LOGIN, LOGIN, LOGIN,    LOGIN,    LOGIN, LOGIN, LOGIN, LOGIN,   LOGIN, LOGIN),
    "GET /account/second-factor":              (404,    404,    200,   200,   200,      200,      200,   200,   200,   200,     200,   LOGIN),
    "POST /account/second-factor":             (404,    404,    400,   400,   400,      400,      400,   400,   400,   400,     400,   LOGIN),
    "POST /account/second-factor/recovery-codes": (404, 404,    404,   404,   404,      404,      404,   404,   404,   404,     404,   LOGIN),
    "POST /account/second-factor/off":         (403,    403,    404,   404,   403,      403,      403,   403,   403,   403,     403,   LOGIN),
    "GET /admin/second-factors":               (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     200,   LOGIN),
    "POST /admin/second-factors/<id>/reset":   (403,    403,    403,   403,   403,      403,      403,   403,   403,   403,     409,   LOGIN),
}
# fmt: on
# POSTs that change data when they succeed; for them a refused call must change nothing.
CHANGING = {endpoint for endpoint in EXPECTED if endpoint.startswith("POST") and endpoint != "POST /logout"}
# POSTs that answer a success with the page itself (200) rather than a redirect.
SUCCEEDS_WITH_PAGE = {"POST /admin/api-keys", "POST /admin/api-keys/<id>/revoke", "POST /people/<id>/personal-data"}
# Allowed, but with nothing to act on in this world (no unread or parked messages
# for most roles), so a success may change nothing; a refusal still must not.
MAY_CHANGE_NOTHING = {"POST /language", "POST /notifications/read-all", "POST /admin/notifications/<id>/retry",
                      "POST /admin/notifications/retry-parked", "POST /account/sessions/end-others",
                      "POST /admin/staff/<id>/reactivate",  # the officer is active: nothing to undo
                      "POST /analyst/incidents/retry-group"}  # no incident in this world: nothing to retry
CELLS = [
    pytest.param(endpoint, role, row[i], id=f"{endpoint} | {role}")
    for endpoint, row in EXPECTED.items()
    for i, role in enumerate(ROLES)
]


def test_the_table_covers_every_role_and_every_route(app):
    assert all(len(row) == len(ROLES) for row in EXPECTED.values())
    # Machine interfaces (/api, /open311) authenticate with tokens and keys, not
    # sessions; their own contract tests hold their access rules.
    rules = {(method, re.sub(r"<[^>]+>", "<id>", rule.rule)) for rule in app.url_map.iter_rules()
             for method in rule.methods - {"HEAD", "OPTIONS"}
             if rule.endpoint != "static" and not rule.rule.startswith(MACHINE_PREFIXES)}
    assert rules == {tuple(endpoint.split(" ")) for endpoint in EXPECTED}


MACHINE_PREFIXES = ("/api/", "/open311/")


@dataclass
class World:
    owner: User
    officer: User
    dc: User
    blocked: User
    complaint_id: int
    task_id: int
    attachment_id: int
    department_ids: list[int]
    api_key_id: int
    notification_ids: dict  # the owner's "complaint received" messages, by channel
    owner_browser_id: int  # the owner signed in on another browser ...
    owner_phone_id: int  # ... and on a phone
    closure_id: int  # a day the province's offices are closed


@pytest.fixture(scope="module")
def built_world(db_url, engine, tmp_path_factory) -> BuiltOnce:
    """The world is the same for every cell and cost 0.3 s to build (users, a lodging with a photo, an
    assignment): it is built once, and each cell gets its rows and its photo back (`world`)."""
    return BuiltOnce(db_url, engine, tmp_path_factory, build_world)


@pytest.fixture()
def world(app, session, built_world: BuiltOnce) -> World:
    return World(**built_world.put_back(app, session))


def build_world(app, session, make_user, places) -> dict:
    owner, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, owner, places["peshawar"], photo=jpeg_bytes(), store=store_of(app))
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    (action,) = open_tasks(session, complaint)
    blocked = make_user(Role.CITIZEN)
    accounts.block_citizen(session, dc, blocked.id, "Abusive language in complaints")
    api_key, _ = api_keys.issue_api_key(session, make_user(Role.ADMIN), "Civic app")
    session.commit()
    (attachment,) = complaints.attachments_of(session, complaint)
    departments = [d.id for d in organisation.departments(session)]
    received = session.execute(select(Notification.channel, Notification.id).where(
        Notification.user_id == owner.id, Notification.template == "complaint_received")).all()
    browser = user_sessions.start_session(session, owner, user_agent="Laptop")
    phone = api_tokens.issue_token(session, owner, lifetime=timedelta(days=30))
    session.commit()
    browser_id = session.scalar(select(UserSession.id).where(UserSession.key_hash == user_sessions.hash_key(browser)))
    closure = closures.add_closure(session, make_user(Role.ADMIN), date(2027, 3, 9), None, "Eid ul-Fitr, provincial")
    session.commit()
    return dict(owner=owner, officer=officer, dc=dc, blocked=blocked, complaint_id=complaint.id,
                task_id=action.id, attachment_id=attachment.id, department_ids=departments, api_key_id=api_key.id,
                notification_ids=dict(received), owner_browser_id=browser_id, owner_phone_id=phone.row.id,
                closure_id=closure.id)


def actor_for(role: str, world: World, make_user, places) -> User | None:
    other_department = next(d for d in world.department_ids if d != world.officer.department_id)
    build = {
        "owner": lambda: world.owner,
        "other_citizen": lambda: make_user(Role.CITIZEN),
        "officer": lambda: world.officer,
        "officer_other_dept": lambda: make_user(Role.DISTRICT_OFFICER, department_id=other_department),
        "dc": lambda: world.dc,
        "dc_other_district": lambda: make_user(Role.DEPUTY_COMMISSIONER, district=places["nowshera"]),
        "commissioner": lambda: make_user(Role.COMMISSIONER),
        "commissioner_other_division": lambda: make_user(Role.COMMISSIONER, district=places["mardan"]),
        "chief_secretary": lambda: make_user(Role.CHIEF_SECRETARY),
        "analyst": lambda: make_user(Role.ANALYST),
        "admin": lambda: make_user(Role.ADMIN),
        "anonymous": lambda: None,
    }
    return build[role]()


def request_for(endpoint: str, world: World, session) -> tuple[str, str, dict | None]:
    method, rule = endpoint.split(" ")
    target = {
        "/complaints/<id>": world.complaint_id,
        "/tasks/<id>": world.task_id,
        "/attachments/<id>": world.attachment_id,
        "/attachments/<id>/thumbnail": world.attachment_id,
        "/district/officers/<id>/deactivate": world.officer.id,
        "/district/citizens/<id>/block": world.owner.id,
        "/district/citizens/<id>/unblock": world.blocked.id,
        "/admin/api-keys/<id>/revoke": world.api_key_id,
        "/admin/staff/<id>": world.officer.id,
        "/admin/staff/<id>/move": world.officer.id,
        "/admin/staff/<id>/deactivate": world.officer.id,
        "/admin/staff/<id>/reactivate": world.officer.id,
        "/admin/staff/<id>/password-change": world.officer.id,
        "/notifications/<id>/read": world.notification_ids[Channel.IN_APP],
        "/admin/notifications/<id>/retry": world.notification_ids[Channel.SMS],
        "/analyst/versions/<id>": session.scalar(select(ProcessDefinition.id).order_by(ProcessDefinition.id)),
        "/analyst/versions/<id>/xml": session.scalar(select(ProcessDefinition.id).order_by(ProcessDefinition.id)),
        "/analyst/versions/<id>/changes": session.scalar(select(ProcessDefinition.id).order_by(ProcessDefinition.id)),
        "/complaints/<id>/process": world.complaint_id,
        "/complaints/<id>/support": world.complaint_id,
        "/vendor/bpmn-js/<id>": "bpmn-navigated-viewer.production.min.js",
        "/vendor/dmn-js/<id>": "dmn-modeler.production.min.js",
        "/dashboard/<id>.csv": "summary",
        "/account/sessions/<id>/end": world.owner_browser_id,
        "/account/phones/<id>/end": world.owner_phone_id,
        "/people/<id>/personal-data": world.owner.id,
        "/admin/second-factors/<id>/reset": world.dc.id,
        "/admin/closures/<id>/remove": world.closure_id,
        "/analyst/incidents/<id>/retry": 0,  # no such incident
        "/analyst/incidents/<id>/resolve": 0,
    }.get(rule)
    path = rule.replace("<id>", str(target))
    if rule == "/vendor/<id>/-/<id>":  # a package, then a file of it
        path = "/vendor/@fontsource/noto-nastaliq-urdu/-/files/noto-nastaliq-urdu-arabic-400-normal.woff2"
    if rule.startswith("/admin/<id>/<id>"):  # a department's names, and whether it is offered
        path = rule.replace("<id>/<id>", f"departments/{world.department_ids[0]}")
    if rule == "/places/district":
        path += "?lat=34.008&lon=71.578"  # Peshawar
    if rule == "/statistics/<id>/<id>":  # an area's public page: level, then id
        path = f"/statistics/district/{world.dc.district_id}"
    forms = {
        "POST /my/complaints/new": {
            "category_id": str(organisation.categories_by_department(session)[0][1][0].id),
            "district_id": str(world.owner.district_id),
            "subject": "No water supply",
            "description": "There has been no water in our street for four days now.",
        },
        "POST /tasks/<id>": {"outcome": "resolved", "action_taken": "Replaced the bulb"},
        "POST /district/officers": {
            "full_name": "Inspector Gul Khan",
            "username": "gul.khan",
            "password": PASSWORD,
            "department_id": str(world.department_ids[0]),
        },
        "POST /district/citizens/<id>/block": {"reason": "Filed forty fake complaints"},
        "POST /admin/staff": {
            "role": "commissioner",
            "full_name": "Commissioner Malakand",
            "username": "commissioner.malakand",
            "password": PASSWORD,
            "division_id": str(world.owner.division_id),
        },
        "POST /admin/api-keys": {"name": "Peshawar civic app"},
        "POST /admin/staff/<id>": {"full_name": "Inspector Gul Khan", "username": "gul.khan"},
        "POST /admin/departments": {"code": "TOURISM", "name": "Tourism and Culture"},
        "POST /admin/closures": {"starts_on": "2027-06-14", "ends_on": "2027-06-15", "reason": "Ashura"},
        "POST /admin/categories": {"code": "TOURISM-SITE", "name": "Tourist site not cleaned",
                                   "department_id": str(world.department_ids[0])},
        "POST /admin/<id>/<id>": {"name": "Health and Population"},
        "POST /admin/<id>/<id>/active": {"active": "0"},
        "POST /admin/staff/<id>/move": {"district_id": str(world.dc.district_id), "department_id": str(next(
            d for d in world.department_ids if d != world.officer.department_id))},
        "POST /admin/places": {"kind": "district", "id": str(world.dc.district_id), "name_ur": "نیا نام",
                               "name_ps": "نوی نوم"},
        "POST /language": {"language": "ur", "next": "/statistics"},
        "POST /my/complaints/photo-position": {"photo": (io.BytesIO(phone_jpeg((64, 48))), "street.jpg")},
        "POST /password/forgot": {"login": world.owner.mobile},
        "POST /account/language": {"language": "ps"},
        "POST /account/password": {"current_password": PASSWORD, "password": "a-new-passphrase-1",
                                   "password_confirm": "a-new-passphrase-1"},
        "POST /account/email": {"email": "citizen@example.org"},
        "POST /account/notices": {"sms": ["complaint_received"]},
        "POST /account/mobile": {"mobile": "0345-1112223"},
        "POST /people/<id>/personal-data": {"field": "mobile", "reason": "contact"},
    }
    return method, path, forms.get(endpoint, {}) if method == "POST" else None


@pytest.mark.parametrize(("endpoint", "role", "expected"), CELLS)
def test_access(client, session, world, make_user, places, endpoint, role, expected):
    actor = actor_for(role, world, make_user, places)
    if actor is not None:
        login(client, actor)
    method, path, form = request_for(endpoint, world, session)
    before = snapshot(session)

    response = client.open(path, method=method, data=form)
    status, location = response.status_code, response.headers.get("Location", "")
    response.get_data()  # a file streams from an open file until its body is read and closed
    response.close()

    if isinstance(expected, int):
        assert status == expected, f"{role} {method} {path}: {status} {location}"
    else:
        assert status == 302, f"{role} {method} {path}: {status}, expected a redirect"
        assert re.fullmatch(expected[1:], urlsplit(location).path), location
    if endpoint in CHANGING:
        changed = snapshot(session) != before
        succeeded = (isinstance(expected, str) and expected != LOGIN) or (
            endpoint in SUCCEEDS_WITH_PAGE and expected == 200)
        if succeeded and endpoint in MAY_CHANGE_NOTHING:
            return
        assert changed == succeeded, f"{role} {method} {path}: data changed={changed}"
