"""Delivering the outbox: pending SMS and email rows go to their gateways.

Each notification is sent in its own transaction: the row is locked (FOR UPDATE
SKIP LOCKED on PostgreSQL, so several deliverers share the work and never take
the same row), rendered, handed to its sender, and marked SENT in that same
transaction right after the gateway accepted it. A failure counts an attempt
and schedules the next one with exponential backoff; after the last attempt the
row is PARKED for an administrator to look at and retry. A message with nowhere
to go (no gateway for its channel, no number or address) is UNDELIVERABLE at
once: it is never marked SENT.

Delivery is at least once, never knowingly twice. The one window: the gateway
has accepted a message and the process dies (or the database fails) before the
commit that marks it SENT. The row is then still PENDING and is sent again on
the next round. Email carries a Message-ID per row, so a duplicate can be
recognised; an SMS duplicate cannot.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from ...models import Channel, DeliveryStatus, Notification, Role, User, utcnow
from ..operations import metrics
from .channels import Sender, Undeliverable
from ..errors import Conflict, NotAllowed, NotFound
from .outbox import OUTBOX_FLAG, render

log = logging.getLogger(__name__)

LONGEST_RETRY = timedelta(hours=6)


@dataclass(frozen=True)
class DeliverySettings:
    base_url: str = ""
    batch: int = 100
    max_attempts: int = 6
    first_retry: timedelta = timedelta(minutes=1)

    @classmethod
    def from_settings(cls, settings: Mapping) -> DeliverySettings:
        return cls(
            base_url=settings["PUBLIC_BASE_URL"],
            batch=int(settings["NOTIFY_BATCH"]),
            max_attempts=int(settings["NOTIFY_MAX_ATTEMPTS"]),
            first_retry=timedelta(seconds=int(settings["NOTIFY_RETRY_SECONDS"])),
        )


@dataclass
class DeliveryResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # will be retried
    parked: list[int] = field(default_factory=list)
    undeliverable: list[int] = field(default_factory=list)  # nowhere to send them: never retried


def deliver_due(
    session_factory: sessionmaker[Session],
    senders: Mapping[Channel, Sender],
    settings: DeliverySettings,
    *,
    now: datetime | None = None,
) -> DeliveryResult:
    """Send every notification due now, batch after batch, each in its own transaction."""
    now = now or utcnow()
    total = DeliveryResult()
    while True:
        with session_factory() as session:
            due = session.scalars(
                select(Notification.id)
                .where(Notification.status == DeliveryStatus.PENDING, Notification.next_attempt_at <= now)
                .order_by(Notification.next_attempt_at, Notification.id)
                .limit(settings.batch)
            ).all()
        sent_before = len(total.sent)
        for notification_id in due:
            _deliver_one(session_factory, senders, settings, notification_id, now, total)
        # A short batch means nothing more is due; a batch that sent nothing is
        # failing or taken by other deliverers: stop rather than spin.
        if len(due) < settings.batch or len(total.sent) == sent_before:
            return total


def _deliver_one(session_factory, senders, settings, notification_id, now, result) -> None:
    with session_factory() as session:
        if session.get_bind().dialect.name == "sqlite":
            # SQLite has no row locks: take its write lock first, so a second
            # deliverer waits here and then finds the row already sent.
            session.execute(
                update(Notification).where(Notification.id == notification_id).values(attempts=Notification.attempts)
            )
        notification = session.scalar(
            select(Notification)
            .where(
                Notification.id == notification_id,
                Notification.status == DeliveryStatus.PENDING,
                Notification.next_attempt_at <= now,
            )
            .with_for_update(skip_locked=True)
        )
        if notification is None:  # another deliverer holds it, or it is done
            return
        notification.attempts += 1
        try:
            notification.subject, notification.body = render(notification, base_url=settings.base_url)
            senders[notification.channel].send(notification)
        except Undeliverable as error:
            notification.status, notification.next_attempt_at = DeliveryStatus.UNDELIVERABLE, None
            notification.last_error = str(error)[:2000]
            result.undeliverable.append(notification.id)
            outcome = "undeliverable"
        except Exception as error:
            _record_failure(notification, error, settings)
            parked = notification.status is DeliveryStatus.PARKED
            (result.parked if parked else result.failed).append(notification.id)
            outcome = "parked" if parked else "failed"
        else:
            notification.status, notification.sent_at, notification.last_error = DeliveryStatus.SENT, utcnow(), None
            notification.next_attempt_at = None
            result.sent.append(notification.id)
            outcome = "sent"
        session.commit()
        metrics.observe_delivery(notification.channel, outcome, written_at=notification.created_at,
                                 sent_at=notification.sent_at)


def _record_failure(notification: Notification, error: Exception, settings: DeliverySettings) -> None:
    notification.last_error = f"{type(error).__name__}: {error}"[:2000]
    if notification.attempts >= settings.max_attempts:
        notification.status, notification.next_attempt_at = DeliveryStatus.PARKED, None
        log.error("notification %s parked after %s attempts: %s", notification.id, notification.attempts, error)
        return
    delay = min(settings.first_retry * 2 ** (notification.attempts - 1), LONGEST_RETRY)
    notification.next_attempt_at = utcnow() + delay
    log.warning("notification %s failed (attempt %s), retrying in %s: %s", notification.id, notification.attempts, delay, error)


def deliver_after_commit(session_factory: sessionmaker[Session], deliver_soon: Callable[[], object]) -> None:
    """After each commit that wrote SMS or email rows, call `deliver_soon` (e.g. enqueue a job).

    It must not raise: the change is committed whatever happens to the hint, and
    the scheduled delivery picks the rows up anyway.
    """

    @event.listens_for(session_factory, "after_commit")
    def _committed(session):
        if session.info.pop(OUTBOX_FLAG, False):
            deliver_soon()

    @event.listens_for(session_factory, "after_rollback")
    def _rolled_back(session):
        session.info.pop(OUTBOX_FLAG, None)


# Administrators --------------------------------------------------------------

def _check_admin(user: User) -> None:
    if user.role is not Role.ADMIN:
        raise NotAllowed(_l("only an administrator manages notification delivery"))


def troubled_notifications(session: Session, admin: User, *, limit: int = 200) -> list[Notification]:
    """Parked and undeliverable notifications and those still retrying after a failure, newest first."""
    _check_admin(admin)
    return list(
        session.scalars(
            select(Notification)
            .options(joinedload(Notification.user))
            .where(
                or_(
                    Notification.status.in_([DeliveryStatus.PARKED, DeliveryStatus.UNDELIVERABLE]),
                    (Notification.status == DeliveryStatus.PENDING) & (Notification.attempts > 0),
                )
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def outbox_counts(session: Session, admin: User) -> dict[str, int]:
    """How many notifications wait, how many are parked and how many could go nowhere (the outbox index answers it)."""
    _check_admin(admin)
    troubled = (DeliveryStatus.PENDING, DeliveryStatus.PARKED, DeliveryStatus.UNDELIVERABLE)
    rows = session.execute(
        select(Notification.status, func.count())
        .where(Notification.status.in_(troubled))
        .group_by(Notification.status)
    ).all()
    counts = {status.value: 0 for status in troubled}
    counts.update({status.value: count for status, count in rows})
    return counts


def retry_notification(session: Session, admin: User, notification_id: int, *, now: datetime | None = None) -> Notification:
    """Send a parked (or still retrying) notification again at the next delivery round."""
    _check_admin(admin)
    notification = session.get(Notification, notification_id)
    if notification is None or notification.channel is Channel.IN_APP:
        raise NotFound(f"notification {notification_id}")
    if notification.status is DeliveryStatus.SENT:
        raise Conflict(_l("This notification was already sent."))
    _requeue(notification, now or utcnow())
    session.flush()
    return notification


def retry_parked(session: Session, admin: User, *, now: datetime | None = None) -> int:
    _check_admin(admin)
    parked = session.scalars(select(Notification).where(Notification.status == DeliveryStatus.PARKED)).all()
    for notification in parked:
        _requeue(notification, now or utcnow())
    session.flush()
    return len(parked)


def _requeue(notification: Notification, now: datetime) -> None:
    # A fresh series of attempts; the last error stays until a delivery succeeds.
    notification.status, notification.attempts, notification.next_attempt_at = DeliveryStatus.PENDING, 0, now
    session = Session.object_session(notification)
    if session is not None:
        session.info[OUTBOX_FLAG] = True
