"""Fixtures of the API tests: fast password hashing, tokens issued through the service, a bearer client."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.interop import api_tokens
from tests.app.helpers import cheap_password_hashing

from .helpers import ApiClient


@pytest.fixture(autouse=True)
def _fast_passwords(monkeypatch):
    cheap_password_hashing(monkeypatch)


@pytest.fixture()
def token_of(session):
    """token_of(user) -> a live bearer token, issued as a sign-in would (committed)."""

    def issue(user, *, days: int = 30) -> str:
        issued = api_tokens.issue_token(session, user, lifetime=timedelta(days=days))
        session.commit()
        return issued.token

    return issue


@pytest.fixture()
def api(client, token_of):
    """api.as_(user).get("/me"): calls /api/v1 with that user's bearer token; api.get(...) sends none."""
    return ApiClient(client, token_of)
