"""The analyst's services: versions side by side, draft checks, simulation,
deployment, migration (moves, refusals, rollback), the instance view and the
forms catalogue. Everything that changes what complaints run on is refused to
every role but analyst and administrator.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from app.models import (
    ComplaintEvent,
    District,
    Division,
    HumanTask,
    Incident,
    IncidentSource,
    ProcessDefinition,
    ProcessInstance,
    Role,
)
from app.services import analyst
from app.services.analyst import migration
from app.services.casework import events as timeline
from app.services.errors import Invalid, NotAllowed, NotFound
from app.task_forms import all_task_forms, form_keys
from tests.app.helpers import assign, complete, lodge, open_tasks, reread
from workflows import DiagramRejected
from workflows.analysis import Scenario

SHIPPED = (Path(__file__).resolve().parents[2] / "bpmn" / "complaint.bpmn").read_text()
# The escalation timer reads its days from the decision table (bpmn/sla.dmn); a variant fixes them at 10.
P15D = '<bpmn:timeDuration>f"P{commissioner_days}D"</bpmn:timeDuration>'
P10D = '<bpmn:timeDuration>"P10D"</bpmn:timeDuration>'
SHIPPED_DECISIONS = [analyst.DecisionFile("sla.dmn", (Path(__file__).resolve().parents[2] / "bpmn" / "sla.dmn").read_bytes())]
NOT_ANALYSTS = [role for role in Role if role not in (Role.ANALYST, Role.ADMIN)]


@pytest.fixture(autouse=True)
def _forget_deployers(engine, app):
    """Versions deployed here name their deployer; the per-test cleanup deletes users first."""
    yield
    with engine.begin() as conn:
        conn.execute(update(ProcessDefinition).values(deployed_by_id=None))


def p10d() -> bytes:
    assert SHIPPED.count(P15D) == 1
    return SHIPPED.replace(P15D, P10D).encode()


def without_officer_action() -> bytes:
    """The officer's step renamed: complaints waiting on it cannot move to this version."""
    xml, count = re.subn(
        r'((?:id|attachedToRef|sourceRef|targetRef|bpmnElement)="|<bpmn:flowNodeRef>)officer_action(["<])',
        r"\g<1>officer_work\g<2>",
        SHIPPED,
    )
    assert count > 1
    return xml.encode()


def line_of(xml: str, needle: str) -> int:
    found = [n for n, text in enumerate(xml.splitlines(), start=1) if needle in text]
    assert len(found) == 1, needle
    return found[0]


@pytest.fixture()
def people(make_user, places):
    return {
        "analyst": make_user(Role.ANALYST, name="Ayesha Analyst"),
        "citizen": make_user(Role.CITIZEN, name="Gul Citizen"),
        "dc": make_user(Role.DEPUTY_COMMISSIONER, name="Zahid Khan DC"),
    }


@pytest.fixture()
def v1(session) -> ProcessDefinition:
    return session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id).limit(1))


def deploy(session, actor, xml: bytes, make_default=True, decisions=None, note="a test version") -> ProcessDefinition:
    definition = analyst.deploy_version(session, actor, xml, "draft.bpmn", make_default=make_default, decisions=decisions,
                                        note=note)
    session.commit()
    return definition


def officer_for(make_user, complaint, name="Imran Officer"):
    return make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name=name)


def timer_days(session, user, complaint, element_id: str) -> float:
    view = analyst.instance_view_for(session, user, complaint.id)
    due = next(t.due_at for t in view.waiting_timers if t.element_id == element_id)
    return round((due - complaint.created_at) / timedelta(days=1), 2)


# -- versions -----------------------------------------------------------------------


