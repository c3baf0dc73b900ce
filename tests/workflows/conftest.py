"""Fixtures for the engine adapter tests: the shipped diagram, a frozen clock,
and a small driver that walks a complaint through the process.

No `__init__.py` in this directory on purpose: with one (and no `tests/__init__.py`)
pytest imports this folder as the top-level package `workflows`, which shadows the
adapter package of the same name and every `from workflows import ...` breaks.
The helpers are therefore handed to tests through the `flow` fixture rather than
imported from this module, so the tests keep working whichever import layout the
suite ends up with.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

from workflows import (
    DecisionFile,
    OpenTask,
    complete_task,
    fire_timers,
    open_tasks,
    parse_diagram,
    restore_process,
    save_state,
    start_process,
)

DIAGRAM_PATH = Path(__file__).resolve().parents[2] / "bpmn" / "complaint.bpmn"
# The decision tables shipped beside it: the escalation days by department and category.
SHIPPED_DECISIONS = tuple(DecisionFile(p.name, p.read_bytes()) for p in sorted(DIAGRAM_PATH.parent.glob("*.dmn")))

ROLES = frozenset({"citizen", "deputy_commissioner", "district_officer", "commissioner", "chief_secretary"})
FORM_KEYS = frozenset(
    {"dc_triage", "officer_action", "citizen_rating", "escalation_review", "dc_directive", "systemic_review"}
)
STATUSES = frozenset({"submitted", "in_progress", "resolved", "systemic", "closed"})

# Not midnight, so an off-by-a-day or date-truncation error in timer handling shows.
T0 = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)


def parse(xml: bytes | str, decisions=SHIPPED_DECISIONS):
    """Parse a diagram with the portal's registered roles, forms and statuses, and (unless told
    otherwise) the shipped decision tables."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    return parse_diagram(xml, roles=ROLES, form_keys=FORM_KEYS, statuses=STATUSES, decisions=decisions)


def open_ids(workflow) -> list[str]:
    return sorted(t.element_id for t in open_tasks(workflow))


def tasks_at(workflow, element_id: str) -> list[OpenTask]:
    return [t for t in open_tasks(workflow) if t.element_id == element_id]


def task(workflow, element_id: str) -> OpenTask:
    """The one open task at `element_id`; fails if there is none or several."""
    found = tasks_at(workflow, element_id)
    assert len(found) == 1, f"expected one open {element_id}, open: {open_ids(workflow)}"
    return found[0]


def complete(workflow, element_id: str, **data) -> None:
    complete_task(workflow, task(workflow, element_id).id, data)


def roundtrip(diagram, workflow):
    """Save and restore, as the portal does between two requests."""
    return restore_process(diagram, save_state(workflow))


class Flow:
    """Drives one complaint; every step goes through save/restore."""

    T0 = T0

    def __init__(self, diagram, clock):
        self.diagram = diagram
        self.clock = clock
        self.open_ids = open_ids
        self.tasks_at = tasks_at
        self.task = task

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    def start(self, **data):
        start = {"complaint_id": 1, "department_code": None, "category_code": None, **data}
        return self.roundtrip(start_process(self.diagram, start))

    def roundtrip(self, workflow):
        return roundtrip(self.diagram, workflow)

    def complete(self, workflow, element_id: str, **data):
        complete(workflow, element_id, **data)
        return self.roundtrip(workflow)

    def fire_at(self, workflow, when: datetime):
        """Move the clock to `when` and run one timer sweep on a freshly loaded instance."""
        self.clock.move_to(when)
        workflow = self.roundtrip(workflow)
        fire_timers(workflow)
        return self.roundtrip(workflow)

    def fire_after(self, workflow, **delta):
        return self.fire_at(workflow, self.now() + timedelta(**delta))

    # Common paths through the casework.
    def assigned(self, officer_id=7):
        workflow = self.start()
        return self.complete(workflow, "dc_triage", dc_decision="assign", officer_id=officer_id, instruction="see")

    def resolved(self):
        return self.complete(self.assigned(), "officer_action", outcome="resolved", action_taken="fixed")

    def systemic(self, officer_id=7):
        return self.complete(self.assigned(officer_id), "officer_action", outcome="systemic", action_taken="budget")


@pytest.fixture(scope="session")
def diagram():
    return parse(DIAGRAM_PATH.read_bytes())


@pytest.fixture
def clock():
    # tick=False: time stands still unless a test moves it, so due times compare exactly.
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def flow(diagram, clock):
    return Flow(diagram, clock)


@pytest.fixture(scope="session")
def form_answers() -> dict:
    """The answers each registered form can give (form key -> answer sets), as deploy's exploration gets them
    from the form registry: for the tests that explore the shipped diagram's paths without the app."""
    assign = {"dc_decision": "assign", "officer_id": 1, "instruction": "x", "target_district_id": None,
              "transfer_reason": None}
    transfer = {"dc_decision": "transfer", "officer_id": None, "instruction": None, "target_district_id": 1,
                "transfer_reason": "x"}
    return {
        "dc_triage": [assign, transfer],
        "officer_action": [{"outcome": o, "action_taken": "x", "reason": "x"} for o in ("resolved", "systemic", "returned")],
        "citizen_rating": [{"rating": 5, "satisfied": True, "comment": None},
                           {"rating": 1, "satisfied": False, "comment": "x"}],
        "escalation_review": [
            {"review_action": action, "review_officer_id": officer, "review_instruction": "x"}
            for action, officer in (("direct", None), ("reassign", 1), ("systemic", 1), ("systemic", None))
        ],
        "dc_directive": [{"directive_response": "x"}],
        "systemic_review": [{"systemic_review_note": "x"}],
    }


@pytest.fixture(scope="session")
def shipped_xml() -> str:
    return DIAGRAM_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def parse_xml():
    """`parse` as a fixture, for tests that build diagram variants."""
    return parse
