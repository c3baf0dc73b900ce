"""The OpenAPI document matches the routes, both ways, and the docs page shows all of it without the internet."""
from __future__ import annotations

import re

import schemathesis

from app.api.openapi import document

from .helpers import PREFIX

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
            found |= {(method, path) for method in rule.methods & METHODS}
    return found


def documented() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document()["paths"].items() for method in item}


def test_every_route_is_documented_and_every_documented_operation_exists(app):
    assert routes(app) == documented()
    assert len(documented()) == 26


def test_the_served_document_is_this_one(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == document("/api/v1")
    assert response.get_json()["openapi"] == "3.1.0"


def test_the_document_loads_and_every_reference_resolves():
    doc = document()
    schema = schemathesis.openapi.from_dict(doc)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(documented())
    text = repr(doc)
    for ref in set(re.findall(r"'\$ref': '#/components/(\w+)/(\w+)'", text)):
        assert ref[1] in doc["components"][ref[0]], ref


def test_every_operation_documents_its_errors():
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if operation.get("security") != []:
                assert "401" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)


def test_the_docs_page_shows_every_operation_and_schema(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for method, path in documented():
        assert f"{method} /api/v1{path}</code>" in page, (method, path)
    for name in document()["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "Idempotency-Key" in page and "Retry-After" in page
    assert "&#34;category_id&#34;: 12" in page or '"category_id": 12' in page  # the request example


def test_the_docs_page_loads_nothing_from_elsewhere(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)

    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    # The only scripts are the portal's own files (the app shell every public page carries), none inline.
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all(re.fullmatch(r'<script defer src="/static/[\w/.-]+\.js">', tag) for tag in scripts), scripts


def test_an_undocumented_method_is_405_naming_the_documented_ones(client):
    paths: dict[str, set[str]] = {}
    for method, path in documented():
        paths.setdefault(path, set()).add(method)
    for path, methods in paths.items():
        url = PREFIX + re.sub(r"\{[^}]+\}", "1", path)
        unsupported = sorted(METHODS - methods)[0]

        response = client.open(url, method=unsupported)

        assert response.status_code == 405 and response.mimetype == "application/problem+json", (unsupported, url)
        assert set(response.headers["Allow"].replace(" ", "").split(",")) - {"HEAD", "OPTIONS"} == methods
