"""Every Open311 resource in XML and in JSON, with the specification's names."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.models import Category, Role
from tests.app.helpers import lodge
from tests.open311.conftest import SERVICE_CODE, error_codes, json_of, post_request, records, xml_of

FORMATS = ["xml", "json"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "lat", "long",
]
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


@pytest.fixture()
def lodged(session, make_user, places):
    return lodge(session, make_user(Role.CITIZEN), places["peshawar"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(client, fmt):
    response = client.get(f"/open311/v2/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        document = json_of(response)
        (endpoint,) = document["endpoints"]
        formats = endpoint["formats"]
    else:
        root = xml_of(response)
        assert root.tag == "discovery"
        document = {child.tag: child.text for child in root}
        (node,) = root.find("endpoints")
        assert node.tag == "endpoint"
        endpoint = {child.tag: child.text for child in node}
        formats = [f.text for f in node.find("formats")]
        assert {f.tag for f in node.find("formats")} == {"format"}
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(document)
    assert W3C.match(document["changeset"]) and W3C.match(endpoint["changeset"])
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2" and endpoint["type"] == "production"
    assert formats == ["text/xml", "application/json"]
    assert "district_code" in response.get_data(as_text=True)  # the extension is documented there


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_complaint_categories(client, session, fmt):
    response = client.get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 200
    services = records(response, fmt, "services", "service")
    assert len(services) == session.scalar(select(func.count()).select_from(Category))
    assert all(list(s) == SERVICE_FIELDS for s in services)
    staff_absent = next(s for s in services if s["service_code"] == SERVICE_CODE)
    assert staff_absent["service_name"] == "Doctor or staff absent from duty"
    assert staff_absent["group"] == "Health" and staff_absent["type"] == "realtime"
    assert staff_absent["metadata"] == (False if fmt == "json" else "false")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_has_no_attributes(client, fmt):
    response = client.get(f"/open311/v2/services/{SERVICE_CODE}.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        assert json_of(response) == {"service_code": SERVICE_CODE, "attributes": []}
    else:
        root = xml_of(response)
        assert root.tag == "service_definition"
        assert [child.tag for child in root] == ["service_code", "attributes"]
        assert root.findtext("service_code") == SERVICE_CODE and len(root.find("attributes")) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_districts_extension_lists_the_codes_to_post_with(client, fmt):
    districts = records(client.get(f"/open311/v2/districts.{fmt}"), fmt, "districts", "district")
    assert len(districts) == 40
    assert {"district_code": "PES", "name": "Peshawar", "division": "Peshawar"} in districts


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_list_and_one_request(client, lodged, fmt):
    listed = records(client.get(f"/open311/v2/requests.{fmt}"), fmt, "service_requests", "request")
    response = client.get(f"/open311/v2/requests/{lodged.tracking_number}.{fmt}")
    assert response.status_code == 200
    (one,) = records(response, fmt, "service_requests", "request")
    assert listed == [one]
    assert list(one) == REQUEST_FIELDS
    assert one["service_request_id"] == lodged.tracking_number
    assert one["status"] == "open"
    assert one["service_code"] == lodged.category.code and one["service_name"] == lodged.category.name
    assert one["agency_responsible"] == f"{lodged.department.name}, Peshawar"
    assert one["status_notes"] == "Received; waiting for the Deputy Commissioner to assign it."
    assert one["description"] == lodged.description
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.match(one[name]), (name, one[name])
    assert one["requested_datetime"].endswith("+05:00")
    assert "media_url" not in one  # photos are never published


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_answers_with_the_service_request_id_and_tokens_map_to_it(client, api_key, fmt):
    response = post_request(client, fmt, api_key)
    assert response.status_code == 201
    (created,) = records(response, fmt, "service_requests", "request")
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    tracking = created["service_request_id"]
    assert re.fullmatch(r"KP-\d{4}-\d{7}", tracking)
    assert "Health, Peshawar" in created["service_notice"]

    token_response = client.get(f"/open311/v2/tokens/{tracking}.{fmt}")
    assert token_response.status_code == 200
    (mapping,) = records(token_response, fmt, "service_requests", "request")
    assert mapping == {"service_request_id": tracking, "token": tracking}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "path",
    ["/services/NO-SUCH-CODE", "/requests/KP-0000-0000000", "/tokens/no-such-token", "/no-such-resource"],
)
def test_unknown_things_are_404_error_lists(client, fmt, path):
    response = client.get(f"/open311/v2{path}.{fmt}")
    assert response.status_code == 404
    ((code, description),) = error_codes(response, fmt)
    assert code == 404 and description


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_parameters_are_400_error_lists(client, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}?status=pending&start_date=yesterday&page_size=5000")
    assert response.status_code == 400
    found = error_codes(response, fmt)
    assert {code for code, _ in found} == {400}
    assert any(d.startswith("start_date:") for _, d in found)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_without_a_valid_key_is_a_403_error_list(client, fmt):
    for key in (None, "kp311_not-a-key"):
        response = post_request(client, fmt, key)
        assert response.status_code == 403
        ((code, description),) = error_codes(response, fmt)
        assert code == 403 and "api_key" in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_method_is_a_405_error_list(client, fmt):
    response = client.post(f"/open311/v2/services.{fmt}")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert error_codes(response, fmt)[0][0] == 405


def test_an_unknown_format_is_a_404_in_xml(client):
    response = client.get("/open311/v2/services.csv")
    assert response.status_code == 404
    assert error_codes(response, "xml")[0][0] == 404


def test_public_reads_may_be_fetched_from_other_sites(client):
    assert client.get("/open311/v2/services.json").headers["Access-Control-Allow-Origin"] == "*"
