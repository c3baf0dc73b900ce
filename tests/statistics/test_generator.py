"""The data generator makes valid complaints: their process state restores and their open tasks are in the inbox."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

import workflows
from app.models import Complaint, ComplaintEvent, ComplaintStatus, HumanTask, ProcessInstance, Role, User
from app.services import generator, processes


def test_generated_complaints_are_valid_process_instances(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--complaints", "60", "--batch", "25",
                                                "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "added 60 complaints" in result.output
    assert session.scalar(select(func.count()).select_from(Complaint)) == 60
    assert session.scalar(select(func.count()).where(User.role == Role.CITIZEN)) > 0

    diagram = processes.diagram_for(session, processes.default_definition(session))
    for complaint, instance in session.execute(select(Complaint, ProcessInstance).join(
            ProcessInstance, ProcessInstance.complaint_id == Complaint.id)):
        workflow = workflows.restore_process(diagram, instance.state)
        engine_open = {t.id for t in workflows.open_tasks(workflow)}
        inbox_open = set(session.scalars(select(HumanTask.task_guid).where(
            HumanTask.complaint_id == complaint.id, HumanTask.completed_at.is_(None))))
        assert engine_open == inbox_open, complaint.tracking_number
        assert workflows.is_finished(workflow) == (complaint.status is ComplaintStatus.CLOSED)
        kinds = set(session.scalars(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == complaint.id)))
        assert "lodged" in kinds
        if complaint.escalation_level:
            assert "escalated" in kinds
        if complaint.status is ComplaintStatus.IN_PROGRESS:
            assert complaint.officer_id is not None

    statuses = Counter(session.scalars(select(Complaint.status)))
    assert statuses[ComplaintStatus.CLOSED] > 5 and statuses[ComplaintStatus.SUBMITTED] > 3
    assert statuses[ComplaintStatus.IN_PROGRESS] > 5


def test_generated_complaints_escalate_when_old(app, session):
    calls = []
    generator.generate(app.extensions["db_sessions"], 150, batch_size=150, seed=3, progress=calls.append)
    assert calls == [150]
    levels = Counter(session.scalars(select(Complaint.escalation_level)))
    assert levels[1] + levels[2] > 0 and levels[0] > 0
    # An escalation opens a reviewer's task in the inbox.
    assert session.scalar(select(func.count()).where(HumanTask.escalation_level >= 1,
                                                     HumanTask.completed_at.is_(None))) > 0
