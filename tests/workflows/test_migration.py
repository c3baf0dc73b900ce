"""Moving a running instance to another version of the diagram.

What must survive: every open task (same guid, so the inbox row stays), every
waiting timer with its due moment. What refuses a move: an open task or a
waiting timer that the target version does not have, named in the reason.
With `retime`, waiting timers are recounted under the target's values; with a
`mapping`, renamed elements still align.
"""
import copy
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.working_days_variant import working_days_variant
from workflows.calendar import WorkingCalendar, working_calendar, working_due
from workflows.analysis import (
    MigrationRefused,
    check_migration,
    instance_view,
    migrate_state,
    retimed_timers,
    suggested_mapping,
    unmatched_elements,
)
from workflows import (
    complete_task,
    fire_timers,
    next_notice_due,
    next_timer_due,
    open_tasks,
    restore_process,
    save_state,
    start_process,
    waiting_timers,
)

DAY = timedelta(days=1)
# The escalation timer reads its days from the decision table (bpmn/sla.dmn): 15 by default.
P15D = '<bpmn:timeDuration>f"P{commissioner_days}D"</bpmn:timeDuration>'
COMMISSIONER_DAYS = P15D
LITERAL_15_DAYS = '<bpmn:timeDuration>"P15D"</bpmn:timeDuration>'


@pytest.fixture(scope="module")
def variant(shipped_xml, parse_xml):
    """variant((old, new), ...) -> the shipped diagram with each `old` (present once) replaced."""

    def make(*replacements):
        xml = shipped_xml
        for old, new in replacements:
            assert xml.count(old) == 1, old
            xml = xml.replace(old, new)
        return parse_xml(xml)

    return make


@pytest.fixture(scope="module")
def v2(variant):
    """Escalates after 10 days and waits 3 days for the rating."""
    return variant(
        (P15D, '<bpmn:timeDuration>"P10D"</bpmn:timeDuration>'),
        ('<bpmn:timeDuration>"P7D"</bpmn:timeDuration>\n      </bpmn:timerEventDefinition>\n'
         '    </bpmn:boundaryEvent>\n    <bpmn:sequenceFlow id="f_rating_overdue"',
         '<bpmn:timeDuration>"P3D"</bpmn:timeDuration>\n      </bpmn:timerEventDefinition>\n'
         '    </bpmn:boundaryEvent>\n    <bpmn:sequenceFlow id="f_rating_overdue"'),
    )


@pytest.fixture(scope="module")
def renamed(shipped_xml, parse_xml):
    """renamed(old_id, new_id) -> the shipped diagram with one element's id changed wherever it is named."""

    def make(old_id: str, new_id: str):
        xml, count = re.subn(
            rf'((?:id|attachedToRef|sourceRef|targetRef|bpmnElement)="|<bpmn:flowNodeRef>){old_id}(["<])',
            rf"\g<1>{new_id}\g<2>",
            shipped_xml,
        )
        assert count > 1, old_id
        return parse_xml(xml)

    return make


def timers(diagram, state) -> dict:
    return {t.element_id: t.due_at for t in instance_view(diagram, state).waiting_timers}


def test_an_open_triage_moves_with_its_task_guid_and_timer_moments(flow, v2):
    workflow = flow.start()
    state = save_state(workflow)
    triage_guid = flow.task(workflow, "dc_triage").id

    assert check_migration(flow.diagram, v2, state).possible
    moved = migrate_state(flow.diagram, v2, state)

    assert "spec" not in moved and "subprocess_specs" not in moved
    on_v2 = restore_process(v2, moved)
    assert [(t.element_id, t.id) for t in open_tasks(on_v2)] == [("dc_triage", triage_guid)]
    # The escalation already running keeps its 15 days: v2's 10 days apply to clocks started on v2.
    assert timers(v2, moved) == timers(flow.diagram, state)
    assert timers(v2, moved)["unresolved_15_days"] == flow.T0 + 15 * DAY
    assert next_timer_due(on_v2) == next_timer_due(workflow)


