"""A process state's size and the engine's CPU per save, restore and timer refresh, against issue 16's target.

    python -m bench.state_size [--repeat 300]

Walks one complaint of the shipped diagram (bpmn/complaint.bpmn with its decision tables) through the
engine, saving and restoring between moves as the portal does: lodged; resolved and rejected by the citizen
1, 2 and 3 times (each rework loop: the citizen rejects, the DC assigns again, the officer resolves again);
and, on a fresh complaint, escalated to the Commissioner by its timer. At each point it prints the state's
JSON size as the database stores it (app/db.py `compact_json`: no spaces after separators) and the CPU
(process time, mean of `--repeat`) of `save_state`, `restore_process` and a timer refresh (`fire_timers`
with nothing due: what the sweep's engine step costs beyond its move), and beside `save_state` the
library-based writer it replaced (`engine.library_state`: SpiffWorkflow's serializer, then the compaction),
so that before and after come from the same run. Then one escalation as the sweep runs it (restore a lodged
complaint's state 16 days on, fire its timers, take its snapshot), and the target: ≤ 8 KB at lodging, ≤ 4 KB more per
rework loop, and the ratios.

Writes nothing anywhere; the clock starts at a fixed moment (time-machine) and ticks, as in the portal.
"""
from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import time_machine

try:
    from app.db import compact_json
except ImportError:  # an older checkout under comparison: its engine wrote JSON with SQLAlchemy's default dumps
    compact_json = json.dumps
import workflows
from workflows import (
    complete_task,
    engine,
    fire_timers,
    open_tasks,
    parse_diagram,
    restore_process,
    save_state,
    start_process,
)

ROOT = Path(__file__).resolve().parents[1]
DIAGRAM = ROOT / "bpmn" / "complaint.bpmn"
ROLES = frozenset({"citizen", "deputy_commissioner", "district_officer", "commissioner", "chief_secretary"})
FORM_KEYS = frozenset({"dc_triage", "officer_action", "citizen_rating", "escalation_review", "dc_directive",
                       "systemic_review"})
STATUSES = frozenset({"submitted", "in_progress", "resolved", "systemic", "closed"})
START = {"complaint_id": 1, "district_id": 1, "department_id": 1, "department_code": "PHED", "category_code": "x",
         "officer_id": None}
T0 = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)

LODGING_LIMIT = 8_000  # bytes, as tests/workflows/test_persistence.py counts them
LOOP_LIMIT = 4_000


def stored_size(state: dict) -> int:
    """Bytes as the database writes the value (the same dumps as app/db.py `compact_json`)."""
    return len(compact_json(state).encode("utf-8"))


def cpu_ms(action, repeat: int) -> float:
    started = time.process_time()
    for _ in range(repeat):
        action()
    return 1000 * (time.process_time() - started) / repeat


class Walk:
    def __init__(self, diagram):
        self.diagram = diagram

    def roundtrip(self, workflow):
        return restore_process(self.diagram, json.loads(json.dumps(save_state(workflow))))

    def complete(self, workflow, element_id: str, **data):
        [task] = [t for t in open_tasks(workflow) if t.element_id == element_id]
        complete_task(workflow, task.id, data)
        return self.roundtrip(workflow)


def points(diagram, clock) -> list[tuple[str, object]]:
    """(label, workflow) at each measured point, walked with the clock frozen at T0 (moved for the timer)."""
    walk = Walk(diagram)
    lodged = walk.roundtrip(start_process(diagram, dict(START)))
    found = [("lodged", lodged)]
    workflow = walk.complete(lodged, "dc_triage", dc_decision="assign", officer_id=7, instruction="see")
    workflow = walk.complete(workflow, "officer_action", outcome="resolved", action_taken="fixed")
    found.append(("resolved", workflow))
    for loop in range(1, 4):
        workflow = walk.complete(workflow, "citizen_rating", rating=1, satisfied=False, comment="no")
        workflow = walk.complete(workflow, "dc_triage", dc_decision="assign", officer_id=7, instruction="again")
        workflow = walk.complete(workflow, "officer_action", outcome="resolved", action_taken="again")
        found.append((f"rework loop {loop}", workflow))
    clock.move_to(T0 + timedelta(days=60))  # past every escalation timer of the fresh complaint
    escalated = walk.roundtrip(lodged)
    fire_timers(escalated)
    found.append(("escalated", walk.roundtrip(escalated)))
    return found


