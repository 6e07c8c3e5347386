"""What an OpenAPI fuzzer found in the sandbox: each answer is the documented 4xx, never a 500."""

from __future__ import annotations

import pytest
import requests

from tests.support.asserts import assert_api_error

SERVICE = {"description": "Consultoría", "product_key": "81111500", "unit_key": "E48"}


@pytest.mark.parametrize("price", [1e26, 1e300, -1e26, 1e15 + 1])
def test_an_absurd_service_price_is_refused_on_its_field_and_creates_nothing(raw, price):
    before = raw.get("/services", params={"limit": 1}).json()["total_results"]
    answer = raw.post("/services", json={**SERVICE, "unit_price": price})
    assert_api_error(answer, 400, "invalid_field_value", "unit_price")
    assert raw.get("/services", params={"limit": 1}).json()["total_results"] == before


def test_the_largest_accepted_price_still_computes(raw):
    answer = raw.post("/services", json={**SERVICE, "unit_price": 1e15})
    assert answer.status_code == 201, answer.text


def test_a_non_ascii_signature_on_a_file_link_is_forbidden(sandbox):
    answer = requests.get(
        f"{sandbox.origin}/files/anything",
        params={"expires": "9999999999", "signature": "ñandú"},
        timeout=10,
    )
    assert_api_error(answer, 403, "forbidden")


def test_405_says_which_methods_are_allowed(raw):
    answer = raw.request("PATCH", "/clients")
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_whole_number_float_is_a_whole_number(raw, teams):
    """A JSON client cannot tell 5.0 from 5."""
    answer = raw.post(
        f"/teams/{teams['partner']}/series", json={"series": "FZ", "live": 3.0, "test": 7.0}
    )
    assert answer.status_code == 201, answer.text
    assert_api_error(
        raw.post(f"/teams/{teams['partner']}/series", json={"series": "FY", "live": 3.5}),
        400,
        "invalid_field_value",
        "live",
    )


def test_a_put_without_a_body_is_refused(raw):
    client = raw.get("/clients", params={"limit": 1}).json()["data"][0]
    assert_api_error(raw.put(f"/clients/{client['id']}"), 400, "invalid_request_body")


def test_validate_refuses_a_body_that_is_not_json(raw):
    client = raw.get("/clients", params={"limit": 1}).json()["data"][0]
    answer = raw.post(
        f"/clients/validate/{client['id']}", data="not json", headers={"Content-Type": "text/plain"}
    )
    assert_api_error(answer, 400, "invalid_request_body")
    assert raw.post(f"/clients/validate/{client['id']}").status_code == 200
