"""Printable documents: a sales contract printed in Chinese, as a buyer would receive it.

The environment here is a small fake (addons with a ``templates/`` directory and the
``register_reports`` contributions) so the rules of the report registry are tested without
a database; one story at the end goes through a real :class:`Environment` and its hook.
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from openjxc.core import reports
from openjxc.core.addons import AddonManifest, read_manifest
from openjxc.core.config import Settings
from openjxc.core.errors import BootError, ConfigError, OpenJXCError
from openjxc.core.reports import (
    CJKFontMissing,
    Report,
    ReportNotFound,
    ReportRegistry,
    cjk_font_available,
    cjk_fonts,
)
from openjxc.testing.pdf import embedded_fonts
from openjxc.testing.pdf import pdf_text as pdf_text

CUSTOMER = "上海机电设备有限公司"
TOTAL = Decimal("12345.67")

CONTRACT = """\
{% extends "base.html" %}
{% block content %}
<table class="meta">
  <tr><td class="label">合同编号</td><td>{{ number }}</td></tr>
  <tr><td class="label">买方</td><td>{{ customer }}</td></tr>
  <tr><td class="label">签订日期</td><td>{{ signed_on|date }}</td></tr>
</table>
<table class="lines">
  <thead><tr><th>产品</th><th>数量</th><th>金额</th></tr></thead>
  <tbody>
  {% for line in lines %}
    <tr><td>{{ line.product }}</td><td class="num">{{ line.quantity|qty }}</td>
        <td class="num">{{ line.amount|money }}</td></tr>
  {% endfor %}
  </tbody>
</table>
<p>合计（大写）：<span class="amount-words">{{ total|amount_in_words }}</span></p>
<p>合计（小写）：{{ total|money }}</p>
{% endblock %}
"""


def contract(customer: str = CUSTOMER) -> dict[str, Any]:
    return {
        "number": "HT-2024-0001",
        "customer": customer,
        "signed_on": date(2024, 5, 6),
        "lines": [{"product": "三相异步电动机", "quantity": Decimal("2.000"),
                   "amount": TOTAL}],
        "total": TOTAL,
    }


@dataclass
class FakeEnv:
    """Just what :class:`ReportRegistry` reads from an environment."""

    addons: tuple[AddonManifest, ...]
    reports: list[tuple[str, list[Any]]]
    settings: Settings = field(default_factory=Settings)
    extensions: dict[str, Any] = field(default_factory=dict)

    def contributions(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        assert hook == "register_reports"
        return list(self.reports)


def make_addon(root: Path, name: str, templates: Mapping[str, str],
               depends: tuple[str, ...] = ()) -> AddonManifest:
    path = root / name
    (path / "templates").mkdir(parents=True)
    for file, text in templates.items():
        (path / "templates" / file).write_text(text, encoding="utf-8")
    return AddonManifest(name=name, version="1.0.0", kernel=">=0.1", depends=depends,
                         tier="basic", summary=name, package=f"fake_{name}", path=path,
                         table_prefix=name)


def loader(records: Mapping[int, dict[str, Any]]) -> Any:
    return lambda session, id, env: records.get(id)


def contract_report(records: Mapping[int, dict[str, Any]] | None = None,
                    name: str = "sales_contract") -> Report:
    return Report(name=name, template="sales_contract.html",
                  permission="sales.order.read",
                  load=loader({1: contract()} if records is None else records),
                  title="销售合同")


@pytest.fixture
def sales_env(tmp_path: Path) -> FakeEnv:
    sales = make_addon(tmp_path, "sales", {"sales_contract.html": CONTRACT})
    return FakeEnv(addons=(sales,), reports=[("sales", [contract_report()])])


@pytest.fixture(scope="module")
def contract_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One rendering shared by the PDF stories (WeasyPrint takes a moment)."""
    sales = make_addon(tmp_path_factory.mktemp("pdf"), "sales",
                       {"sales_contract.html": CONTRACT})
    env = FakeEnv(addons=(sales,), reports=[("sales", [contract_report()])])
    return ReportRegistry.for_environment(env).render_pdf("sales_contract", 1, None, "zh_CN")




# -- the printed contract --------------------------------------------------------------


