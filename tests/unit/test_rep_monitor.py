"""The REP monitor's rules on plain data: deadlines on day N of the next month (Mexico City),
and a balance's age bucket (which payments lack their complement is a query on the index:
tests/app/test_rep_monitor.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from webapp.rep.monitor import age_bucket, deadline


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def test_the_deadline_is_day_n_of_the_next_month_in_mexico_city():
    assert deadline(ts(2026, 11, 15, 12), 5) == date(2026, 12, 5)
    assert deadline(ts(2026, 12, 20, 12), 5) == date(2027, 1, 5)
    # 1 December 03:00 UTC is still 30 November in Mexico City
    assert deadline(ts(2026, 12, 1, 3), 5) == date(2026, 12, 5)
    assert deadline(ts(2027, 1, 10), 31) == date(2027, 2, 28)  # a short month


def test_a_ppd_balance_ages_in_buckets_of_thirty_days():
    today = date(2026, 12, 31)
    ages = [0, 30, 31, 60, 61, 90, 91, 400]
    issued = [datetime(2026, 12, 31, 18, tzinfo=UTC) - timedelta(days=days) for days in ages]
    buckets = [age_bucket(when, today) for when in issued]
    assert buckets == ["0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "90+", "90+"]
