"""A complaint whose process fails at its start: nothing is lodged, the citizen gets a reference with the form as
they filled it in, and the analysts get an incident that names the version and the category (no complaint)."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import func, select

from app.models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    HumanTask,
    IdempotencyKey,
    Incident,
    IncidentSource,
    IncidentStatus,
    ProcessInstance,
    Role,
)
from app.services.casework import complaints, incidents
from tests.app.diagrams import install_version
from tests.app.helpers import (
    category,
    complaint_form,
    jpeg_bytes,
    lodge,
    post_with_files,
    reread,
    text_of,
)
from tests.conftest import login

OUTBOX = {"Accept": "application/json"}


@pytest.fixture()
def failing_start(session):
    """The default version's process fails on its way in (a script reading a name nothing sets)."""
    return install_version(session, "failing_start")


def nothing_lodged(session) -> bool:
    reread(session)
    return all(session.scalar(select(func.count()).select_from(model)) == 0
               for model in (Complaint, Attachment, ComplaintEvent, HumanTask, ProcessInstance, IdempotencyKey))


def lodging_incidents(session) -> list[Incident]:
    reread(session)
    return list(session.scalars(select(Incident).where(Incident.source == IncidentSource.LODGING).order_by(Incident.id)))


def test_the_service_raises_lodging_failed_and_the_incident_names_version_category_and_citizen(
        session, make_user, places, failing_start):
    citizen = make_user(Role.CITIZEN)
    with pytest.raises(complaints.LodgingFailed) as failed:
        lodge(session, citizen, places["peshawar"])
    session.rollback()
    first = incidents.record_failure(session, failed.value, citizen)
    session.commit()

    assert nothing_lodged(session)
    (incident,) = lodging_incidents(session)
    assert incident.reference == first.reference and incident.complaint_id is None
    assert (incident.definition_id, incident.element_id, incident.element_name) == (
        failing_start.id, "set_priority", "Set the priority")
    assert incident.error_type == "NameError" and "urgency_of" in incident.error_message
    assert incident.category_id == category(session).id and incident.actor_id == citizen.id
    assert incident.status is IncidentStatus.OPEN and incident.count == 1

    # The same failure again (another citizen, same category) counts up; another category is its own row.
    other = make_user(Role.CITIZEN)
    with pytest.raises(complaints.LodgingFailed) as again:
        lodge(session, other, places["peshawar"])
    session.rollback()
    assert incidents.record_failure(session, again.value, other).reference == first.reference
    session.commit()
    with pytest.raises(complaints.LodgingFailed) as elsewhere:
        lodge(session, other, places["peshawar"], department_index=1)
    session.rollback()
    incidents.record_failure(session, elsewhere.value, other)
    session.commit()
    counted, separate = lodging_incidents(session)
    assert counted.id == incident.id and counted.count == 2 and counted.actor_id == other.id
    assert separate.category_id == category(session, 1).id and separate.count == 1


def test_the_lodge_page_shows_the_reference_and_keeps_what_was_typed(app, client, session, make_user, places,
                                                                    failing_start):
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)
    form = complaint_form(category(session), places["peshawar"], subject="No water in Hayatabad phase 3",
                          idempotency_key="lodge-key-1")

    response = post_with_files(client, "/my/complaints/new", form, [("photos", "tap.jpg", jpeg_bytes())])

    assert response.status_code == 500
    page = text_of(response)
    (incident,) = lodging_incidents(session)
    assert "This step cannot be completed now; the process analysts have been told." in page
    assert incident.reference in page and incident.actor_id == citizen.id
    assert "No water in Hayatabad phase 3" in page and "The drain on Main Bazaar road overflows" in page
    assert 'value="lodge-key-1"' in response.get_data(as_text=True)
    assert "Please choose the photos again." in page  # a page shown again cannot keep the files chosen
    assert nothing_lodged(session)  # no complaint, no photo rows, no key: the file is left to the orphan sweep

    # The same key sent again after the fix lodges: the failed try was not kept as the key's answer.
    install_version(session, "unquoted_condition")
    retried = client.post("/my/complaints/new", data=form)
    assert retried.status_code == 302
    reread(session)
    assert session.scalar(select(func.count()).select_from(Complaint)) == 1