def test_the_moved_instance_runs_on_with_the_target_versions_rules(flow, v2):
    workflow = flow.assigned()
    officer_guid = flow.task(workflow, "officer_action").id
    moved = restore_process(v2, migrate_state(flow.diagram, v2, save_state(workflow)))
    assert flow.task(moved, "officer_action").id == officer_guid

    flow.complete(moved, "officer_action", outcome="resolved", action_taken="fixed")
    # The rating wait started on v2: 3 days, not 7.
    assert next_timer_due(moved) == flow.T0 + 3 * DAY
    assert flow.open_ids(moved) == ["citizen_rating"]


def test_a_moved_escalation_still_fires_on_its_original_day(flow, v2):
    moved = restore_process(v2, migrate_state(flow.diagram, v2, save_state(flow.start())))
    moved = flow.fire_at(moved, flow.T0 + 10 * DAY + timedelta(minutes=1))
    assert "commissioner_review" not in flow.open_ids(moved)


def test_a_waiting_cycle_keeps_its_next_occurrence(flow, v2):
    workflow = flow.fire_at(flow.systemic(), flow.T0 + 31 * DAY)
    state = save_state(workflow)
    moved = migrate_state(flow.diagram, v2, state)
    assert timers(v2, moved)["systemic_due_for_review"] == flow.T0 + 60 * DAY
    assert sorted(t.id for t in open_tasks(restore_process(v2, moved))) == sorted(t.id for t in open_tasks(workflow))


def test_migrating_leaves_the_given_state_untouched(flow, v2):
    state = save_state(flow.assigned())
    pristine = copy.deepcopy(state)
    migrate_state(flow.diagram, v2, state)
    assert state == pristine


def test_refused_when_the_target_lacks_the_open_task(flow, renamed):
    target = renamed("officer_action", "officer_work")
    state = save_state(flow.assigned())

    check = check_migration(flow.diagram, target, state)

    assert check.possible is False
    assert [str(reason) for reason in check.reasons] == ["open task 'officer_action' (Record the action taken) does not exist in the target version"]
    with pytest.raises(MigrationRefused) as refused:
        migrate_state(flow.diagram, target, state)
    assert refused.value.reasons == check.reasons


def test_the_same_target_takes_instances_whose_open_task_it_has(flow, renamed):
    # Only the officer's task was renamed: an instance still at triage can move.
    target = renamed("officer_action", "officer_work")
    assert check_migration(flow.diagram, target, save_state(flow.start())).possible


def test_refused_when_a_waiting_timer_is_no_longer_a_timer(flow, variant):
    target = variant(
        (
            '<bpmn:timerEventDefinition id="unresolved_15_days_def">\n'
            f"        {P15D}\n"
            "      </bpmn:timerEventDefinition>",
            '<bpmn:signalEventDefinition id="unresolved_15_days_def" signalRef="signal_close_reviews" />',
        )
    )
    check = check_migration(flow.diagram, target, save_state(flow.start()))
    assert [str(reason) for reason in check.reasons] == ["waiting timer 'unresolved_15_days' (Commissioner's days passed) has no timer in the target version"]


def test_refused_when_a_waiting_timer_changes_from_duration_to_cycle(flow, variant):
    target = variant(
        ('<bpmn:timeDuration>"P7D"</bpmn:timeDuration>\n      </bpmn:timerEventDefinition>\n'
         '    </bpmn:boundaryEvent>\n    <bpmn:sequenceFlow id="f_rating_overdue"',
         '<bpmn:timeCycle>"R/P7D"</bpmn:timeCycle>\n      </bpmn:timerEventDefinition>\n'
         '    </bpmn:boundaryEvent>\n    <bpmn:sequenceFlow id="f_rating_overdue"'),
    )
    check = check_migration(flow.diagram, target, save_state(flow.resolved()))
    assert [str(reason) for reason in check.reasons] == [
        "waiting timer 'rating_overdue' (No rating in 7 days) is a duration or date timer here "
        "but a cycle timer in the target version"
    ]