def test_the_pdf_shows_the_chinese_text_and_the_amount_in_words(contract_pdf: bytes) -> None:
    from openjxc.core.amounts import amount_in_words

    assert contract_pdf.startswith(b"%PDF")
    text = pdf_text(contract_pdf)
    assert "销售合同" in text
    assert CUSTOMER in text
    assert "三相异步电动机" in text
    assert "壹万贰仟叁佰肆拾伍" in text
    assert "".join(amount_in_words(TOTAL).split()) in text


def test_the_pdf_embeds_a_cjk_font(contract_pdf: bytes) -> None:
    fonts = embedded_fonts(contract_pdf)
    cjk = [
        name for name in fonts
        if "WenQuanYi" in name or ("Noto" in name and ("CJK" in name or "SC" in name))
    ]
    assert cjk, f"no CJK font in the PDF, only {sorted(fonts)}"
    assert all(fonts[name] for name in cjk), "the CJK font is referenced but not embedded"


def test_the_pdf_is_a4(contract_pdf: bytes) -> None:
    box = PdfReader(io.BytesIO(contract_pdf)).pages[0].mediabox
    # 210 × 297 mm in PDF points (1/72 inch).
    assert round(float(box.width)) == 595
    assert round(float(box.height)) == 842


def test_no_pdf_is_printed_without_a_cjk_font(sales_env: FakeEnv,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "cjk_font_available", lambda: False)
    registry = ReportRegistry.for_environment(sales_env)
    with pytest.raises(CJKFontMissing, match="fonts-wqy-microhei") as excinfo:
        registry.render_pdf("sales_contract", 1, None, "zh_CN")
    assert isinstance(excinfo.value, ConfigError)


def test_the_kernel_page_asks_for_the_cjk_fonts_in_order(sales_env: FakeEnv) -> None:
    html = ReportRegistry.for_environment(sales_env).render_html(
        "sales_contract", 1, None, "zh_CN")
    assert ('font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", '
            'sans-serif') in html
    assert "size: A4" in html
    assert '<html lang="zh-CN">' in html
    assert '<html lang="en">' in ReportRegistry.for_environment(sales_env).render_html(
        "sales_contract", 1, None, "en_US")
    assert "<title>销售合同</title>" in html


# -- filters ---------------------------------------------------------------------------


def test_filters_format_for_the_requested_locale(sales_env: FakeEnv) -> None:
    from openjxc.core.amounts import amount_in_words
    from openjxc.core.i18n import format_date, format_money

    registry = ReportRegistry.for_environment(sales_env)
    chinese = registry.render_html("sales_contract", 1, None, "zh_CN")
    english = registry.render_html("sales_contract", 1, None, "en")
    for locale, html, other in (("zh_CN", chinese, english), ("en", english, chinese)):
        assert f">{format_money(TOTAL, locale)}<" in html
        assert format_date(date(2024, 5, 6), locale) in html
        assert format_date(date(2024, 5, 6), locale) not in other
        assert amount_in_words(TOTAL) in html  # 大写金额 is Chinese in every locale
        assert '<td class="num">2</td>' in html  # a quantity of 2.000 prints as 2


def test_without_a_locale_the_request_locale_is_used(sales_env: FakeEnv) -> None:
    from openjxc.core.i18n import format_date, use_locale

    registry = ReportRegistry.for_environment(sales_env)
    with use_locale("en"):
        html = registry.render_html("sales_contract", 1, None)
    assert '<html lang="en">' in html
    assert format_date(date(2024, 5, 6), "en") in html
    with pytest.raises(ValueError, match="unsupported locale 'fr'"):
        registry.render_html("sales_contract", 1, None, "fr")


def test_quantities_are_grouped_without_padding_zeros(tmp_path: Path) -> None:
    addon = make_addon(tmp_path, "stock", {"q.html": "{{ a|qty }}|{{ b|qty }}|{{ c|money }}"})
    env = FakeEnv(addons=(addon,), reports=[("stock", [Report(
        "q", "q.html", "stock.move.read",
        load=lambda s, i, e: {"a": Decimal("1234.500"), "b": Decimal("0.0005"), "c": None},
    )])])
    assert ReportRegistry(env).render_html("q", 1, None, "en_US") == "1,234.5|0.0005|"


