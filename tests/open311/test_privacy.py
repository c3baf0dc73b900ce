"""Public reads publish no personal data: not the citizen's name, CNIC, phone,
e-mail or street address, not the staff's names, not photos; the location only
rounded to about 100 m."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.models import Role
from app.services.interop.open311 import redact
from app.services.casework import complaints
from app.services.files import Upload
from tests.app.helpers import assign, category, jpeg_bytes, reread, store_of
from tests.open311.conftest import post_request

ADDRESS = "House 12, Street 4, Hayatabad Phase 3"
DESCRIPTION = (
    "Bilal Ahmad Khan here: the streetlight outside House 12, Street 4, Hayatabad Phase 3 has been dark for a "
    "month. Call me on 0300-1234567 or +92 321 7654321, write to bilal.khan@example.com; CNIC 17301-1234567-1."
)


@pytest.fixture()
def lodged(app, session, make_user, places):
    citizen = make_user(Role.CITIZEN, name="Bilal Ahmad Khan")
    citizen.email = "bilal.khan@example.com"
    session.commit()
    complaint = complaints.submit_complaint(
        session,
        citizen,
        complaints.ComplaintInput(category(session).id, places["peshawar"].id, "Dark streetlight", DESCRIPTION,
                                  address=ADDRESS, latitude=34.01512, longitude=71.52491),
        photos=[Upload("photos", "street.jpg", jpeg_bytes())],
        store=store_of(app),
    )
    session.commit()
    dc = make_user(Role.DEPUTY_COMMISSIONER, name="Deputy Commissioner Yasmin Qureshi")
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Inspector Gul Zaman")
    assign(session, complaint, dc, officer)  # its timeline note names the officer
    reread(session)
    return citizen, complaint


def public_bodies(client, tracking_number) -> list[str]:
    paths = [f"/open311/v2/requests.{fmt}" for fmt in ("xml", "json")]
    paths += [f"/open311/v2/requests/{tracking_number}.{fmt}" for fmt in ("xml", "json")]
    paths += [f"/open311/v2/requests.json?service_request_id={tracking_number}"]
    responses = [client.get(path) for path in paths]
    assert [r.status_code for r in responses] == [200] * len(paths)
    return [r.get_data(as_text=True) for r in responses]


def test_public_reads_carry_no_personal_data(client, lodged):
    citizen, complaint = lodged
    secrets = [
        "Bilal", "Ahmad", "Khan", citizen.cnic, citizen.mobile, "0300-1234567", "1234567", "7654321",
        "17301", "bilal.khan@example.com", "example.com", "Hayatabad", "House 12", "Street 4",
        "Gul Zaman", "Zaman", "Yasmin", "Qureshi", "34.01512", "71.52491", "attachments",
    ]
    for body in public_bodies(client, complaint.tracking_number):
        assert complaint.tracking_number in body
        for secret in secrets:
            assert secret.lower() not in body.lower(), secret
        assert "Assigned to a District Officer." in body  # the note, without the name
        assert "34.015" in body and "71.525" in body  # the location, rounded to ~100 m
        assert "Peshawar District" in body and "streetlight outside [removed]" in body


def test_a_reporter_posted_through_open311_is_not_published_either(client, api_key):
    fields = {"phone": "0345-7654321", "first_name": "Naseem", "last_name": "Akhtar", "email": "naseem@example.org",
              "address_string": "Flat 7, Gulbahar Colony"}
    created = post_request(client, "json", api_key, **fields).get_json()[0]["service_request_id"]
    for body in public_bodies(client, created):
        for secret in ("Naseem", "Akhtar", "7654321", "naseem@example.org", "Gulbahar", "Flat 7"):
            assert secret.lower() not in body.lower(), secret


@pytest.mark.parametrize("written", [
    "House 12, Street 4, Hayatabad Phase 3",
    "house 12 street 4 hayatabad phase 3",
    "HOUSE #12,STREET-4,  Hayatabad\nPhase-3",
    "House12 Street4 Hayatabad Phase3",
    "House 12 , Street 4 , Hayatabad Phase 3",
])
def test_the_street_address_is_removed_however_it_is_spaced_or_cased(written):
    citizen = SimpleNamespace(email=None, username="open311-client", full_name="A service account")
    complaint = SimpleNamespace(address=ADDRESS, citizen=citizen)
    text = redact(f"The streetlight outside {written}. It is dark.", complaint)
    assert text == "The streetlight outside [removed]. It is dark."


def test_words_of_the_address_inside_other_words_stay():
    citizen = SimpleNamespace(email=None, username="open311-client", full_name="A service account")
    complaint = SimpleNamespace(address="Street 4", citizen=citizen)
    assert redact("Streets 45 and 4 are dark", complaint) == "Streets 45 and 4 are dark"