def test_refused_when_the_open_task_changes_kind(flow, variant):
    target = variant(
        ('<bpmn:userTask id="dc_directive" name="Act on the reviewer\'s directive">',
         '<bpmn:manualTask id="dc_directive" name="Act on the reviewer\'s directive">'),
        ('</bpmn:userTask>\n    <bpmn:boundaryEvent id="dc_directive_closed"',
         '</bpmn:manualTask>\n    <bpmn:boundaryEvent id="dc_directive_closed"'),
    )
    workflow = flow.fire_at(flow.start(), flow.T0 + 15 * DAY + timedelta(minutes=1))
    workflow = flow.complete(
        workflow, "commissioner_review", review_action="direct", review_officer_id=None, review_instruction="act"
    )
    check = check_migration(flow.diagram, target, save_state(workflow))
    assert [str(reason) for reason in check.reasons] == [
        "open task 'dc_directive' (Act on the reviewer's directive) is a user task here "
        "but a manual task in the target version"
    ]


def test_a_state_that_cannot_be_read_is_refused_not_raised(flow, v2):
    check = check_migration(flow.diagram, v2, {"serializer_version": "1.5", "tasks": "garbage"})
    assert check.possible is False
    assert str(check.reasons[0]).startswith("the saved state cannot be read")


def test_a_preview_tries_each_shape_of_instance_once(flow, renamed):
    target = renamed("officer_action", "officer_work")
    states = [save_state(flow.start()), save_state(flow.assigned()), save_state(flow.start())]
    garbage = {"serializer_version": "1.5", "tasks": "garbage"}
    cache = {}

    checks = [check_migration(flow.diagram, target, state, cache=cache) for state in [*states, garbage]]

    assert [c.possible for c in checks] == [True, False, True, False]
    assert checks == [check_migration(flow.diagram, target, state) for state in [*states, garbage]]
    assert len(cache) == 2  # two shapes; the unreadable state is never cached


def test_a_boundary_timer_the_target_adds_to_an_open_task_does_not_start_for_it(flow, variant):
    # Documented limit: the open task keeps its guid, so its boundary events stay those it opened with.
    target = variant(
        (
            '<bpmn:sequenceFlow id="f_triage_redirect" sourceRef="dc_triage_redirected" targetRef="redirect_gw" />',
            '<bpmn:sequenceFlow id="f_triage_redirect" sourceRef="dc_triage_redirected" targetRef="redirect_gw" />\n'
            '    <bpmn:boundaryEvent id="triage_late" name="Triage late" cancelActivity="false" attachedToRef="dc_triage">\n'
            '      <bpmn:timerEventDefinition id="triage_late_def"><bpmn:timeDuration>"P3D"</bpmn:timeDuration>'
            "</bpmn:timerEventDefinition>\n    </bpmn:boundaryEvent>\n"
            '    <bpmn:sequenceFlow id="f_triage_late" sourceRef="triage_late" targetRef="triage_late_end" />\n'
            '    <bpmn:endEvent id="triage_late_end" name="Noted" />',
        ),
    )
    moved = migrate_state(flow.diagram, target, save_state(flow.start()))
    assert "triage_late" not in timers(target, moved)
    # A complaint started on the target has it.
    fresh = save_state(start_process(target, {"complaint_id": 2}))
    assert timers(target, fresh)["triage_late"] == flow.T0 + 3 * DAY


# -- recounting waiting timers under the target version -----------------------------

VARIANTS = Path(__file__).resolve().parent / "variants"


@pytest.fixture(scope="module")
def ten_days(parse_xml):
    """Escalates after 10 days, reminds after 7 (variants/complaint_10_days.bpmn)."""
    return parse_xml((VARIANTS / "complaint_10_days.bpmn").read_bytes())


@pytest.fixture(scope="module")
def renamed_all(parse_xml):
    """Every element id renamed as a modeler names new elements (variants/complaint_renamed.bpmn)."""
    return parse_xml((VARIANTS / "complaint_renamed.bpmn").read_bytes())


