"""Schemathesis against the app in-process (WSGI): generated requests for every operation of the
document, valid and invalid, sent with a citizen's token, must never get a server error, and every
response must be what the document says (status, media type, headers, body).

Driven through Hypothesis directly: schemathesis' pytest plugin does not run under pytest 9.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from app.api.openapi import document
from app.models import Role
from app.services.interop import api_tokens

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",  # the same call without the token is refused
]
# Not "negative_data_rejection": like most HTTP APIs, this one ignores query parameters it does not know.
EXAMPLES = 15  # per operation and mode: the whole run stays well under a minute
WITHOUT_INPUT = {
    f"{method.upper()} {path}"
    for path, item in document()["paths"].items()
    for method, operation in item.items()
    if not operation.get("parameters") and "requestBody" not in operation
}


def check_names(*names):
    from schemathesis.checks import CHECKS as registry

    return [check for check in registry.get_all() if check.__name__ in names]


@pytest.fixture()
def fuzz_schema(app):
    # Limits high enough that generated sign-ins and complaints are not all refused with 429.
    app.config.update(API_REGISTER_LIMIT=10_000, API_SUBMIT_LIMIT=10_000)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_document(fuzz_schema, session, make_user, mode):
    citizen = make_user(Role.CITIZEN)
    checks = check_names(*CHECKS)
    assert len(checks) == len(CHECKS)
    calls, failures = [], {}

    operations = [result.ok() for result in fuzz_schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            # A fresh token for every call: a generated sign-out must not sign the rest of the run out.
            token = api_tokens.issue_token(session, citizen, lifetime=timedelta(days=1)).token
            session.commit()
            calls.append(operation.label)
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

        try:
            run()
        except Unsatisfiable:
            # Nothing in the request can be made invalid (no parameters, no body).
            assert mode is GenerationMode.NEGATIVE and operation.label in WITHOUT_INPUT, operation.label
            calls.append(operation.label)
        except Exception as failure:  # keep going: report every operation that broke the document
            failures[operation.label] = failure

    assert not failures, "\n\n".join(f"{label}:\n{failure}" for label, failure in failures.items())
    # Every operation was called, but the document's own URL, which schemathesis leaves out (test_openapi reads it).
    assert set(calls) == {op.label for op in operations} - {"GET /openapi.json"}, sorted(set(calls))
    # No time limit here: EXAMPLES bounds the run, and a wall-clock limit failed on a busy CI machine
    # (64 s against 60) without saying anything about the API.
