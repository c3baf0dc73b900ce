"""Diagram warnings (deployable but probably wrong) and the view of one instance.

Each warning test breaks the shipped diagram in one way and expects the exact
message, element and line. No Flask here.
"""
from datetime import timedelta

import pytest

from workflows import DiagramError, save_state
from workflows.analysis import diagram_warnings, instance_view
from workflows.analysis.inspect import user_task_lanes
from tests.workflows.test_diagram_validation import in_english

DAY = timedelta(days=1)

STRAY_TASK = """
    <bpmn:userTask id="site_visit" name="Visit the site">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="dc_directive" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="site_visit_late" name="Late" attachedToRef="site_visit">
      <bpmn:timerEventDefinition id="site_visit_late_def">
        <bpmn:timeDuration>"P2D"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_site_visit_late" sourceRef="site_visit_late" targetRef="site_visit_done" />
    <bpmn:sequenceFlow id="f_site_visit" sourceRef="site_visit" targetRef="site_visit_done" />
    <bpmn:endEvent id="site_visit_done" name="Visited" />
  </bpmn:process>"""


@pytest.fixture
def variant(shipped_xml):
    def make(old: str, new: str) -> str:
        assert shipped_xml.count(old) == 1, old
        return shipped_xml.replace(old, new)

    return make


def line_of(xml: str, needle: str) -> int:
    found = [n for n, text in enumerate(xml.splitlines(), start=1) if needle in text]
    assert len(found) == 1, needle
    return found[0]


def test_the_shipped_diagram_has_no_warnings(shipped_xml, diagram):
    # Its boundary events have no incoming flow: being attached to a reachable task reaches them.
    assert in_english(diagram_warnings(shipped_xml.encode(), diagram)) == []


def test_an_element_no_flow_leads_to_is_unreachable_and_so_is_all_that_follows_it(variant, parse_xml):
    xml = variant("</bpmn:process>", STRAY_TASK)
    # Still deployable (no rule forbids it), which is why it is a warning.
    diagram = parse_xml(xml)

    assert in_english(diagram_warnings(xml.encode(), diagram)) == [
        DiagramError(
            "user task 'site_visit' (Visit the site) cannot be reached from a start event; "
            "connect a sequence flow to it or delete it",
            "site_visit",
            line_of(xml, 'id="site_visit"'),
        ),
        DiagramError(
            "boundary event 'site_visit_late' (Late) cannot be reached from a start event; "
            "connect a sequence flow to it or delete it",
            "site_visit_late",
            line_of(xml, 'id="site_visit_late"'),
        ),
        DiagramError(
            "end event 'site_visit_done' (Visited) cannot be reached from a start event; "
            "connect a sequence flow to it or delete it",
            "site_visit_done",
            line_of(xml, 'id="site_visit_done"'),
        ),
    ]


def test_a_removed_event_gateway_branch_leaves_its_events_unreachable(variant, parse_xml):
    xml = variant(
        '<bpmn:sequenceFlow id="f_wait_closed_2" sourceRef="escalation_wait_2" targetRef="reviews_closed_before_2" />',
        "",
    )
    warnings = diagram_warnings(xml.encode(), parse_xml(xml))
    assert [(w.element_id, w.line) for w in warnings] == [
        ("reviews_closed_before_2", line_of(xml, 'id="reviews_closed_before_2"')),
        ("escalation_ended_2", line_of(xml, 'id="escalation_ended_2"')),
    ]
    assert str(warnings[0].message).startswith("catch event 'reviews_closed_before_2' (Resolved) cannot be reached")


def test_a_lane_without_tasks_is_reported_with_its_line(variant, parse_xml):
    xml = variant(
        '<bpmn:lane id="lane_chief_secretary" name="chief_secretary">',
        '<bpmn:lane id="lane_spare" name="commissioner">\n        <bpmn:flowNodeRef>escalation_wait_2</bpmn:flowNodeRef>\n'
        '      </bpmn:lane>\n      <bpmn:lane id="lane_chief_secretary" name="chief_secretary">',
    )
    assert in_english(diagram_warnings(xml.encode(), parse_xml(xml))) == [
        DiagramError(
            "lane 'commissioner' has no tasks; delete it or move its tasks into it",
            "lane_spare",
            line_of(xml, 'id="lane_spare"'),
        )
    ]


def test_warnings_are_read_from_a_draft_that_does_not_validate_yet(variant):
    xml = variant('value="dc_triage" />', 'value="no_such_form" />')
    xml = xml.replace("</bpmn:process>", STRAY_TASK)
    assert [w.element_id for w in diagram_warnings(xml.encode())] == ["site_visit", "site_visit_late", "site_visit_done"]


def test_user_task_lanes_name_the_lane_of_each_user_task(shipped_xml):
    lanes = {element_id: (lane, line) for element_id, lane, line in user_task_lanes(shipped_xml.encode())}
    assert lanes["dc_triage"] == ("deputy_commissioner", line_of(shipped_xml, 'id="dc_triage"'))
    assert lanes["commissioner_review"][0] == "commissioner"
    assert lanes["citizen_rating"][0] == "citizen"


def test_a_new_instance_shows_what_ran_the_open_triage_and_the_escalation_timer(flow):
    workflow = flow.start()
    view = instance_view(flow.diagram, save_state(workflow))

    assert view.completed[:3] == ["lodged", "handling_entry", "open_handling"]
    assert [(t.element_id, t.task_id, t.lane) for t in view.open_tasks] == [
        ("dc_triage", flow.task(workflow, "dc_triage").id, "deputy_commissioner")
    ]
    timers = {t.element_id: t for t in view.waiting_timers}
    # The timer behind the event-based gateway is shown as the timer event, not the gateway.
    assert timers["unresolved_15_days"].due_at == flow.T0 + 15 * DAY
    assert timers["unresolved_15_days"].name == "Commissioner's days passed"
    assert timers["unresolved_15_days"].due_at.utcoffset() == timedelta(0)
    assert [t.due_at for t in view.waiting_timers] == sorted(t.due_at for t in view.waiting_timers)
    assert view.finished is False


def test_the_view_follows_the_path_in_order_and_ends_finished(flow):
    # Completion times order the path; the frozen test clock must move between steps.
    workflow = flow.start()
    flow.clock.shift(timedelta(hours=1))
    workflow = flow.complete(workflow, "dc_triage", dc_decision="assign", officer_id=7, instruction="go")
    flow.clock.shift(timedelta(hours=1))
    workflow = flow.complete(workflow, "officer_action", outcome="resolved", action_taken="fixed")
    flow.clock.shift(timedelta(hours=1))
    workflow = flow.complete(workflow, "citizen_rating", rating=5, satisfied=True, comment=None)
    view = instance_view(flow.diagram, save_state(workflow))

    path = view.completed
    assert path.index("dc_triage") < path.index("officer_action") < path.index("citizen_rating")
    assert path[-1] == "closed_satisfied"
    assert view.open_tasks == [] and view.waiting_timers == []
    assert view.finished is True


def test_a_boundary_timer_and_a_cycle_show_their_due_moments(flow):
    resolved = instance_view(flow.diagram, save_state(flow.resolved()))
    assert [(t.element_id, t.due_at) for t in resolved.waiting_timers] == [("rating_overdue", flow.T0 + 7 * DAY)]

    systemic = instance_view(flow.diagram, save_state(flow.systemic()))
    assert ("systemic_due_for_review", flow.T0 + 30 * DAY) in [(t.element_id, t.due_at) for t in systemic.waiting_timers]