def test_a_float_amount_is_refused_rather_than_rounded(tmp_path: Path) -> None:
    addon = make_addon(tmp_path, "sales", {"m.html": "{{ total|money }}"})
    env = FakeEnv(addons=(addon,), reports=[("sales", [Report(
        "m", "m.html", "sales.order.read", load=lambda s, i, e: {"total": 0.1})])])
    with pytest.raises(TypeError, match="Decimal"):
        ReportRegistry(env).render_html("m", 1, None, "zh_CN")


def test_user_data_is_escaped(tmp_path: Path) -> None:
    sales = make_addon(tmp_path, "sales", {"sales_contract.html": CONTRACT})
    hostile = contract(customer="<script>alert(1)</script>")
    env = FakeEnv(addons=(sales,), reports=[("sales", [contract_report({1: hostile})])])
    html = ReportRegistry(env).render_html("sales_contract", 1, None, "zh_CN")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- not found -------------------------------------------------------------------------


def test_an_unknown_report_is_not_found(sales_env: FakeEnv) -> None:
    registry = ReportRegistry.for_environment(sales_env)
    with pytest.raises(ReportNotFound, match=r"unknown report 'invoice'.*sales_contract") as exc:
        registry.render_pdf("invoice", 1, None, "zh_CN")
    assert isinstance(exc.value, OpenJXCError)
    assert exc.value.code == "NOT_FOUND"
    with pytest.raises(ReportNotFound):
        registry.get("invoice")


def test_a_missing_record_is_not_found(sales_env: FakeEnv) -> None:
    registry = ReportRegistry.for_environment(sales_env)
    with pytest.raises(ReportNotFound, match="sales_contract 404 not found") as exc:
        registry.render_html("sales_contract", 404, None, "zh_CN")
    assert exc.value.code == "NOT_FOUND"
    with pytest.raises(ReportNotFound):
        registry.render_pdf("sales_contract", 404, None, "zh_CN")


# -- the registry ----------------------------------------------------------------------


def test_a_report_name_offered_twice_is_a_boot_error_naming_both_owners(
        tmp_path: Path) -> None:
    sales = make_addon(tmp_path, "sales", {"sales_contract.html": CONTRACT})
    partner = make_addon(tmp_path, "partner_docs", {"sales_contract.html": CONTRACT})
    env = FakeEnv(addons=(sales, partner), reports=[
        ("sales", [contract_report()]), ("partner_docs", [contract_report()])])
    with pytest.raises(BootError, match=r"'sales_contract'.*sales.*partner_docs"):
        ReportRegistry.for_environment(env)


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ("not a report", "not a Report"),
        (Report("Sales-Contract", "sales_contract.html", "sales.order.read",
                load=loader({})), "lower_snake_case"),
        (Report("sales_contract", "missing.html", "sales.order.read", load=loader({})),
         "template 'missing.html' not found"),
        (Report("sales_contract", "sales_contract.html", "", load=loader({})),
         "no permission"),
        (Report("sales_contract", "broken.html", "sales.order.read", load=loader({})),
         r"broken\.html:1: Unexpected end of template"),
    ],
)
def test_a_broken_report_fails_at_boot(tmp_path: Path, report: Any, message: str) -> None:
    sales = make_addon(tmp_path, "sales", {"sales_contract.html": CONTRACT,
                                           "broken.html": "{% if customer %}\n"})
    with pytest.raises(BootError, match=message):
        ReportRegistry(FakeEnv(addons=(sales,), reports=[("sales", [report])]))


def test_each_environment_has_its_own_registry(tmp_path: Path) -> None:
    sales = make_addon(tmp_path, "sales", {"sales_contract.html": CONTRACT})
    basic = FakeEnv(addons=(sales,), reports=[("sales", [contract_report()])])
    empty = FakeEnv(addons=(), reports=[])
    registry = ReportRegistry.for_environment(basic)
    assert ReportRegistry.for_environment(basic) is registry
    assert "sales_contract" in registry
    assert registry.get("sales_contract").permission == "sales.order.read"
    assert ReportRegistry.for_environment(empty).names() == []


