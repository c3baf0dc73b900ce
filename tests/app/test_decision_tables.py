"""A version is its diagram and its decision tables: deployed together (CLI, workbench), hashed
together, refused together; a new table alone gives water complaints 7 days and revenue 30."""
from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import DecisionFileRow, ProcessDefinition, ProcessInstance, Role
from app.services import organisation
from app.services.casework import deployments
from tests.app.helpers import lodge
from tests.conftest import login

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
SHIPPED_TABLE = (BPMN / "sla.dmn").read_text()
# The shipped table with two rows before its last: water (Public Health Engineering) 7 days, revenue 30.
WATER_AND_REVENUE = SHIPPED_TABLE.replace("""      <rule id="rule_province_default">""", """      <rule id="rule_water">
        <inputEntry id="rule_water_department"><text>"PHED"</text></inputEntry>
        <inputEntry id="rule_water_category"><text>-</text></inputEntry>
        <outputEntry id="rule_water_commissioner"><text>7</text></outputEntry>
        <outputEntry id="rule_water_chief_secretary"><text>3</text></outputEntry>
      </rule>
      <rule id="rule_revenue">
        <inputEntry id="rule_revenue_department"><text>"REVENUE"</text></inputEntry>
        <inputEntry id="rule_revenue_category"><text>-</text></inputEntry>
        <outputEntry id="rule_revenue_commissioner"><text>30</text></outputEntry>
        <outputEntry id="rule_revenue_chief_secretary"><text>10</text></outputEntry>
      </rule>
      <rule id="rule_province_default">""")
NO_LAST_ROW = SHIPPED_TABLE.replace("<text>-</text>", '<text>"PHED"</text>', 1)


def department_index(session, code: str) -> int:
    return next(n for n, (department, _) in enumerate(organisation.categories_by_department(session))
                if department.code == code)


def escalation_days(session, complaint) -> float:
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
    return round((instance.next_timer_due_at - complaint.created_at) / timedelta(days=1))


def test_the_seeded_version_holds_the_shipped_table_and_its_hash_covers_both(session):
    first = session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id).limit(1))
    assert [(row.filename, row.decision_id) for row in first.decision_files] == [("sla.dmn", "sla_days")]
    diagram = (BPMN / "complaint.bpmn").read_bytes()
    assert first.sha256 == deployments.version_sha256(diagram, [deployments.DecisionFile("sla.dmn", SHIPPED_TABLE.encode())])
    changed = deployments.version_sha256(diagram, [deployments.DecisionFile("sla.dmn", WATER_AND_REVENUE.encode())])
    assert changed != first.sha256


def test_a_cli_deploy_of_a_new_table_alone_changes_the_days_per_department(app, session, make_user, places, tmp_path):
    table = tmp_path / "water_and_revenue.dmn"
    table.write_text(WATER_AND_REVENUE)
    result = app.test_cli_runner().invoke(
        args=["process", "deploy", str(BPMN / "complaint.bpmn"), "--decisions", str(table), "--note", "a test version", "--by", make_user(Role.ANALYST).username]
    )
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("(complaint.bpmn + water_and_revenue.dmn)")
    session.expire_all()
    citizen = make_user(Role.CITIZEN)
    days = {code: escalation_days(session, lodge(session, citizen, places["peshawar"],
                                                  department_index=department_index(session, code)))
            for code in ("PHED", "REVENUE", "HEALTH")}
    assert days == {"PHED": 7, "REVENUE": 30, "HEALTH": 15}


def test_a_folder_deploys_its_diagram_with_its_tables(app, session, make_user, tmp_path):
    (tmp_path / "complaint.bpmn").write_bytes((BPMN / "complaint.bpmn").read_bytes())
    (tmp_path / "sla.dmn").write_text(WATER_AND_REVENUE)
    result = app.test_cli_runner().invoke(args=["process", "deploy", str(tmp_path), "--note", "a test version", "--by", make_user(Role.ANALYST).username])
    assert result.exit_code == 0, result.output
    newest = session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id.desc()).limit(1))
    assert [row.xml for row in newest.decision_files] == [WATER_AND_REVENUE]


