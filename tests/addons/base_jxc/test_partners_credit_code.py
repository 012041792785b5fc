"""统一社会信用代码 (GB 32100-2015): the check character, checked against an independent
formulation, and what is refused with which reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openjxc.addons.base_jxc.partners.credit_code import (
    ALPHABET,
    check_character,
    check_credit_code,
    is_valid,
    normalize,
    problem,
)
from openjxc.core.errors import FieldError
from openjxc.core.i18n import translate

WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FORBIDDEN = "IOSVZ"


def independent_check(first17: str) -> str:
    """The defining property instead of the formula: with the check character (weight
    1), the weighted sum is a multiple of 31.  Weights are 3^i mod 31."""
    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    (found,) = [c for c in ALPHABET if (total + ALPHABET.index(c)) % 31 == 0]
    return found


def _complete(first17: str) -> str:
    return first17 + independent_check(first17)


#: Bodies registered with 1 (编制), 5 (民政), 9 (工商), A (宗教), N (农业) and Y (其他).
REAL_LOOKING = [
    "91350100M000100Y43",  # the widely quoted example
    _complete("91110108MA01ABCDE"),
    _complete("12100000400000000"),
    _complete("53310000500000000"),
    _complete("A1330000MB1234567"),
    _complete("N2440300MA5F12345"),
    _complete("Y1110000MC0000001"),
]


def _message(error: FieldError) -> str:
    return translate(error.message, "en", **error.params)


@pytest.mark.parametrize("code", REAL_LOOKING)
def test_real_looking_codes_are_valid_whatever_their_first_character(code: str) -> None:
    assert problem(code) is None
    assert is_valid(code)
    assert check_character(code[:17]) == code[17]


def test_the_quoted_example_checks_to_3() -> None:
    assert check_character("91350100M000100Y4") == "3"
    assert independent_check("91350100M000100Y4") == "3"


def test_full_width_lower_case_and_spaces_are_normalised() -> None:
    assert normalize("\u3000９１３５０１００ｍ０００１００ｙ４３ ") == "91350100M000100Y43"
    assert is_valid(" 91350100m000100y43\t")
    errors: list[FieldError] = []
    assert check_credit_code(errors, "９１３５０１００Ｍ０００１００Ｙ４３", "creditCode") == (
        "91350100M000100Y43")
    assert errors == []


def test_empty_means_no_credit_code() -> None:
    errors: list[FieldError] = []
    assert check_credit_code(errors, "  ", "creditCode") is None
    assert check_credit_code(errors, None, "creditCode") is None
    assert errors == []


@pytest.mark.parametrize(("code", "message"), [
    ("91350100M000100Y4", "A credit code has 18 characters, not 17"),
    ("91350100M000100Y431", "A credit code has 18 characters, not 19"),
    ("91350100M00O100Y43", "Character O at position 12 is not allowed in a credit code"),
    ("9135010IM000100Y43", "Character I at position 8 is not allowed in a credit code"),
    ("91350100M000100Y4-", "Character - at position 18 is not allowed in a credit code"),
    ("913501A0M000100Y43", "Positions 3 to 8 of a credit code are the six digits of an "
                           "administrative division code"),
    ("91350100M000100Y44", "Check digit of the credit code should be 3, not 4"),
])
def test_each_refusal_says_what_is_wrong(code: str, message: str) -> None:
    found = problem(code)
    assert found is not None and found.code == "INVALID_CREDIT_CODE"
    assert _message(found) == message
    errors: list[FieldError] = []
    assert check_credit_code(errors, code, "creditCode") is None
    assert [(e.code, e.field) for e in errors] == [("INVALID_CREDIT_CODE", ("creditCode",))]


def _bodies() -> st.SearchStrategy[str]:
    chars = st.sampled_from(ALPHABET)
    digits = st.sampled_from("0123456789")
    return st.tuples(st.lists(chars, min_size=2, max_size=2),
                     st.lists(digits, min_size=6, max_size=6),
                     st.lists(chars, min_size=9, max_size=9)).map(
        lambda parts: "".join(c for part in parts for c in part))


@given(_bodies())
def test_any_body_with_its_check_character_is_valid(body: str) -> None:
    code = body + check_character(body)
    assert code[17] == independent_check(body)
    assert problem(code) is None


@given(_bodies(), st.integers(0, 17), st.sampled_from(ALPHABET + FORBIDDEN + "-a "))
def test_any_single_character_change_is_refused(body: str, position: int,
                                                replacement: str) -> None:
    code = body + check_character(body)
    changed = code[:position] + replacement + code[position + 1:]
    if changed == code:
        return
    found = problem(changed)
    assert found is not None and found.code == "INVALID_CREDIT_CODE"
