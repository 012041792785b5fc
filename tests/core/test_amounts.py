"""大写金额: the uppercase amount a cheque, contract or voucher carries beside the figure.

Each rule of 《正确填写票据和结算凭证的基本规定》 that the kernel follows is one test here; the
property tests read the words back with an independent parser and check the writing rules
on random amounts, zeros favoured (zeros are where the rules are subtle).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from openjxc.core.amounts import MAX_AMOUNT, amount_in_words

# -- the hard cases, one per rule -------------------------------------------------------------

CASES = [
    # digits, units, 元角分
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    # an amount under one yuan has no 元 part
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("0.10", "壹角"),
    ("0.15", "壹角伍分"),
    # zero itself
    ("0", "零元整"),
    ("0.00", "零元整"),
    # 拾 keeps its 壹 in financial writing
    ("10.00", "壹拾元整"),
    ("15", "壹拾伍元整"),
    ("100000.00", "壹拾万元整"),
    ("100", "壹佰元整"),
    # zeros in the middle: one 零 per run
    ("1001", "壹仟零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("100100", "壹拾万零壹佰元整"),
    ("1000100", "壹佰万零壹佰元整"),
    ("10010.10", "壹万零壹拾元壹角"),
    ("1000000001.00", "壹拾亿零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("1409.50", "壹仟肆佰零玖元伍角"),
    # a zero 万/元 place before a non-zero 仟/角 takes no 零 (the rules allow either)
    ("105000", "壹拾万伍仟元整"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    # a zero 角 before a non-zero 分 is written 零 after 元
    ("20000.02", "贰万元零贰分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("10.01", "壹拾元零壹分"),
    ("1000000.05", "壹佰万元零伍分"),
    # 万亿 range
    ("1000000000000", "壹万亿元整"),
    ("100010000000", "壹仟亿壹仟万元整"),
    ("100100000000", "壹仟零壹亿元整"),
    ("1000100000000", "壹万零壹亿元整"),
    ("1000000010000", "壹万亿零壹万元整"),
    ("9999999999999999.99",
     "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("figure", "words"), CASES)
def test_amount_in_words(figure: str, words: str) -> None:
    assert amount_in_words(Decimal(figure)) == words


def test_int_str_and_decimal_inputs_agree() -> None:
    assert amount_in_words(1001) == amount_in_words("1001") == amount_in_words(Decimal("1001"))
    assert amount_in_words(" 12.30 ") == "壹拾贰元叁角"


def test_reference_examples_from_the_china_accounting_notes() -> None:
    # china-accounting.md §6, checked there against cn2an.an2cn(x, "rmb").
    assert amount_in_words("12345.67") == "壹万贰仟叁佰肆拾伍元陆角柒分"
    assert amount_in_words("10.01") == "壹拾元零壹分"
    assert amount_in_words("100") == "壹佰元整"
    assert amount_in_words("1000000.05") == "壹佰万元零伍分"


def test_zheng_never_follows_fen_and_is_optional_after_jiao() -> None:
    assert not amount_in_words("1.23").endswith("整")
    assert amount_in_words("1.20") == "壹元贰角"
    assert amount_in_words("1.20", whole_after_jiao=True) == "壹元贰角整"
    assert amount_in_words("0.50", whole_after_jiao=True) == "伍角整"
    assert amount_in_words("1.23", whole_after_jiao=True) == "壹元贰角叁分"
    assert amount_in_words("1", whole_after_jiao=True) == "壹元整"


def test_negative_amounts_are_prefixed_fu() -> None:
    assert amount_in_words("-12345.67") == "负壹万贰仟叁佰肆拾伍元陆角柒分"
    assert amount_in_words(-10) == "负壹拾元整"
    assert amount_in_words("-0.05") == "负伍分"


def test_currency_prefix_comes_before_the_sign() -> None:
    assert amount_in_words("100", currency_prefix=True) == "人民币壹佰元整"
    assert amount_in_words("-1", currency_prefix=True) == "人民币负壹元整"


def test_rounds_half_up_to_the_fen() -> None:
    assert amount_in_words("1.225") == "壹元贰角叁分"  # half-even would give 贰分
    assert amount_in_words("0.005") == "壹分"
    assert amount_in_words("0.004") == "零元整"
    assert amount_in_words("9.995") == "壹拾元整"
    assert amount_in_words("-1.225") == "负壹元贰角叁分"


def test_a_negative_amount_that_rounds_to_zero_is_plain_zero() -> None:
    assert amount_in_words("-0.004") == "零元整"
    assert amount_in_words(Decimal("-0")) == "零元整"


@pytest.mark.parametrize("value", [1.5, 0.1, float("nan"), True, None, [1], b"1"])
def test_floats_and_other_types_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        amount_in_words(value)  # type: ignore[arg-type]


def test_float_error_says_what_to_do() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        amount_in_words(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    ["", "abc", "1,000.00", "¥12", "12元", "NaN", "Infinity", "-inf", Decimal("NaN"),
     Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")],
)
def test_invalid_or_non_finite_input_is_a_value_error(value: str | Decimal) -> None:
    with pytest.raises(ValueError, match="not a (decimal amount|finite number)"):
        amount_in_words(value)


@pytest.mark.parametrize("value", [MAX_AMOUNT, -MAX_AMOUNT, "9999999999999999.995", 10**20,
                                   Decimal("1E+100")])
def test_amounts_beyond_the_wan_yi_range_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="too large"):
        amount_in_words(value)  # type: ignore[arg-type]


# -- reading the words back ------------------------------------------------------------------

DIGIT_VALUE = {ch: i for i, ch in enumerate("零壹贰叁肆伍陆柒捌玖")}
NONZERO = "[壹贰叁肆伍陆柒捌玖]"
CENTS = re.compile(f"(整)|(零)?(?:({NONZERO})角)?(?:({NONZERO})分)?")
GROUP_UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def parse_group(words: str) -> int:
    """Up to 9999: digit-unit pairs, a lone 零 between them, a bare digit last."""
    assert words, "empty group"
    assert re.fullmatch(f"(?:{NONZERO}[拾佰仟]?|零)+", words), words
    total, digit = 0, None
    for ch in words:
        if ch == "零":
            assert digit is None
        elif ch in GROUP_UNIT:
            assert digit is not None, f"{ch} without its digit in {words}"
            total += digit * GROUP_UNIT[ch]
            digit = None
        else:
            assert digit is None
            digit = DIGIT_VALUE[ch]
    return total + (digit or 0)


def parse_integer(words: str) -> int:
    high, sep, low = words.rpartition("亿")
    if sep:
        return parse_integer(high) * 10**8 + (parse_integer(low.removeprefix("零")) if low else 0)
    high, sep, low = words.rpartition("万")
    if sep:
        return parse_group(high) * 10**4 + (parse_group(low.removeprefix("零")) if low else 0)
    return parse_group(words)


def parse_amount(words: str) -> Decimal:
    """An independent reader of 大写金额 (the inverse of amount_in_words)."""
    sign = -1 if words.startswith("负") else 1
    words = words.removeprefix("负")
    if words == "零元整":
        return Decimal("0.00")
    yuan_words, sep, rest = words.partition("元")
    if not sep:
        yuan_words, rest = "", words
    match = CENTS.fullmatch(rest)
    assert match, f"bad cents in {words}"
    whole, zero, jiao, fen = match.groups()
    assert not (whole and not yuan_words), words
    assert bool(zero) == bool(yuan_words and not jiao and fen), f"misplaced 零 in {words}"
    yuan = parse_integer(yuan_words) if yuan_words else 0
    cents = DIGIT_VALUE[jiao] * 10 if jiao else 0
    cents += DIGIT_VALUE[fen] if fen else 0
    assert yuan or cents, words
    return sign * (Decimal(yuan) + Decimal(cents) / 100).quantize(Decimal("0.01"))


def test_the_parser_reads_the_hard_cases() -> None:
    for figure, words in CASES:
        assert parse_amount(words) == Decimal(figure).quantize(Decimal("0.01"))


def zero_heavy_amounts() -> st.SearchStrategy[Decimal]:
    """Amounts whose digits are mostly zeros, across the whole range."""
    digits = st.lists(st.sampled_from("0000000123456789"), min_size=1, max_size=18)
    return st.builds(
        lambda ds, negative: Decimal(("-" if negative else "") + "".join(ds)).scaleb(-2),
        digits,
        st.booleans(),
    )


any_amounts = st.decimals(
    min_value=-MAX_AMOUNT + Decimal("0.01"),
    max_value=MAX_AMOUNT - Decimal("0.01"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(st.one_of(zero_heavy_amounts(), any_amounts))
@example(Decimal("100100.00"))
@example(Decimal("-1000000001.01"))
def test_words_read_back_to_the_amount(amount: Decimal) -> None:
    assert parse_amount(amount_in_words(amount)) == amount


@given(st.one_of(zero_heavy_amounts(), any_amounts))
def test_writing_rules_hold_for_any_amount(amount: Decimal) -> None:
    words = amount_in_words(amount)
    assert "零零" not in words
    assert words == "零元整" or not re.search(r"零[元万亿整角分]", words), words
    assert not re.search(r"(^|负)零(?!元整)", words), words
    assert not re.search(f"(^|[^{NONZERO[1:-1]}])拾", words), "拾 without its digit"
    assert not words.endswith("分整")
    assert words.endswith("整") == (amount == amount.to_integral_value())