def test_the_cli_refuses_a_broken_table_naming_file_element_and_line(app, session, make_user, tmp_path):
    table = tmp_path / "sla.dmn"
    table.write_text(NO_LAST_ROW)
    result = app.test_cli_runner().invoke(args=["process", "deploy", str(BPMN / "complaint.bpmn"), "--decisions", str(table), "--note", "a test version", "--by", make_user(Role.ANALYST).username])
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(NO_LAST_ROW.splitlines(), 1) if 'id="sla_days_table"' in text)
    assert f"error: sla.dmn: sla_days_table (line {line}): no row matches every complaint" in result.output
    assert session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id.desc()).limit(1)).version == 1


def test_the_workbench_deploys_a_diagram_and_its_table_as_one_version(client, session, make_user):
    login(client, make_user(Role.ANALYST))
    response = client.post("/analyst/deploy", data={
        "xml": (BPMN / "complaint.bpmn").read_text(), "make_default": "1", "note": "water 7, revenue 30",
        "decision_xml": WATER_AND_REVENUE, "decision_filename": "sla.dmn",
    })
    assert response.status_code == 201, response.get_json()
    version = session.get(ProcessDefinition, response.get_json()["definition_id"])
    assert [(row.filename, row.xml) for row in version.decision_files] == [("sla.dmn", WATER_AND_REVENUE)]


def test_the_workbench_refuses_a_broken_table_with_its_file_element_and_line(client, session, make_user):
    login(client, make_user(Role.ANALYST))
    response = client.post("/analyst/deploy", data={
        "xml": (BPMN / "complaint.bpmn").read_text(), "decision_xml": NO_LAST_ROW, "decision_filename": "sla.dmn",
        "note": "no last row",
    })
    assert response.status_code == 400
    line = next(n for n, text in enumerate(NO_LAST_ROW.splitlines(), 1) if 'id="sla_days_table"' in text)
    (problem,) = response.get_json()["errors"]
    assert (problem["file"], problem["element_id"], problem["line"], problem["code"]) == (
        "sla.dmn", "sla_days_table", line, "decision_no_catch_all")
    assert session.scalar(select(ProcessDefinition.id).order_by(ProcessDefinition.id.desc()).limit(1)) == \
        session.scalar(select(ProcessDefinition.id).order_by(ProcessDefinition.id).limit(1))


def test_the_workbench_refuses_a_unique_table_whose_rows_overlap_before_deploy(client, session, make_user):
    """Without a hit policy a table is UNIQUE: a water complaint matches the water row and the last row."""
    overlapping = WATER_AND_REVENUE.replace(' hitPolicy="FIRST"', "")
    login(client, make_user(Role.ANALYST))
    response = client.post("/analyst/deploy", data={
        "xml": (BPMN / "complaint.bpmn").read_text(), "decision_xml": overlapping, "decision_filename": "sla.dmn",
        "note": "water 7, revenue 30, unique",
    })
    assert response.status_code == 400
    problems = [p for p in response.get_json()["errors"] if p["code"] == "decision_rows_overlap"]
    line = next(n for n, text in enumerate(overlapping.splitlines(), 1) if 'id="rule_province_default"' in text)
    assert [(p["file"], p["element_id"], p["line"]) for p in problems] == [
        ("sla.dmn", "rule_province_default", line), ("sla.dmn", "rule_province_default", line)]
    assert [p["message"] for p in problems] == [
        f"decision sla_days has hit policy UNIQUE, but rows {rows} both match department_code={code!r}, "
        "category_code=None; make the rows exclusive, or set hitPolicy=\"FIRST\" if the first matching row "
        "should decide"
        for rows, code in (("1, 3", "PHED"), ("2, 3", "REVENUE"))]
    assert session.scalar(select(func.count(ProcessDefinition.id))) == 1


def test_a_diagram_deployed_alone_keeps_the_current_tables(client, session, make_user):
    login(client, make_user(Role.ANALYST))
    response = client.post("/analyst/deploy", data={"note": "a shorter name", "xml": (BPMN / "complaint.bpmn").read_text().replace(
        'name="Look up the escalation days"', 'name="Escalation days"')})
    assert response.status_code == 201, response.get_json()
    rows = session.scalars(select(DecisionFileRow).where(
        DecisionFileRow.definition_id == response.get_json()["definition_id"])).all()
    assert [(row.filename, row.xml) for row in rows] == [("sla.dmn", SHIPPED_TABLE)]


