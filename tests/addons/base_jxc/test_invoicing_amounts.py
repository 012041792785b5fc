"""Line amounts: rounded half-up to the cent per line, signs symmetric; line inputs are
refused with the same codes everywhere."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from openjxc.addons.base_jxc.invoicing.amounts import check_line_values, line_amounts
from openjxc.core.errors import FieldError


def D(value: object) -> Decimal:
    return Decimal(str(value))


def test_each_line_is_rounded_half_up_to_the_cent() -> None:
    assert line_amounts(D(3), D("33.333333"), D("0.13")) == (D("100.00"), D("13.00"),
                                                             D("113.00"))
    assert line_amounts(D(1), D("0.125"), D(0)) == (D("0.13"), D("0.00"), D("0.13"))
    assert line_amounts(D(1), D("0.005"), D(0))[0] == D("0.01")
    assert line_amounts(D(1), D("0.004999"), D(0))[0] == D("0.00")
    # The tax is rounded from the rounded amount: 0.50 × 13 % = 0.065 → 0.07.
    assert line_amounts(D("0.5"), D(1), D("0.13")) == (D("0.50"), D("0.07"), D("0.57"))
    assert line_amounts(D("2.5"), D("1280"), D("0.13")) == (D("3200.00"), D("416.00"),
                                                            D("3616.00"))
    # A credit note's line is the exact negative of the invoice's, half-up included.
    assert line_amounts(D(-1), D("0.125"), D("0.13")) == (D("-0.13"), D("-0.02"), D("-0.15"))


quantities = st.decimals(min_value=D("0.0001"), max_value=D(100000), places=4)
prices = st.decimals(min_value=D(0), max_value=D(100000), places=6)
rates = st.sampled_from([D(0), D("0.03"), D("0.06"), D("0.09"), D("0.13"), D("0.123456")])


@given(quantities, prices, rates)
def test_amounts_add_up_and_are_symmetric(quantity: Decimal, price: Decimal,
                                          rate: Decimal) -> None:
    amount, tax, total = line_amounts(quantity, price, rate)
    assert total == amount + tax
    assert abs(amount - quantity * price) <= D("0.005")
    assert abs(tax - amount * rate) <= D("0.005")
    assert all(v == v.quantize(D("0.01")) for v in (amount, tax, total))
    assert line_amounts(-quantity, price, rate) == (-amount, -tax, -total)


def _codes(errors: list[FieldError]) -> set[tuple[tuple[str, ...], str]]:
    return {(e.field, e.code) for e in errors}


def test_line_inputs_are_checked_with_clear_codes() -> None:
    errors: list[FieldError] = []
    assert check_line_values(errors, ("lines", "2"), quantity=D(0), unit_price=D(-1),
                             tax_rate=D(1)) is None
    assert _codes(errors) == {(("lines", "2", "quantity"), "INVALID_QUANTITY"),
                              (("lines", "2", "unitPrice"), "INVALID"),
                              (("lines", "2", "taxRate"), "INVALID")}
    errors = []
    assert check_line_values(errors, "line", quantity=1.5, unit_price=D("1.0000001"),
                             tax_rate=None) is None
    assert _codes(errors) == {(("line", "quantity"), "INVALID"),
                              (("line", "unitPrice"), "INVALID"),
                              (("line", "taxRate"), "INVALID")}
    errors = []
    assert check_line_values(errors, ("lines", "0"), quantity=D(-2), unit_price="x",
                             tax_rate=D("-0.01"), quantity_field="qty") is None
    assert _codes(errors) == {(("lines", "0", "qty"), "INVALID_QUANTITY"),
                              (("lines", "0", "unitPrice"), "INVALID"),
                              (("lines", "0", "taxRate"), "INVALID")}
    errors = []
    assert check_line_values(errors, (), quantity=D("2.50"), unit_price=D("0"),
                             tax_rate=D("0.13")) == (D("2.5000"), D("0E-6"), D("0.130000"))
    assert errors == []
