"""Printed documents, as the customer and the supplier receive them: quotation (报价单),
sales contract (销售合同), delivery note (送货单) and purchase order (采购订单), in Chinese
and in English, with the company's letterhead, the partner, the lines, the totals in figures
and in words (大写金额), on A4 with the Chinese font embedded."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from documents_support import (
    C1_CREDIT_CODE,
    COMPANY,
    DocumentsWorld,
    documents_world_on,
    pdf_text,
)
from pypdf import PdfReader
from sqlalchemy import delete

from openjxc.addons.base_jxc.policies.models import Policy
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.amounts import amount_in_words
from openjxc.core.i18n import Translator, format_date, use_locale
from openjxc.core.reports import ReportRegistry
from openjxc.testing.fixtures import BACKENDS
from openjxc.testing.pdf import cjk_fonts_embedded

#: Report → (document number, partner, a product code on it).
DOCUMENTS = {
    "quotation": ("BJ-202611-0007", "杭州甲机电有限公司", "PLAIN"),
    "sales_order": ("XS-202611-0042", "杭州甲机电有限公司", "BAT"),
    "delivery_note": ("FH-202611-0009", "杭州甲机电有限公司", "SER"),
    "purchase_order": ("CG-202611-0015", "浙江电机制造有限公司", "SER2"),
}


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentsWorld]:
    """One world per backend for the whole module: printing only reads."""
    yield from documents_world_on(request.param, tmp_path_factory.mktemp("documents"))


def html(world: DocumentsWorld, report: str, locale: str = "zh_CN", key: str = "") -> str:
    with world.uow(readonly=True) as session:
        return ReportRegistry.for_environment(world.env).render_html(
            report, world.ids[key or report], session, locale)


def test_every_document_prints_in_chinese_and_in_english(world: DocumentsWorld) -> None:
    registry = ReportRegistry.for_environment(world.env)
    assert {"quotation", "sales_order", "delivery_note", "purchase_order"} <= set(
        registry.names())
    for report, (number, partner, code) in DOCUMENTS.items():
        words = amount_in_words(world.totals[number])
        for locale in ("zh_CN", "en"):
            with world.uow(readonly=True) as session:
                pdf = registry.render_pdf(report, world.ids[report], session, locale)
            where = f"{report} in {locale}"
            text = pdf_text(pdf)
            assert number in text, where
            assert partner in text, where
            assert COMPANY["name"] in text, where
            assert code in text, where
            assert words in text, where
            assert cjk_fonts_embedded(pdf), f"{where}: the Chinese font is not embedded"
            reader = PdfReader(io.BytesIO(pdf))
            box = reader.pages[0].mediabox
            assert (round(float(box.width)), round(float(box.height))) == (595, 842), where
            assert reader.metadata is not None
            assert number in (reader.metadata.title or ""), where


def test_the_letterhead_and_the_partner_block(world: DocumentsWorld) -> None:
    contract = html(world, "sales_order")
    for value in COMPANY.values():  # seller: name, address, phone, tax id, bank, account
        assert value in contract
    for value in (C1_CREDIT_CODE, "杭州市西湖区文三路 1 号", "王经理", "0571-5555 1234",
                  "中国建设银行杭州分行", "3305 0161 6270 0000 0123",
                  "杭州市余杭区仓前街道 9 号 3 号库", "HT-甲-2026-118"):
        assert value in contract
    order = html(world, "purchase_order")
    assert "浙江电机制造有限公司" in order and "(S1)" in order
    assert "门店" in order  # deliver to warehouse WH2


def test_lines_totals_and_words(world: DocumentsWorld) -> None:
    contract = html(world, "sales_order", "en")
    # SER: 2 × 3,000.50 at 13 %: 6,001.00 + 780.13 = 6,781.13
    for figure in ("3,000.50", "13%", "6,001.00", "780.13", "6,781.13"):
        assert f">{figure}<" in contract
    assert "CN¥7,301.00" in contract and "CN¥949.13" in contract
    assert "CN¥8,250.13" in contract
    assert "捌仟贰佰伍拾元壹角叁分" in contract  # the words are Chinese in every locale
    assert "¥8,250.13" in html(world, "sales_order", "zh_CN")
    quotation = html(world, "quotation")
    assert ">3,000.123456<" in quotation  # a unit price keeps the digits it was agreed at
    assert ">3,000.12<" in quotation and ">100.00<" in quotation


def test_the_delivery_note_lists_serials_batches_and_bins(world: DocumentsWorld) -> None:
    note = html(world, "delivery_note", "en")
    assert "SN-A001, SN-A002" in note
    assert "SN-A003" not in note  # still in stock
    assert "B2026-01" in note
    today = business_today_of(world)
    assert format_date(today + timedelta(days=200), "en") in note  # the batch's expiry
    assert "WH1/A-01" in note  # the bin the batch was picked from
    assert "WH1/STOCK" not in note  # the main stock location is not worth a line
    assert "XS-202611-0042" in note  # the order it delivers
    assert "杭州市余杭区仓前街道 9 号 3 号库" in note  # where the goods went
    # 2 × 100 + 2 × 3000.50 + 5 × 80 = 6,601.00, tax 858.13
    assert "CN¥7,459.13" in note


def test_dates_and_words_follow_the_report_locale(world: DocumentsWorld) -> None:
    today = business_today_of(world)
    chinese = html(world, "purchase_order", "zh_CN")
    english = html(world, "purchase_order", "en")
    assert format_date(today, "zh_CN") in chinese and format_date(today, "zh_CN") not in english
    assert format_date(today, "en") in english
    assert '<html lang="en">' in english and '<html lang="zh-CN">' in chinese
    assert "Purchase Order" in english
    translator = Translator.for_environment(world.env)
    assert translator.translate("Product code", "zh_CN") in chinese
    # The report's locale wins over whatever translator a thread has active.
    with use_locale("en", translator):
        assert html(world, "purchase_order", "zh_CN") == chinese


def test_documents_that_do_not_bind_say_so(world: DocumentsWorld) -> None:
    translator = Translator.for_environment(world.env)
    expired = html(world, "quotation", "en", key="expired_quotation")
    assert f'<div class="stamp">{translator.translate("Expired", "en")}</div>' in expired
    assert '<div class="stamp">Draft</div>' in html(world, "purchase_order", "en")
    assert 'class="stamp"' not in html(world, "sales_order", "en")  # confirmed
    assert 'class="stamp"' not in html(world, "quotation", "en")  # sent, still valid


def test_without_a_letterhead_the_documents_still_print(world: DocumentsWorld) -> None:
    registry = ReportRegistry.for_environment(world.env)
    with world.uow() as session:
        session.execute(delete(Policy).where(Policy.key.like("company.%")))
        contract = registry.render_html("sales_order", world.ids["sales_order"], session,
                                        "zh_CN")
        session.rollback()  # the world is shared by the module
    assert COMPANY["name"] not in contract
    assert 'class="company-name"' not in contract
    assert "杭州甲机电有限公司" in contract


def business_today_of(world: DocumentsWorld) -> Any:
    with world.uow(readonly=True) as session:
        return business_today(session)
