"""Reading an explosion-proof marking (防爆标志) as GB/T 3836 and IEC 60079-0 write it.

A marking reads ``Ex``, one or more types of protection, the equipment group, the
temperature class and, optionally, the equipment protection level (EPL)::

    Ex d IIB T4 Gb        flameproof enclosure, gas group IIB, 135 °C, zone 1
    Ex db eb IIC T6 Gb    flameproof with increased-safety terminal box
    Ex ia IIC T4 Ga       intrinsically safe, zone 0
    Ex tb IIIC T135°C Db  dust, protection by enclosure
    Ex d I Mb             mining (group I takes no temperature class)

Pure functions, no database: the service validates with :func:`parse_grade`, the
product-created handler looks for a marking in free text with :func:`find_grade`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Types of protection (IEC 60079-0 table 1 and GB/T 3836.1) → the protection level they
#: reach (``a`` highest … ``c``; None: the standard leaves it to the certificate).
PROTECTION_LEVELS: dict[str, str | None] = {
    "d": "b", "da": "a", "db": "b", "dc": "c",            # flameproof enclosure 隔爆型
    "e": "b", "eb": "b", "ec": "c",                       # increased safety 增安型
    "ia": "a", "ib": "b", "ic": "c",                      # intrinsic safety 本质安全型
    "p": "b", "px": "b", "py": "b", "pz": "c",            # pressurised 正压型
    "pxb": "b", "pyb": "b", "pzc": "c",
    "m": "b", "ma": "a", "mb": "b", "mc": "c",            # encapsulation 浇封型
    "n": "c", "nA": "c", "nC": "c", "nR": "c",            # type n n型
    "o": "b", "ob": "b", "oc": "c",                       # liquid immersion 液浸型
    "q": "b", "qb": "b",                                  # powder filling 充砂型
    "s": None, "sa": "a", "sb": "b", "sc": "c",           # special protection 特殊型
    "t": "b", "ta": "a", "tb": "b", "tc": "c",            # dust, by enclosure 外壳保护型
}
PROTECTION_TYPES = frozenset(PROTECTION_LEVELS)

#: The families of protection (the type's first letter) each kind of equipment may use:
#: enclosure "t" is for dust only; flameproof, increased safety, type n, liquid immersion
#: and powder filling are not dust protections; type n and "t" are not for mines.
FAMILIES = {"M": frozenset("deimpqos"), "G": frozenset("deimpnoqs"),
            "D": frozenset("impst")}

#: Equipment group → the letter its EPL starts with (M mining, G gas, D dust).
GROUPS = {"I": "M", "II": "G", "IIA": "G", "IIB": "G", "IIB+H2": "G", "IIC": "G",
          "IIIA": "D", "IIIB": "D", "IIIC": "D"}

#: For each gas group an area is classified in, the equipment groups that may be used
#: there: IIC equipment also serves IIB and IIA areas, "II" (no subdivision) serves all.
SERVES_GAS_GROUP = {
    "IIA": ("II", "IIA", "IIB", "IIB+H2", "IIC"),
    "IIB": ("II", "IIB", "IIB+H2", "IIC"),
    "IIC": ("II", "IIC"),
}

#: For each dust group an area is classified in, the equipment groups that may be used
#: there: IIIC (conductive dust) equipment also serves IIIB and IIIA areas.
SERVES_DUST_GROUP = {
    "IIIA": ("IIIA", "IIIB", "IIIC"),
    "IIIB": ("IIIB", "IIIC"),
    "IIIC": ("IIIC",),
}

EXPECTED_PATTERN = "Ex <protection> <group> <temperature class> [EPL], e.g. Ex d IIB T4 Gb"

_GAS_TEMPERATURE = re.compile(r"^T[1-6]$")
_DUST_TEMPERATURE = re.compile(r"^T[1-9][0-9]{1,2}°C$")
_EPL = {"M": ("Ma", "Mb"), "G": ("Ga", "Gb", "Gc"), "D": ("Da", "Db", "Dc")}
#: Spellings seen on Chinese documents: Roman numeral characters, ℃, stray spacing.
_SPELLINGS = str.maketrans({"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "℃": "°C", "º": "°",
                            "　": " "})
_MAX_LENGTH = 64


@dataclass(frozen=True)
class Mismatch:
    """A marking that follows the pattern but contradicts itself: a type of ``protection``
    not made for the equipment's ``group``, or an ``epl`` higher than it reaches."""

    text: str
    protection: str
    group: str | None = None
    epl: str | None = None


