"""统一社会信用代码 (unified social credit code), GB 32100-2015.

Eighteen characters from a 31-character alphabet (digits and capitals without I, O, S,
V and Z)::

    9 1 350100 M000100Y4 3
    | | |      |         `- check character (position 18)
    | | |      `----------- organisation code body (positions 9-17)
    | | `------------------ administrative division code, six digits (positions 3-8)
    | `-------------------- organisation type (position 2)
    `---------------------- registration authority (position 1: 1, 5, 9, A, N, Y, ...)

Only what the standard fixes for every code is checked: the length, the alphabet, the
digits of the division code and the check character.  The registration authority and
type codes are left alone on purpose — authorities keep being added (python-stdnum, for
one, refuses the valid codes of bodies registered with A, N or Y).

    >>> normalize(" ９１３５０１００ｍ０００１００ｙ４３ ")
    '91350100M000100Y43'
    >>> problem("91350100M000100Y43") is None
    True
    >>> check_character("91350100M000100Y4")
    '3'
"""

from __future__ import annotations

import unicodedata

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
_VALUE = {character: value for value, character in enumerate(ALPHABET)}

INVALID_CREDIT_CODE = "INVALID_CREDIT_CODE"


def normalize(code: str) -> str:
    """``code`` as people mean it: full-width forms folded to ASCII, outer spaces dropped,
    letters upper-cased (a pasted ``９１３５…`` from a Chinese form is the same code)."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (which must be in the alphabet):
    ``(31 - Σ value × weight mod 31) mod 31``, mapped back to the alphabet."""
    total = sum(_VALUE[character] * weight for character, weight in zip(first17, WEIGHTS,
                                                                        strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> FieldError | None:
    """What is wrong with the (normalised) ``code``, or ``None`` when it is valid.

    The error carries the code ``INVALID_CREDIT_CODE`` and says what is wrong: the
    length, the first character outside the alphabet (1-based position), a division
    code that is not six digits, or the check character expected.
    """
    if len(code) != LENGTH:
        return FieldError(INVALID_CREDIT_CODE,
                          _("A credit code has 18 characters, not {length}"),
                          length=len(code))
    for position, character in enumerate(code, start=1):
        if character not in _VALUE:
            return FieldError(INVALID_CREDIT_CODE,
                              _("Character {character} at position {position} is not "
                                "allowed in a credit code"),
                              character=character, position=position)
    if not code[2:8].isdigit():
        return FieldError(INVALID_CREDIT_CODE,
                          _("Positions 3 to 8 of a credit code are the six digits of an "
                            "administrative division code"))
    expected = check_character(code[:17])
    if code[17] != expected:
        return FieldError(INVALID_CREDIT_CODE,
                          _("Check digit of the credit code should be {expected}, "
                            "not {actual}"),
                          expected=expected, actual=code[17])
    return None


def is_valid(code: str) -> bool:
    """Whether ``code`` (after :func:`normalize`) is a valid credit code."""
    return problem(normalize(code)) is None


def check_credit_code(errors: list[FieldError], value: object, field: str) -> str | None:
    """The normalised code, ``None`` when empty (individuals have none), or ``None``
    with an ``INVALID_CREDIT_CODE`` error for ``field`` recorded."""
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append(FieldError("INVALID", _("Must be text"), field=field))
        return None
    code = normalize(value)
    if not code:
        return None
    found = problem(code)
    if found is not None:
        errors.append(FieldError(found.code, found.message, field=field, **found.params))
        return None
    return code
