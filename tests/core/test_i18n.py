"""Languages: catalogues per addon, the current locale, negotiation, formatting, conformance.

The staff read Simplified Chinese first and English second; every message, label, number
and date must come out right in both, in whatever order requests arrive.
"""

from __future__ import annotations

import asyncio
import warnings
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, StrEnum
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openjxc.core import i18n
from openjxc.core.addons import AddonManifest
from openjxc.core.errors import BootError
from openjxc.core.i18n import (
    KERNEL_DIR,
    KERNEL_I18N,
    KernelMessages,
    LazyString,
    TranslationConflictError,
    TranslationConflictWarning,
    Translator,
    _,
    catalog_path,
    current_locale,
    current_translator,
    enum_label,
    format_date,
    format_datetime,
    format_decimal,
    format_money,
    format_quantity,
    missing_enum_labels,
    missing_translations,
    negotiate_locale,
    translate,
    update_catalogs,
    use_locale,
)

NBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM in English


def write_catalog(i18n_dir: Path, locale: str, entries: dict[str, str],
                  fuzzy: frozenset[str] = frozenset()) -> Path:
    """A hand-written .po file, as a translator would leave it."""
    path = catalog_path(i18n_dir, locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=utf-8\\n"', ""]
    for msgid, msgstr in entries.items():
        if msgid in fuzzy:
            lines.append("#, fuzzy")
        lines += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def fake_addon(root: Path, name: str, source: str) -> Path:
    package = root / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(source, encoding="utf-8")
    return package


# -- lazy messages and translate -------------------------------------------------------------

DECLARED_AT_IMPORT = _("Not found")


def test_a_message_declared_at_import_is_read_in_the_current_locale() -> None:
    assert isinstance(DECLARED_AT_IMPORT, LazyString)
    with use_locale("zh_CN"):
        assert str(DECLARED_AT_IMPORT) == "未找到"
        assert f"{DECLARED_AT_IMPORT}!" == "未找到!"
    with use_locale("en"):
        assert str(DECLARED_AT_IMPORT) == "Not found"
        assert DECLARED_AT_IMPORT + ": P-1" == "Not found: P-1"
        assert "» " + DECLARED_AT_IMPORT == "» Not found"


def test_the_default_locale_is_simplified_chinese() -> None:
    assert current_locale() == "zh_CN"
    assert str(KernelMessages.INVALID_INPUT) == "输入无效"


def test_translate_takes_an_explicit_locale_and_fills_placeholders() -> None:
    assert translate("Invalid username or password", "zh_CN") == "用户名或密码错误"
    assert translate("Invalid username or password", "en") == "Invalid username or password"
    assert translate("Product {code} is unknown", "en", code="DJ-1") == "Product DJ-1 is unknown"


def test_an_untranslated_message_falls_back_to_its_msgid() -> None:
    assert translate("No such message anywhere", "zh_CN") == "No such message anywhere"


def test_an_unsupported_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported locale 'fr'"):
        translate("Not found", "fr")
    with pytest.raises(ValueError, match="unsupported locale"), use_locale("de_DE"):
        pass


def test_lazy_strings_with_parameters_and_nested_messages(tmp_path: Path) -> None:
    msgid = "Stock of {code} is short: {reason}"
    write_catalog(tmp_path, "zh_CN", {msgid: "{code} 库存不足：{reason}"})
    translator = Translator([("core", KERNEL_I18N), ("stock", tmp_path)])
    message = LazyString(msgid, {"code": "DJ-7", "reason": _("Not found")})
    with translator.activate("zh_CN"):
        assert str(message) == "DJ-7 库存不足：未找到"
    assert message.resolve("en", translator) == "Stock of DJ-7 is short: Not found"


def test_lazy_string_equality_is_by_message_not_by_text() -> None:
    assert _("Not found") == _("Not found")
    assert _("Not found", x=1) != _("Not found", x=2)
    assert _("Not found") != "Not found"
    assert hash(_("Not found")) == hash(_("Not found"))
    assert repr(_("Not found")) == "_('Not found')"


def test_a_translation_with_broken_placeholders_falls_back_to_the_msgid(tmp_path: Path) -> None:
    write_catalog(tmp_path, "zh_CN", {"Order {number} approved": "订单 {numbr} 已审批"})
    translator = Translator([("sales", tmp_path)])
    assert translator.translate("Order {number} approved", "zh_CN", number="SO-1") == (
        "Order SO-1 approved"
    )


# -- translators per environment -------------------------------------------------------------

def test_catalogues_merge_and_the_first_owner_wins_with_a_warning(tmp_path: Path) -> None:
    base, extender = tmp_path / "base", tmp_path / "ext"
    write_catalog(base, "zh_CN", {"Draft": "草稿", "Warehouse": "仓库"})
    write_catalog(extender, "zh_CN", {"Draft": "草案", "Warehouse": "仓库", "Warranty": "保修"})
    with pytest.warns(TranslationConflictWarning, match="ext translates 'Draft'"):
        translator = Translator([("base", base), ("ext", extender)])
    assert translator.translate("Draft", "zh_CN") == "草稿"
    assert translator.translate("Warranty", "zh_CN") == "保修"
    assert [(c.msgid, c.kept_owner, c.ignored_owner) for c in translator.conflicts] == [
        ("Draft", "base", "ext")
    ]


def test_identical_translations_are_not_conflicts(tmp_path: Path) -> None:
    write_catalog(tmp_path / "a", "zh_CN", {"Warehouse": "仓库"})
    write_catalog(tmp_path / "b", "zh_CN", {"Warehouse": "仓库"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        translator = Translator([("a", tmp_path / "a"), ("b", tmp_path / "b")], strict=True)
    assert translator.conflicts == []


def test_strict_translators_refuse_conflicts(tmp_path: Path) -> None:
    write_catalog(tmp_path / "a", "en", {"Draft": "Draft"})
    write_catalog(tmp_path / "b", "en", {"Draft": "Provisional"})
    with pytest.raises(TranslationConflictError, match="'Draft'"):
        Translator([("a", tmp_path / "a"), ("b", tmp_path / "b")], strict=True)


def test_fuzzy_and_empty_entries_are_not_used(tmp_path: Path) -> None:
    write_catalog(tmp_path, "zh_CN", {"Draft": "草稿", "Posted": "", "Closed": "关闭"},
                  fuzzy=frozenset({"Draft"}))
    translator = Translator([("x", tmp_path)])
    assert translator.translate("Draft", "zh_CN") == "Draft"
    assert translator.translate("Posted", "zh_CN") == "Posted"
    assert translator.translate("Closed", "zh_CN") == "关闭"
    assert not translator.has("Draft", "zh_CN")


def test_a_broken_catalogue_fails_loudly(tmp_path: Path) -> None:
    path = catalog_path(tmp_path, "en")
    path.parent.mkdir(parents=True)
    path.write_text('msgid "A"\nmsgstr "B"\nthis is not po\n', encoding="utf-8")
    with pytest.raises(BootError, match="invalid catalogue"):
        Translator([("x", tmp_path)])


def test_an_edited_catalogue_is_reread(tmp_path: Path) -> None:
    write_catalog(tmp_path, "zh_CN", {"Draft": "草稿"})
    assert Translator([("x", tmp_path)]).translate("Draft", "zh_CN") == "草稿"
    write_catalog(tmp_path, "zh_CN", {"Draft": "草稿单据"})
    assert Translator([("x", tmp_path)]).translate("Draft", "zh_CN") == "草稿单据"


def manifest(name: str, path: Path, depends: tuple[str, ...] = ()) -> AddonManifest:
    return AddonManifest(name=name, version="1.0", kernel=">=0", depends=depends, tier="basic",
                         summary=name, package=name, path=path, table_prefix=name)


def test_for_environment_merges_kernel_then_addons_in_dependency_order(tmp_path: Path) -> None:
    write_catalog(tmp_path / "base" / "i18n", "zh_CN", {"Not found": "找不到", "Draft": "草稿"})
    write_catalog(tmp_path / "ext" / "i18n", "zh_CN", {"Draft": "草案"})
    env = SimpleNamespace(
        addons=(manifest("base", tmp_path / "base"), manifest("ext", tmp_path / "ext", ("base",))),
        settings=SimpleNamespace(default_locale="en", timezone="Asia/Shanghai"),
        extensions={},
    )
    with pytest.warns(TranslationConflictWarning) as caught:
        translator = Translator.for_environment(cast(Any, env))
    assert [str(w.message).split(" translates")[0] for w in caught] == ["base", "ext"]
    assert translator.translate("Not found", "zh_CN") == "未找到"  # the kernel came first
    assert translator.translate("Draft", "zh_CN") == "草稿"  # base before its extender
    assert translator.default_locale == "en"
    assert Translator.for_environment(cast(Any, env)) is translator  # built once per env
    with translator.activate():
        assert current_locale() == "en"
        assert current_translator() is translator


def test_two_environments_keep_their_own_translations(tmp_path: Path) -> None:
    write_catalog(tmp_path / "pro" / "i18n", "zh_CN", {"Warranty": "保修"})
    basic = Translator([("core", KERNEL_I18N)])
    pro = Translator([("core", KERNEL_I18N), ("pro", tmp_path / "pro" / "i18n")])
    with pro.activate("zh_CN"):
        assert str(_("Warranty")) == "保修"
        with basic.activate("zh_CN"):
            assert str(_("Warranty")) == "Warranty"
        assert str(_("Warranty")) == "保修"


# -- the current locale ----------------------------------------------------------------------

def test_use_locale_nests_and_restores() -> None:
    with use_locale("en-US") as outer:
        assert outer == "en"
        with use_locale("zh-Hans"):
            assert current_locale() == "zh_CN"
        assert current_locale() == "en"
    assert current_locale() == "zh_CN"


def test_concurrent_requests_keep_their_own_locale() -> None:
    async def request(locale: str) -> list[str]:
        seen = []
        with use_locale(locale):
            for _round in range(3):
                await asyncio.sleep(0)
                seen.append(str(KernelMessages.NOT_FOUND))
        return seen

    async def both() -> list[list[str]]:
        return list(await asyncio.gather(request("zh_CN"), request("en")))

    assert asyncio.run(both()) == [["未找到"] * 3, ["Not found"] * 3]


@pytest.mark.parametrize(
    ("user", "header", "expected"),
    [
        ("en", "zh-CN,zh;q=0.9", "en"),  # the user's own setting wins
        ("zh_CN", "en-US", "zh_CN"),
        ("fr", "en-US,en;q=0.9", "en"),  # an unsupported setting is ignored
        (None, "en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        (None, "zh", "zh_CN"),
        (None, "zh-Hans", "zh_CN"),
        (None, "zh-TW", "zh_CN"),
        (None, "zh-Hant-HK", "zh_CN"),
        (None, "fr-FR,en;q=0.5,zh;q=0.7", "zh_CN"),  # q-values, not order
        (None, "fr-FR, en-GB;q=0.4", "en"),
        (None, "en;q=0.8,zh;q=0.8", "en"),  # ties keep header order
        (None, "en;q=0,zh-CN;q=0.1", "zh_CN"),  # q=0 means "not this"
        (None, "en;q=0", "zh_CN"),
        (None, "de,fr", "zh_CN"),
        (None, "*", "zh_CN"),
        (None, None, "zh_CN"),
        ("", "", "zh_CN"),
        (None, "en;q=abc,,;;", "zh_CN"),
    ],
)
def test_negotiate_locale(user: str | None, header: str | None, expected: str) -> None:
    assert negotiate_locale(user, header) == expected


@given(st.text(max_size=60), st.one_of(st.none(), st.text(max_size=60)))
def test_negotiation_always_answers_a_supported_locale(header: str, user: str | None) -> None:
    assert negotiate_locale(user, header) in i18n.SUPPORTED_LOCALES


# -- formatting ------------------------------------------------------------------------------

def test_format_money_in_both_locales() -> None:
    assert format_money(Decimal("1280"), "zh_CN") == "¥1,280.00"
    assert format_money(Decimal("1280"), "en") == "CN¥1,280.00"
    assert format_money(Decimal("-1234567.5"), "zh_CN") == "-¥1,234,567.50"
    with use_locale("en"):
        assert format_money(7) == "CN¥7.00"


def test_money_is_rounded_half_up_like_the_ledger() -> None:
    assert format_money(Decimal("0.125"), "zh_CN") == "¥0.13"  # Babel alone says ¥0.12
    assert format_money(Decimal("-1280.005"), "zh_CN") == "-¥1,280.01"


def test_format_quantity_keeps_up_to_four_decimals() -> None:
    assert format_quantity(Decimal("1234.5000"), "zh_CN") == "1,234.5"
    assert format_quantity(Decimal("2"), "en") == "2"
    assert format_quantity(Decimal("0.12345"), "en") == "0.1235"
    assert format_quantity(Decimal("3.75"), "en", places=0) == "4"


def test_format_decimal() -> None:
    assert format_decimal(Decimal("1234567.125"), "zh_CN") == "1,234,567.125"
    assert format_decimal(Decimal("1.23456789"), "en") == "1.23456789"
    assert format_decimal(Decimal("13"), "en", places=2) == "13.00"
    assert format_decimal(Decimal("2.5"), "en", places=0) == "3"


@pytest.mark.parametrize("formatter", [format_money, format_quantity, format_decimal])
def test_formatting_refuses_floats(formatter: Any) -> None:
    with pytest.raises(TypeError, match="float"):
        formatter(12.5, "zh_CN")


def test_format_date_in_both_locales() -> None:
    assert format_date(date(2024, 3, 5), "zh_CN") == "2024年3月5日"
    assert format_date(date(2024, 3, 5), "en") == "Mar 5, 2024"
    assert format_date(date(2024, 3, 5), "zh_CN", style="short") == "2024/3/5"


def test_a_timestamp_has_the_date_of_the_company_time_zone() -> None:
    evening_utc = datetime(2024, 3, 4, 17, 30, tzinfo=UTC)  # already 5 March in Shanghai
    assert format_date(evening_utc, "zh_CN") == "2024年3月5日"
    assert format_date(evening_utc, "en", tz="UTC") == "Mar 4, 2024"


def test_format_datetime_converts_utc_to_asia_shanghai() -> None:
    stamp = datetime(2024, 3, 4, 17, 30, tzinfo=UTC)
    assert format_datetime(stamp, "zh_CN") == "2024年3月5日 01:30:00"
    assert format_datetime(stamp, "en") == f"Mar 5, 2024, 1:30:00{NBSP}AM"
    assert format_datetime(stamp, "zh_CN", style="short") == "2024/3/5 01:30"


def test_naive_timestamps_are_read_as_utc() -> None:
    assert format_datetime(datetime(2024, 3, 4, 17, 30), "zh_CN") == "2024年3月5日 01:30:00"


def test_aware_timestamps_in_other_zones_are_converted() -> None:
    berlin_noon = datetime(2024, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(berlin_noon, "zh_CN") == "2024年7月1日 18:00:00"


def test_the_environments_time_zone_is_used_when_its_translator_is_active() -> None:
    translator = Translator([("core", KERNEL_I18N)], timezone="Asia/Urumqi")
    with translator.activate("zh_CN"):
        assert format_datetime(datetime(2024, 3, 4, 17, 30, tzinfo=UTC)) == "2024年3月4日 23:30:00"


# -- enum labels -----------------------------------------------------------------------------

class OrderState(StrEnum):
    DRAFT = "draft"
    PARTLY_RECEIVED = "partly_received"
    CLOSED = "closed"

    __labels__ = {"DRAFT": _("Draft"), "PARTLY_RECEIVED": _("Partly received")}


class Tracking(Enum):
    NONE = 0
    SERIAL = 1


def test_labels_are_not_members() -> None:
    assert [m.name for m in OrderState] == ["DRAFT", "PARTLY_RECEIVED", "CLOSED"]


def test_enum_labels_are_translated(tmp_path: Path) -> None:
    write_catalog(tmp_path, "zh_CN", {"Draft": "草稿", "Partly received": "部分收货",
                                      "Closed": "已关闭", "Serial": "序列号"})
    translator = Translator([("purchase", tmp_path)])
    with translator.activate("zh_CN"):
        assert enum_label(OrderState.DRAFT) == "草稿"
        assert enum_label(OrderState.PARTLY_RECEIVED) == "部分收货"
        assert enum_label(OrderState.PARTLY_RECEIVED, "en") == "Partly received"
        # without a declared label, the humanised member name is the msgid
        assert enum_label(OrderState.CLOSED) == "已关闭"
        assert enum_label(Tracking.SERIAL) == "序列号"
        assert enum_label(Tracking.NONE) == "None"


def test_labels_may_be_keyed_by_member() -> None:
    class Grade(Enum):
        A = "a"

    labels = {Grade.A: _("Grade A")}
    Grade.__labels__ = labels  # type: ignore[attr-defined]
    assert enum_label(Grade.A, "en") == "Grade A"
    assert missing_enum_labels(Grade) == []


def test_missing_enum_labels_lists_undeclared_members() -> None:
    assert missing_enum_labels(OrderState) == ["CLOSED"]
    assert missing_enum_labels(Tracking) == ["NONE", "SERIAL"]


# -- conformance and catalogue maintenance ---------------------------------------------------

ADDON_SOURCE = '''
from openjxc.core.i18n import _

GREETING = _("Stock received")
FORGOTTEN = _("Stock lost")
'''


def test_missing_translations_reports_each_untranslated_message(tmp_path: Path) -> None:
    package = fake_addon(tmp_path, "fake_addon", ADDON_SOURCE)
    write_catalog(package / "i18n", "zh_CN", {"Stock received": "已收货"})
    write_catalog(package / "i18n", "en", {"Stock received": "Stock received",
                                           "Stock lost": "Stock lost"})
    problems = missing_translations("fake_addon", package)
    assert problems == ["fake_addon: 'Stock lost' has no zh_CN translation (__init__.py:5)"]


def test_the_english_catalogue_must_exist_and_be_filled(tmp_path: Path) -> None:
    package = fake_addon(tmp_path, "fake_addon", ADDON_SOURCE)
    write_catalog(package / "i18n", "zh_CN", {"Stock received": "已收货", "Stock lost": "丢失"})
    assert missing_translations("fake_addon", package) == [
        f"fake_addon: no en catalogue at {catalog_path(package / 'i18n', 'en')}"
    ]
    write_catalog(package / "i18n", "en", {"Stock received": "Stock received", "Stock lost": ""})
    assert missing_translations("fake_addon", package) == [
        "fake_addon: 'Stock lost' has no en translation (__init__.py:5)"
    ]


def test_a_fuzzy_translation_counts_as_missing(tmp_path: Path) -> None:
    package = fake_addon(tmp_path, "fake_addon", ADDON_SOURCE)
    both = {"Stock received": "已收货", "Stock lost": "库存丢失"}
    write_catalog(package / "i18n", "zh_CN", both, fuzzy=frozenset({"Stock lost"}))
    write_catalog(package / "i18n", "en", {k: k for k in both})
    assert missing_translations("fake_addon", package) == [
        "fake_addon: 'Stock lost' has no zh_CN translation (__init__.py:5)"
    ]


def test_update_catalogs_creates_and_then_updates_both_catalogues(tmp_path: Path) -> None:
    package = fake_addon(tmp_path, "fake_addon", ADDON_SOURCE)
    written = update_catalogs(package)
    assert written == [catalog_path(package / "i18n", loc) for loc in ("zh_CN", "en")]
    # English is the source language: its catalogue starts complete, Chinese starts empty.
    assert missing_translations("fake_addon", package) == [
        "fake_addon: 'Stock received' has no zh_CN translation (__init__.py:4)",
        "fake_addon: 'Stock lost' has no zh_CN translation (__init__.py:5)",
    ]

    zh = catalog_path(package / "i18n", "zh_CN")
    zh.write_text(zh.read_text(encoding="utf-8").replace(
        'msgid "Stock received"\nmsgstr ""', 'msgid "Stock received"\nmsgstr "已收货"'),
        encoding="utf-8")
    (package / "__init__.py").write_text(
        'from openjxc.core.i18n import _\nA = _("Stock received")\nB = _("Serial {number} sold")\n',
        encoding="utf-8")
    update_catalogs(package)

    translator = Translator([("fake_addon", package / "i18n")])
    assert translator.translate("Stock received", "zh_CN") == "已收货"  # kept
    assert translator.translate("Serial {number} sold", "en", number="S1") == "Serial S1 sold"
    assert not translator.has("Stock lost", "zh_CN")  # gone from the code: obsolete
    assert "#~ msgid \"Stock lost\"" in zh.read_text(encoding="utf-8")
    assert missing_translations("fake_addon", package) == [
        "fake_addon: 'Serial {number} sold' has no zh_CN translation (__init__.py:3)"
    ]


def test_update_catalogs_is_idempotent(tmp_path: Path) -> None:
    package = fake_addon(tmp_path, "fake_addon", ADDON_SOURCE)
    paths = update_catalogs(package)
    first = [p.read_bytes() for p in paths]
    update_catalogs(package)
    assert [p.read_bytes() for p in paths] == first


REQUIRED_KERNEL_MESSAGES = {
    "Authentication required",
    "You do not have permission to perform this action",
    "Internal server error",
    "This idempotency key was already used with different input",
    "Too many failed login attempts; try again later",
    "Invalid username or password",
    "Not found",
    "Invalid input",
}


def test_every_kernel_message_has_zh_cn_and_en() -> None:
    assert missing_translations("core", KERNEL_DIR) == []


def test_the_kernel_catalogues_hold_the_required_messages_in_chinese() -> None:
    kernel = Translator([("core", KERNEL_I18N)], strict=True)
    for msgid in REQUIRED_KERNEL_MESSAGES:
        chinese = kernel.translate(msgid, "zh_CN")
        assert chinese != msgid and all(not ch.isascii() or ch == " " for ch in chinese), msgid
        assert kernel.translate(msgid, "en") == msgid
    declared = {v.msgid for v in vars(KernelMessages).values() if isinstance(v, LazyString)}
    assert declared >= REQUIRED_KERNEL_MESSAGES


def test_an_addon_without_messages_needs_no_catalogue(tmp_path: Path) -> None:
    package = fake_addon(tmp_path, "quiet_addon", "VALUE = 1\n")
    assert missing_translations("quiet_addon", package) == []
