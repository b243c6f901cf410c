"""The death documents: the heirs' 告知书 (whole ID) and the bureau's 结算单 (masked),
figures computed by hand, never cash, one A4 page each."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import polars as pl
import pytest

from pensionlink.reports.death_documents import (
    Bureau,
    NoticeTerms,
    PdfUnavailable,
    document_fields,
    html_to_pdf,
    render_notices,
    render_settlements,
)
from pensionlink.reports.document_data import with_subsidy_at_death
from pensionlink.settings import PolicyError, load_policy
from tests.pensionlink.reports.case_rows import MASKED, WHOLE_ID, death

TERMS = NoticeTerms(
    notice_date=dt.date(2026, 11, 28),
    objection_days=15,
    bureau=Bureau(name="龙井市社会保险事业管理局", phone="0433-0000000"),
    run_id="R1",
)


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_the_notice_shows_the_death_its_sources_and_the_settlement():
    page = text(render_notices([death()], TERMS))
    assert "2026年8月14日" in page
    assert "公安户籍、民政火化记录" in page  # SOURCE_TITLES, in the row's order
    assert "3 个月，共 525.33 元" in page
    assert "600.00 元" in page and "3,210.50 元" in page
    assert "应支付给法定继承人 3,285.17 元" in page  # 600 + 3210.50 − 525.33
    assert "0433-0000000" in page


def test_whole_id_only_on_the_family_notice():
    notice, sheet = render_notices([death()], TERMS), render_settlements([death()], TERMS)
    assert WHOLE_ID in notice and MASKED not in notice
    assert WHOLE_ID not in sheet and MASKED in sheet


def test_never_cash_and_settled_through_the_card_or_pension_account():
    for html in (render_notices([death()], TERMS), render_settlements([death()], TERMS)):
        page = text(html)
        assert "社会保障卡或养老金发放银行账户" in page
        sentences = [s for s in re.split(r"[。；]", page) if "现金" in s]
        assert sentences and all("不以现金" in s or "不得支付或收取现金" in s for s in sentences)


def test_an_overpayment_larger_than_subsidy_and_balance_is_returned():
    row = death(
        overpaid_months=12,
        overpaid_amount=Decimal("2100.00"),
        account_balance=Decimal("1000.00"),
        net_to_heirs=Decimal("0.00"),
        to_recover=Decimal("500.00"),
    )
    fields = document_fields(row, TERMS, full_id=True)
    assert fields["to_recover"] == "500.00" and fields["net_to_heirs"] == "0.00"  # 2100−600−1000
    assert "应退还多领养老金 500.00 元" in text(render_notices([row], TERMS))
    assert "扣回" in fields["settle_text"]


def test_no_subsidy_when_not_receiving_at_death():
    row = death(
        status_at_death="暂停", funeral_subsidy=Decimal("0.00"), overpaid_amount=Decimal("0")
    )
    fields = document_fields(row, TERMS, full_id=False)
    assert fields["funeral_subsidy"] == "0.00" and "暂停" in fields["subsidy_note"]
    assert fields["net_to_heirs"] == "3,210.50"


def test_the_subsidy_in_force_on_the_date_of_death_is_the_one_paid():
    row = death(funeral_subsidy_at_death=Decimal("500.00"))  # night's policy says 600
    fields = document_fields(row, TERMS, full_id=True)
    assert fields["funeral_subsidy"] == "500.00"
    assert fields["net_to_heirs"] == "3,185.17"  # 500 + 3210.50 − 525.33


def test_subsidy_at_death_from_the_policy_and_none_before_any_value():
    rows = pl.DataFrame([death(), death(death_date=dt.date(2019, 5, 1)), death(death_date=None)])
    out = with_subsidy_at_death(rows, lambda day: load_policy(day).funeral_subsidy)
    assert out["funeral_subsidy_at_death"].to_list() == [Decimal("600.00"), None, None]

    def refuse(day):
        raise PolicyError("none")

    assert with_subsidy_at_death(rows, refuse)["funeral_subsidy_at_death"].null_count() == 3


def test_objection_window_from_the_notice_date_or_the_case():
    fresh = document_fields(death(), TERMS, full_id=True)
    assert fresh["objection_until"] == "2026年12月13日"  # 11-28 + 15 days
    notified = death(notice_date=dt.date(2026, 11, 20), objection_until=dt.date(2026, 12, 5))
    fields = document_fields(notified, TERMS, full_id=False)
    assert fields["objection_until"] == "2026年12月5日"
    assert fields["notice_date"] == "2026年11月20日"
    assert "2026年12月13日" in text(render_notices([death()], TERMS))


def test_one_page_per_case():
    long_names = death(village="龙山村" * 10, evidence=["hukou", "funeral", "death_certificates"])
    for render in (render_notices, render_settlements):
        html = render([death(), long_names, death(case_id="D000124")], TERMS)
        try:
            pdf = html_to_pdf(html)
        except PdfUnavailable as exc:
            pytest.skip(f"no PDF here: {exc}")
        assert pdf.startswith(b"%PDF")
        assert _pages(html) == 3
        assert _pages(render([death()], TERMS)) == 1


def _pages(html: str) -> int:
    """Pages of the layout WeasyPrint writes into the PDF."""
    import weasyprint

    return len(weasyprint.HTML(string=html).render().pages)


def test_a_page_that_outgrows_a4_shows_as_a_second_page_never_clipped():
    overlong = death(village="龙山村" * 400)
    try:
        html_to_pdf(render_notices([death()], TERMS))
    except PdfUnavailable as exc:
        pytest.skip(f"no PDF here: {exc}")
    assert _pages(render_notices([overlong], TERMS)) > 1
