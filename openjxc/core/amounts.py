"""Amounts in words: the uppercase Chinese financial figure (大写金额) printed on documents.

Contracts, delivery notes, invoices and vouchers carry the total twice, in figures and in
words, because the uppercase digits (壹贰叁…) cannot be altered with a stroke of the pen.
The writing rules are the People's Bank of China's 《正确填写票据和结算凭证的基本规定》
(see ``/work/shared/reference/china-accounting.md`` §6):

* digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿 and 元角分; 拾 always has its digit
  before it (10 → 壹拾元整, never 拾元整), as every cheque does;
* 整 after 元 when there are no 角 and 分; never after 分; optional after 角 (we leave it
  out by default; ``whole_after_jiao=True`` writes it for those who prefer 壹元贰角整);
* a run of zeros inside the figure is one 零 (1001 → 壹仟零壹元整); when the 角 is zero
  but the 分 is not, 零 follows 元 (20000.02 → 贰万元零贰分); where the rules allow either
  (a zero at the 元 or 万 place before a non-zero 仟 or 角: 105000 → 壹拾万伍仟元整,
  1680.30 → 壹仟陆佰捌拾元叁角) we write no 零, which keeps the words shortest;
* an amount under one yuan has no 元 part (0.05 → 伍分: the reference is silent here, so
  we follow the product brief); zero is 零元整.

The reference leaves two things to us: negatives are written with 负 in front (the red
figure of a reversal), and the "人民币" prefix is the caller's choice (``currency_prefix``);
with both, the result reads 人民币负壹元整.

    >>> amount_in_words(Decimal("12345.67"))
    '壹万贰仟叁佰肆拾伍元陆角柒分'
    >>> amount_in_words("1000000001")
    '壹拾亿零壹元整'
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["MAX_AMOUNT", "amount_in_words"]

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_GROUP_UNITS = ("仟", "佰", "拾", "")
_FEN = Decimal("0.01")
_WAN = 10**4
_YI = 10**8

#: Amounts must stay below this (10 000 万亿 yuan): beyond it the unit names (兆, 京) are
#: not in everyday financial use, and no document of a dealer gets near it.
MAX_AMOUNT = Decimal(10**16)


def amount_in_words(
    amount: Decimal | int | str,
    *,
    currency_prefix: bool = False,
    whole_after_jiao: bool = False,
) -> str:
    """The amount in uppercase Chinese, rounded half-up to the fen.

    Floats are refused (``TypeError``): a binary float has already lost the cents it was
    meant to carry, so the caller must decide how it became money.  Strings must be plain
    decimal figures (``"1280.50"``); anything else, NaN, infinities and amounts of
    ``MAX_AMOUNT`` or more raise ``ValueError``.
    """
    value = _to_decimal(amount)
    with decimal.localcontext() as ctx:
        ctx.prec = 40  # enough for 16 integer digits plus the fen, never rounding early
        fen_total = int(value.quantize(_FEN, rounding=ROUND_HALF_UP).scaleb(2))
    if abs(fen_total) >= MAX_AMOUNT * 100:
        raise ValueError(f"amount {amount!r} is too large for words (limit {MAX_AMOUNT:,} yuan)")
    negative = fen_total < 0
    yuan, cents = divmod(abs(fen_total), 100)
    jiao, fen = divmod(cents, 10)
    words = _yuan_words(yuan) + _cent_words(yuan, jiao, fen, whole_after_jiao=whole_after_jiao)
    if negative:
        words = "负" + words
    return "人民币" + words if currency_prefix else words


def _to_decimal(amount: object) -> Decimal:
    if isinstance(amount, bool | float):
        raise TypeError(
            f"amount_in_words needs a Decimal, int or str, not {type(amount).__name__} "
            f"({amount!r}): convert money to Decimal where it enters the system"
        )
    if isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, int):
        value = Decimal(amount)
    elif isinstance(amount, str):
        try:
            value = Decimal(amount.strip())
        except decimal.InvalidOperation:
            raise ValueError(f"{amount!r} is not a decimal amount") from None
    else:
        raise TypeError(
            f"amount_in_words needs a Decimal, int or str, not {type(amount).__name__}"
        )
    if not value.is_finite():
        raise ValueError(f"amount {amount!r} is not a finite number")
    if abs(value) >= MAX_AMOUNT:
        raise ValueError(f"amount {amount!r} is too large for words (limit {MAX_AMOUNT:,} yuan)")
    return value


def _yuan_words(yuan: int) -> str:
    if yuan == 0:
        return ""
    return _integer_words(yuan) + "元"


def _cent_words(yuan: int, jiao: int, fen: int, *, whole_after_jiao: bool) -> str:
    if jiao == 0 and fen == 0:
        return "整" if yuan else "零元整"
    if jiao == 0:
        # 元 then a zero 角 before a non-zero 分 must be written 零 (¥16409.02 → …元零贰分);
        # with no 元 at all there is nothing for the zero to stand between.
        return ("零" if yuan else "") + DIGITS[fen] + "分"
    words = DIGITS[jiao] + "角"
    if fen:
        return words + DIGITS[fen] + "分"
    return words + "整" if whole_after_jiao else words


def _integer_words(number: int) -> str:
    """Words for 1 ≤ number < 10**16, split at 亿 and then at 万 (so 10**12 is 壹万亿)."""
    if number >= _YI:
        high, low = divmod(number, _YI)
        return _integer_words(high) + "亿" + _lower_part(low, _YI)
    if number >= _WAN:
        high, low = divmod(number, _WAN)
        return _group_words(high) + "万" + _lower_part(low, _WAN)
    return _group_words(number)


def _lower_part(low: int, base: int) -> str:
    """The part below 亿 or 万; a leading zero there is read as 零 (100100 → 壹拾万零壹佰)."""
    if low == 0:
        return ""
    return ("零" if low < base // 10 else "") + _integer_words(low)


def _group_words(number: int) -> str:
    """Words for 1 ≤ number ≤ 9999: inner zero runs become one 零, trailing zeros vanish."""
    words: list[str] = []
    pending_zero = False
    for digit_char, unit in zip(f"{number:04d}", _GROUP_UNITS, strict=True):
        digit = int(digit_char)
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words.append("零")
            pending_zero = False
        words.append(DIGITS[digit] + unit)
    return "".join(words)
