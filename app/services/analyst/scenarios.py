"""Simulation scenarios as the modeler sends them (JSON), checked and turned into `workflows.Scenario`."""
from __future__ import annotations

import json

from workflows.analysis import Scenario, ScenarioAnswer

MAX_DAYS = 3650


def scenario_from_json(raw: str) -> Scenario:
    """{"steps": {task id: [{"data": {...}, "after_days": n}]}, "default_days": n, "horizon_days": n}."""
    try:
        body = json.loads(raw or "{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg})") from None
    if not isinstance(body, dict) or not isinstance(body.get("steps", {}), dict):
        raise ValueError("expected an object with a `steps` object")
    steps = {}
    for element_id, answers in body.get("steps", {}).items():
        if not isinstance(answers, list):
            raise ValueError(f"the answers for {element_id} are not a list")
        steps[str(element_id)] = [_answer(element_id, answer) for answer in answers]
    return Scenario(
        steps=steps,
        default_days=_days(body.get("default_days", 1.0), "default_days"),
        horizon_days=_days(body.get("horizon_days", 60), "horizon_days"),
    )


def _answer(element_id, answer) -> ScenarioAnswer:
    if not isinstance(answer, dict) or not isinstance(answer.get("data", {}), dict):
        raise ValueError(f"an answer for {element_id} is not an object with a `data` object")
    after = answer.get("after_days")
    return ScenarioAnswer(data=answer.get("data", {}), after_days=None if after is None else _days(after, element_id))


def _days(value, what) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_DAYS:
        raise ValueError(f"{what}: days must be a number from 0 to {MAX_DAYS}")
    return float(value)
