"""Operator commands: deploy a diagram, seed demo data."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import Complaint, ComplaintStatus, District, HumanTask, ProcessDefinition, Role, User

SHIPPED = Path(__file__).resolve().parents[2] / "bpmn" / "complaint.bpmn"


def faster(tmp_path, process_id="complaint") -> Path:
    """The shipped diagram with a 10-day escalation (its reminder 3 days before), its process named `process_id`.
    (The escalation alone shortened would leave the table's 12-day reminder after it: deploy warns.)"""
    xml = SHIPPED.read_text().replace('f"P{commissioner_days}D"', '"P10D"', 1)
    xml = xml.replace('f"P{max(commissioner_days - 3, 0)}D"', '"P7D"', 1)
    xml = xml.replace('id="complaint"', f'id="{process_id}"').replace('processRef="complaint"', f'processRef="{process_id}"')
    path = tmp_path / "faster.bpmn"
    path.write_text(xml)
    return path


def deploy(app, path, *options):
    return app.test_cli_runner().invoke(args=["process", "deploy", str(path), *options])


def test_deploy_prints_the_new_version_with_its_note_and_deployer(app, session, make_user, tmp_path):
    analyst = make_user(Role.ANALYST)
    result = deploy(app, faster(tmp_path), "--note", "ten days, as the province asked", "--by", analyst.username)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("deployed complaint version 2 (default for new complaints) sha256 ")
    v2 = session.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 2))
    assert (v2.note, v2.deployed_by_id) == ("ten days, as the province asked", analyst.id)


@pytest.mark.parametrize("missing", ["--note", "--by"])
def test_deploy_needs_a_note_and_who_deploys(app, session, make_user, tmp_path, missing):
    options = {"--note": "faster", "--by": make_user(Role.ANALYST).username}
    del options[missing]
    result = deploy(app, faster(tmp_path), *[part for pair in options.items() for part in pair])
    assert result.exit_code == 2 and f"Missing option '{missing}'" in result.output
    assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == 1


def test_deploy_refuses_a_blank_note(app, session, make_user, tmp_path):
    result = deploy(app, faster(tmp_path), "--note", "  ", "--by", make_user(Role.ADMIN).username)
    assert result.exit_code == 1 and "error: Say why this version is deployed: a note is required." in result.output


@pytest.mark.parametrize("who", ["nobody", Role.DEPUTY_COMMISSIONER])
def test_deploy_by_must_name_an_analyst_or_administrator(app, session, make_user, tmp_path, who):
    username = who if isinstance(who, str) else make_user(who).username
    result = deploy(app, faster(tmp_path), "--note", "faster", "--by", username)
    assert result.exit_code == 2 and "--by" in result.output and username in result.output
    assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == 1


def test_deploy_refuses_the_same_diagram_twice_naming_the_version(app, session, make_user):
    result = deploy(app, SHIPPED, "--note", "again", "--by", make_user(Role.ANALYST).username)
    assert result.exit_code == 1
    assert "error: this diagram is already deployed, unchanged, as complaint version 1" in result.output


def test_a_foreign_process_is_refused_with_the_fix_then_deployed_as_complaint(app, session, make_user, tmp_path):
    camunda = faster(tmp_path, "Process_1abc")
    username = make_user(Role.ANALYST).username

    refused = deploy(app, camunda, "--note", "from Camunda", "--by", username)
    assert refused.exit_code == 1
    assert "error: Process_1abc" in refused.output and "is not one of this portal's processes" in refused.output
    assert "hint: deploy it again with --as complaint" in refused.output

    renamed = deploy(app, camunda, "--note", "from Camunda", "--by", username, "--as", "complaint")
    assert renamed.exit_code == 0, renamed.output
    assert renamed.output.startswith("deployed complaint version 2")
    assert set(session.scalars(select(ProcessDefinition.process_id))) == {"complaint"}


def test_deploy_refuses_a_broken_diagram_naming_element_and_line(app, make_user, tmp_path):
    broken = tmp_path / "complaint.bpmn"
    xml = SHIPPED.read_text().replace('<bpmn:lane id="lane_commissioner" name="commissioner">', '<bpmn:lane id="lane_commissioner" name="commisioner">')
    broken.write_text(xml)
    line = next(n for n, text in enumerate(xml.splitlines(), 1) if 'name="commisioner"' in text)
    result = deploy(app, broken, "--note", "typo", "--by", make_user(Role.ANALYST).username)
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


def test_deploy_warns_when_a_shortened_escalation_leaves_the_tables_reminder_after_it(app, make_user, tmp_path):
    """The escalation made 10 days, the reminder still 3 days before the table's 15: it would come on day 12."""
    path = tmp_path / "late.bpmn"
    path.write_text(SHIPPED.read_text().replace('f"P{commissioner_days}D"', '"P10D"', 1))
    result = deploy(app, path, "--note", "ten days", "--by", make_user(Role.ANALYST).username)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("warning: unresolved_12_days")
    assert "P12D" in result.output and "unresolved_15_days" in result.output


def test_the_operations_guide_describes_every_option_of_process_deploy():
    """docs/operations.md, "A new process version": each option of the command, and what it refuses."""
    import click

    from app.cli import process_deploy

    guide = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide[guide.index("### A new process version"):]
    section = section[:section.index("\n### ", 1)]
    options = [opt for param in process_deploy.params if isinstance(param, click.Option) for opt in param.opts]
    assert set(options) == {"--note", "--by", "--as", "--decisions", "--forms", "--not-default"}
    for option in options:
        assert f"| `{option}" in section, f"{option} is not in the table of docs/operations.md"
    assert "`--as complaint`" in section and "deploy it again with --as complaint" in section
    assert "required" in section.split("| `--note")[1].split("\n")[0]
    assert "required" in section.split("| `--by")[1].split("\n")[0]
    assert "already deployed, unchanged, as complaint version" in section
