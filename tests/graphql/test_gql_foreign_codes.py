"""A refusal raised into another domain's mutation (an addon's in-transaction handler)
keeps its message; a code the domain does not declare is given as INVALID, never a 500."""

from __future__ import annotations

from enum import Enum

import pytest

from openjxc.core.errors import FieldError
from openjxc.graphql import make_user_error_type
from openjxc.graphql.payloads import user_errors


class ShelfErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"


class LabelErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"


ShelfError = make_user_error_type("Shelf", ShelfErrorCode)
LabelError = make_user_error_type("Label", LabelErrorCode)


def test_declared_codes_pass_as_they_are() -> None:
    [error] = user_errors([FieldError("NOT_FOUND", "No shelf {code}", field="code",
                                      code="A1")], ShelfError, "en")
    assert (error.code.value, error.field, error.message) == ("NOT_FOUND", ["code"],
                                                              "No shelf A1")


def test_a_foreign_code_becomes_invalid_with_its_message(
        caplog: pytest.LogCaptureFixture) -> None:
    found = user_errors([FieldError("PERIOD_CLOSED", "The period {period} is closed",
                                    field="date", period="2026-06"),
                         FieldError("NOT_FOUND", "No shelf")], ShelfError, "en")
    assert [(e.code.value, e.field, e.message) for e in found] == [
        ("INVALID", ["date"], "The period 2026-06 is closed"),
        ("NOT_FOUND", None, "No shelf")]
    assert "ShelfErrorCode lacks the code PERIOD_CLOSED" in caplog.text


def test_a_domain_without_invalid_still_refuses_to_invent_a_code() -> None:
    with pytest.raises(ValueError):
        user_errors([FieldError("PERIOD_CLOSED", "closed")], LabelError, "en")