def test_two_versions_run_side_by_side_and_the_listing_counts_each(session, make_user, places, people, v1):
    citizen, dc = people["citizen"], people["dc"]
    on_v1 = lodge(session, citizen, places["peshawar"])
    closed_on_v1 = lodge(session, citizen, places["peshawar"])
    officer = officer_for(make_user, closed_on_v1)
    assign(session, closed_on_v1, dc, officer)
    complete(session, closed_on_v1, officer, outcome="resolved", action_taken="Pipe replaced.")
    complete(session, closed_on_v1, citizen, rating="5", satisfied="yes")

    v2 = deploy(session, people["analyst"], p10d())
    on_v2 = lodge(session, citizen, places["peshawar"])

    # Each complaint keeps the escalation of the version it started on.
    assert timer_days(session, dc, on_v1, "unresolved_15_days") == 15
    assert timer_days(session, dc, on_v2, "unresolved_15_days") == 10

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    reread(session)
    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", listener)
    try:
        (process,) = analyst.list_processes(session)
    finally:
        event.remove(bind, "before_cursor_execute", listener)
    assert len(statements) == 2  # the versions, and one grouped count of their instances

    assert process.process_id == "complaint"
    assert [
        (v.definition_id, v.version, v.is_default, v.running, v.finished, v.deployed_by_name) for v in process.versions
    ] == [
        (v2.id, 2, True, 1, 0, "Ayesha Analyst"),
        (v1.id, 1, False, 1, 1, None),
    ]
    assert process.versions[0].sha256 == v2.sha256 and process.versions[0].deployed_at.utcoffset() == timedelta(0)


def test_the_default_version_can_be_switched_back(session, people, v1):
    v2 = deploy(session, people["analyst"], p10d())

    analyst.set_default(session, people["analyst"], v1.id)
    session.commit()

    reread(session)
    assert {d.version: d.is_default for d in session.scalars(select(ProcessDefinition))} == {1: True, 2: False}
    with pytest.raises(NotFound):
        analyst.set_default(session, people["analyst"], v2.id + 1000)


def test_deploying_without_making_it_the_default_keeps_new_complaints_on_the_old_one(session, people, places, v1):
    v2 = deploy(session, people["analyst"], p10d(), make_default=False)
    complaint = lodge(session, people["citizen"], places["peshawar"])
    assert (v2.version, v2.is_default) == (2, False)
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
    assert instance.definition_id == v1.id


def test_a_broken_draft_is_not_deployed_and_says_why(session, people):
    broken = SHIPPED.replace('value="dc_triage" />', 'value="dc_triage_v2" />', 1)

    with pytest.raises(analyst.DraftRejected) as rejected:
        analyst.deploy_version(session, people["analyst"], broken.encode(), "broken.bpmn", make_default=True, note="broken")

    # Both a page's Invalid and the modeler's DiagramRejected, with each error's element and line.
    assert isinstance(rejected.value, Invalid) and isinstance(rejected.value, DiagramRejected)
    assert [(e.element_id, e.line) for e in rejected.value.errors] == [
        ("dc_triage", line_of(broken, '<bpmn:userTask id="dc_triage"'))
    ]
    assert str(rejected.value.errors[0].message).startswith("unknown formKey 'dc_triage_v2'")
    assert rejected.value.errors[0].message.code == "unknown_form"
    session.rollback()
    assert len(session.scalars(select(ProcessDefinition)).all()) == 1


@pytest.mark.parametrize("role", NOT_ANALYSTS, ids=lambda r: r.value)
def test_only_analysts_and_administrators_change_processes(session, make_user, places, v1, role):
    someone = make_user(role)
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    with pytest.raises(NotAllowed):
        analyst.deploy_version(session, someone, p10d(), "draft.bpmn", make_default=True, note="faster")
    with pytest.raises(NotAllowed):
        analyst.set_default(session, someone, v1.id)
    with pytest.raises(NotAllowed):
        analyst.migrate_complaints(session, someone, [complaint.id], v1.id)
    reread(session)
    assert len(session.scalars(select(ProcessDefinition)).all()) == 1


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMIN], ids=lambda r: r.value)
def test_analysts_and_administrators_deploy(session, make_user, role):
    definition = deploy(session, make_user(role), p10d())
    assert (definition.version, definition.deployed_by_id is not None) == (2, True)


