"""The daily digest of new escalations for Commissioners and the Chief Secretary.

They do not get a message per escalation (a busy division escalates dozens a
day); once a day each gets one email and one in-app notification listing the
escalations in their scope since their previous digest. Nothing new, no digest.

Safe to run from several workers at once and more than once a day: each
recipient is handled in its own transaction that first locks their user row,
and a recipient who already has today's digest (Pakistan time) is skipped.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ...models import Complaint, District, HumanTask, Notification, Role, User, utcnow
from .outbox import DIGEST_CHANNELS, PAKISTAN_TIME, queue

log = logging.getLogger(__name__)

TEMPLATE = "escalation_digest"
LISTED = 20  # escalations named in the message; the rest are counted
FIRST_WINDOW = timedelta(days=1)


def send_escalation_digests(session_factory: sessionmaker[Session], *, now: datetime | None = None) -> int:
    """Queue today's digest for every Commissioner and the Chief Secretary; returns how many got one."""
    now = now or utcnow()
    with session_factory() as session:
        recipients = session.scalars(
            select(User.id)
            .where(User.role.in_([Role.COMMISSIONER, Role.CHIEF_SECRETARY]), User.active.is_(True))
            .order_by(User.id)
        ).all()
    sent = 0
    for user_id in recipients:
        with session_factory() as session:
            try:
                if queue_digest(session, user_id, now=now):
                    sent += 1
                session.commit()
            except Exception:
                session.rollback()
                log.exception("escalation digest for user %s failed", user_id)
    return sent


def queue_digest(session: Session, user_id: int, *, now: datetime) -> bool:
    """One recipient's digest, if they have none today and something escalated since the last one."""
    # The row lock makes a second run for the same person wait, then see this digest.
    user = session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None or not user.is_active:
        return False
    last = session.scalar(
        select(func.max(Notification.created_at)).where(Notification.user_id == user.id, Notification.template == TEMPLATE)
    )
    if last is not None and _pk_day(last) == _pk_day(now):
        return False
    since = last or now - FIRST_WINDOW
    escalations = (
        select(HumanTask.escalation_level, HumanTask.role, Complaint.tracking_number, Complaint.subject,
               District.name, District.name_ur, District.name_ps)
        .join(Complaint, Complaint.id == HumanTask.complaint_id)
        .join(District, District.id == Complaint.district_id)
        .where(HumanTask.escalation_level.is_not(None), HumanTask.created_at > since, HumanTask.created_at <= now)
    )
    if user.role is Role.COMMISSIONER:
        escalations = escalations.where(HumanTask.division_id == user.division_id)
    count = session.scalar(select(func.count()).select_from(escalations.subquery()))
    if not count:
        return False
    listed = session.execute(escalations.order_by(HumanTask.created_at, HumanTask.id).limit(LISTED)).all()
    context = {
        "count": count,
        "since": since.isoformat(),
        "until": now.isoformat(),
        "escalations": [
            {"tracking_number": number, "complaint_subject": subject, "district": name, "district_ur": name_ur,
             "district_ps": name_ps, "level": level, "role": role.value}
            for level, role, number, subject, name, name_ur, name_ps in listed
        ],
        "path": "/complaints?escalated=1",
    }
    return queue(session, user, TEMPLATE, context, DIGEST_CHANNELS, now=now) > 0


def _pk_day(moment: datetime):
    return moment.astimezone(PAKISTAN_TIME).date()