# -- the decision table editor's page --------------------------------------------------------------------


def test_the_editor_page_opens_the_current_versions_tables_with_dmn_js(client, session, make_user):
    login(client, make_user(Role.ANALYST))
    response = client.get("/analyst/decisions")
    page = response.get_data(as_text=True)
    # dmn-js needs inline styles on this page; scripts stay as strict as on every page.
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self';") and "style-src-attr 'unsafe-inline'" in policy
    assert "script-src" not in policy
    first = session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id).limit(1))
    tables = json.loads(html.unescape(re.search(r"data-tables='([^']*)'", page).group(1)))
    assert tables == [{"filename": "sla.dmn", "xml": SHIPPED_TABLE}]
    assert f'data-diagram-url="/analyst/versions/{first.id}/xml?inline=1"' in page
    assert "/vendor/dmn-js/dmn-modeler.production.min.js?v=17.10.2" in page
    assert 'href="/analyst/decisions" aria-current="page"' in page


def test_a_version_without_tables_says_so(client, session, make_user):
    login(client, make_user(Role.ANALYST))
    bare = ProcessDefinition(process_id="suggestion", version=1, sha256="0" * 64, xml="<definitions/>")
    session.add(bare)
    session.commit()
    page = client.get(f"/analyst/decisions?from={bare.id}").get_data(as_text=True)
    assert "Version 1 of suggestion has no decision tables." in page
    assert "data-tables=" not in page


def test_dmn_js_files_are_served_from_node_modules_and_nothing_else(client):
    with client.get("/vendor/dmn-js/dmn-modeler.production.min.js") as response:
        assert response.status_code == 200, "dmn-js is not installed: run `make install` (npm ci)"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get("/vendor/dmn-js/assets/dmn-font/font/dmn.woff2") as response:
        assert response.status_code == 200
    assert client.get("/vendor/dmn-js/../package.json").status_code == 404
    assert client.get("/vendor/dmn-js/dmn-viewer.production.min.js").status_code == 404


def test_two_matching_rows_of_a_unique_table_make_an_incident_where_the_clock_restarts(session, make_user, places):
    """A version stored before deploy looked for overlaps (or overlapping on a value deploy did not try): when a
    reopened water complaint asks the table again, the engine refuses to pick a row, and the portal records an
    incident naming the task, the table, the rows and the input values; the citizen's step is rolled back."""
    from werkzeug.datastructures import MultiDict

    from app.models import Incident
    from app.services import analyst
    from app.services.casework import incidents, tasks
    from tests.app.helpers import assign, complete, open_tasks

    shipped = session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id).limit(1))
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"], department_index=department_index(session, "PHED"))
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    complete(session, complaint, officer, outcome="resolved", action_taken="Pipe replaced.")
    unique = WATER_AND_REVENUE.replace(' hitPolicy="FIRST"', "")
    stored = ProcessDefinition(process_id="complaint", version=2, sha256="e" * 64, xml=shipped.xml, note="unique",
                               decision_files=[DecisionFileRow(filename="sla.dmn", decision_id="sla_days", xml=unique)])
    session.add(stored)
    session.commit()
    outcome = analyst.migrate_complaints(session, make_user(Role.ANALYST), [complaint.id], stored.id)
    session.commit()
    assert outcome.moved == [complaint.id], outcome.refused

    (rating,) = open_tasks(session, complaint)
    with pytest.raises(tasks.StepFailed) as failed:
        tasks.complete_task(session, rating.id, citizen,
                            MultiDict({"rating": "2", "satisfied": "no", "comment": "Still no water."}))
    session.rollback()
    incidents.record_failure(session, failed.value, citizen)
    session.commit()

    (incident,) = session.scalars(select(Incident).where(Incident.complaint_id == complaint.id))
    assert (incident.element_id, incident.definition_id) == ("escalation_days", stored.id)
    assert "decision table sla_days_table: hit policy UNIQUE, but rows 1, 3 all match" in incident.error_message
    assert "department_code='PHED'" in incident.error_message
    assert [t.id for t in open_tasks(session, complaint)] == [rating.id]