# -- drafts: validation and simulation ---------------------------------------------------


def test_with_nobody_in_post_every_staff_lane_is_warned_about(session):
    report = analyst.validate_draft(session, SHIPPED.encode())

    assert report.errors == [] and report.ok
    by_task = {w.element_id: w for w in report.warnings}
    cs_review = by_task["chief_secretary_review"]
    assert (str(cs_review.message), cs_review.element_id, cs_review.line) == (
        "user task chief_secretary_review in lane chief_secretary: nobody holds this role",
        "chief_secretary_review",
        line_of(SHIPPED, '<bpmn:userTask id="chief_secretary_review"'),
    )
    districts = session.scalars(select(District.name).order_by(District.name)).all()
    assert len(districts) > 8
    assert str(by_task["dc_triage"].message) == (
        "user task dc_triage in lane deputy_commissioner: nobody holds this role in districts "
        f"{', '.join(districts[:8])} and {len(districts) - 8} more"
    )
    assert str(by_task["officer_action"].message).startswith("user task officer_action in lane district_officer:")
    assert "citizen_rating" not in by_task  # every complaint has its citizen


def test_role_warnings_name_exactly_the_places_nobody_covers(session, make_user):
    districts = session.scalars(select(District).order_by(District.name)).all()
    divisions = session.scalars(select(Division).order_by(Division.name)).all()
    uncovered = {districts[0].name, districts[-1].name}
    for district in districts:
        if district.name not in uncovered:
            make_user(Role.DEPUTY_COMMISSIONER, district=district)
            make_user(Role.DISTRICT_OFFICER, district=district)
    for division in divisions[1:]:
        make_user(Role.COMMISSIONER, district=division.districts[0])
    make_user(Role.CHIEF_SECRETARY)
    # A deactivated DC covers nothing.
    stand_in = make_user(Role.DEPUTY_COMMISSIONER, district=districts[0])
    session.execute(update(stand_in.__class__).where(stand_in.__class__.id == stand_in.id).values(active=False))
    session.commit()

    warnings = {w.element_id: str(w.message) for w in analyst.validate_draft(session, SHIPPED.encode()).warnings}

    names = f"{districts[0].name}, {districts[-1].name}"
    assert warnings == {
        "dc_triage": f"user task dc_triage in lane deputy_commissioner: nobody holds this role in districts {names}",
        "dc_directive": f"user task dc_directive in lane deputy_commissioner: nobody holds this role in districts {names}",
        "dc_systemic_review": (
            f"user task dc_systemic_review in lane deputy_commissioner: nobody holds this role in districts {names}"
        ),
        "officer_action": f"user task officer_action in lane district_officer: nobody holds this role in districts {names}",
        "systemic_work": f"user task systemic_work in lane district_officer: nobody holds this role in districts {names}",
        "commissioner_review": (
            f"user task commissioner_review in lane commissioner: nobody holds this role in divisions {divisions[0].name}"
        ),
    }


def test_a_draft_with_errors_still_gets_its_warnings(session):
    stray = """
    <bpmn:userTask id="site_visit" name="Visit the site">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="no_such_form" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
  </bpmn:process>"""
    xml = SHIPPED.replace("</bpmn:process>", stray).replace(P15D, "<bpmn:timeDuration>P15D</bpmn:timeDuration>")

    report = analyst.validate_draft(session, xml.encode())

    # The engine never parses what no flow reaches, so only the warning tells of
    # the stray task (and of its unknown form key); the timer is a real error.
    assert [e.element_id for e in report.errors] == ["unresolved_15_days"]
    assert (
        "user task 'site_visit' (Visit the site) cannot be reached from a start event; "
        "connect a sequence flow to it or delete it",
        "site_visit",
        line_of(xml, 'id="site_visit"'),
    ) in [(str(w.message), w.element_id, w.line) for w in report.warnings]


def test_xml_that_is_not_well_formed_gives_one_error_and_no_warnings(session):
    report = analyst.validate_draft(session, b"<bpmn:definitions")
    assert len(report.errors) == 1 and str(report.errors[0].message).startswith("not well-formed XML")
    assert report.warnings == []


