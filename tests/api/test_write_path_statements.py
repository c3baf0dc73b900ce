"""The statements a lodging and a task completion send (issue 16): each costs a round trip and about a
millisecond of the ORM's and the driver's CPU, so a new one on these paths should be a decision.

What one lodging writes (complaint, process, inbox, timeline, messages, counts, key, rate count) is
tested elsewhere; here, that it goes in these statements and no others."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine.interfaces import CacheStats

from app.models import Channel, Complaint, Notification, Role
from app.services.casework.complaints import tracking_number
from tests.app.helpers import DESCRIPTION, category, open_tasks

AUTH = ["SELECT api_tokens"]


def kind(statement: str) -> str:
    """"SELECT users", "INSERT notifications", "UPDATE complaints"; the aggregates of one change written
    in one statement (PostgreSQL): "UPSERT stat_cells stat_days"."""
    words = statement.split()
    while (inner := re.sub(r"\([^()]*\)", "", statement)) != statement:  # subqueries and lists left out
        statement = inner
    if words[0] == "WITH":
        return "UPSERT " + " ".join(sorted(re.findall(r"INSERT INTO (stat_\w+)", " ".join(words))))
    if words[0] == "SELECT":
        return "SELECT " + re.search(r"\bFROM (\w+)", statement).group(1)
    return f"{words[0]} {words[2] if words[0] == 'INSERT' else words[1]}"


class Sent(list):
    """The statements' kinds; `compiled`: those SQLAlchemy compiled afresh (not from its cache): after a warm-up
    none should be (a statement it cannot cache is compiled at every request: ms of CPU)."""

    def __init__(self):
        super().__init__()
        self.compiled = []


@contextmanager
def statements(app):
    """The kinds of the statements sent while the block runs. SQLite sends each row whose INSERT must return
    its id on its own (PostgreSQL several in one): there a run of INSERTs into one table counts as one."""
    sent = Sent()
    sqlite = app.extensions["db_engine"].dialect.name == "sqlite"

    def record(_conn, _cursor, statement, _parameters, context, _many):
        if statement.split()[0] in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
            this = kind(statement)
            if context.compiled is not None and context.cache_hit is not CacheStats.CACHE_HIT:
                sent.compiled.append(this)
            if not (sqlite and this.startswith("INSERT") and sent and sent[-1] == this):
                sent.append(this)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def aggregates(session, *tables: str) -> list[str]:
    """PostgreSQL upserts one change's aggregate rows in one statement, SQLite one per table."""
    if postgresql(session):
        return ["UPSERT " + " ".join(sorted(tables))]
    return [f"INSERT {table}" for table in tables]


@pytest.fixture()
def desk(api, make_user, places):
    """A citizen, the DC of Peshawar and an officer, each with a bearer client already used once (a token's
    first use writes its last_used_at, then not for minutes: test_auth)."""
    users = {"citizen": make_user(Role.CITIZEN), "dc": make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"]),
             "officer": make_user(Role.DISTRICT_OFFICER, district=places["peshawar"])}
    clients = {name: api.as_(user) for name, user in users.items()}
    for client in clients.values():
        assert client.get("/me").status_code == 200
    return users, clients


def lodging(session, places) -> dict:
    return {"category_id": category(session).id, "district_id": places["peshawar"].id, "subject": "Overflowing drain",
            "description": DESCRIPTION}