def test_recounting_counts_the_targets_value_from_when_each_timer_started(flow, ten_days):
    workflow = flow.start()
    flow.clock.move_to(flow.T0 + 2 * DAY)
    state = save_state(flow.roundtrip(workflow))

    kept = migrate_state(flow.diagram, ten_days, state)
    recounted = migrate_state(flow.diagram, ten_days, state, retime=True)

    assert timers(ten_days, kept)["unresolved_15_days"] == flow.T0 + 15 * DAY
    # Started at T0, not at the move two days later.
    assert timers(ten_days, recounted)["unresolved_15_days"] == flow.T0 + 10 * DAY
    assert timers(ten_days, recounted)["unresolved_12_days"] == flow.T0 + 7 * DAY
    on_target = restore_process(ten_days, recounted)
    assert next_timer_due(on_target) == flow.T0 + 10 * DAY
    assert next_notice_due(on_target) == flow.T0 + 7 * DAY


def test_the_recounted_moments_are_listed_old_and_new(flow, ten_days):
    changes = {c.element_id: c for c in retimed_timers(flow.diagram, ten_days, save_state(flow.start()))}

    assert {key: (c.old_due, c.new_due, c.changed) for key, c in changes.items()} == {
        "unresolved_15_days": (flow.T0 + 15 * DAY, flow.T0 + 10 * DAY, True),
        "unresolved_12_days": (flow.T0 + 12 * DAY, flow.T0 + 7 * DAY, True),
    }
    assert changes["unresolved_15_days"].name == "10 days unresolved"  # the target's words


def test_a_recounted_escalation_already_past_fires_at_the_next_sweep(flow, ten_days):
    workflow = flow.assigned()
    flow.clock.move_to(flow.T0 + 11 * DAY)  # past the new 10 days, before the old reminder at 12
    workflow = flow.roundtrip(workflow)
    moved = restore_process(ten_days, migrate_state(flow.diagram, ten_days, save_state(workflow), retime=True))

    fire_timers(moved)

    assert "commissioner_review" in flow.open_ids(moved)


def test_a_repeating_timer_recounts_its_coming_occurrence_from_the_last(flow, variant):
    every_20_days = variant(('<bpmn:timeCycle>"R/P30D"</bpmn:timeCycle>', '<bpmn:timeCycle>"R/P20D"</bpmn:timeCycle>'))
    workflow = flow.fire_at(flow.systemic(), flow.T0 + 31 * DAY)  # the first review opened at T0 + 30 days

    moved = migrate_state(flow.diagram, every_20_days, save_state(workflow), retime=True)

    assert timers(every_20_days, moved)["systemic_due_for_review"] == flow.T0 + 50 * DAY
    later = flow.fire_at(restore_process(every_20_days, moved), flow.T0 + 51 * DAY)
    assert timers(every_20_days, save_state(later))["systemic_due_for_review"] == flow.T0 + 70 * DAY


def test_a_timer_whose_target_value_does_not_evaluate_here_is_refused_by_name(flow, variant):
    # Deploy evaluates the value without data ("P10D"); this complaint's data makes it a number.
    reads_data = variant((COMMISSIONER_DAYS, '<bpmn:timeDuration>locals().get("complaint_id", "P10D")</bpmn:timeDuration>'))
    state = save_state(flow.start())

    with pytest.raises(MigrationRefused) as refused:
        migrate_state(flow.diagram, reads_data, state, retime=True)

    assert [str(reason) for reason in refused.value.reasons] == [
        "waiting timer 'unresolved_15_days' (Commissioner's days passed) cannot be recounted under the target "
        "version's value (AttributeError: 'int' object has no attribute 'lower')"
    ]
    # Kept, the move still runs the target's timer once (the library resets the waiting branch): refused, not raised.
    check = check_migration(flow.diagram, reads_data, state)
    assert [str(reason) for reason in check.reasons] == [
        "the engine failed: AttributeError: 'int' object has no attribute 'lower'"
    ]


# -- renamed elements ------------------------------------------------------------------