def escalation(diagram, state: dict, repeat: int, library) -> None:
    """CPU of one escalation as the sweep's engine step: restore, fire the due timers, snapshot."""
    def restored():
        return restore_process(diagram, state)

    def fired():
        workflow = restored()
        fire_timers(workflow)
        return workflow

    restore = cpu_ms(restored, repeat)
    fire = cpu_ms(fired, repeat) - restore
    workflow = fired()
    # The sweep saves through `snapshot` (the state, the open tasks, the deadlines, the notices).
    snap = cpu_ms(lambda: engine.snapshot(workflow), repeat)
    line = f"one escalation: restore {restore:.2f} + fire {fire:.2f} + snapshot {snap:.2f} = {restore + fire + snap:.2f} ms"
    if library:
        engine.save_state = library
        try:
            old = cpu_ms(lambda: engine.snapshot(workflow), repeat)
        finally:
            engine.save_state = save_state
        line += f" (with the library-based save: snapshot {old:.2f}, in all {restore + fire + old:.2f} ms)"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=300, help="calls per CPU figure (mean)")
    args = parser.parse_args()
    extra = {}
    if hasattr(workflows, "DecisionFile"):  # an older checkout under comparison had no decision tables
        extra["decisions"] = [workflows.DecisionFile(p.name, p.read_bytes()) for p in sorted(DIAGRAM.parent.glob("*.dmn"))]
    diagram = parse_diagram(DIAGRAM.read_bytes(), roles=ROLES, form_keys=FORM_KEYS, statuses=STATUSES, **extra)
    library = getattr(engine, "library_state", None)  # absent before the direct writer: run on an old checkout
    print(f"{'point':<16} {'bytes':>7} {'tasks':>6} {'save ms':>8} {'library save':>13} {'restore ms':>11} "
          f"{'refresh ms':>11}")
    sizes = {}
    # The clock ticks (from T0) as a real one does: a moment saved with its microseconds is longer JSON.
    with time_machine.travel(T0, tick=True) as clock:
        for label, workflow in points(diagram, clock):
            state = json.loads(json.dumps(save_state(workflow)))
            sizes[label] = stored_size(state)
            tasks = len(state["tasks"]) + sum(len(sub["tasks"]) for sub in state.get("subprocesses", {}).values())
            save = cpu_ms(lambda: save_state(workflow), args.repeat)
            old = f"{cpu_ms(lambda: library(workflow), args.repeat):>13.2f}" if library else f"{'-':>13}"
            restore = cpu_ms(lambda: restore_process(diagram, state), args.repeat)
            # A refresh changes nothing when nothing is due: the same restored copy serves every call.
            copy = restore_process(diagram, state)
            refresh = cpu_ms(lambda: fire_timers(copy), args.repeat)
            print(f"{label:<16} {sizes[label]:>7} {tasks:>6} {save:>8.2f} {old} {restore:>11.2f} {refresh:>11.2f}")
            if label == "lodged":
                lodged = state
        clock.move_to(T0 + timedelta(days=16))  # the Commissioner's escalation is due
        escalation(diagram, lodged, args.repeat, library)
    loops = [sizes["resolved"]] + [sizes[f"rework loop {n}"] for n in range(1, 4)]
    growth = [later - earlier for earlier, later in zip(loops, loops[1:])]
    print()
    print(f"at lodging: {sizes['lodged']} B / {LODGING_LIMIT} B = {sizes['lodged'] / LODGING_LIMIT:.2f} "
          f"({'met' if sizes['lodged'] <= LODGING_LIMIT else 'NOT met'})")
    for n, grew in enumerate(growth, 1):
        print(f"rework loop {n}: +{grew} B / {LOOP_LIMIT} B = {grew / LOOP_LIMIT:.2f} "
              f"({'met' if grew <= LOOP_LIMIT else 'NOT met'})")


if __name__ == "__main__":
    main()
