"""Hostile input for any screen: strategies and checks every form and query parameter can
reuse (``no_server_error`` over Hypothesis-made values), so new screens inherit the habit."""

from __future__ import annotations

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