def lodge(clients, body: dict, key: str) -> int:
    response = clients["citizen"].post("/complaints", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def messages(session, complaint_id: int) -> set:
    return set(session.execute(select(Notification.user_id, Notification.channel).where(
        Notification.complaint_id == complaint_id)).all())


def test_a_lodging(app, session, desk, places):
    users, clients = desk
    body = lodging(session, places)
    lodge(clients, body, "warm-up")  # the diagram parsed, the statements made once
    with statements(app) as sent:
        complaint_id = lodge(clients, body, "measured")

    assert sent == [
        *AUTH, "SELECT idempotency_keys", "INSERT rate_limit_counters",
        # With the category and district: the process's default version and the district's DCs.
        "SELECT categories",
        # PostgreSQL: the complaint's id is reserved with that query, and its row inserted whole with its number
        # and first deadline; SQLite inserts it for its id and then updates its number and deadline.
        *(lodging_rows_on_postgresql() if postgresql(session) else [
            "INSERT complaints", "UPDATE complaints", "INSERT complaint_events", "INSERT process_instances",
            "INSERT human_tasks", "INSERT idempotency_keys",
            "INSERT notifications",  # the citizen's and the DCs' messages together
        ]),
        *aggregates(session, "stat_cells", "stat_days", "stat_open_days"),
    ]
    assert sent.compiled == []
    complaint = session.get(Complaint, complaint_id)
    assert complaint.tracking_number == tracking_number(complaint_id, complaint.created_at)
    assert complaint.next_deadline_at is not None
    told = messages(session, complaint_id)
    assert {(users["citizen"].id, Channel.IN_APP), (users["dc"].id, Channel.IN_APP)} <= told
    assert {user for user, _ in told} == {users["citizen"].id, users["dc"].id}


def lodging_rows_on_postgresql() -> list[str]:
    """PostgreSQL writes the lodging's rows below the ORM (app/models/direct_writes.py): the ids of the new
    instance, inbox row and timeline line from their sequences in one query (the DC's message links to the
    task), then a Core INSERT per table in the order of the foreign keys, the messages together, the key last."""
    return ["SELECT generate_series", "INSERT complaints", "INSERT complaint_events", "INSERT process_instances",
            "INSERT human_tasks", "INSERT notifications", "INSERT idempotency_keys"]


def step_rows_on_postgresql() -> list[str]:
    """A task done on PostgreSQL: the new inbox row's and timeline line's ids in one query (the next holder's
    message links to the task), the new rows as Core INSERTs, the instance (checked against its version) and
    the complaint as Core UPDATEs, then the flush's UPDATE of the inbox row done."""
    return ["SELECT generate_series", "INSERT complaint_events", "INSERT human_tasks", "INSERT notifications",
            "UPDATE process_instances", "UPDATE complaints", "UPDATE human_tasks"]


def test_the_dc_assigns_and_the_officer_resolves(app, session, desk, places):
    users, clients = desk
    body = lodging(session, places)
    officer = users["officer"].full_name
    assignment = {"decision": "assign", "officer_id": users["officer"].id, "instruction": "Please see to it."}
    resolution = {"outcome": "resolved", "action_taken": "The drain was cleared and the cover fixed."}
    for key in ("warm-up", "measured"):
        complaint_id = lodge(clients, body, key)
        triage = open_tasks(session, session.get(Complaint, complaint_id))[0].id
        with statements(app) as assigning:
            response = clients["dc"].post(f"/tasks/{triage}/completion", json=assignment)
        assert response.status_code == 200, response.get_json()
        # The answer names the new step's officer: held by the session, not read again after the commit.
        assert response.get_json()["next_steps"][0]["assignee"]["name"] == officer
        work = open_tasks(session, session.get(Complaint, complaint_id))[0].id
        with statements(app) as resolving:
            response = clients["officer"].post(f"/tasks/{work}/completion", json=resolution)
        assert response.status_code == 200, response.get_json()

    read_the_step = [*AUTH, "SELECT human_tasks", "SELECT process_instances", "SELECT human_tasks", "SELECT complaints"]
    assert assigning == [
        *read_the_step,
        # The form's officers (the one chosen stays in the session) and the districts to transfer to.
        "SELECT users", "SELECT districts",
        *(step_rows_on_postgresql() if postgresql(session) else [
            "UPDATE complaints",  # the officer and the status in one
            "INSERT complaint_events",
            "UPDATE process_instances", "UPDATE human_tasks", "INSERT human_tasks",
            "INSERT notifications",  # the citizen's and the officer's together
        ]),
        *aggregates(session, "stat_cells", "stat_officers"),
    ]
    assert assigning.compiled == []
    assert resolving == [
        *read_the_step,
        # Nobody supports it and no failed try left an incident open (read with the complaint): neither
        # the supporters nor the incidents to resolve are looked for.
        *(step_rows_on_postgresql() if postgresql(session) else [
            "UPDATE complaints", "INSERT complaint_events", "INSERT notifications",
            "UPDATE process_instances", "UPDATE human_tasks", "INSERT human_tasks",
        ]),
        *aggregates(session, "stat_cells", "stat_days", "stat_officers", "stat_resolution_hours"),
    ]
    assert resolving.compiled == []
    told = messages(session, complaint_id)
    assert {(users["officer"].id, Channel.IN_APP), (users["citizen"].id, Channel.IN_APP)} <= told
