"""The REP monitor's rules, on plain data: deadlines on day N of the next month (Mexico City),
which payments lack their complement, and the order shown."""

from __future__ import annotations

from datetime import UTC, date, datetime

from webapp.rep.monitor import build, deadline


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def test_the_deadline_is_day_n_of_the_next_month_in_mexico_city():
    assert deadline(ts(2026, 11, 15, 12), 5) == date(2026, 12, 5)
    assert deadline(ts(2026, 12, 20, 12), 5) == date(2027, 1, 5)
    # 1 December 03:00 UTC is still 30 November in Mexico City
    assert deadline(ts(2026, 12, 1, 3), 5) == date(2026, 12, 5)
    assert deadline(ts(2027, 1, 10), 31) == date(2027, 2, 28)  # a short month


def _invoice(uuid: str, client: str, balance: float, created: int) -> dict:
    return {
        "uuid": uuid,
        "status": "valid",
        "payment_method": "PPD",
        "last_balance": balance,
        "client": {"id": client},
        "created_at": created,
    }


def _payment(pid: str, client: str, automation: str, paid: int, status: str = "succeeded"):
    return {
        "id": pid,
        "status": status,
        "automation_type": automation,
        "client": {"id": client},
        "succeeded_at": paid,
        "total": 100,
    }


def test_payments_without_their_complement_are_due_by_deadline():
    invoices = [
        _invoice("B", "c1", 50, ts(2026, 10, 2)),
        _invoice("A", "c1", 10, ts(2026, 9, 1)),
        _invoice("PAID", "c2", 0, ts(2026, 9, 1)),
    ]
    complements = [
        {"status": "valid", "payment_complement": {"payment_id": "done"}},
        {"status": "cancelled", "payment_complement": {"payment_id": "undone"}},
    ]
    payments = [
        _payment("done", "c1", "ppd_invoice_and_complement", ts(2026, 11, 3)),
        _payment("undone", "c2", "ppd_invoice_and_complement", ts(2026, 11, 20)),
        _payment("loose", "c1", "none", ts(2026, 10, 9)),
        _payment("plain", "c3", "none", ts(2026, 10, 9)),
        _payment("early", "c1", "none", ts(2026, 8, 1)),  # before any PPD invoice
        _payment("pue", "c1", "pue_invoice", ts(2026, 10, 9)),
        _payment("pending", "c1", "ppd_invoice_and_complement", ts(2026, 10, 9), status="pending"),
    ]
    report = build(invoices, complements, payments, today=date(2026, 12, 3), deadline_day=5)
    assert [inv["uuid"] for inv in report.open_invoices] == ["A", "B"]  # oldest first
    assert [(row.payment["id"], row.why) for row in report.due] == [
        ("loose", "unlinked"),
        ("undone", "failed"),
    ]
    assert [inv["uuid"] for inv in report.due[0].open_invoices] == ["A", "B"]
    assert [row.due for row in report.due] == [date(2026, 11, 5), date(2026, 12, 5)]
    assert [row.days_left for row in report.due] == [-28, 2] and report.overdue == 1