@dataclass(frozen=True)
class Grade:
    """A marking that follows the standard, split into its parts."""

    text: str
    protection: tuple[str, ...]
    group: str
    temperature_class: str | None
    epl: str | None


def normalise(text: str) -> str:
    """One spelling per marking: ASCII numerals, ``°C``, single spaces."""
    spaced = text.translate(_SPELLINGS).replace("T ", "T").replace(" °C", "°C")
    return " ".join(spaced.split())


def parse_grade(text: str) -> Grade | None:
    """The marking ``text`` split into its parts, or None when it does not follow the
    pattern (:data:`EXPECTED_PATTERN`) or contradicts itself (:func:`read_grade`).

    >>> parse_grade("Ex d ⅡB T4 Gb").text
    'Ex d IIB T4 Gb'
    """
    grade = read_grade(text)
    return grade if isinstance(grade, Grade) else None


def read_grade(text: str) -> Grade | Mismatch | None:
    """Like :func:`parse_grade`, but a marking whose parts contradict each other is a
    :class:`Mismatch` saying which (``Ex tb IIC T4 Gb``: ``tb`` is a dust protection;
    ``Ex d IIB T4 Ga``: flameproof reaches Gb, not Ga)."""
    normal = normalise(text)
    tokens = normal.split(" ")
    if len(normal) > _MAX_LENGTH or len(tokens) < 3 or tokens[0] != "Ex":
        return None
    position = 1
    while position < len(tokens) and tokens[position] in PROTECTION_TYPES:
        position += 1
    protection = tuple(tokens[1:position])
    rest = tokens[position:]
    if not protection or not rest or rest[0] not in GROUPS:
        return None
    group, rest = rest[0], rest[1:]
    kind = GROUPS[group]
    temperature = None
    if kind != "M":  # mining equipment is marked without a temperature class
        pattern = _GAS_TEMPERATURE if kind == "G" else _DUST_TEMPERATURE
        if not rest or not pattern.match(rest[0]):
            return None
        temperature, rest = rest[0], rest[1:]
    epl = None
    if rest:
        epl, rest = rest[0], rest[1:]
        if epl not in _EPL[kind] or rest:
            return None
    return _mismatch(normal, protection, group, epl) or Grade(
        normal, protection, group, temperature, epl)


def _mismatch(text: str, protection: tuple[str, ...], group: str, epl: str | None,
              ) -> Mismatch | None:
    kind = GROUPS[group]
    for name in protection:
        level = PROTECTION_LEVELS[name]
        if name[0] not in FAMILIES[kind] or (kind == "M" and level == "c"):
            return Mismatch(text, name, group=group)
        # Combined types reach the level of the weakest; a lower EPL may be marked.
        if epl is not None and level is not None and level > epl[1]:
            return Mismatch(text, name, epl=epl)
    return None


_MARKING_START = re.compile(r"(?<![A-Za-z])Ex(?=[\s　])")


def find_grade(text: str | None) -> Grade | None:
    """The first valid marking inside free text (a product's model or specification,
    e.g. ``YB3-132M-4 7.5kW Ex d IIB T4 Gb 380V``), or None."""
    if not text:
        return None
    for match in _MARKING_START.finditer(text):
        tokens = normalise(text[match.start():]).split(" ")[:7]
        for length in range(len(tokens), 2, -1):
            grade = parse_grade(" ".join(tokens[:length]))
            if grade is not None:
                return grade
    return None
