"""Serial number entry: ranges such as ``YE3-2026-0001..0100`` expand to each unit."""

from __future__ import annotations

import re
from collections.abc import Iterable

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _

#: The most units one range may stand for (a receipt of 100,000 serials is a typo).
MAX_RANGE = 100_000
MAX_SERIAL_LENGTH = 64
_TRAILING_DIGITS = re.compile(r"^(.*?)(\d+)$")


def expand_serials(entries: Iterable[str], errors: list[FieldError],
                   field: tuple[str, ...]) -> list[str]:
    """Each entry is one serial or a range ``PREFIX0001..0100`` / ``PREFIX0001..PREFIX0100``.

    The end may repeat the prefix or give only the number; numbers keep the start's width
    (``0001..0100`` gives ``0001``, ``0002`` … ``0100``).
    """
    serials: list[str] = []
    for i, raw in enumerate(entries):
        entry = str(raw).strip()
        where = (*field, str(i))
        if not entry:
            errors.append(FieldError("REQUIRED", _("A serial number is required"), field=where))
            continue
        if "\x00" in entry or any(c.isspace() for c in entry):
            errors.append(FieldError("INVALID", _("A serial number cannot contain spaces"),
                                     field=where))
            continue
        if ".." not in entry:
            if len(entry) > MAX_SERIAL_LENGTH:
                errors.append(FieldError("INVALID", _("At most {max} characters"), field=where,
                                         max=MAX_SERIAL_LENGTH))
                continue
            serials.append(entry)
            continue
        expanded = _expand_range(entry, errors, where)
        serials.extend(expanded)
    return serials


def _expand_range(entry: str, errors: list[FieldError], where: tuple[str, ...]) -> list[str]:
    start, _sep, end = entry.partition("..")
    start_match = _TRAILING_DIGITS.match(start)
    end_match = _TRAILING_DIGITS.match(end)
    if start_match is None or end_match is None:
        errors.append(FieldError("INVALID_SERIAL_RANGE",
                                 _("A range must end in numbers on both sides, e.g. "
                                   "YE3-2026-0001..0100"), field=where))
        return []
    prefix, first_digits = start_match.groups()
    end_prefix, last_digits = end_match.groups()
    if end_prefix and end_prefix != prefix:
        errors.append(FieldError("INVALID_SERIAL_RANGE",
                                 _("Both ends of a range must share the prefix {prefix}"),
                                 field=where, prefix=prefix))
        return []
    first, last = int(first_digits), int(last_digits)
    if last < first:
        errors.append(FieldError("INVALID_SERIAL_RANGE",
                                 _("A range must not end before it starts"), field=where))
        return []
    if last - first + 1 > MAX_RANGE:
        errors.append(FieldError("INVALID_SERIAL_RANGE",
                                 _("A range may hold at most {max} serial numbers"),
                                 field=where, max=MAX_RANGE))
        return []
    width = len(first_digits)
    if len(prefix) + max(width, len(last_digits)) > MAX_SERIAL_LENGTH:
        errors.append(FieldError("INVALID", _("At most {max} characters"), field=where,
                                 max=MAX_SERIAL_LENGTH))
        return []
    return [f"{prefix}{n:0{width}d}" for n in range(first, last + 1)]