def test_simulating_a_draft_writes_nothing(session, people, v1):
    before = session.scalar(select(ProcessInstance.id).limit(1))

    result = analyst.simulate_draft(p10d(), Scenario(steps={}), decisions=SHIPPED_DECISIONS)

    opened = [(s.day, s.element_id) for s in result.steps if s.kind == "task_opened"]
    assert (10.0, "commissioner_review") in opened and (17.0, "chief_secretary_review") in opened
    reread(session)
    assert before is None and session.scalar(select(ProcessInstance.id).limit(1)) is None
    assert len(session.scalars(select(ProcessDefinition)).all()) == 1


def test_simulating_a_broken_draft_is_refused_with_its_errors():
    with pytest.raises(analyst.DraftRejected) as rejected:
        analyst.simulate_draft(SHIPPED.replace(P15D, "<bpmn:timeDuration>P15D</bpmn:timeDuration>").encode(), Scenario({}),
                               decisions=SHIPPED_DECISIONS)
    assert [e.element_id for e in rejected.value.errors] == ["unresolved_15_days"]


# -- migration --------------------------------------------------------------------------


@pytest.fixture()
def running(session, make_user, places, people):
    """Two Peshawar complaints on v1: one waiting for the DC, one with an officer."""
    citizen, dc = people["citizen"], people["dc"]
    at_triage = lodge(session, citizen, places["peshawar"], subject="Broken streetlight")
    with_officer = lodge(session, citizen, places["peshawar"], subject="Overflowing drain")
    officer = officer_for(make_user, with_officer)
    assign(session, with_officer, dc, officer)
    return {"at_triage": at_triage, "with_officer": with_officer, "officer": officer}


def snapshot(session, complaint) -> dict:
    """Everything a move could change on one complaint, read fresh from the database."""
    reread(session)
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
    return {
        "definition_id": instance.definition_id,
        "state": instance.state,
        "lock_version": instance.lock_version,
        "next_timer_due_at": instance.next_timer_due_at,
        "tasks": session.execute(
            select(HumanTask.id, HumanTask.task_guid, HumanTask.element_id, HumanTask.completed_at)
            .where(HumanTask.complaint_id == complaint.id)
            .order_by(HumanTask.id)
        ).all(),
        # Each line as the timeline shows it (kind, sentence), made from the event's facts.
        "events": [
            (event.kind, None if timeline.text(event) is None else str(timeline.text(event)))
            for event in session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id))
        ],
    }


def test_the_preview_says_which_complaints_can_move(session, people, running, v1):
    v2 = deploy(session, people["analyst"], without_officer_action())

    candidates = {c.complaint_id: c for c in analyst.preview_migration(session, v1.id, v2.id)}

    assert set(candidates) == {running["at_triage"].id, running["with_officer"].id}
    assert candidates[running["at_triage"].id].possible is True
    refused = candidates[running["with_officer"].id]
    assert (refused.possible, refused.tracking_number) == (False, running["with_officer"].tracking_number)
    assert [str(reason) for reason in refused.reasons] == ["open task 'officer_action' (Record the action taken) does not exist in the target version"]


def test_moved_complaints_keep_their_tasks_and_timers_and_say_so_in_the_timeline(
    session, people, running, v1
):
    v2 = deploy(session, people["analyst"], p10d())
    before = {key: snapshot(session, running[key]) for key in ("at_triage", "with_officer")}

    outcome = analyst.migrate_complaints(
        session, people["analyst"], [running["at_triage"].id, running["with_officer"].id], v2.id
    )
    session.commit()

    assert outcome.moved == [running["at_triage"].id, running["with_officer"].id] and outcome.refused == {}
    for key in ("at_triage", "with_officer"):
        after = snapshot(session, running[key])
        assert after["definition_id"] == v2.id
        assert after["tasks"] == before[key]["tasks"]  # same rows, same guids, still open
        assert after["next_timer_due_at"] == before[key]["next_timer_due_at"]
        assert after["events"] == [*before[key]["events"], ("migrated", "Moved from version 1 to version 2 by Ayesha Analyst")]

    # The officer works the very same inbox row, now on version 2.
    complete(session, running["with_officer"], running["officer"], outcome="resolved", action_taken="Cleaned.")
    assert [t.form_key for t in open_tasks(session, running["with_officer"])] == ["citizen_rating"]


