"""The analyst blueprint itself: who reaches the workbench and the one page with a relaxed policy."""
from __future__ import annotations

from flask import Blueprint, request

from ...models import ProcessDefinition, Role

bp = Blueprint("analyst", __name__)

ANALYSTS = (Role.ANALYST, Role.ADMIN)
# bpmn-js's modeler writes a few style attributes (the alignment icons of its
# popup menu); every other page keeps the application's strict policy.
RELAXED_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
RELAXED_ENDPOINTS = {"analyst.modeler"}


@bp.after_request
def _relax_styles_for_the_modeler(response):
    if request.endpoint in RELAXED_ENDPOINTS:
        response.headers["Content-Security-Policy"] = RELAXED_CSP
    return response


def file_name(definition: ProcessDefinition) -> str:
    return f"{definition.process_id}-v{definition.version}.bpmn"
