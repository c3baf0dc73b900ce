"""The data generator makes valid complaints: each is a state the real engine and services carry on from.

Routes are run on the engine once and copied (generator_routes.py); these
tests check every copy against the engine and the projection, compare shared
routes with running the engine for every complaint, and move copies on with
the real task service and timer sweep.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

import workflows
from app.models import (
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    HumanTask,
    InstanceStatus,
    Notification,
    ProcessInstance,
    Role,
    User,
    utcnow,
)
from app.services.demo import generator
from app.services.casework import deployments, tasks, timers
from app.services.statistics import aggregates
from app.services.casework.projection import sync_instance
from workflows.analysis.inspect import view_of

SATISFIED = "Closed, citizen satisfied"
NO_FEEDBACK = "Closed as resolved, no feedback"


@pytest.fixture()
def generated(app, session):
    """About 400 complaints, every route among them; returns the moment before they were made."""
    started = utcnow()
    generator.generate(app.extensions["db_sessions"], 400, batch_size=150, seed=11)
    return started


def test_the_command_adds_complaints_with_citizens(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--complaints", "60", "--batch", "25",
                                                "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "added 60 complaints" in result.output
    assert session.scalar(select(func.count()).select_from(Complaint)) == 60
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 60
    assert session.scalar(select(func.count()).where(User.role == Role.CITIZEN)) > 0


def test_every_generated_complaint_is_a_valid_engine_state(session, generated):
    diagram = deployments.diagram_for(session, deployments.default_definition(session))
    notifications_before = session.scalar(select(func.count()).select_from(Notification))
    task_ids = []
    pairs = session.execute(select(Complaint, ProcessInstance).join(
        ProcessInstance, ProcessInstance.complaint_id == Complaint.id).order_by(Complaint.id)).all()
    assert len(pairs) == 400
    for complaint, instance in pairs:
        label = complaint.tracking_number
        task_ids += list(instance.state["tasks"])
        workflow = workflows.restore_process(diagram, instance.state)
        rows = list(session.scalars(select(HumanTask).where(HumanTask.complaint_id == complaint.id)))
        engine_open = {(t.id, t.form_key, _user_id(t.assignee)) for t in workflows.open_tasks(workflow)}
        inbox_open = {(r.task_guid, r.form_key, r.assignee_id) for r in rows if r.completed_at is None}
        assert engine_open == inbox_open, label

        due = workflows.next_timer_due(workflow)
        assert instance.next_timer_due_at == due == complaint.next_deadline_at, label
        assert instance.next_notice_at == workflows.next_notice_due(workflow), label
        # Nothing is left due: every timer waits for a moment after the generator's now.
        assert all(t.due > generated for t in workflows.waiting_timers(workflow)), label
        assert all(t.due > complaint.created_at for t in workflows.waiting_timers(workflow)), label
        _assert_plausible_moments(instance.state, complaint.created_at, utcnow(), label)

        finished = workflows.is_finished(workflow)
        assert finished == (complaint.status is ComplaintStatus.CLOSED), label
        assert instance.status is (InstanceStatus.FINISHED if finished else InstanceStatus.RUNNING), label
        assert complaint.escalation_level == max((r.escalation_level or 0 for r in rows), default=0), label
        kinds = Counter(session.scalars(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == complaint.id)))
        assert kinds["lodged"] == 1 and kinds["escalated"] == sum(1 for r in rows if r.escalation_level), label
        if finished:
            assert complaint.closure == workflows.closing_event(workflow) and complaint.closed_at, label
            assert kinds["closed"] == 1 and not inbox_open, label
            continue
        # What projection.sync_instance writes for this workflow is what the generator wrote.
        before = _projected(complaint)
        with session.begin_nested() as nested:
            assert sync_instance(session, complaint, instance, workflows.snapshot(workflow), now=utcnow()) == [], label
            after = _projected(complaint)
            # No notice is left to send: the generator took them as a real move would.
            assert session.scalar(select(func.count()).select_from(Notification)) == notifications_before
            nested.rollback()
        assert before == after, label

    assert len(task_ids) == len(set(task_ids)), "task ids are unique across instances"
    assert aggregates.differences(session) == []


def test_the_mix_covers_every_route_over_a_year(session, generated):
    complaints = list(session.scalars(select(Complaint)))
    statuses = Counter(c.status for c in complaints)
    assert set(statuses) == set(ComplaintStatus), statuses
    closures = Counter(c.closure for c in complaints if c.status is ComplaintStatus.CLOSED)
    assert closures[SATISFIED] > 20 and closures[NO_FEEDBACK] > 5, closures
    levels = Counter(c.escalation_level for c in complaints)
    assert levels[0] > 100 and levels[1] > 5 and levels[2] > 5, levels
    reopened = [c for c in complaints if c.reopen_count]
    assert reopened and all(c.status is not ComplaintStatus.CLOSED for c in reopened)
    assert any(c.escalation_level == 2 for c in reopened), "reopened complaints escalate again"
    systemic_reviews = Counter(session.scalars(select(HumanTask.complaint_id).where(
        HumanTask.form_key == "systemic_review", HumanTask.completed_at.is_(None))))
    assert systemic_reviews and max(systemic_reviews.values()) > 1, "a DC review every 30 days"
    # Escalations come when the diagram says: 15 days after lodging (or reopening), 7 days later again.
    reviews = session.execute(select(HumanTask.complaint_id, HumanTask.escalation_level, HumanTask.created_at)
                              .where(HumanTask.escalation_level.is_not(None)).order_by(HumanTask.created_at))
    escalated_at = {(complaint_id, level): at for complaint_id, level, at in reviews}  # the latest of each
    for c in complaints:
        if (c.id, 1) in escalated_at and not c.reopen_count:
            assert abs(escalated_at[(c.id, 1)] - c.created_at - timedelta(days=15)) < timedelta(seconds=1)
        if (c.id, 2) in escalated_at:
            assert abs(escalated_at[(c.id, 2)] - escalated_at[(c.id, 1)] - timedelta(days=7)) < timedelta(seconds=1)
    oldest = min(c.created_at for c in complaints)
    assert generated - timedelta(days=365) < oldest < generated - timedelta(days=250)
    assert all(c.status is ComplaintStatus.SUBMITTED or c.officer_id for c in complaints
               if not c.reopen_count and c.status is not ComplaintStatus.CLOSED)


def test_shared_routes_give_what_the_engine_gives_each_complaint(app, session, monkeypatch):
    """Copies of recorded routes equal running the engine for every complaint (ids and engine jitter aside)."""
    now = utcnow()
    runs = {}
    for share in (True, False):
        batches = []
        monkeypatch.setattr(generator, "write_batch", lambda _session, batch, out=batches: out.append(batch))
        generator.generate(app.extensions["db_sessions"], 150, batch_size=150, seed=5, share_routes=share, now=now)
        runs[share] = batches[0]
    shared, alone = runs[True], runs[False]
    diagram = deployments.diagram_for(session, deployments.default_definition(session))
    for table in ("complaints", "tasks", "events"):
        assert len(getattr(shared, table)) == len(getattr(alone, table)), table
        for mine, theirs in zip(getattr(shared, table), getattr(alone, table)):
            _assert_same(_comparable(mine), _comparable(theirs))
    for mine, theirs in zip(shared.instances, alone.instances):
        _assert_same(_comparable(mine), _comparable(theirs))
        a, b = (view_of(workflows.restore_process(diagram, json.loads(row["state"]))) for row in (mine, theirs))
        assert (a.completed, [t.element_id for t in a.open_tasks], a.finished) == (
            b.completed, [t.element_id for t in b.open_tasks], b.finished)
        _assert_same({t.element_id: t.due_at for t in a.waiting_timers}, {t.element_id: t.due_at for t in b.waiting_timers})


def test_generated_complaints_move_on_through_the_real_services(app, session, make_user):
    factory = app.extensions["db_sessions"]
    generator.generate(factory, 150, batch_size=150, seed=2)

    # Casework: the DC assigns, the officer resolves, the citizen rates.
    awaiting_dc = _pick(session, status=ComplaintStatus.SUBMITTED, escalation_level=0)
    dc = make_user(Role.DEPUTY_COMMISSIONER, district=awaiting_dc.district)
    _complete(session, awaiting_dc, dc, decision="assign", officer_id=str(_officer_of(session, awaiting_dc)))
    assert (awaiting_dc.status, _open_forms(session, awaiting_dc)) == (ComplaintStatus.IN_PROGRESS, ["officer_action"])

    with_officer = _pick(session, status=ComplaintStatus.IN_PROGRESS)
    _complete(session, with_officer, session.get(User, with_officer.officer_id), outcome="resolved",
              action_taken="Repaired.")
    assert with_officer.status is ComplaintStatus.RESOLVED and with_officer.resolved_at is not None
    assert "citizen_rating" in _open_forms(session, with_officer)

    awaiting_rating = _pick(session, status=ComplaintStatus.RESOLVED)
    _complete(session, awaiting_rating, awaiting_rating.citizen, rating="5", satisfied="yes")
    assert (awaiting_rating.status, awaiting_rating.closure) == (ComplaintStatus.CLOSED, SATISFIED)

    # Timers: travel past each complaint's next deadline and run the sweep.
    unassigned = _pick(session, status=ComplaintStatus.SUBMITTED, escalation_level=0, exclude=awaiting_dc)
    escalated = _pick(session, escalation_level=1, status=ComplaintStatus.SUBMITTED)
    unrated = _pick(session, status=ComplaintStatus.RESOLVED, exclude=awaiting_rating)
    systemic = _pick(session, status=ComplaintStatus.SYSTEMIC)
    reviews = len(_open_forms(session, systemic))
    checks = {
        unassigned.id: lambda c: c.escalation_level == 1 and "escalation_review" in _open_forms(session, c),
        escalated.id: lambda c: c.escalation_level == 2 and _open_forms(session, c).count("escalation_review") == 2,
        unrated.id: lambda c: (c.status, c.closure) == (ComplaintStatus.CLOSED, NO_FEEDBACK),
        systemic.id: lambda c: c.status is ComplaintStatus.SYSTEMIC and len(_open_forms(session, c)) == reviews + 1,
    }
    for complaint in sorted((unassigned, escalated, unrated, systemic), key=lambda c: c.next_deadline_at):
        assert not checks[complaint.id](complaint)
        with time_machine.travel(complaint.next_deadline_at + timedelta(minutes=1), tick=False):
            assert complaint.id in _complaints_of(session, timers.sweep(factory).fired)
        session.expire_all()
        assert checks[complaint.id](session.get(Complaint, complaint.id)), complaint.tracking_number


# -- helpers -------------------------------------------------------------------


def _user_id(value):
    return int(value) if value not in (None, "") else None


def _projected(complaint: Complaint) -> tuple:
    return (complaint.status, complaint.escalation_level, complaint.officer_id, complaint.resolved_at,
            complaint.next_deadline_at, complaint.rating, complaint.satisfied, complaint.closed_at)


def _assert_plausible_moments(state: dict, created: datetime, now: datetime, label: str) -> None:
    """Every task changed state between the complaint's lodging and the generator's now."""
    stamps = [task["last_state_change"] for task in state["tasks"].values()]
    assert created.timestamp() - 1 <= min(stamps) and max(stamps) <= now.timestamp() + 1, label


def _comparable(row: dict) -> dict:
    """A row without what differs between two runs: allocated ids, task ids, the state's text."""
    ignored = {"id", "citizen_id", "complaint_id", "instance_id", "tracking_number", "actor_id", "task_guid", "state"}
    return {key: value for key, value in row.items() if key not in ignored}