def test_a_refused_complaint_stays_as_it_was_and_the_others_move(session, people, running, v1):
    v2 = deploy(session, people["analyst"], without_officer_action())
    before = snapshot(session, running["with_officer"])

    outcome = analyst.migrate_complaints(
        session, people["analyst"], [running["with_officer"].id, running["at_triage"].id], v2.id
    )
    session.commit()

    assert outcome.moved == [running["at_triage"].id]
    assert outcome.refused == {
        running["with_officer"].id: [
            "open task 'officer_action' (Record the action taken) does not exist in the target version"
        ]
    }
    assert snapshot(session, running["with_officer"]) == before
    assert snapshot(session, running["at_triage"])["definition_id"] == v2.id


def test_a_corrupt_state_is_refused_and_left_exactly_as_it_was(session, people, running, v1):
    v2 = deploy(session, people["analyst"], p10d())
    victim = running["at_triage"]
    session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.complaint_id == victim.id)
        .values(state={"serializer_version": "1.5", "tasks": "garbage"})
    )
    session.commit()
    before = snapshot(session, victim)

    outcome = analyst.migrate_complaints(session, people["analyst"], [victim.id, running["with_officer"].id], v2.id)
    session.commit()

    assert outcome.moved == [running["with_officer"].id]
    assert outcome.refused[victim.id][0].startswith("the saved state cannot be read")
    assert snapshot(session, victim) == before


def test_a_failure_half_way_through_a_move_is_rolled_back_for_that_complaint_only(
    session, people, running, v1, make_user, places, monkeypatch
):
    third = lodge(session, people["citizen"], places["peshawar"], subject="Potholes on the ring road")
    v2 = deploy(session, people["analyst"], p10d())
    victim = running["with_officer"]
    before = snapshot(session, victim)
    real_refresh = migration._refresh_open_rows

    def fail_for_the_victim(session_, instance, workflow):
        # By now the version, the state and the inbox rows of the victim have been written.
        real_refresh(session_, instance, workflow)
        session_.flush()
        if instance.complaint_id == victim.id:
            raise RuntimeError("disk full")

    monkeypatch.setattr(migration, "_refresh_open_rows", fail_for_the_victim)
    ids = [running["at_triage"].id, victim.id, third.id]
    outcome = analyst.migrate_complaints(session, people["analyst"], ids, v2.id)
    session.commit()

    assert outcome.moved == [running["at_triage"].id, third.id]
    # The analysts hear of it as an incident of the migration (tests/app/test_incidents.py has the others).
    (incident,) = session.scalars(select(Incident).where(Incident.complaint_id == victim.id))
    assert (incident.source, incident.error_type, incident.actor_id) == (
        IncidentSource.MIGRATION, "RuntimeError", people["analyst"].id)
    assert outcome.refused == {victim.id: ["the move failed and was undone (RuntimeError: disk full)",
                                           f"recorded as incident {incident.reference}"]}
    assert snapshot(session, victim) == before
    assert snapshot(session, third)["definition_id"] == v2.id
    assert snapshot(session, third)["events"][-1][0] == "migrated"


def test_closed_complaints_and_complaints_already_there_are_refused(session, people, make_user, places, v1):
    citizen, dc = people["citizen"], people["dc"]
    closed = lodge(session, citizen, places["peshawar"])
    officer = officer_for(make_user, closed)
    assign(session, closed, dc, officer)
    complete(session, closed, officer, outcome="resolved", action_taken="Done.")
    complete(session, closed, citizen, rating="4", satisfied="yes")
    open_one = lodge(session, citizen, places["peshawar"])

    outcome = analyst.migrate_complaints(session, people["analyst"], [closed.id, open_one.id, 999_999], v1.id)

    assert outcome.moved == []
    assert outcome.refused == {
        closed.id: ["the complaint is closed: its process has finished"],
        open_one.id: ["it already runs on version 1"],
        999_999: ["complaint 999999 does not exist or has no process"],
    }


