"""Shared fixtures: a migrated database (SQLite, or PostgreSQL with TEST_DATABASE_URL),
a fresh app per test, user factories and a sign-in helper.

The schema is migrated once per run with Alembic; after each test the rows a
test can create are deleted, keeping the seeded organisation and the first
deployed diagram.
"""
from __future__ import annotations

import itertools
import shutil
import sqlite3
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, event, insert, make_url, select, text, update
from sqlalchemy import inspect as sa_inspect
from flask import Flask
from jinja2 import BytecodeCache
from werkzeug.routing import rules as werkzeug_rules

from app import create_app
from app.db import make_engine, make_session_factory
from app.models import (
    Base,
    AuditEntry,
    Closure,
    AGGREGATES,
    Category,
    Department,
    Office,
    ApiKey,
    ApiToken,
    IdempotencyKey,
    Notification,
    RateLimitCounter,
    RecoveryCode,
    SecondFactor,
    Attachment,
    Complaint,
    DecisionFileRow,
    ComplaintEvent,
    ComplaintSupporter,
    District,
    HumanTask,
    Incident,
    ProcessDefinition,
    ProcessInstance,
    Role,
    User,
    UserSession,
    VerificationCode,
    WorkerHeartbeat,
)
from app.services.people import accounts
from app.services import organisation
from app.services.casework import deployments

ROOT = Path(__file__).resolve().parent.parent


