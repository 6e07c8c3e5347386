"""Hostile input for any screen: strategies and checks every form and query parameter can
reuse (``no_server_error`` over Hypothesis-made values), so new screens inherit the habit."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# what people paste, fuzzers send and databases refuse: control characters (NUL first),
# non-ASCII digits that str.isdigit accepts, huge numbers, dates at the ends of the calendar,
# header-splitting CR/LF, markup, very long text
NASTY = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=8),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "²³",
            "٣",
            "99999999999999999999",
            "-1",
            "0",
            "9999-12-31",
            "0001-01-01",
            "/\r\nSet-Cookie: x=1",
            "//evil.test",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%00",
            "x" * 5000,
        ]
    ),
)

# each example is a request or two: few enough to keep the suite quick
HOSTILE_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def no_server_error(response, what: str) -> None:
    """Any 4xx (or a page) is a fine answer to hostile input; a 5xx never is."""
    assert response.status_code < 500, f"{what}: {response.status_code}"


# -- values for every kind of control, for the test that finds its targets itself ------------

# markup that must never come back as markup: each carries ``x-h`` so a reflection is found
# whatever case or filter the field applied
MARKUP = st.sampled_from(
    [
        "<x-h>",
        '"><x-h>',
        "'><x-h>",
        "<img src=x onerror=alert(1)><x-h>",
        '" x-h="1',
        "' x-h='1",
        "</textarea><x-h>",
        "</script><x-h>",
        "{{7*7}}x-h",
        "${7*7}x-h",
    ]
)
REFLECTED = re.compile(r"<x-h|[\"'] x-h=|49x-h", re.I)
SQL = st.sampled_from(
    ["' OR 1=1 --", "'; DROP TABLE staff; --", '" OR ""="', "%' OR '%'='", "1) OR (1=1"]
)
# text a browser can send (no lone surrogates): right-to-left marks, zero widths, emoji, …
UNICODE = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(["\u202eabc", "\u200b", "\ufeff", "e\u0301" * 50, "🧾" * 100, "é" * 20_000]),
)
# numbers at and past every limit: NaN, ∞, past a float, past an int of the database, exponents,
# digits that are not ASCII
NUMBERS = st.one_of(
    st.sampled_from(
        [
            "NaN",
            "-nan",
            "Infinity",
            "-Infinity",
            "inf",
            "1e309",
            "-1e309",
            "1e-400",
            "1000000000000",
            "1000000000001",
            "-0",
            "0",
            "-1",
            "0.001",
            "2147483648",
            "9223372036854775808",
            "99999999999999999999",
            "1e5",
            "1_000",
            "٣",
            "²³",
            "0x10",
            " 7 ",
            "1,5",
        ]
    ),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
DATES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "1969-12-31",
            "1970-01-01",
            "2999-12-31",
            "3000-01-01",
            "2024-02-29",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "24-01-01",
            "10000-01-01",
            "-2024-01-01",
            "2024-01-01T00:00",
        ]
    ),
    st.dates().map(lambda day: day.isoformat()),
)
IDS = st.one_of(
    st.sampled_from(
        [
            " ",
            ".",
            "..",
            "%2e",
            "a/b",
            "../teams",
            "x" * 300,
            "a\x00b",
            "client_<x-h>",
            "é",
            "-1",
            "00000000-0000-0000-0000-000000000000",
            "client_doesnotexist",
        ]
    ),
    st.text(max_size=20),
)
# an object id as REFERENCE §1.11 has them (client_Ab3…, a fiscal UUID, a Firebase uid):
# anything else in a URL is the not-found page
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
CURSORS = st.one_of(
    st.sampled_from(["", "null", "0", "-1", "eyJ9", "eyJrIjpbXX0", "=", "a" * 5000, "../", "%00"]),
    st.binary(max_size=60).map(lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")),
)
ANYTHING = st.one_of(NASTY, MARKUP, SQL, UNICODE, NUMBERS, DATES, IDS)

NUMERIC_NAMES = re.compile(
    r"(quantity|price|amount|rate|ieps|live|test|days|cuts|exchange|total)$", re.I
)
ID_NAMES = re.compile(r"(_id|uuid|replaces|related|service|applied|team|staff|before)$", re.I)


def values_for(name: str, kind: str, options: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """Hostile values for one control, weighted to what it expects: its own options (so the
    rest of the form is reached), then what breaks controls of its kind, then anything."""
    own = [st.sampled_from(list(options))] if options else []
    if kind == "number" or NUMERIC_NAMES.search(name):
        fitting = [NUMBERS]
    elif kind == "date" or name.startswith("date") or name.endswith("_on"):
        fitting = [DATES]
    elif name == "next":
        fitting = [CURSORS]
    elif ID_NAMES.search(name):
        fitting = [IDS]
    else:
        fitting = [MARKUP, SQL]
    return st.one_of(*own, *fitting, ANYTHING)


def reflected(response) -> str | None:
    """The markup an HTML answer shows as markup (None when it shows none)."""
    if response.mimetype != "text/html":
        return None
    found = REFLECTED.search(response.get_data(as_text=True))
    return found.group(0) if found else None