def test_the_preview_refuses_versions_of_different_processes(session, people, v1):
    # Deploy refuses a process the portal does not run; a stray one may stand from before it did.
    other = SHIPPED.replace('id="complaint"', 'id="suggestion"').replace('processRef="complaint"', 'processRef="suggestion"')
    suggestion = ProcessDefinition(process_id="suggestion", version=1, sha256="0" * 64, xml=other, is_default=True)
    session.add(suggestion)
    session.commit()
    with pytest.raises(Invalid):
        analyst.preview_migration(session, v1.id, suggestion.id)


# -- the instance view -----------------------------------------------------------------------


def test_staff_see_who_holds_each_open_task(session, people, running, make_user):
    view = analyst.instance_view_for(session, people["dc"], running["with_officer"].id)

    assert view.version == 1 and "<bpmn:definitions" in view.xml
    assert [(t.element_id, t.holders, t.lane_label) for t in view.open_tasks] == [
        ("officer_action", ["Imran Officer"], "District Officer")
    ]
    assert view.open_tasks[0].task_id == open_tasks(session, running["with_officer"])[0].task_guid
    assert "dc_triage" in view.completed
    assert "unresolved_15_days" in [t.element_id for t in view.waiting_timers]

    # An unassigned task is held by everyone its lane and scope admit.
    other_dc = make_user(Role.DEPUTY_COMMISSIONER, name="Another DC")
    triage = analyst.instance_view_for(session, other_dc, running["at_triage"].id)
    assert triage.open_tasks[0].holders == ["Another DC", "Zahid Khan DC"]


def test_the_citizen_is_refused_the_diagram_view(session, people, running):
    """The citizen follows the complaint by its milestones (casework/milestones.py), not the diagram."""
    with pytest.raises(NotAllowed):
        analyst.instance_view_for(session, people["citizen"], running["with_officer"].id)


def test_nobody_sees_the_instance_of_a_complaint_outside_their_scope(session, make_user, places, running):
    with pytest.raises(NotFound):
        analyst.instance_view_for(session, make_user(Role.CITIZEN), running["at_triage"].id)
    with pytest.raises(NotFound):
        analyst.instance_view_for(session, make_user(Role.DEPUTY_COMMISSIONER, district=places["mardan"]),
                                  running["at_triage"].id)


# -- the forms catalogue ---------------------------------------------------------------------


def test_the_catalogue_lists_every_form_its_fields_and_what_it_writes():
    catalogue = {form.key: form for form in analyst.forms_catalogue()}

    assert set(catalogue) == set(form_keys())
    for task_form in all_task_forms():
        assert catalogue[task_form.key].writes == tuple(task_form.writes)
        assert catalogue[task_form.key].title == task_form.title
    triage = {f.name: f for f in catalogue["dc_triage"].fields}
    assert (triage["decision"].type, triage["decision"].required, triage["decision"].data_key) == (
        "radio", True, "dc_decision",
    )
    assert triage["decision"].choices == [("assign", "Assign to a District Officer"), ("transfer", "Transfer to another district")]
    assert triage["officer_id"].choices == ["from the complaint's district"]
    assert triage["reason"].data_key == "transfer_reason"
    rating = {f.name: f for f in catalogue["citizen_rating"].fields}
    # Choices carry the value the process receives, e.g. a boolean for "satisfied".
    assert rating["satisfied"].choices == [(True, "Yes, close my complaint"), (False, "No, reopen it")]
    assert rating["rating"].choices[0] == (1, "1")
    assert catalogue["officer_action"].accepts_attachments and not catalogue["dc_triage"].accepts_attachments
