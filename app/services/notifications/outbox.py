"""Who hears about what: events of a complaint become notification rows.

Every function here only adds rows to the session of the change that caused
them, so a notification exists exactly when its cause was committed (a
transactional outbox). In-app messages are complete at once; SMS and email wait
as PENDING rows until `delivery.deliver_due` sends them, rendered then with the
portal's public address for links.

Citizens hear by SMS and in-app; District Officers and Deputy Commissioners by
SMS, email and in-app; Commissioners and the Chief Secretary get a daily digest
instead of a message per escalation (`digests.py`). A channel is skipped when
the user has no address for it.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import jinja2
from babel.dates import format_date
from flask_babel import force_locale, get_locale
from sqlalchemy import exists, func, inspect, select, update
from sqlalchemy.orm import Session

from ...models import (
    ROLE_LABELS, Channel, Complaint, ComplaintEvent, ComplaintSupporter, DeliveryStatus, HumanTask, Notification,
    ProcessInstance, Role, User, direct_writes, utcnow,
)
from ...place_names import name_in
from ..errors import NotFound

log = logging.getLogger(__name__)

MESSAGES_DIR = Path(__file__).resolve().parents[2] / "templates" / "notifications"
# A language without its own file of a message gets the English one (the translator writes it later).
LANGUAGES = ("en", "ur", "ps")
# Set on a session that added SMS or email rows; its commit asks a worker to deliver them.
OUTBOX_FLAG = "notifications.outbox"

CITIZEN_CHANNELS = (Channel.SMS, Channel.IN_APP)
STAFF_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.IN_APP)
DIGEST_CHANNELS = (Channel.EMAIL, Channel.IN_APP)

# Timeline events (kinds written by the task forms and services) that the citizen hears about.
CITIZEN_EVENTS = {
    "lodged": "complaint_received",
    "assigned": "complaint_assigned",
    "resolved": "complaint_resolved",
    "reopened": "complaint_reopened",
}
# What a citizen may choose not to get by SMS (they always come in-app). Security
# messages (codes, warnings) are not among them: those always come.
OPTIONAL_SMS = (
    "complaint_received",
    "complaint_assigned",
    "complaint_escalated",
    "complaint_resolved",
    "complaint_reopened",
    "complaint_closed",
)
# New tasks of these lanes are announced one by one; the higher tiers get the digest.
ANNOUNCED_LANES = {Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER}

PAKISTAN_TIME = timezone(timedelta(hours=5), "PKT")


def notify_user_registered(session: Session, user: User, *, now: datetime | None = None) -> None:
    queue(session, user, "registered", {"name": user.full_name, "path": "/login"}, CITIZEN_CHANNELS, now=now)


def notify_complaint_event(session: Session, complaint: Complaint, kind: str, *, now: datetime | None = None,
                           supported: bool = True) -> None:
    """Tell the citizen about a timeline event of their complaint, if it is one they hear about.

    `supported`: False when the caller read that no citizen supports the complaint (they are not looked for)."""
    template = CITIZEN_EVENTS.get(kind)
    if template:
        _tell_citizen(session, complaint, template, complaint_context(complaint), now=now)
    if kind == "resolved" and supported:
        notify_supporters(session, complaint, now=now)


def supporters_of(complaint_id):
    """Whether any citizen supports the complaint (an id, or a column to correlate with): an EXISTS."""
    return exists().where(ComplaintSupporter.complaint_id == complaint_id)


def notify_supporters(session: Session, complaint: Complaint, *, now: datetime | None = None) -> None:
    """In-app only, to the citizens who added their voice: the complaint is resolved.

    Without a link: a supporter may not open another citizen's complaint.
    """
    context = {key: value for key, value in complaint_context(complaint).items() if key != "path"}
    supporters = session.scalars(
        select(User).join(ComplaintSupporter, ComplaintSupporter.citizen_id == User.id)
        .where(ComplaintSupporter.complaint_id == complaint.id).order_by(User.id)
    )
    for supporter in supporters:
        queue(session, supporter, "supported_complaint_resolved", context, (Channel.IN_APP,), complaint=complaint, now=now)


def notify_process_move(
    session: Session, complaint: Complaint, snapshot, new_tasks: list[HumanTask], *, now: datetime | None = None
) -> None:
    """Everything a move of the process tells people: new tasks, escalations, notices of the
    diagram (reminders) and the closing. `snapshot` is the move's `workflows.ProcessSnapshot`
    (plain data: its notices are those passed in this move, each handed out once)."""
    now = now or utcnow()
    announced = [row for row in new_tasks if row.role in ANNOUNCED_LANES]
    held = session.info.get(HELD_ANNOUNCEMENTS)
    if held is None and any(row.id is None for row in announced):
        _flush_but_step_notices(session, complaint)  # the messages link to the new tasks
    context = complaint_context(complaint)
    escalations = [row for row in new_tasks if row.escalation_level]
    for row in announced:
        if held is not None:
            held.append((complaint, row, context, now))
        else:
            _announce_task(session, complaint, row, context, now)
    for row in escalations:
        escalated = {**context, "role": row.role.value, "level": row.escalation_level}
        for user in _caseworkers(session, complaint):
            queue(session, user, "complaint_escalated_staff", escalated, STAFF_CHANNELS, complaint=complaint, now=now)
    if escalations:
        # A late sweep can pass both escalations in one move: the citizen hears of the highest.
        top = max(escalations, key=lambda row: row.escalation_level)
        _tell_citizen(session, complaint, "complaint_escalated",
                      {**context, "role": top.role.value, "level": top.escalation_level}, now=now)
    deadline = snapshot.next_deadline
    for notice in snapshot.notices:
        # A reminder that comes late (its escalation already happened) would only confuse.
        if escalations or deadline is None or deadline <= now or not template_exists(notice):
            continue
        days_left = max(1, round((deadline - now) / timedelta(days=1)))
        reminder = {**context, "deadline": deadline.isoformat(), "days_left": days_left}
        for user in _caseworkers(session, complaint):
            queue(session, user, notice, reminder, STAFF_CHANNELS, complaint=complaint, now=now)
    if snapshot.finished:
        closed = {**context, "closure": snapshot.closure or ""}
        _tell_citizen(session, complaint, "complaint_closed", closed, now=now)
    _end_step(session, complaint)


def _announce_task(session: Session, complaint: Complaint, row: HumanTask, context: dict, now: datetime) -> None:
    task_context = {**context, "task_name": row.name, "path": f"/tasks/{row.id}"}
    for user in _holders(session, row):
        queue(session, user, "new_task", task_context, STAFF_CHANNELS, complaint=complaint, now=now)


# session.info key: new tasks whose announcements wait for the batch's flush (see `hold_task_announcements`).
HELD_ANNOUNCEMENTS = "notifications.held_announcements"


def hold_task_announcements(session: Session) -> None:
    """Announce the new tasks of the moves that follow only at `send_held_task_announcements`.

    A message links to its task, so a new task needs its id first: alone, a move flushes for it. A batch
    of moves (the timer sweep) flushes once for all of them instead, with every move's rows together.
    """
    session.info[HELD_ANNOUNCEMENTS] = []


def send_held_task_announcements(session: Session) -> None:
    """Flush if a held task has no id yet (the flush gives it one) and queue their messages; ends the holding."""
    held = session.info.pop(HELD_ANNOUNCEMENTS, None) or []
    if any(row.id is None for _, row, _, _ in held):
        session.flush()
    for complaint, row, context, now in held:
        _announce_task(session, complaint, row, context, now)


def drop_held_task_announcements(session: Session) -> None:
    """Ends the holding without sending (the batch failed and is rolled back)."""
    session.info.pop(HELD_ANNOUNCEMENTS, None)


# One step of a complaint (a person's task, a timer, a signal) ends with the move of its process;
# until then the notices the citizen was queued in this step are kept here, by complaint id.
STEP_NOTICES = "notifications.citizen_step"


def _tell_citizen(session: Session, complaint: Complaint, template: str, context: dict, *,
                  now: datetime | None = None) -> None:
    """One notice per step for the citizen: a later notice of the same step (the closing after
    the rating, the higher of two escalations) replaces the one queued earlier in it, on every
    channel, so the citizen reads one message about one thing that happened."""
    pending = session.info.setdefault(STEP_NOTICES, {})
    for row in pending.pop(complaint.id, []):
        if row in session.new:
            session.expunge(row)
        elif inspect(row).persistent:
            session.delete(row)  # flushed earlier in this transaction, never committed
    pending[complaint.id] = _queue_rows(session, complaint.citizen, template, context, CITIZEN_CHANNELS,
                                        complaint=complaint, now=now)


def _flush_but_step_notices(session: Session, complaint: Complaint) -> None:
    """Flush, but for the citizen's notices of this step not yet written: they wait for the next flush,
    and go in one INSERT with the messages of the new tasks (the flush is for those tasks' ids).

    PostgreSQL: no flush. The new inbox rows take their ids from the sequence, with the new instance they point
    to and the new timeline lines (a lodging writes them below the ORM, `complaints.lodge_complaint`, and answers
    with their ids); the next flush, or the lodging's own writes, write them with the rest."""
    if direct_writes.reserves_ids(session):
        direct_writes.reserve_ids(session, direct_writes.new_rows(session, (ProcessInstance, HumanTask,
                                                                            ComplaintEvent)))
        return
    held = [row for row in session.info.get(STEP_NOTICES, {}).get(complaint.id, ()) if row in session.new]
    for row in held:
        session.expunge(row)
    try:
        session.flush()
    finally:
        for row in held:
            session.add(row)


def _end_step(session: Session, complaint: Complaint) -> None:
    session.info.get(STEP_NOTICES, {}).pop(complaint.id, None)


def complaint_context(complaint: Complaint) -> dict:
    return {
        "tracking_number": complaint.tracking_number,
        "complaint_subject": complaint.subject,
        **place_context("district", complaint.district),
        **place_context("department", complaint.department),
        "path": f"/complaints/{complaint.id}",
    }


def place_context(key: str, place) -> dict:
    """A place's names under `key`, `key`_ur and `key`_ps: the message is written in its reader's language."""
    if place is None:
        return {key: ""}
    return {key: place.name, f"{key}_ur": place.name_ur, f"{key}_ps": place.name_ps}


PLACE_KEYS = ("district", "department")


def _places_in(values: dict, language: str) -> dict:
    return {**values, **{key: name_in(values, language, key) for key in PLACE_KEYS if key in values}}


def queue(
    session: Session,
    user: User | None,
    template: str,
    context: dict,
    channels,
    *,
    complaint: Complaint | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add one notification per channel the user can be reached on (and wants it on); returns how many.

    `address` sends the SMS to that number instead of the user's own (a number being confirmed).
    """
    return len(_queue_rows(session, user, template, context, channels, complaint=complaint, address=address, now=now))


def _queue_rows(session, user, template, context, channels, *, complaint=None, address=None, now=None) -> list[Notification]:
    if user is None or not user.is_active:
        return []
    now = now or utcnow()
    language = user.language if user.language in LANGUAGES else "en"
    added = []
    for channel in channels:
        if (channel is Channel.SMS and not (address or user.mobile)) or (channel is Channel.EMAIL and not user.email):
            continue
        if channel is Channel.SMS and sms_muted(user, template):
            continue
        row = Notification(
            user_id=user.id,
            user=user,
            complaint_id=complaint.id if complaint is not None else None,
            channel=channel,
            template=template,
            language=language,
            address=address if channel is Channel.SMS else None,
            context=context,
            subject=None,
            body="",
            status=DeliveryStatus.PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            # Every row sets the same columns, so a flush inserts a move's rows (or a whole sweep batch's) in one
            # statement: rows that set different columns go in one INSERT each.
            sent_at=None,
        )
        if channel is Channel.IN_APP:
            # Nothing to deliver: it is in the user's list as soon as the cause is committed.
            row.subject, row.body = _render_in_app(row)
            # next_attempt_at keeps `now`: None would leave the column out of the INSERT (its default, the
            # time of the flush, was written all along) and put this row in an INSERT of its own.
            row.status, row.sent_at = DeliveryStatus.SENT, now
        else:
            session.info[OUTBOX_FLAG] = True
        session.add(row)
        added.append(row)
    return added


def sms_muted(user: User, template: str) -> bool:
    """Whether the citizen chose not to get this notice by SMS."""
    return user.role is Role.CITIZEN and template in OPTIONAL_SMS and template in (user.sms_muted or ())


def _holders(session: Session, row: HumanTask) -> list[User]:
    """The people a new task is for: its assignee, else everyone of its lane in its scope."""
    if row.assignee_id:
        return [user for user in [session.get(User, row.assignee_id)] if user is not None]
    if row.role is Role.DEPUTY_COMMISSIONER and (dcs := session.info.get(DISTRICT_DCS, {}).get(row.district_id)) is not None:
        return list(dcs)
    query = select(User).where(User.role == row.role, User.district_id == row.district_id, User.active.is_(True))
    if row.role is Role.DISTRICT_OFFICER:
        query = query.where(User.department_id == row.department_id)
    return list(session.scalars(query.order_by(User.id)))


# session.info key: the DCs of each district, read once per transaction (see `remember_district_staff`).
DISTRICT_DCS = "notifications.district_dcs"


def district_dcs(district_id) -> list:
    """The conditions on User of the active DCs of `district_id` (a value or a column to join on)."""
    return [User.role == Role.DEPUTY_COMMISSIONER, User.district_id == district_id, User.active.is_(True)]


@contextmanager
def district_dcs_known(session: Session, district_id: int, dcs: list[User] | None):
    """While the block runs, `dcs` are the DCs of `district_id` (active, by id, as `district_dcs` reads them),
    read by the caller with something it read anyway (a lodging, with its district): the messages of a
    new DC task go to them without another query. None: nothing known, they are read when needed."""
    remembered = session.info.get(DISTRICT_DCS)
    known = dcs is not None and (remembered is None or district_id not in remembered)
    if known:
        # Only this district: a dict of its own (none was set) would make `_caseworkers` keep every district's.
        session.info[DISTRICT_DCS] = {**(remembered or {}), district_id: list(dcs)}
    try:
        yield
    finally:
        if known:
            if remembered is None:
                session.info.pop(DISTRICT_DCS, None)
            else:
                session.info[DISTRICT_DCS] = remembered


def remember_district_staff(session: Session, district_ids) -> None:
    """Read the DCs of these districts now, in one query, for the rest of this transaction.

    For a batch that tells the caseworkers of many complaints and changes no users (the
    timer sweep): one query instead of one per message, and none in the middle of the
    batch's changes (a query there would flush them early, a few rows at a time).
    """
    remembered = session.info.setdefault(DISTRICT_DCS, {})
    wanted = set(district_ids) - set(remembered)
    for district_id in wanted:
        remembered[district_id] = []
    if wanted:
        for user in session.scalars(
            select(User)
            .where(User.role == Role.DEPUTY_COMMISSIONER, User.district_id.in_(sorted(wanted)), User.active.is_(True))
            .order_by(User.id)
        ):
            remembered[user.district_id].append(user)


def forget_district_staff(session: Session) -> None:
    session.info.pop(DISTRICT_DCS, None)


def _caseworkers(session: Session, complaint: Complaint) -> list[User]:
    """Who works the complaint in the district: its officer (if any) and the district's DCs."""
    remembered = session.info.get(DISTRICT_DCS)
    dcs = remembered.get(complaint.district_id) if remembered is not None else None
    if dcs is None:
        dcs = list(session.scalars(select(User).where(*district_dcs(complaint.district_id)).order_by(User.id)))
        if remembered is not None:
            remembered[complaint.district_id] = dcs
    officer = session.get(User, complaint.officer_id) if complaint.officer_id else None
    return ([officer] if officer is not None else []) + list(dcs)


# Rendering -----------------------------------------------------------------

def _pk_date(context, value) -> str:
    """The Pakistan calendar day of a moment (ISO text or datetime), "06 Dec 2026", the month in the message's language."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not moment:
        return ""
    return format_date(moment.astimezone(PAKISTAN_TIME), "dd MMM y", locale=context.get("message_language", "en"))


_ROLE_NAMES: dict[str, dict[str, str]] = {}


def _role_names() -> dict[str, str]:
    """Role value -> its label, in the locale in force (the message's, see `render`).

    Kept per locale (the catalogues do not change while the portal runs): every message rendered
    used to translate every role's label. Without an app context gettext is English and nothing is kept."""
    locale = get_locale()  # None outside an app context
    locale = str(locale) if locale else None
    names = _ROLE_NAMES.get(locale) if locale else None
    if names is None:
        names = {role.value: str(ROLE_LABELS[role]) for role in Role}
        if locale:
            _ROLE_NAMES[locale] = names
    return names


_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(MESSAGES_DIR),
    auto_reload=False,  # the messages ship with the release: no file's time asked at every message (_is_message_file)
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # plain text for SMS, email and the in-app list (the page escapes it)
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["pk_date"] = jinja2.pass_context(_pk_date)


def _render_in_app(row: Notification) -> tuple[str | None, str]:
    try:
        return render(row)
    except jinja2.TemplateError:
        # A broken message template must not stop the complaint that caused the message.
        log.exception("notification template %r (%s) failed", row.template, row.language)
        fallback = row.template.replace("_", " ").capitalize()
        number = row.context.get("tracking_number")
        return None, f"{fallback}: {number}" if number else fallback


def template_exists(template: str) -> bool:
    return _is_message_file(MESSAGES_DIR, f"{template}.en.txt")


def _message_file(folder: Path, template: str, language: str) -> tuple[str, str]:
    """(file name, the language it is written in) of a message: its own language's file if there is one,
    else the English one, with English role, month and place names in it."""
    if _is_message_file(folder, f"{template}.{language}.txt"):
        return f"{template}.{language}.txt", language
    return f"{template}.en.txt", "en"


@cache
def _is_message_file(folder: Path, name: str) -> bool:
    """Asked of the file system once per file: the messages ship with the release and do not change while
    the portal runs (a new or edited message takes a restart, as a new page template does); every message
    rendered used to ask twice."""
    return (folder / name).is_file()


def render(notification: Notification, *, base_url: str = "") -> tuple[str | None, str]:
    """(subject, body) of a notification in its language (English if there is no translation).

    A template sets `subject` with `{% set subject %}...{% endset %}`; SMS and email
    get the link to the page in question appended, the in-app list links it itself.
    Rendered under the recipient's locale, whoever's request or job sends it, so
    role names (the catalogues' labels) and month names are in their language.
    With no app context (a bare script) gettext is English.
    """
    language = notification.language if notification.language in LANGUAGES else "en"
    name, written_in = _message_file(MESSAGES_DIR, notification.template, language)
    language = written_in
    # Place names in the language the message is written in.
    context = _places_in(dict(notification.context or {}), written_in)
    if isinstance(context.get("escalations"), list):
        context["escalations"] = [_places_in(e, written_in) for e in context["escalations"]]
    with force_locale(language):
        module = _templates.get_template(name).make_module(
            {**context, "roles": _role_names(), "message_language": language})
        body = str(module).strip()
    if notification.channel is not Channel.IN_APP and context.get("path"):
        body += "\n" + base_url.rstrip("/") + context["path"]
    subject = str(getattr(module, "subject", "") or "").strip() or None
    return subject, body


# The in-app list -------------------------------------------------------------

def notifications_for(session: Session, user: User, *, limit: int = 50, offset: int = 0) -> list[Notification]:
    """One page of the user's in-app notifications: unread first, then newest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.channel == Channel.IN_APP)
            .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def in_app_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.channel == Channel.IN_APP)) or 0


def unread_count(session: Session, user: User, *, cap: int = 100) -> int:
    """Unread in-app notifications, counted up to `cap` (the badge shows "99+" beyond)."""
    unread = (
        select(Notification.id)
        .where(Notification.user_id == user.id, Notification.channel == Channel.IN_APP, Notification.read_at.is_(None))
        .limit(cap)
        .subquery()
    )
    return session.scalar(select(func.count()).select_from(unread)) or 0


def mark_read(session: Session, user: User, notification_id: int, *, now: datetime | None = None) -> Notification:
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id or notification.channel is not Channel.IN_APP:
        raise NotFound(f"notification {notification_id}")
    if notification.read_at is None:
        notification.read_at = now or utcnow()
    session.flush()
    return notification


def mark_all_read(session: Session, user: User, *, now: datetime | None = None) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.channel == Channel.IN_APP, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