def _reuse_url_builders():
    """Make a new app per test cheaply: Werkzeug compiles two Python functions per URL rule when an app is
    made (about 120 ms for the portal's rules, most of a test's set-up), and the suite makes an app per test.
    The compiled builder depends only on the rule's parsed parts (it reads the rule's converters when called),
    so one compiled for an identical rule before is reused. Rules with a default for one of their variables
    are compiled as usual (the default is baked into the code). Test-only: a running portal makes its app once.
    """
    compile_builder = werkzeug_rules.Rule._compile_builder
    compiled = {}

    def reused(rule, append_unknown=True):
        defaults = rule.defaults or {}
        if any(dynamic and name in defaults for dynamic, name in rule._trace):
            return compile_builder(rule, append_unknown)
        key = (tuple(rule._trace), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    werkzeug_rules.Rule._compile_builder = reused


class _TemplatesCompiledOnce(BytecodeCache):
    """Jinja compiles a template to Python the first time an app renders it (most of a page test's time,
    since every test has a new app); the apps of one run share the compiled code, kept in memory. A
    template's entry is keyed by its name and the checksum of its source, so an edited template compiles anew."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


def _share_compiled_templates():
    make_environment = Flask.create_jinja_environment
    shared = _TemplatesCompiledOnce()

    def with_shared_cache(flask_app):
        environment = make_environment(flask_app)
        environment.bytecode_cache = shared
        return environment

    Flask.create_jinja_environment = with_shared_cache


@event.listens_for(Engine, "connect")
def _no_fsync_for_throwaway_databases(dbapi_connection, _record):
    """The suite's SQLite files are thrown away after the run: no fsync at each commit (about 9 ms each).
    The portal itself keeps SQLite's default, durable across a power cut."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


_reuse_url_builders()
_share_compiled_templates()
PASSWORD = "correct-horse-1"


@pytest.fixture(scope="session")
def db_url(tmp_path_factory):
    """A fresh, migrated database for this run, seeded with the organisation and the diagram.

    With TEST_DATABASE_URL (PostgreSQL) each run gets its own database, created
    beside the given one and dropped afterwards, so runs side by side never meet.
    """
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = make_url(base)
        name = f"{url.database}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = make_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        test_url = url.set(database=name).render_as_string(hide_password=False)
    else:
        test_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": test_url})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = make_engine(test_url)
    with make_session_factory(engine)() as session:
        organisation.seed_organisation(session)
        deployments.deploy_file(session, ROOT / "bpmn" / "complaint.bpmn", note="the province's process as shipped")
        session.commit()
    engine.dispose()
    yield test_url
    if base:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def app(db_url, engine, tmp_path):
    app = create_app(
        {"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(tmp_path / "uploads"), "WTF_CSRF_ENABLED": False}
    )
    yield app
    app.extensions["db_engine"].dispose()
    reset_database(engine)


# What tests write: emptied after every test (`reset_database`), with the users.
WRITTEN = (
    *AGGREGATES,
    Incident,
    AuditEntry,
    Closure,
    WorkerHeartbeat,
    Notification,
    VerificationCode,
    UserSession,
    SecondFactor,
    RecoveryCode,
    IdempotencyKey,
    ApiToken,
    ApiKey,
    RateLimitCounter,
    ComplaintSupporter,
    ComplaintEvent,
    HumanTask,
    ProcessInstance,
    Attachment,
    Complaint,
)


def reset_database(engine):
    """Delete what tests create; keep the organisation and the first diagram version."""
    tables = [m.__tablename__ for m in WRITTEN]
    with engine.begin() as conn:
        # The timeline refuses row deletes (a trigger); emptying the tables is an operator's act.
        if engine.dialect.name == "postgresql":
            # Triggers (the timeline's guard, the foreign keys' checks) do not fire in replica mode, for this
            # transaction only. DELETE, not TRUNCATE: TRUNCATE makes new files for every table, 0.4–0.6 s
            # a test on a busy machine against about 15 ms for deleting the few rows a test wrote.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS complaint_events_no_delete"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text(_SQLITE_NO_DELETE))
        first = conn.scalar(select(ProcessDefinition.id).order_by(ProcessDefinition.id).limit(1))
        conn.execute(delete(DecisionFileRow).where(DecisionFileRow.definition_id != first))
        conn.execute(delete(ProcessDefinition).where(ProcessDefinition.id != first))
        conn.execute(update(ProcessDefinition).values(is_default=True, deployed_by_id=None))
        conn.execute(update(User).values(blocked_by_id=None))
        conn.execute(delete(User))
        _restore_place_names(conn)
        _restore_departments(conn)


def _restore_place_names(conn):
    """Put back the seeded Urdu and Pashto names a test (the admin's page) changed."""
    for kind, entries in organisation.seeded_names().items():
        model = organisation.PLACE_KINDS[kind]
        stored = {code: (ur, ps) for code, ur, ps in conn.execute(select(model.code, model.name_ur, model.name_ps))}
        for code, names in entries.items():
            if code in stored and stored[code] != names:
                conn.execute(update(model).where(model.code == code).values(name_ur=names[0], name_ps=names[1]))


def _restore_departments(conn):
    """Take away the departments and categories a test added (with their offices); put back the seeded English
    names and make every seeded one active again (the admin's departments page)."""
    from app import organisation_data as data

    departments = {d["code"]: d for d in data.DEPARTMENTS}
    categories = {c["code"]: c for d in data.DEPARTMENTS for c in d["categories"]}
    added = select(Department.id).where(Department.code.not_in(departments))
    conn.execute(delete(Office).where(Office.department_id.in_(added)))
    conn.execute(delete(Category).where(Category.code.not_in(categories) | Category.department_id.in_(added)))
    conn.execute(delete(Department).where(Department.code.not_in(departments)))
    for model, seeded in ((Department, departments), (Category, categories)):
        for code, name, active in conn.execute(select(model.code, model.name, model.active)).all():
            if name != seeded[code]["name"] or not active:
                conn.execute(update(model).where(model.code == code).values(name=seeded[code]["name"], active=True))


_SQLITE_NO_DELETE = """
CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
BEGIN SELECT RAISE(ABORT, 'complaint_events is append-only'); END
"""


class SavedRows:
    """The rows a module's costly set-up wrote, read once and written back before each of its tests.

    For a module whose many tests each need the same world (`BuiltOnce`; tests/app/test_access_matrix.py: about
    1,460 cells, and building its world was 0.29 of a cell's 0.5 s): build it once, keep its rows, let
    `reset_database` empty the tables after each test as usual, and put the rows back before the next one. Only what
    `reset_database` empties is kept (WRITTEN and the users): a set-up that changes the organisation or
    deploys a diagram cannot be saved so.
    """

    def __init__(self, engine):
        names = {model.__tablename__ for model in WRITTEN} | {User.__tablename__}
        tables = [table for table in Base.metadata.sorted_tables if table.name in names]
        with engine.connect() as conn:
            # By primary key: a row that points at another of its table (a citizen blocked by a DC) comes after it.
            self.rows = [(table, [row._asdict() for row in conn.execute(select(table).order_by(*table.primary_key))])
                         for table in tables]

    def write_back(self, engine) -> None:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))  # as in reset_database
            else:
                conn.execute(text("PRAGMA defer_foreign_keys = ON"))  # checked at the commit, in any order
            for table, rows in self.rows:
                if rows:
                    conn.execute(insert(table), rows)


class BuiltOnce:
    """A world built once for a module on an app of its own, and put back before each of its tests.

    `build(app, session, make_user, places)` makes it and returns what tests need of it: a dict whose values are
    plain (ids, codes) or rows (ORM objects). Kept: the rows written (`SavedRows`), the files stored, the rows'
    identities and `tests.app.helpers.snapshot` of the database; then the database is emptied as after a test.
    `put_back(app, session)` writes it all back for one test, checks the snapshot is the same again, and
    returns the dict with each row read anew in that test's session.
    """

    def __init__(self, db_url, engine, tmp_path_factory, build):
        from tests.app.helpers import cheap_password_hashing, snapshot

        self.engine, self.uploads = engine, tmp_path_factory.mktemp("built-once") / "uploads"
        builder = create_app({"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(self.uploads),
                              "WTF_CSRF_ENABLED": False})
        with pytest.MonkeyPatch.context() as patch, builder.extensions["db_sessions"]() as session:
            cheap_password_hashing(patch)
            places = seeded_places(session)
            built = build(builder, session, user_maker(session, places), places)
            self.refs = {name: self._ref(value) for name, value in built.items()}
            self.state = snapshot(session)
        self.rows = SavedRows(engine)
        builder.extensions["db_engine"].dispose()
        reset_database(engine)

    @classmethod
    def _ref(cls, value):
        """A row as its model and identity (inside dicts too), anything else as it is."""
        if isinstance(value, dict):
            return {key: cls._ref(item) for key, item in value.items()}
        row = sa_inspect(value, raiseerr=False)
        return _RowRef(type(value), row.identity) if row is not None and getattr(row, "identity", None) else value

    @classmethod
    def _read(cls, session, ref):
        if isinstance(ref, dict):
            return {key: cls._read(session, item) for key, item in ref.items()}
        return session.get(ref.model, ref.identity) if isinstance(ref, _RowRef) else ref

    def put_back(self, app, session) -> dict:
        from tests.app.helpers import snapshot

        self.rows.write_back(self.engine)
        if self.uploads.exists():
            shutil.copytree(self.uploads, app.config["UPLOAD_DIR"], dirs_exist_ok=True)
        assert snapshot(session) == self.state, "the saved world did not come back whole"
        return self._read(session, self.refs)


