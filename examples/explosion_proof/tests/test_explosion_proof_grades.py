"""Markings follow GB/T 3836 / IEC 60079-0: Ex, types of protection, group, temperature
class, optional EPL.  A bad grade or certificate is refused with a clear message and
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from explosion_proof.grades import Mismatch, find_grade, parse_grade, read_grade
from explosion_proof.models import ExplosionProofRating
from explosion_proof.services import RatingInput, set_rating
from explosion_proof_support import build_env, in_days
from sqlalchemy import func, select

from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.core.i18n import Translator

VALID = [
    ("Ex d IIB T4 Gb", ("d",), "IIB", "T4", "Gb"),
    ("Ex db eb IIC T6 Gb", ("db", "eb"), "IIC", "T6", "Gb"),
    ("Ex ia IIC T4 Ga", ("ia",), "IIC", "T4", "Ga"),
    ("Ex nA IIA T3", ("nA",), "IIA", "T3", None),
    ("Ex e II T3 Gc", ("e",), "II", "T3", "Gc"),
    ("Ex d IIB+H2 T4 Gb", ("d",), "IIB+H2", "T4", "Gb"),
    ("Ex tb IIIC T135°C Db", ("tb",), "IIIC", "T135°C", "Db"),
    ("Ex d I Mb", ("d",), "I", None, "Mb"),
    ("Ex pxb mb IIB T5 Gb", ("pxb", "mb"), "IIB", "T5", "Gb"),
    ("Ex eb IIC T4 Gb", ("eb",), "IIC", "T4", "Gb"),
    ("Ex d IIB T4", ("d",), "IIB", "T4", None),
    ("Ex tb IIIC T85°C Db", ("tb",), "IIIC", "T85°C", "Db"),
    ("Ex db I Mb", ("db",), "I", None, "Mb"),
    ("Ex db eb IIC T4 Gb", ("db", "eb"), "IIC", "T4", "Gb"),
    ("Ex nA IIC T3 Gc", ("nA",), "IIC", "T3", "Gc"),
    ("Ex ia IIIC T135°C Da", ("ia",), "IIIC", "T135°C", "Da"),
    ("Ex ia IIC T4 Gb", ("ia",), "IIC", "T4", "Gb"),   # a lower EPL may be marked
    ("Ex db ia IIC T6 Gb", ("db", "ia"), "IIC", "T6", "Gb"),
]

#: Markings that follow the pattern but contradict themselves: (text, protection, group
#: the protection is not for, or EPL it does not reach).
MISMATCHED = [
    ("Ex tb IIC T4 Gb", "tb", "IIC", None),      # enclosure "t" protects against dust
    ("Ex d IIIC T135°C Db", "d", "IIIC", None),  # flameproof is no dust protection
    ("Ex nA I Mb", "nA", "I", None),             # type n is not for mines
    ("Ex ic I Mb", "ic", "I", None),             # mines know no level c
    ("Ex d IIB T4 Ga", "d", None, "Ga"),         # flameproof reaches Gb, not zone 0
    ("Ex nA IIC T3 Gb", "nA", None, "Gb"),       # type n reaches Gc
    ("Ex db ia IIC T4 Ga", "db", None, "Ga"),    # combined: the weakest level counts
    ("Ex tc IIIC T135°C Db", "tc", None, "Db"),
]

INVALID = [
    "",                         # nothing
    "d IIB T4 Gb",              # no Ex
    "EX d IIB T4 Gb",           # Ex is written Ex
    "Ex IIB T4 Gb",             # no type of protection
    "Ex z IIB T4 Gb",           # unknown type of protection
    "Ex d IID T4 Gb",           # no such group
    "Ex d IIB T7 Gb",           # gas temperature classes are T1–T6
    "Ex d IIB Gb",              # no temperature class
    "Ex d IIB T4 Db",           # a dust EPL on gas equipment
    "Ex tb IIIC T4 Db",         # dust takes a surface temperature, T135°C
    "Ex d I T4 Mb",             # mining equipment has no temperature class
    "Ex d IIB T4 Gb extra",     # something after the EPL
    "Ex d IIB T4 Gb " + "x" * 60,
]


@pytest.mark.parametrize(("text", "protection", "group", "temperature", "epl"), VALID)
def test_valid_markings_are_split_into_their_parts(
        text: str, protection: tuple[str, ...], group: str, temperature: str | None,
        epl: str | None) -> None:
    grade = parse_grade(text)
    assert grade is not None
    assert (grade.text, grade.protection, grade.group, grade.temperature_class,
            grade.epl) == (text, protection, group, temperature, epl)


@pytest.mark.parametrize("text", INVALID)
def test_invalid_markings_are_refused(text: str) -> None:
    assert parse_grade(text) is None


@pytest.mark.parametrize(("text", "protection", "group", "epl"), MISMATCHED)
def test_contradictory_markings_are_refused_saying_why(
        text: str, protection: str, group: str | None, epl: str | None) -> None:
    assert parse_grade(text) is None
    assert read_grade(text) == Mismatch(text, protection, group=group, epl=epl)


def test_chinese_spellings_are_normalised() -> None:
    grade = parse_grade("  Ex d ⅡB T4  Gb ")
    assert grade is not None and grade.text == "Ex d IIB T4 Gb"
    dust = parse_grade("Ex tb ⅢC T135℃ Db")
    assert dust is not None and dust.text == "Ex tb IIIC T135°C Db"
    spaced = parse_grade("Ex tb IIIC T 85 °C Db")
    assert spaced is not None and spaced.text == "Ex tb IIIC T85°C Db"


def test_a_marking_is_found_in_free_text() -> None:
    found = find_grade("YB3-132M-4 7.5kW Ex d IIB T4 Gb 380V")
    assert found is not None and found.text == "Ex d IIB T4 Gb"
    assert find_grade("Extra-long shaft, IP55") is None
    assert find_grade("Ex-factory price Ex d IIC T6") is not None


def _attempt(env: Environment, **changes: Any) -> ValidationFailed:
    data: dict[str, Any] = {"product_code": "M01", "grade": "Ex d IIB T4 Gb",
                            "certificate_number": "CNEx1", "certificate_issuer": "CQST",
                            "certificate_expires_on": in_days(300)}
    data.update(changes)
    with pytest.raises(ValidationFailed) as refused, env.unit_of_work() as session:
        set_rating(session, RatingInput(**data))
    return refused.value


def test_bad_input_is_refused_with_clear_errors_and_changes_nothing(database_url: str,
                                                                    ) -> None:
    env = build_env(database_url, [("M01", "")])
    try:
        error = _attempt(env, grade="Ex d IIB T9")
        assert [(e.code, e.field) for e in error.errors] == [("INVALID_GRADE", ("grade",))]
        translator = Translator.for_environment(env)
        message = translator.translate(error.errors[0].message, "zh_CN",
                                       **error.errors[0].params)
        assert "Ex d IIB T9" in message and "例如 Ex d IIB T4 Gb" in message
        english = translator.translate(error.errors[0].message, "en",
                                       **error.errors[0].params)
        assert "expected Ex, the types of protection" in english

        error = _attempt(env, certificate_number=" ", certificate_issuer="x" * 129,
                         certificate_expires_on=in_days(365 * 11), alert_days=0)
        assert sorted((e.code, e.field) for e in error.errors) == [
            ("INVALID", ("alertDays",)), ("INVALID", ("certificateIssuer",)),
            ("INVALID_DATE", ("certificateExpiresOn",)), ("REQUIRED", ("certificateNumber",))]
        error = _attempt(env, certificate_number="N" * 65)
        assert [(e.code, e.field) for e in error.errors] == [("INVALID", ("certificateNumber",))]
        error = _attempt(env, product_code="NOPE")
        assert [e.code for e in error.errors] == ["NOT_FOUND"]
        with env.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(ExplosionProofRating)) == 0
    finally:
        env.database.dispose()
