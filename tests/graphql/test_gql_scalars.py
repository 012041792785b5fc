"""Scalars: ``Decimal`` as a string (never a float), ``Date``, ``DateTime`` in UTC."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from gql_support import FakeEnv, execute

from openjxc.graphql import Contribution, build_schema, field
from openjxc.graphql.scalars import parse_decimal, serialize_decimal


def echo_decimal(value: Decimal) -> Decimal:
    return value


def echo_date(value: dt.date) -> dt.date:
    return value


def echo_datetime(value: dt.datetime) -> dt.datetime:
    return value


def stored_instant() -> dt.datetime:
    return dt.datetime(2024, 5, 1, 8, 30)  # naive, as SQLite returns it: UTC


def float_amount() -> Decimal:
    return 12.5  # type: ignore[return-value]  # the bug the scalar must catch


SCHEMA = build_schema(FakeEnv(("echo", Contribution(queries=[
    field(f, public=True)
    for f in (echo_decimal, echo_date, echo_datetime, stored_instant, float_amount)]))))


def run(query: str, **variables: Any) -> Any:
    return execute(SCHEMA, query, variables=variables)


@pytest.mark.parametrize(("sent", "returned"), [
    ("1280.00", "1280.00"), (" 0.1 ", "0.1"), ("-3", "-3"), ("1E+3", "1000"), (42, "42"),
])
def test_decimals_travel_as_strings(sent: Any, returned: str) -> None:
    result = run("query($v: Decimal!) { echoDecimal(value: $v) }", v=sent)
    assert result.errors is None
    assert result.data == {"echoDecimal": returned}


@pytest.mark.parametrize(("sent", "reason"), [
    (1280.1, "floating-point number is not exact"), (True, "not true or false"),
    ("NaN", "not a finite"), ("Infinity", "not a finite"), ("12,50", "'12,50' is not a number"),
    ("1E+99", "more than 28 digits before"), ("0.0000000000001", "or 12 after the decimal"),
])
def test_decimals_refuse_what_is_not_exact(sent: Any, reason: str) -> None:
    result = run("query($v: Decimal!) { echoDecimal(value: $v) }", v=sent)
    assert result.data is None
    assert reason in result.errors[0].message


def test_a_float_literal_is_refused_too() -> None:
    result = run("{ echoDecimal(value: 12.5) }")
    assert result.errors and "not exact" in result.errors[0].message
    assert run('{ echoDecimal(value: "12.5") }').data == {"echoDecimal": "12.5"}


def test_a_resolver_returning_a_float_is_an_error_not_a_rounded_number() -> None:
    result = run("{ floatAmount }")
    assert result.data is None
    assert "return a Decimal" in result.errors[0].message


def test_serialisation_never_uses_exponents() -> None:
    assert serialize_decimal(Decimal("1E+3")) == "1000"
    assert serialize_decimal(Decimal("0.00001")) == "0.00001"
    assert parse_decimal("1280.00") == Decimal("1280.00")
    with pytest.raises(ValueError, match="non-finite"):
        serialize_decimal(Decimal("NaN"))


def test_datetimes_come_out_in_utc() -> None:
    result = run('{ echoDatetime(value: "2024-05-01T16:30:00+08:00") storedInstant }')
    assert result.data == {"echoDatetime": "2024-05-01T08:30:00+00:00",
                           "storedInstant": "2024-05-01T08:30:00+00:00"}
    assert run('{ echoDatetime(value: "2024-05-01T08:30:00Z") }').data == {
        "echoDatetime": "2024-05-01T08:30:00+00:00"}


def test_a_datetime_without_offset_is_refused() -> None:
    result = run('{ echoDatetime(value: "2024-05-01T09:00:00") }')
    assert result.errors and "has no UTC offset" in result.errors[0].message


def test_dates_are_iso() -> None:
    assert run('{ echoDate(value: "2024-05-01") }').data == {"echoDate": "2024-05-01"}
    refused = run('{ echoDate(value: "01/05/2024") }')
    assert refused.errors and "is not a date such as" in refused.errors[0].message


@pytest.mark.parametrize(("locale", "in_variable", "in_literal"), [
    ("zh_CN", "变量 $input 的 lines[1].quantity：'x' 不是数字",
     "'2026-02-30' 不是有效的日期（格式如 \"2024-05-01\"）"),
    ("en", "Variable $input, at lines[1].quantity: 'x' is not a number",
     "'2026-02-30' is not a date such as \"2024-05-01\""),
])
def test_a_refused_value_is_said_in_the_readers_language(
        locale: str, in_variable: str, in_literal: str) -> None:
    from graphql import GraphQLError

    from openjxc.core.i18n import _
    from openjxc.graphql.masking import localise_scalar_refusal
    from openjxc.graphql.scalars import ScalarInputError

    variable = GraphQLError("Variable '$input' has invalid value at .lines[1].quantity: "
                            "Expected value of type 'Decimal', but encountered error …",
                            original_error=GraphQLError("…", original_error=ScalarInputError(
                                _("{value} is not a number", value="'x'"))))
    literal = GraphQLError("Expected value of type 'Date' …", original_error=ScalarInputError(
        _("{value} is not a date such as \"2024-05-01\"", value="'2026-02-30'")))
    for error in (variable, literal):
        localise_scalar_refusal(error, locale)
    assert (variable.message, literal.message) == (in_variable, in_literal)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_a_date_time_beyond_the_calendar_is_a_clear_error(value: str) -> None:
    from openjxc.graphql.scalars import parse_datetime

    with pytest.raises(ValueError, match="out of the supported range"):
        parse_datetime(value)
