"""Money arithmetic of documents (REFERENCE §1.10): rounding and totals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.domain.money import compute_item, compute_totals, round2, to_decimal, to_number

IVA = {"type": "IVA", "rate": 0.16, "factor": "Tasa"}


def item(**over):
    return {"quantity": 1, "unit_price": 1000, "taxes": [IVA], "discount": 0, **over}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.125, "0.13"),
        (2.675, "2.68"),
        (1.005, "1.01"),
        (-0.125, "-0.13"),
        (10, "10.00"),
        ("3.14159", "3.14"),
        (None, "0.00"),
        (True, "0.00"),
        ("abc", "0.00"),
    ],
)
def test_round2_is_half_up(value, expected):
    assert round2(value) == Decimal(expected)


def test_to_decimal_goes_through_str():
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(Decimal("2.5")) == Decimal("2.5")


def test_to_number_never_negative_zero():
    assert str(to_number(Decimal("-0.001"))) == "0.0"
    assert to_number(Decimal("1160")) == 1160.0


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([item()], (1000, 0, 160, 1160)),
        (
            [
                item(
                    taxes=[
                        IVA,
                        {"type": "ISR", "rate": 0.1, "withholding": True},
                        {"type": "IVA", "rate": 0.106667, "withholding": True},
                    ]
                )
            ],
            (1000, 0, -46.67, 953.33),
        ),
        ([item(unit_price=116, taxes=[{**IVA, "inclusive": True}])], (100, 0, 16, 116)),
        (
            [
                item(
                    unit_price=100,
                    taxes=[
                        {**IVA, "inclusive": True},
                        {"type": "IEPS", "rate": 0.08, "inclusive": True},
                    ],
                )
            ],
            # IVA on the price plus the IEPS (LIVA art. 12): 79.82 + 6.39 + 16 % of 86.21
            (79.82, 0, 20.18, 100),
        ),
        ([item(quantity=2, unit_price=500, discount=100)], (1000, 100, 144, 1044)),
        (
            [
                item(
                    quantity=3,
                    unit_price=20,
                    taxes=[{"type": "IEPS", "rate": 1.5, "factor": "Cuota"}, IVA],
                )
            ],
            (60, 0, 14.82, 74.82),  # 4.50 of IEPS, then 16 % of 64.50
        ),
        ([item(taxes=[{"type": "IVA", "rate": 0, "factor": "Exento"}])], (1000, 0, 0, 1000)),
        ([item(taxes=[{"type": "IVA", "rate": 0}])], (1000, 0, 0, 1000)),
        ([item(unit_price=10.125, taxes=[])], (10.13, 0, 0, 10.13)),
        ([item(quantity=3, unit_price=33.333, taxes=[IVA])], (100, 0, 16, 116)),
        ([item(), item(unit_price=250.5, quantity=2)], (1501, 0, 240.16, 1741.16)),
        ([], (0, 0, 0, 0)),
    ],
)
def test_compute_totals(items, expected):
    totals = compute_totals(items)
    assert (totals["subtotal"], totals["discount"], totals["taxes"], totals["total"]) == expected
    assert all(isinstance(v, float) for v in totals.values())


def test_quantity_defaults_to_one():
    assert compute_totals([{"unit_price": 50, "taxes": []}])["total"] == 50


def test_tax_lines_are_rounded_per_item():
    # each line prints Importe 0.78 and IVA round2(0.78 × 0.16) = 0.12; the document adds those
    lines = [item(unit_price=0.78125), item(unit_price=0.78125)]
    assert compute_totals(lines)["taxes"] == 0.24


def test_the_subtotal_is_the_sum_of_the_printed_lines():
    # REFERENCE §1.10: two lines of 1.5 × 10.01 print 15.02 each; the SubTotal a PAC accepts
    # is 30.04 (the old rule rounded the unrounded sum, 30.03)
    lines = [item(quantity=1.5, unit_price=10.01, taxes=[])] * 2
    assert compute_item(lines[0]).importe == Decimal("15.02")
    assert compute_totals(lines)["subtotal"] == 30.04


def test_the_tax_base_is_the_printed_importe_less_the_rounded_discount():
    line = compute_item(item(quantity=3, unit_price=3.335, discount=1.005))
    assert (line.importe, line.discount, line.base) == (
        Decimal("10.01"),
        Decimal("1.01"),
        Decimal("9.00"),
    )
    assert line.taxes[0].amount == Decimal("1.44")
