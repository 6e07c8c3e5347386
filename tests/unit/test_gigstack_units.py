"""Pure unit tests of the gigstack client library: no network, no sleeping."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from webapp.gigstack import (
    CfdiRejected,
    CircuitBreaker,
    CircuitOpen,
    Conflict,
    Forbidden,
    GigstackError,
    NotFound,
    Page,
    RateLimited,
    RetryPolicy,
    Unauthorized,
    Unavailable,
    ValidationError,
    decode_key,
    format_local,
    is_retry_safe,
    iter_items,
    iter_pages,
    normalize_invoice,
    normalize_receipt,
    normalize_times,
    parse_error,
    to_datetime,
    to_local,
)
from webapp.gigstack.errors import parse_retry_after
from webapp.gigstack.files import filename_from
from webapp.gigstack.redact import describe_multipart, describe_query, redact
from webapp.gigstack.resources.base import list_query, seg
from webapp.gigstack.timestamps import to_unix_seconds

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
S0 = int(T0.timestamp())


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def make_key(**claims: object) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        S0,
        float(S0),
        S0 * 1000,
        str(S0),
        "2024-03-01T12:00:00Z",
        "2024-03-01T06:00:00-06:00",
        "2024-03-01T12:00:00",
        "2024-03-01 12:00:00+00:00",
        {"_seconds": S0},
        {"seconds": S0, "nanoseconds": 0},
        {"_seconds": S0, "_nanoseconds": 0},
        datetime(2024, 3, 1, 12, 0, 0),
        datetime(2024, 3, 1, 6, 0, 0, tzinfo=timezone(timedelta(hours=-6))),
    ],
)
def test_to_datetime_accepts_every_form(value: object) -> None:
    result = to_datetime(value)
    assert result == T0
    assert result is not None and result.utcoffset() == timedelta(0)


def test_to_datetime_nanoseconds_and_none() -> None:
    assert to_datetime({"seconds": S0, "nanoseconds": 500_000_000}) == T0 + timedelta(
        milliseconds=500
    )
    assert to_datetime(None) is None
    assert to_datetime("") is None


@pytest.mark.parametrize("bad", ["yesterday", True, [1], {"nope": 1}, float("nan")])
def test_to_datetime_rejects_garbage(bad: object) -> None:
    with pytest.raises(ValueError):
        to_datetime(bad)


def test_ms_threshold_splits_seconds_from_milliseconds() -> None:
    assert to_datetime(10**11).year == 5138  # up to 10^12: seconds
    assert to_datetime(10**12 + 1).year == 2001  # above: milliseconds
    with pytest.raises(ValueError):
        to_datetime(10**12)  # seconds, but past year 9999


def test_normalize_times_recursive() -> None:
    raw = {
        "id": "inv",
        "created_at": S0,
        "stamp": {"stamp_at": S0 * 1000, "sello": "x"},
        "items": [{"paid_at": "2024-03-01T12:00:00Z"}, None],
        "credit_period_start": S0 * 1000,
        "validUntil": {"_seconds": S0},
        "cancelled_at": None,
        "last_login": "not a time",
        "metadata": {"created_at": S0},
        "team": {"sat": {"connected_at": S0, "csd_expires_at": S0, "completed": True}},
        "expires_at": True,
        "total": 10,
    }
    out = normalize_times(raw)
    assert out["created_at"] == T0
    assert out["stamp"]["stamp_at"] == T0
    assert out["stamp"]["sello"] == "x"
    assert out["items"][0]["paid_at"] == T0
    assert out["items"][1] is None
    assert out["credit_period_start"] == T0
    assert out["validUntil"] == T0
    assert out["cancelled_at"] is None
    assert out["last_login"] == "not a time"  # unreadable: kept as is
    assert out["metadata"] == {"created_at": S0}  # caller's own data: untouched
    assert out["team"]["sat"]["connected_at"] == T0
    assert out["expires_at"] is True
    assert out["total"] == 10
    assert raw["created_at"] == S0  # input not mutated


def test_mexico_city_display() -> None:
    local = to_local(S0)
    assert local is not None
    assert local.utcoffset() == timedelta(hours=-6)
    assert local.hour == 6
    assert format_local(S0) == "2024-03-01 06:00"
    assert format_local(None) == ""
    assert format_local("garbage") == ""


def test_to_unix_seconds() -> None:
    assert to_unix_seconds(T0) == S0
    assert to_unix_seconds(T0.replace(tzinfo=None)) == S0
    assert to_unix_seconds(S0 * 1000) == S0
    assert to_unix_seconds(date(2024, 3, 1)) == S0 - 6 * 3600  # midnight Mexico City
    with pytest.raises(TypeError):
        to_unix_seconds(True)


# --- keys -------------------------------------------------------------------------------------


def test_decode_test_key() -> None:
    info = decode_key(make_key(team="team_a", livemode=False, key_id="k_1"))
    assert (info.team, info.livemode, info.key_id, info.is_test) == ("team_a", False, "k_1", True)
    assert not info.is_live


def test_decode_live_key_and_test_rules() -> None:
    live = decode_key(make_key(team="team_b", livemode=True, key_id="k_live"))
    assert live.is_live and live.team == "team_b"
    assert decode_key(make_key(team="t", livemode=True, key_id="key_TEST_9")).is_test
    assert decode_key("sk_test_abcdef").is_test
    assert decode_key("Bearer " + make_key(team="t", livemode=False)).team == "t"


def test_decode_garbage_key_is_live_and_empty() -> None:
    for key in ("", "abc", "a.b.c", "a.!!!.c", f"a.{_b64([1, 2])}.c"):
        info = decode_key(key)
        assert info.team is None and info.livemode is None and info.key_id is None
        assert info.is_test is False


# --- errors -----------------------------------------------------------------------------------


def test_parse_string_error() -> None:
    err = parse_error(404, {"message": "Client not found", "error": "resource_not_found"})
    assert isinstance(err, NotFound)
    assert (err.message, err.code, err.status, err.details) == (
        "Client not found",
        "resource_not_found",
        404,
        [],
    )


def test_parse_object_error_with_details() -> None:
    body = {
        "message": "outer",
        "error": {
            "code": "validation_failed",
            "message": "Invalid request",
            "details": [
                {"field": "items[0].unit_price", "message": "must be >= 0"},
                {"field": "items[0].unit_price", "message": "must be a number"},
                {"field": "client.tax_id", "message": "not a valid RFC"},
            ],
        },
    }
    err = parse_error(400, json.dumps(body).encode())
    assert isinstance(err, ValidationError)
    assert err.message == "Invalid request"
    assert err.code == "validation_failed"
    assert err.field_errors == {
        "items[0].unit_price": ["must be >= 0", "must be a number"],
        "client.tax_id": ["not a valid RFC"],
    }


def test_parse_details_as_string_and_top_level_details_win() -> None:
    err = parse_error(400, {"error": {"code": "invalid_field_value", "details": "limit too big"}})
    assert err.details == [{"field": "", "message": "limit too big"}]
    assert err.field_errors == {"": ["limit too big"]}
    assert err.message == "API error 400"
    err = parse_error(
        400, {"error": {"details": "inner"}, "details": [{"field": "limit", "message": "top"}]}
    )
    assert err.field_errors == {"limit": ["top"]}


def test_parse_success_false_on_200() -> None:
    err = parse_error(200, {"success": False, "message": "Nope", "error": "forbidden"})
    assert isinstance(err, Forbidden) and err.status == 200
    err = parse_error(200, {"success": False, "message": "Odd"})
    assert type(err) is GigstackError and err.message == "Odd"


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (502, b"", Unavailable, "external_service_error"),
        (503, b"<html><body>Service Unavailable</body></html>", Unavailable, "service_unavailable"),
        (401, None, Unauthorized, "unauthorized"),
        (409, "   ", Conflict, "resource_conflict"),
        (413, b"<h1>too big</h1>", ValidationError, "file_upload_error"),
        (429, b"", RateLimited, "rate_limit_exceeded"),
        (422, {"error": "cfdi_service_error"}, CfdiRejected, "cfdi_service_error"),
        (418, b"", GigstackError, "http_418"),
        (599, b"", Unavailable, "service_unavailable"),
    ],
)
def test_parse_empty_or_html_body_uses_status(
    status: int, body: object, cls: type, code: str
) -> None:
    err = parse_error(status, body)
    assert type(err) is cls
    assert err.code == code
    if not isinstance(body, dict):
        assert err.message == f"API error {status}"


def test_unknown_code_mapped_by_status() -> None:
    err = parse_error(400, {"message": "weird", "error": "brand_new_code"})
    assert isinstance(err, ValidationError) and err.code == "brand_new_code"
    err = parse_error(403, {"error": {"code": "mystery"}})
    assert isinstance(err, Forbidden) and err.code == "mystery"
    assert isinstance(parse_error(422, {"error": "validation_failed"}), CfdiRejected)


def test_retry_after_parsing() -> None:
    assert parse_error(429, b"", {"Retry-After": "7"}).retry_after == 7.0
    assert parse_error(503, b"", {"retry-after": "1.5"}).retry_after == 1.5
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after(None) is None


def test_error_str_repr_and_scrub() -> None:
    err = parse_error(401, {"message": "bad token SECRETKEY", "details": "SECRETKEY"})
    err.scrub("SECRETKEY")
    for text in (str(err), repr(err), err.message, json.dumps(err.details)):
        assert "SECRETKEY" not in text
    assert "HTTP 401" in str(err)
    assert isinstance(CircuitOpen("x"), Unavailable)


# --- retry policy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body", "safe"),
    [
        ("GET", None, True),
        ("put", {"a": 1}, True),
        ("POST", {"a": 1}, False),
        ("POST", None, False),
        ("POST", {"idempotency_key": ""}, False),
        ("POST", {"idempotency_key": "abc"}, True),
        ("DELETE", {"idempotency_key": "abc"}, False),
        ("PATCH", None, False),
    ],
)
def test_is_retry_safe(method: str, body: object, safe: bool) -> None:
    assert is_retry_safe(method, body) is safe


def test_backoff_full_jitter_and_budget() -> None:
    policy = RetryPolicy(max_retries=3, base_delay=0.5, max_delay=3.0, rng=lambda: 1.0)
    assert [policy.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert RetryPolicy(rng=lambda: 0.0).backoff(2) == 0.0
    assert policy.delay_for(0, None, remaining=10) == 0.5
    assert policy.delay_for(0, 4.0, remaining=10) == 4.0  # Retry-After wins
    assert policy.delay_for(0, 12.0, remaining=10) is None  # does not fit the budget
    assert policy.delay_for(3, None, remaining=10) is None  # out of retries


# --- breaker ----------------------------------------------------------------------------------


def test_breaker_opens_half_opens_and_closes() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, cooldown=30, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen) as info:
        breaker.before_call()
    assert info.value.retry_after == pytest.approx(30)
    clock.now += 29.9
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 0.1
    assert breaker.state == "half_open"
    breaker.before_call()  # the one trial
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # a second caller while the trial runs
    breaker.record_failure()  # trial failed: open again for a full cooldown
    assert breaker.state == "open"
    clock.now += 30
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.failures == 0
    breaker.before_call()


def test_breaker_success_resets_count_and_release_frees_trial() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, cooldown=5, clock=clock)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    clock.now += 5
    breaker.before_call()
    breaker.release()  # trial ended without news: another trial may go
    breaker.before_call()
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)


# --- pagination -------------------------------------------------------------------------------


def test_page_from_envelope() -> None:
    page = Page.from_envelope(
        {
            "message": "ok",
            "success": True,
            "timestamp": 1,
            "data": [{"id": 1}, None, {"id": 2}],
            "has_more": True,
            "total_results": 9,
            "next": "c2",
        }
    )
    assert page.items == [{"id": 1}, {"id": 2}]
    assert len(page) == 2 and list(page) == page.items and page[0] == {"id": 1}
    assert (page.has_more, page.total_results, page.next, page.next_cursor) == (True, 9, "c2", "c2")
    empty = Page.from_envelope({"data": None, "total_results": "x", "next": ""})
    assert (empty.items, empty.total_results, empty.next, bool(empty)) == ([], None, None, False)


def _fetcher(pages: dict[str | None, Page]) -> tuple[list[str | None], object]:
    calls: list[str | None] = []

    def fetch(cursor: str | None) -> Page:
        calls.append(cursor)
        return pages[cursor]

    return calls, fetch


def test_iter_stops_when_has_more_false() -> None:
    calls, fetch = _fetcher(
        {
            None: Page([{"n": 1}], True, 3, "a"),
            "a": Page([{"n": 2}], True, 3, "b"),
            "b": Page([{"n": 3}], False, 3, "ignored"),
        }
    )
    assert [i["n"] for i in iter_items(fetch)] == [1, 2, 3]
    assert calls == [None, "a", "b"]


@pytest.mark.parametrize("missing", [None, ""])
def test_iter_stops_when_next_missing_or_empty(missing: str | None) -> None:
    calls, fetch = _fetcher({None: Page([{"n": 1}], True, 50, missing)})
    assert len(list(iter_items(fetch))) == 1
    assert calls == [None]


def test_iter_stops_on_repeated_cursor() -> None:
    calls, fetch = _fetcher(
        {
            None: Page([{"n": 1}], True, None, "a"),
            "a": Page([{"n": 2}], True, None, "b"),
            "b": Page([{"n": 3}], True, None, "a"),
        }
    )
    assert len(list(iter_items(fetch))) == 3
    assert calls == [None, "a", "b"]
    calls, fetch = _fetcher({"s": Page([{"n": 1}], True, None, "s")})
    assert len(list(iter_items(fetch, "s"))) == 1


def test_iter_stops_at_page_cap() -> None:
    calls: list[str | None] = []

    def endless(cursor: str | None) -> Page:
        calls.append(cursor)
        return Page([{"n": len(calls)}], True, None, f"c{len(calls)}")

    assert len(list(iter_pages(endless, max_pages=7))) == 7
    assert len(calls) == 7


# --- helpers ----------------------------------------------------------------------------------


def test_list_query() -> None:
    query = list_query(
        {"limit": 5, "created_gte": T0, "created_lte": S0 + 10, "sort": "asc", "next": None},
        status="valid",
        client_id=None,
    )
    assert query == {
        "limit": 5,
        "sort": "asc",
        "created[gte]": S0,
        "created[lte]": S0 + 10,
        "status": "valid",
    }
    with pytest.raises(TypeError):
        list_query({"limmit": 5})


@pytest.mark.parametrize(
    "value", ["", " ", "  ", ".", "..", "a/b", "a b", "a\x00b", "%2e", "é", "x" * 129, None]
)
def test_seg_refuses_what_is_no_id_as_not_found(value) -> None:
    """Never a call: ``/clients/.`` would be the list route, ``a/b`` another path."""
    with pytest.raises(NotFound):
        seg(value)


@pytest.mark.parametrize(
    "value", ["client_Ab3", "wh_12345678", "6F9619FF-8B86-4011-B42D-00CF4FC964FF", "x" * 128]
)
def test_seg_takes_ids_of_every_kind(value) -> None:
    assert seg(value) == value


def test_invoice_and_receipt_normalisers() -> None:
    assert normalize_invoice({"id": "X", "status": "stamped"}) == {
        "id": "X",
        "uuid": "X",
        "status": "valid",
    }
    assert normalize_invoice({"uuid": "U", "id": "X", "status": "cancelled"})["uuid"] == "U"
    assert normalize_receipt({"created_at": 5}) == {"created": 5, "created_at": 5}
    assert normalize_receipt({"created": 7, "created_at": 5}) == {"created": 7, "created_at": 7}


def test_redaction_helpers() -> None:
    assert redact({"password": "p", "nested": [{"keyPass": "k"}], "name": "n"}) == {
        "password": "***",
        "nested": [{"keyPass": "***"}],
        "name": "n",
    }
    assert describe_query({"limit": 1, "signature": "abc"}) == "?limit=1&signature=***"
    text = describe_multipart({"cert": ("c.cer", b"1234", "x")}, {"keyPass": "hunter2"})
    assert text == "cert=<4 bytes>, keyPass=***"


def test_filename_from_disposition() -> None:
    assert filename_from('attachment; filename="ABC.pdf"') == "ABC.pdf"
    assert filename_from("attachment; filename*=UTF-8''fa%C3%B1a.xml") == "faña.xml"
    assert filename_from(None, "http://h/files/tok.pdf?sig=1") == "tok.pdf"
    assert filename_from('attachment; filename="../../etc/passwd"') == ".._.._etc_passwd"


def test_subtrees_left_unwalked_have_no_time_in_the_contract() -> None:
    """``teams`` (a user's memberships, 5,000 for a partner's owner) is not walked: the
    contract's UserTeam has no time field, and none is converted in it."""
    import yaml

    from tests.support.paths import OPENAPI_PATH
    from webapp.gigstack.timestamps import TIME_FIELDS, UNTIMED_FIELDS

    schemas = yaml.safe_load(OPENAPI_PATH.read_text())["components"]["schemas"]
    assert {"teams"} == UNTIMED_FIELDS
    assert schemas["User"]["properties"]["teams"]["items"] == {
        "$ref": "#/components/schemas/UserTeam"
    }
    assert not TIME_FIELDS & set(schemas["UserTeam"]["properties"])
    memberships = [{"team_id": "team_1", "team_name": "Uno", "role": "admin"}]
    user = normalize_times({"id": "u", "created_at": S0, "teams": memberships})
    assert user == {"id": "u", "created_at": T0, "teams": memberships}