@pytest.mark.parametrize("language", ["ur", "ps"])
def test_the_page_says_it_in_the_citizens_language(client, session, make_user, places, failing_start, language):
    login(client, make_user(Role.CITIZEN))
    client.post("/language", data={"language": language})
    response = client.post("/my/complaints/new", data=complaint_form(category(session), places["peshawar"]))
    assert response.status_code == 500
    page = text_of(response)
    assert lodging_incidents(session)[0].reference in page and "process analysts have been told" not in page


def test_the_outbox_keeps_it_for_later_and_no_replay_is_stored(client, session, make_user, places, failing_start):
    login(client, make_user(Role.CITIZEN))
    form = complaint_form(category(session), places["peshawar"])

    answer = client.post("/my/complaints/new", data=form, headers={**OUTBOX, "Idempotency-Key": "phone-1"})

    # Not 201/400/403: the phone's outbox keeps the complaint and sends it again later (static/pwa/outbox.js).
    assert answer.status_code == 500 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    (incident,) = lodging_incidents(session)
    assert body["reference"] == incident.reference and incident.reference in body["errors"][""][0]
    assert nothing_lodged(session)
    again = client.post("/my/complaints/new", data=form, headers={**OUTBOX, "Idempotency-Key": "phone-1"})
    assert again.status_code == 500 and again.get_json()["reference"] == incident.reference
    assert lodging_incidents(session)[0].count == 2


def test_the_analysts_see_it_while_lodging_with_its_category_and_can_mark_it_resolved(
        client, session, make_user, places, failing_start):
    citizen = make_user(Role.CITIZEN)
    with pytest.raises(complaints.LodgingFailed) as failed:
        lodge(session, citizen, places["peshawar"])
    session.rollback()
    incidents.record_failure(session, failed.value, citizen)
    session.commit()
    (incident,) = lodging_incidents(session)
    login(client, make_user(Role.ANALYST))

    response = client.get("/analyst/incidents")

    assert response.status_code == 200
    page = text_of(response)
    assert incident.reference in page and "lodging a complaint" in page and "none: not lodged" in page
    assert category(session).name in page and "Set the priority" in page
    html = response.get_data(as_text=True)
    assert f"/analyst/incidents/{incident.id}/retry" not in html and "/analyst/incidents/retry-group" not in html
    assert "/analyst/migrate" not in html or 'name="complaint_id"' not in html

    resolved = client.post(f"/analyst/incidents/{incident.id}/resolve")
    assert resolved.status_code == 302
    (incident,) = lodging_incidents(session)
    assert incident.status is IncidentStatus.RESOLVED and incident.resolution == "marked"
    assert incident.reference in text_of(client.get("/analyst/incidents?status=resolved"))


def test_the_migration_lets_an_incident_have_no_complaint_and_goes_back(db_url, tmp_path):
    """0032 up, down (dropping the incidents without a complaint) and up again: on SQLite, and on PostgreSQL
    in a database of its own when TEST_DATABASE_URL is set (`db_url` only puts it in that pass)."""
    from alembic import command
    from sqlalchemy import inspect, make_url, text

    from app import create_app
    from app.cli import alembic_config
    from app.db import make_engine

    base = os.environ.get("TEST_DATABASE_URL")
    admin = None
    if base:
        name = f"lodgefail_{uuid.uuid4().hex[:8]}"
        admin = make_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'lodging.db'}"
    engine = make_engine(url)
    try:
        app = create_app({"TESTING": True, "DATABASE_URL": url})
        with app.app_context():
            command.upgrade(alembic_config(), "0032")
            columns = {c["name"]: c for c in inspect(engine).get_columns("incidents")}
            assert columns["complaint_id"]["nullable"] and "category_id" in columns
            with engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO incidents (reference, complaint_id, source, error_type, error_message, first_at, "
                    "last_at, count, status) VALUES ('INC-LODGE2', NULL, 'lodging', 'NameError', 'x', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 'open')"))

            command.downgrade(alembic_config(), "0031")
            inspector = inspect(engine)
            columns = {c["name"]: c for c in inspector.get_columns("incidents")}
            assert not columns["complaint_id"]["nullable"] and "category_id" not in columns
            assert {"ix_incidents_complaint_status", "ix_incidents_status_group"} <= {
                i["name"] for i in inspector.get_indexes("incidents")}
            with engine.connect() as conn:
                assert conn.scalar(text("SELECT count(*) FROM incidents")) == 0

            command.upgrade(alembic_config(), "head")
            assert {c["name"] for c in inspect(engine).get_columns("incidents")} >= {"category_id"}
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()