def test_renamed_elements_are_suggested_by_name_kind_lane_and_neighbours(flow, renamed_all):
    matches = {m.element_id: m for m in unmatched_elements(flow.diagram, renamed_all)}
    suggested = suggested_mapping(flow.diagram, renamed_all)

    assert len(matches) == len([s for s in flow.diagram.spec.task_specs.values() if s.bpmn_id])
    assert set(suggested) == set(matches)  # everything told apart, the many "Resolved" events too
    assert len(set(suggested.values())) == len(suggested)
    for old_id, new in suggested.items():
        old_spec, new_spec = flow.diagram.spec.task_specs[old_id], renamed_all.spec.task_specs[new]
        assert (type(new_spec), new_spec.bpmn_name, new_spec.lane) == (type(old_spec), old_spec.bpmn_name, old_spec.lane)
    # Two throw events of one name and lane, told apart by the gateway before them.
    resolution = renamed_all.spec.task_specs[suggested["close_reviews_on_resolution"]]
    assert [s.name for s in resolution.inputs] == [suggested["officer_outcome_gw"]]
    # Only elements of the same kind are offered.
    triage = matches["dc_triage"]
    assert triage.suggestion in {c.element_id for c in triage.candidates}
    assert all(type(renamed_all.spec.task_specs[c.element_id]).__name__ == "UserTask" for c in triage.candidates)


def test_an_instance_moves_onto_renamed_elements_with_the_mapping(flow, renamed_all):
    workflow = flow.assigned()
    officer_guid = flow.task(workflow, "officer_action").id
    mapping = suggested_mapping(flow.diagram, renamed_all)
    state = save_state(workflow)

    moved = restore_process(renamed_all, migrate_state(flow.diagram, renamed_all, state, mapping=mapping))

    assert [(t.element_id, t.id) for t in open_tasks(moved)] == [(mapping["officer_action"], officer_guid)]
    assert {t.element_id: t.due for t in waiting_timers(moved)} == {
        mapping[element]: due for element, due in timers(flow.diagram, state).items()
    }
    complete_task(moved, officer_guid, {"outcome": "resolved", "action_taken": "fixed"})
    moved = restore_process(renamed_all, save_state(moved))
    assert flow.open_ids(moved) == [mapping["citizen_rating"]]


def test_without_a_mapping_for_the_open_task_the_move_is_refused(flow, renamed_all):
    mapping = suggested_mapping(flow.diagram, renamed_all)
    del mapping["officer_action"]

    check = check_migration(flow.diagram, renamed_all, save_state(flow.assigned()), mapping=mapping)

    assert [str(reason) for reason in check.reasons] == [
        "open task 'officer_action' (Record the action taken) does not exist in the target version"
    ]


def test_without_a_mapping_for_a_passed_element_the_history_is_refused(flow, renamed_all):
    mapping = suggested_mapping(flow.diagram, renamed_all)
    del mapping["lodged"]

    check = check_migration(flow.diagram, renamed_all, save_state(flow.assigned()), mapping=mapping)

    assert check.possible is False
    assert "start event 'lodged' (Complaint lodged) was reached earlier" in str(check.reasons[0])


def test_a_renamed_waiting_timer_keeps_or_recounts_its_moment(flow, renamed_all):
    mapping = suggested_mapping(flow.diagram, renamed_all)
    state = save_state(flow.start())

    changes = retimed_timers(flow.diagram, renamed_all, state, mapping=mapping)

    assert {(c.element_id, c.old_due, c.new_due) for c in changes} == {
        (mapping["unresolved_15_days"], flow.T0 + 15 * DAY, flow.T0 + 15 * DAY),
        (mapping["unresolved_12_days"], flow.T0 + 12 * DAY, flow.T0 + 12 * DAY),
    }
    moved = migrate_state(flow.diagram, renamed_all, state, mapping=mapping, retime=True)
    assert next_timer_due(restore_process(renamed_all, moved)) == flow.T0 + 15 * DAY