def test_an_addon_template_comes_before_the_kernel_one(tmp_path: Path) -> None:
    own_base = "<html><body class='letterhead'>{% block content %}{% endblock %}</body></html>"
    sales = make_addon(tmp_path, "sales", {"sales_contract.html": CONTRACT,
                                           "base.html": own_base})
    env = FakeEnv(addons=(sales,), reports=[("sales", [contract_report()])])
    html = ReportRegistry(env).render_html("sales_contract", 1, None, "zh_CN")
    assert "letterhead" in html
    assert "WenQuanYi" not in html


def test_an_addon_may_include_a_partial_of_an_addon_it_depends_on(tmp_path: Path) -> None:
    base = make_addon(tmp_path, "base", {"_party.html": "<b>{{ customer }}</b>"})
    other = make_addon(tmp_path, "other", {"_party.html": "<i>not mine</i>"})
    pro = make_addon(tmp_path, "pro", {"warranty.html": textwrap.dedent("""\
        {% extends "base.html" %}
        {% block content %}{% include "_party.html" %}{% endblock %}
        """)}, depends=("base",))
    report = Report("warranty_card", "warranty.html", "warranty.read",
                    load=loader({7: {"customer": CUSTOMER}}), title="保修卡")
    env = FakeEnv(addons=(base, other, pro), reports=[("pro", [report])])
    html = ReportRegistry(env).render_html("warranty_card", 7, None, "zh_CN")
    assert f"<b>{CUSTOMER}</b>" in html
    assert "not mine" not in html


def test_reports_come_from_the_register_reports_hook_of_a_real_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openjxc.core.env import Environment

    package = tmp_path / "openjxc_test_print_addon"
    (package / "templates").mkdir(parents=True)
    (package / "templates" / "sales_contract.html").write_text(CONTRACT, encoding="utf-8")
    (package / "manifest.toml").write_text(textwrap.dedent("""\
        name = "print_addon"
        version = "1.0.0"
        kernel = ">=0.1"
        tier = "basic"
        summary = "prints contracts"
        table_prefix = "prt"
        """), encoding="utf-8")
    (package / "__init__.py").write_text(textwrap.dedent("""\
        from openjxc.core.hookspecs import hookimpl
        from openjxc.core.reports import Report

        RECORDS = {}

        @hookimpl
        def register_reports():
            return [Report("sales_contract", "sales_contract.html", "sales.order.read",
                           load=lambda session, id, env: RECORDS.get(id), title="销售合同")]
        """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "openjxc_test_print_addon", raising=False)
    env = Environment([read_manifest("openjxc_test_print_addon")], settings=Settings())
    sys.modules["openjxc_test_print_addon"].RECORDS[3] = contract()

    registry = ReportRegistry.for_environment(env)
    assert env.extensions["reports"] is registry
    assert CUSTOMER in registry.render_html("sales_contract", 3, None, "zh_CN")


# -- fonts and resources ---------------------------------------------------------------


def test_fontconfig_reports_the_installed_cjk_font() -> None:
    assert cjk_font_available()
    assert "WenQuanYi Micro Hei" in cjk_fonts()


def test_without_fontconfig_the_font_directories_are_scanned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports.shutil, "which", lambda name: None)
    monkeypatch.setattr(reports, "FONT_DIRS", (str(tmp_path),))
    (tmp_path / "DejaVuSans.ttf").write_bytes(b"")
    assert not cjk_font_available()
    (tmp_path / "truetype" / "wqy").mkdir(parents=True)
    (tmp_path / "truetype" / "wqy" / "wqy-microhei.ttc").write_bytes(b"")
    assert cjk_font_available()


def test_printing_reads_only_template_files_and_data_urls(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    fetcher = reports._template_files_fetcher([tmp_path])
    assert b"svg" in fetcher.fetch((tmp_path / "logo.svg").as_uri()).read()
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    for url in ("file:///etc/passwd", (tmp_path / ".." / "x").as_uri(),
                "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_importing_reports_does_not_load_weasyprint() -> None:
    code = "import sys, openjxc.core.reports; sys.exit('weasyprint' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