@dataclass(frozen=True)
class _RowRef:
    model: type
    identity: tuple


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request, monkeypatch):
    """Passwords hashed with one round of PBKDF2, not scrypt: the suite makes thousands of users and scrypt
    costs 0.1–0.2 s each (a fifth of a test's time on average). The marker `real_password_hashing` keeps the
    portal's own (tests/app/test_account.py checks that it is scrypt); the browser tests' portal runs as built."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        from tests.app.helpers import cheap_password_hashing

        cheap_password_hashing(monkeypatch)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def session(app):
    """A database session outside any request, as a job or CLI command has."""
    with app.extensions["db_sessions"]() as session:
        yield session


@pytest.fixture()
def places(session):
    """Two districts of one division and one of another, for scope tests."""
    return seeded_places(session)


def seeded_places(session) -> dict[str, District]:
    peshawar = session.scalar(select(District).where(District.name == "Peshawar"))
    nowshera = session.scalar(select(District).where(District.name == "Nowshera"))
    mardan = session.scalar(select(District).where(District.name == "Mardan"))
    assert peshawar.division_id == nowshera.division_id != mardan.division_id
    return {"peshawar": peshawar, "nowshera": nowshera, "mardan": mardan}


_counter = itertools.count(1)


@pytest.fixture()
def make_user(session, places):
    """make_user(Role.X, district=..., department=...) -> a committed user."""
    return user_maker(session, places)


def user_maker(session, places):
    """The `make_user` fixture's function, for a set-up of wider scope than a test."""

    def make(role: Role, *, district: District | None = None, department_id: int | None = None, name: str = ""):
        n = next(_counter)
        district = district or places["peshawar"]
        if role is Role.CITIZEN:
            # An existing citizen, number confirmed; registering (with its SMS code) is tested in tests/app/test_account.py.
            user = accounts.create_citizen(
                session,
                accounts.Registration(
                    name or f"Citizen {n}", f"{1730100000000 + n:013d}", f"03{n:09d}", district.id, PASSWORD, PASSWORD
                ),
            )
        else:
            if role is Role.DISTRICT_OFFICER and department_id is None:
                department_id = organisation.departments(session)[0].id
            user = accounts.create_staff(
                session,
                accounts.StaffInput(
                    role=role,
                    full_name=name or f"{role.label} {n}",
                    username=f"{role.value}.{n}",
                    password=PASSWORD,
                    district_id=district.id if role in (Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER) else None,
                    division_id=district.division_id if role is Role.COMMISSIONER else None,
                    department_id=department_id,
                ),
            )
        session.commit()
        return user

    return make


def login(client, user: User) -> str:
    """Sign in without the form (the form itself is tested once in test_auth): a browser session row, as
    signing in writes, and its key in the Flask session. Returns the key.

    Staff are signed in as if they had given their second factor's code too (its own steps are tested in
    tests/app/test_second_factor.py)."""
    from app.services.people import user_sessions
    from app.web import SESSION_KEY

    with client.application.extensions["db_sessions"]() as session:
        key = user_sessions.start_session(session, user, user_agent="test client", address="127.0.0.1",
                                          second_factor=user.is_staff)
        session.commit()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = user.get_id()
        flask_session["_fresh"] = True
        flask_session[SESSION_KEY] = key
    return key


def pytest_collection_modifyitems(config, items):
    """The restore drill (tests/drill, marker `drill`) runs on its own, `pytest -m drill` from .ci/run
    after `make test`: never in the suite's passes, whatever other marker expression they use. On
    PostgreSQL only the tests that use the database run."""
    if "drill" in (config.getoption("markexpr") or ""):
        return
    _deselect(config, items, lambda item: item.get_closest_marker("drill"))
    if os.environ.get("TEST_DATABASE_URL"):
        # The PostgreSQL pass runs the tests that open the suite's database; the rest (the engine, the
        # catalogues, the wheel) give the same result on any database and run once, in the SQLite pass.
        _deselect(config, items, lambda item: "db_url" not in getattr(item, "fixturenames", ()))


def _deselect(config, items, left_out) -> None:
    dropped = [item for item in items if left_out(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not left_out(item)]