# -- working-day timers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def working_days(parse_xml):
    return parse_xml(working_days_variant())


def test_recounting_onto_working_days_counts_them_from_the_start(flow, working_days):
    calendar = working_calendar([flow.T0.date() + 3 * DAY])  # a provincial closure the Friday after
    state = save_state(flow.start())  # T0 is a Tuesday

    moved = migrate_state(flow.diagram, working_days, state, retime=True, calendar=calendar)

    assert timers(working_days, moved)["unresolved_15_days"] == working_due(calendar, flow.T0, "P15D")
    assert working_due(calendar, flow.T0, "P15D") > flow.T0 + 21 * DAY  # three weekends and a closure
    # Counted once: the engine leaves it there when the process next moves.
    on_target = restore_process(working_days, moved)
    fire_timers(on_target, calendar)
    assert timers(working_days, save_state(on_target))["unresolved_15_days"] == working_due(calendar, flow.T0, "P15D")


def test_recounting_back_from_working_days_finds_when_the_timer_started(flow, working_days):
    calendar = WorkingCalendar()
    state = save_state(restore_process(working_days, save_state(start_process(working_days, {"complaint_id": 1}))))
    assert timers(working_days, state)["unresolved_15_days"] == working_due(calendar, flow.T0, "P15D")

    moved = migrate_state(working_days, flow.diagram, state, retime=True, calendar=calendar)

    assert timers(flow.diagram, moved)["unresolved_15_days"] == flow.T0 + 15 * DAY


def test_a_kept_moment_stays_put_where_the_target_counts_working_days(flow, working_days):
    state = save_state(flow.start())

    moved = restore_process(working_days, migrate_state(flow.diagram, working_days, state))
    fire_timers(moved, WorkingCalendar())

    assert timers(working_days, save_state(moved))["unresolved_15_days"] == flow.T0 + 15 * DAY


# -- a complaint started before the decision tables ---------------------------------------


def test_a_complaint_from_before_the_tables_recounts_with_their_every_complaint_row(flow, shipped_xml, parse_xml):
    # The shipped diagram as it was: literal days, no business rule task; its complaints never ran the table.
    literal = shipped_xml
    for new, old in (
        (COMMISSIONER_DAYS, LITERAL_15_DAYS),
        ('<bpmn:timeDuration>f"P{max(commissioner_days - 3, 0)}D"</bpmn:timeDuration>', '<bpmn:timeDuration>"P12D"</bpmn:timeDuration>'),
        ('<bpmn:timeDuration>f"P{chief_secretary_days}D"</bpmn:timeDuration>', '<bpmn:timeDuration>"P7D"</bpmn:timeDuration>'),
        ('targetRef="escalation_days" />', 'targetRef="escalation_clock" />'),
    ):
        assert literal.count(new) == 1, new
        literal = literal.replace(new, old)
    literal = re.sub(r'\s*<bpmn:businessRuleTask id="escalation_days".*?</bpmn:businessRuleTask>\s*'
                     r'<bpmn:sequenceFlow id="f_days_to_clock"[^>]*/>', "", literal, flags=re.S)
    literal = re.sub(r'\s*<bpmn:flowNodeRef>escalation_days</bpmn:flowNodeRef>', "", literal)
    literal = re.sub(r'\s*<bpmndi:BPMN(Shape|Edge) id="(escalation_days|f_days_to_clock)_di".*?</bpmndi:BPMN\1>', "",
                     literal, flags=re.S)
    before = parse_xml(literal)
    state = save_state(start_process(before, {"complaint_id": 1}))
    assert "commissioner_days" not in str(state)

    changes = {c.element_id: c.new_due for c in retimed_timers(before, flow.diagram, state)}
    moved = migrate_state(before, flow.diagram, state, retime=True)

    # The table's row for every complaint: 15 days, the reminder 3 before.
    assert changes == {"unresolved_15_days": flow.T0 + 15 * DAY, "unresolved_12_days": flow.T0 + 12 * DAY}
    assert timers(flow.diagram, moved) == changes
