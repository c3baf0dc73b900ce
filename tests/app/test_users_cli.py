"""`flask users create-admin` and `flask users reset-password`: the password comes from a prompt or
standard input, never from the command line, and each act is in the audit log."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.cli import users_cli
from app.models import ApiToken, AuditEntry, Role, User, UserSession
from app.services.interop import api_tokens
from app.services.people import accounts, user_sessions


def invoke(app, *args, password="a-long-passphrase-1"):
    return app.test_cli_runner().invoke(args=["users", *args], input=f"{password}\n")


def test_create_admin_reads_the_password_from_stdin_and_records_it(app, session):
    result = invoke(app, "create-admin", "--username", "Admin.Peshawar", "--full-name", "Provincial Administrator")

    assert result.exit_code == 0, result.output
    assert "administrator admin.peshawar created" in result.output
    admin = session.scalar(select(User).where(User.username == "admin.peshawar"))
    assert admin.role is Role.ADMIN and admin.password_hash != "a-long-passphrase-1"
    assert accounts.authenticate(session, "admin.peshawar", "a-long-passphrase-1") == admin
    (entry,) = session.scalars(select(AuditEntry)).all()
    assert (entry.actor_id, entry.action, entry.target_user_id, entry.details) == (
        None, "staff.created", admin.id, {"role": "admin", "via": "cli"})


def test_create_admin_refuses_a_short_password_and_a_taken_username(app, session, make_user):
    taken = make_user(Role.ANALYST)

    short = invoke(app, "create-admin", "--username", "admin.two", "--full-name", "Second Admin", password="short")
    clash = invoke(app, "create-admin", "--username", taken.username, "--full-name", "Second Admin")

    assert short.exit_code == 1 and "error: password: Use at least 12 characters." in short.output
    assert clash.exit_code == 1 and "error: username: This username is taken." in clash.output
    assert session.scalar(select(User).where(User.role == Role.ADMIN)) is None
    assert session.scalars(select(AuditEntry)).all() == []


def test_no_command_takes_a_password_argument():
    # An argument is visible to every user of the machine (ps) and stays in shell history.
    for command in users_cli.commands.values():
        assert all("password" not in (param.name or "") or param.name == "must_change" for param in command.params)


def test_reset_password_signs_out_everywhere_and_asks_for_a_new_one(app, session, make_user):
    officer = make_user(Role.DISTRICT_OFFICER)
    user_sessions.start_session(session, officer, user_agent="Office PC")
    api_tokens.issue_token(session, officer, lifetime=timedelta(days=30))
    session.commit()

    result = invoke(app, "reset-password", officer.username, password="brand-new-passphrase")

    assert result.exit_code == 0, result.output
    session.expire_all()
    assert accounts.authenticate(session, officer.username, "brand-new-passphrase") == officer
    assert accounts.authenticate(session, officer.username, "a-long-passphrase-1") is None
    assert officer.must_change_password is True
    assert session.scalars(select(UserSession).where(UserSession.user_id == officer.id)).all() == []
    assert all(t.revoked_at for t in session.scalars(select(ApiToken).where(ApiToken.user_id == officer.id)))
    (entry,) = session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.target_user_id, entry.details) == (
        "password.reset", officer.id, {"must_change": True, "via": "cli", "sessions_ended": 1, "tokens_revoked": 1})


def test_reset_password_without_a_forced_change(app, session, make_user):
    admin = make_user(Role.ADMIN)
    result = invoke(app, "reset-password", admin.username, "--no-must-change")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert admin.must_change_password is False


def test_reset_password_refuses_unknown_people_citizens_and_weak_passwords(app, session, make_user):
    citizen, analyst = make_user(Role.CITIZEN), make_user(Role.ANALYST)
    before = analyst.password_hash

    unknown = invoke(app, "reset-password", "nobody.here")
    of_citizen = invoke(app, "reset-password", citizen.cnic)
    weak = invoke(app, "reset-password", analyst.username, password="1234")

    assert unknown.exit_code == 1 and "no staff account is called 'nobody.here'" in unknown.output
    assert of_citizen.exit_code == 1
    assert weak.exit_code == 1 and "Use at least 12 characters." in weak.output
    session.expire_all()
    assert analyst.password_hash == before
    assert session.scalars(select(AuditEntry)).all() == []
