"""Fixture diagrams that fail at run time, and a way to run complaints on them.

`unquoted_condition.bpmn`: the shipped diagram with `outcome == resolved`
unquoted, so the officer's "resolved" fails at the outcome gateway.
`failing_escalation.bpmn`: a script task after the 15-day timer reads a name
nothing sets, so the timer sweep fails on it.
`failing_redirect.bpmn`: the reviewer's-order gateway compares with an
unquoted `reassign`, so the signal that takes an officer's work back fails.
`failing_start.bpmn`: a script task on the way in reads a name nothing sets,
so the process fails at its start and no complaint can be lodged.

Such a version is stored as an old one was (deployed before deploy explored
the paths), not through `deploy_diagram`, which may refuse it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, select

from app.models import ProcessDefinition
from app.services.casework import deployments

HERE = Path(__file__).resolve().parent


def install_version(session, name: str, *, default: bool = True) -> ProcessDefinition:
    """Store `name`.bpmn as the next version of `complaint` (the default one unless told); committed."""
    xml = (HERE / f"{name}.bpmn").read_text(encoding="utf-8")
    latest = session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_id == "complaint"))
    definition = ProcessDefinition(process_id="complaint", version=latest + 1, xml=xml,
                                   sha256=hashlib.sha256(xml.encode("utf-8")).hexdigest())
    session.add(definition)
    session.flush()
    if default:
        deployments.set_default_version(session, definition)
    session.commit()
    return definition


def shipped_version(session) -> ProcessDefinition:
    """The shipped diagram's first version (the corrected one the tests move complaints to)."""
    return session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id).limit(1))
