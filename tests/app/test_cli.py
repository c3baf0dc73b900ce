"""Operator commands: deploy a diagram, seed demo data."""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import func, select

from app.models import Complaint, ComplaintStatus, District, HumanTask, Role, User

SHIPPED = Path(__file__).resolve().parents[2] / "bpmn" / "complaint.bpmn"


def test_deploy_prints_the_new_version(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["process", "deploy", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("deployed complaint version 2 (default for new complaints) sha256 ")


def test_deploy_refuses_a_broken_diagram_naming_element_and_line(app, tmp_path):
    broken = tmp_path / "complaint.bpmn"
    xml = SHIPPED.read_text().replace('<bpmn:lane id="lane_commissioner" name="commissioner">', '<bpmn:lane id="lane_commissioner" name="commisioner">')
    broken.write_text(xml)
    line = next(n for n, text in enumerate(xml.splitlines(), 1) if 'name="commisioner"' in text)
    result = app.test_cli_runner().invoke(args=["process", "deploy", str(broken)])
    assert result.exit_code == 1
    assert f"error: lane_commissioner (line {line}): lane 'commisioner' is not a role" in result.output


def test_seed_creates_demo_accounts_and_complaints_once(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "Demo sign-ins" in first.output and "dc.peshawar" in first.output
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0 and "demo accounts and complaints added" not in second.output

    assert session.scalar(select(func.count()).select_from(User).where(User.username == "dc.peshawar")) == 1
    statuses = {c.status for c in session.scalars(select(Complaint))}
    assert statuses >= {ComplaintStatus.SUBMITTED, ComplaintStatus.IN_PROGRESS, ComplaintStatus.RESOLVED,
                        ComplaintStatus.SYSTEMIC, ComplaintStatus.CLOSED}
    # The complaint lodged 16 days ago is already with the Commissioner.
    review = session.scalar(select(HumanTask).where(HumanTask.role == Role.COMMISSIONER))
    assert review is not None and review.escalation_level == 1 and review.completed_at is None


def test_seed_without_the_demo_extra_says_how_to_get_it_and_adds_nothing(app, session, monkeypatch):
    monkeypatch.setitem(sys.modules, "time_machine", None)  # as on a production install: import fails
    users = session.scalar(select(func.count()).select_from(User))
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 1
    assert "pip install 'citizens-portal[demo]'" in result.output and "--no-demo" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == users

    without_demo = app.test_cli_runner().invoke(args=["seed", "--no-demo"])
    assert without_demo.exit_code == 0, without_demo.output
    assert session.scalar(select(func.count()).select_from(District)) > 0
    assert session.scalar(select(func.count()).select_from(User)) == users