def _assert_same(mine: dict, theirs: dict) -> None:
    """Equal, but for moments a second apart at most: a timer is due a duration after the
    engine's clock reached it, and each run of the engine adds its own milliseconds."""
    assert mine.keys() == theirs.keys()
    for key, value in mine.items():
        if isinstance(value, datetime) and isinstance(theirs[key], datetime):
            assert abs(value - theirs[key]) < timedelta(seconds=1), key
        else:
            assert value == theirs[key], key


def _pick(session, *, exclude=None, **where) -> Complaint:
    query = select(Complaint).filter_by(**where).order_by(Complaint.id)
    if exclude is not None:
        query = query.where(Complaint.id != exclude.id)
    complaint = session.scalars(query.limit(1)).first()
    assert complaint is not None, f"no generated complaint with {where}"
    return complaint


def _officer_of(session, complaint) -> int:
    return session.scalar(select(User.id).where(User.username == f"gen.officer.{complaint.district_id}."
                                                                   f"{complaint.department_id}"))


def _open_forms(session, complaint) -> list[str]:
    return list(session.scalars(select(HumanTask.form_key).where(
        HumanTask.complaint_id == complaint.id, HumanTask.completed_at.is_(None)).order_by(HumanTask.id)))


def _complete(session, complaint, actor, **fields) -> None:
    (task,) = [t for t in session.scalars(select(HumanTask).where(
        HumanTask.complaint_id == complaint.id, HumanTask.completed_at.is_(None))) if tasks.may_work(actor, t)]
    tasks.complete_task(session, task.id, actor, MultiDict(fields))
    session.commit()


def _complaints_of(session, instance_ids: list[int]) -> set[int]:
    return set(session.scalars(select(ProcessInstance.complaint_id).where(ProcessInstance.id.in_(instance_ids))))
