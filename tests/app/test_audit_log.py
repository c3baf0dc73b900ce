"""The audit log is written in the caller's transaction: the act and its record land or fail together."""
from sqlalchemy import select

from app.models import AuditEntry, Role
from app.services.people import audit


def test_an_entry_lands_with_the_act_and_not_without_it(session, make_user):
    admin, officer = make_user(Role.ADMIN), make_user(Role.DISTRICT_OFFICER)

    audit.record(session, admin, "staff.deactivated", target=officer, reason="left the service")
    officer.active = False
    session.commit()
    audit.record(session, None, "password.forced", target=officer, via="cli")
    session.rollback()

    entries = session.scalars(select(AuditEntry)).all()
    assert [(e.actor_id, e.action, e.target_user_id, e.details) for e in entries] == [
        (admin.id, "staff.deactivated", officer.id, {"reason": "left the service"})
    ]
    assert entries[0].created_at is not None
