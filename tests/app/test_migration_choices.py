"""Migration choices on the workbench: waiting timers kept or recounted under the
target version, and renamed elements mapped (suggested, confirmed or changed by
the analyst). The variant diagrams are those of tests/workflows/variants.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import ComplaintEvent, HumanTask, ProcessDefinition, ProcessInstance, Role
from app.services import analyst, closures
from app.services.casework import events as timeline
from app.web import pk_time
from tests.app.helpers import lodge, reread, text_of
from tests.conftest import login
from tests.working_days_variant import working_days_variant
from workflows.calendar import PAKISTAN_TIME, working_calendar, working_due

VARIANTS = Path(__file__).resolve().parents[1] / "workflows" / "variants"
DAY = timedelta(days=1)


@pytest.fixture()
def shipped(session) -> ProcessDefinition:
    return session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id).limit(1))


@pytest.fixture()
def analyst_client(client, make_user):
    login(client, make_user(Role.ANALYST, name="Ayesha Analyst"))
    return client


@pytest.fixture()
def complaint(session, make_user, places):
    return lodge(session, make_user(Role.CITIZEN), places["peshawar"])


def deploy_variant(client, session, name: str) -> ProcessDefinition:
    response = client.post("/analyst/deploy", data={"xml": (VARIANTS / name).read_text(encoding="utf-8"),
                                                     "note": f"Test variant {name}"})
    assert response.status_code == 201, text_of(response)
    reread(session)
    return session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id.desc()).limit(1))


def instance_of(session, complaint) -> ProcessInstance:
    reread(session)
    return session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))


def open_rows(session, complaint) -> list[HumanTask]:
    return list(session.scalars(
        select(HumanTask).where(HumanTask.complaint_id == complaint.id, HumanTask.completed_at.is_(None))
    ))


# -- waiting timers ------------------------------------------------------------------


def test_the_preview_shows_each_deadline_old_and_new_when_recounted(analyst_client, session, app, shipped, complaint):
    target = deploy_variant(analyst_client, session, "complaint_10_days.bpmn")
    escalation = instance_of(session, complaint).next_timer_due_at
    url = f"/analyst/migrate?source={shipped.id}&target={target.id}"

    kept = text_of(analyst_client.get(url + "&timers=keep"))
    recounted = text_of(analyst_client.get(url + "&timers=recount"))

    with app.test_request_context():
        old, new = pk_time(escalation), pk_time(escalation - 5 * DAY)
        reminder_old, reminder_new = pk_time(escalation - 3 * DAY), pk_time(escalation - 8 * DAY)
    assert "kept as they are" in kept and "→" not in kept
    assert f"10 days unresolved: {old} → {new}" in recounted
    assert f"7 days unresolved: {reminder_old} → {reminder_new}" in recounted
    # The choice travels with the move.
    assert re.search(r'name="timers" value="recount"', recounted)


def test_moving_with_recounted_timers_moves_the_deadline_the_inbox_and_the_milestones(
    analyst_client, session, shipped, complaint
):
    target = deploy_variant(analyst_client, session, "complaint_10_days.bpmn")
    before = instance_of(session, complaint).next_timer_due_at
    assert [row.due_at for row in open_rows(session, complaint)] == [before]

    response = analyst_client.post("/analyst/migrate", data={
        "source": str(shipped.id), "target": str(target.id), "timers": "recount", "complaint_id": str(complaint.id),
    })

    assert response.status_code == 200 and complaint.tracking_number in text_of(response)
    instance = instance_of(session, complaint)
    assert instance.definition_id == target.id
    assert instance.next_timer_due_at == before - 5 * DAY
    assert instance.complaint.next_deadline_at == before - 5 * DAY
    assert [row.due_at for row in open_rows(session, complaint)] == [before - 5 * DAY]
    event = session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id.desc())
    ).first()
    assert str(timeline.text(event)) == (
        "Moved from version 1 to version 2 by Ayesha Analyst; its deadlines were recounted under version 2"
    )


def test_moving_with_kept_timers_keeps_the_deadline(analyst_client, session, shipped, complaint):
    target = deploy_variant(analyst_client, session, "complaint_10_days.bpmn")
    before = instance_of(session, complaint).next_timer_due_at

    analyst_client.post("/analyst/migrate", data={
        "source": str(shipped.id), "target": str(target.id), "timers": "keep", "complaint_id": str(complaint.id),
    })

    instance = instance_of(session, complaint)
    assert (instance.definition_id, instance.next_timer_due_at) == (target.id, before)


# -- renamed elements ----------------------------------------------------------------


def suggestions(session, shipped, target) -> dict[str, str]:
    return {m.element_id: m.suggestion for m in analyst.element_matches(session, shipped.id, target.id)}


def test_the_preview_offers_the_suggested_mapping_to_confirm(analyst_client, session, shipped, complaint):
    target = deploy_variant(analyst_client, session, "complaint_renamed.bpmn")
    suggested = suggestions(session, shipped, target)

    page = text_of(analyst_client.get(f"/analyst/migrate?source={shipped.id}&target={target.id}"))

    assert "1 of 1 running complaint(s) can move." in page
    triage = re.search(r'<select id="map-dc_triage" name="map-dc_triage">(.*?)</select>', page, re.S).group(1)
    assert re.search(rf'<option value="{suggested["dc_triage"]}" selected>{suggested["dc_triage"]} '
                     r"\(Assign to an officer or transfer\) · suggested</option>", triage)
    assert "— not mapped —" in triage
    assert ('<label for="map-dc_triage">user task \'dc_triage\' (Assign to an officer or transfer)</label> '
            '<span class="meta">Deputy Commissioner</span>') in page
    # The complaint's own open step, as it will be called.
    assert f'<code>dc_triage</code> → <code>{suggested["dc_triage"]}</code>' in page
    # Every select travels with the move as the analyst saw it.
    assert f'name="map-dc_triage" value="{suggested["dc_triage"]}"' in page


def test_a_renamed_variant_migrates_after_mapping(analyst_client, session, shipped, complaint):
    target = deploy_variant(analyst_client, session, "complaint_renamed.bpmn")
    suggested = suggestions(session, shipped, target)
    row = open_rows(session, complaint)[0]
    form = {f"map-{old}": new for old, new in suggested.items()}

    response = analyst_client.post("/analyst/migrate", data={
        "source": str(shipped.id), "target": str(target.id), "complaint_id": str(complaint.id), **form,
    })

    assert "1 complaint(s) moved to version 2." in text_of(response)
    assert instance_of(session, complaint).definition_id == target.id
    [moved] = open_rows(session, complaint)
    assert (moved.id, moved.task_guid, moved.element_id) == (row.id, row.task_guid, suggested["dc_triage"])


def test_refused_when_the_analyst_leaves_an_open_element_unmapped(analyst_client, session, shipped, complaint):
    target = deploy_variant(analyst_client, session, "complaint_renamed.bpmn")
    form = {f"map-{old}": new for old, new in suggestions(session, shipped, target).items()}
    form["map-dc_triage"] = ""

    preview = text_of(analyst_client.get("/analyst/migrate",
                                         query_string={"source": shipped.id, "target": target.id, **form}))
    response = analyst_client.post("/analyst/migrate", data={
        "source": str(shipped.id), "target": str(target.id), "complaint_id": str(complaint.id), **form,
    })

    reason = "open task 'dc_triage' (Assign to an officer or transfer) does not exist in the target version"
    assert "0 of 1 running complaint(s) can move." in preview and reason in preview
    assert "refused" in text_of(response) and reason in text_of(response)
    assert instance_of(session, complaint).definition_id == shipped.id


def test_a_mapping_onto_an_element_of_another_kind_is_refused(analyst_client, session, shipped, complaint):
    target = deploy_variant(analyst_client, session, "complaint_renamed.bpmn")
    suggested = suggestions(session, shipped, target)

    response = analyst_client.post("/analyst/migrate", data={
        "source": str(shipped.id), "target": str(target.id), "complaint_id": str(complaint.id),
        "map-dc_triage": suggested["lodged"],
    })

    assert response.status_code == 400
    assert instance_of(session, complaint).definition_id == shipped.id


def test_migrate_all_applies_the_mapping_and_the_recount_it_was_shown(analyst_client, session, shipped, complaint):
    target = deploy_variant(analyst_client, session, "complaint_renamed.bpmn")
    form = {f"map-{old}": new for old, new in suggestions(session, shipped, target).items()}
    before = instance_of(session, complaint).next_timer_due_at

    response = analyst_client.post("/analyst/migrate", data={
        "source": str(shipped.id), "target": str(target.id), "all": "1", "timers": "recount", **form,
    })

    assert "1 complaint(s) moved to version 2." in text_of(response)
    instance = instance_of(session, complaint)
    # The renamed diagram keeps the shipped values: recounted, the deadline is where it was.
    assert (instance.definition_id, instance.next_timer_due_at) == (target.id, before)
    assert [row.element_id for row in open_rows(session, complaint)] == [form["map-dc_triage"]]


# -- working-day timers --------------------------------------------------------------


def test_recounting_onto_working_days_counts_the_provinces_closures(analyst_client, session, make_user, shipped,
                                                                    complaint):
    lodged_at = instance_of(session, complaint).next_timer_due_at - 15 * DAY
    closed = (lodged_at.astimezone(PAKISTAN_TIME) + 2 * DAY).date()
    while working_calendar().is_closed(closed):  # a working day, so that closing it counts
        closed += DAY
    closures.add_closure(session, make_user(Role.ADMIN), closed, None, "Provincial holiday")
    session.commit()
    response = analyst_client.post("/analyst/deploy", data={"xml": working_days_variant().decode(),
                                                            "note": "Escalation in working days"})
    assert response.status_code == 201, text_of(response)
    reread(session)
    target = session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id.desc()).limit(1))

    analyst_client.post("/analyst/migrate", data={
        "source": str(shipped.id), "target": str(target.id), "timers": "recount", "complaint_id": str(complaint.id),
    })

    due = working_due(working_calendar([closed]), lodged_at, "P15D")
    assert due != working_due(working_calendar(), lodged_at, "P15D")  # the closure counts
    assert instance_of(session, complaint).next_timer_due_at == due


# -- forms defined as data ---------------------------------------------------------------------------------

FORM_FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture()
def waiting_on_site_visit(session, make_user, places):
    """A complaint waiting on the DC's site visit, whose form `site_visit` is defined as data in its version;
    and a later version of the same diagram stored without that form (as a version stored before deploy
    checked form keys is, or one whose registered form a release removed)."""
    import json

    from app.models import DecisionFileRow
    from app.services.casework import deployments
    from tests.app.helpers import assign, complete

    variant = (FORM_FIXTURES / "site_visit.bpmn").read_bytes()
    forms = json.loads((FORM_FIXTURES / "site_visit.forms.json").read_text())
    source = deployments.deploy_diagram(session, variant, deployed_by=None, note="the DC visits the site", forms=forms)
    target = ProcessDefinition(
        process_id="complaint", version=source.version + 1, sha256="f" * 64, xml=source.xml, note="no forms",
        decision_files=[DecisionFileRow(filename=row.filename, decision_id=row.decision_id, xml=row.xml)
                        for row in source.decision_files])
    session.add(target)
    session.commit()
    deployments.set_default_version(session, source)
    session.commit()
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    complete(session, complaint, officer, outcome="resolved", action_taken="Pipe replaced.")
    assert [row.form_key for row in open_rows(session, complaint)] == ["site_visit"]
    return {"source": source, "target": target, "complaint": complaint}


MISSING_FORM = ("user task 'dc_site_visit' (Visit the site) waits for form 'site_visit', which version {version} "
                "lacks: it was not deployed with that version and no registered form has that key")


def test_a_move_onto_a_version_without_the_waiting_tasks_form_is_refused(session, make_user, waiting_on_site_visit):
    source, target, complaint = (waiting_on_site_visit[k] for k in ("source", "target", "complaint"))
    expected = MISSING_FORM.format(version=target.version)

    (candidate,) = analyst.preview_migration(session, source.id, target.id)
    assert (candidate.possible, [str(r) for r in candidate.reasons]) == (False, [expected])

    outcome = analyst.migrate_complaints(session, make_user(Role.ANALYST), [complaint.id], target.id)
    session.commit()
    assert outcome.moved == [] and [str(r) for r in outcome.refused[complaint.id]] == [expected]
    # Refused, not failed: the complaint stays on its version, and no incident is recorded.
    from app.models import Incident
    assert instance_of(session, complaint).definition_id == source.id
    assert session.scalar(select(Incident.id).where(Incident.complaint_id == complaint.id)) is None


def test_the_migrate_page_names_the_task_and_the_missing_form(analyst_client, session, waiting_on_site_visit):
    import html

    source, target, complaint = (waiting_on_site_visit[k] for k in ("source", "target", "complaint"))
    expected = MISSING_FORM.format(version=target.version)

    page = html.unescape(text_of(analyst_client.get(f"/analyst/migrate?source={source.id}&target={target.id}")))
    assert "0 of 1 running complaint(s) can move." in page and expected in page

    moved = analyst_client.post("/analyst/migrate", data={
        "source": str(source.id), "target": str(target.id), "complaint_id": str(complaint.id)})
    assert moved.status_code == 200 and expected in html.unescape(text_of(moved))
    assert instance_of(session, complaint).definition_id == source.id


def test_a_version_deployed_with_the_form_takes_the_waiting_complaint(session, make_user, waiting_on_site_visit):
    from app.services.casework import deployments

    source = waiting_on_site_visit["source"]
    again = deployments.deploy_diagram(session, source.xml.replace("Visit the site", "Visit the place").encode(),
                                       deployed_by=None, note="renamed step", forms=source.forms)
    session.commit()
    (candidate,) = analyst.preview_migration(session, source.id, again.id)
    assert candidate.possible, [str(r) for r in candidate.reasons]
