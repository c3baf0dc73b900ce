"""A NUL character in any page input is a clear 400, never a database error."""
from __future__ import annotations

import pytest

from app.models import Role
from tests.conftest import login


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/login", {"login": "\x00", "password": "x"}),
        ("/register", {"full_name": "Ali\x00", "cnic": "1730112345671"}),
        ("/open311/v2/requests.json", {"api_key": "k\x00"}),
    ],
)
def test_nul_in_a_form_is_refused(client, path, form):
    response = client.post(path, data=form)
    assert response.status_code == 400


def test_nul_in_a_query_is_refused_for_signed_in_staff(client, make_user):
    login(client, make_user(Role.DEPUTY_COMMISSIONER))
    assert client.get("/complaints?status=open\x00").status_code == 400
    assert client.get("/complaints?status=open").status_code == 200
