"""The documents staff print for a confirmed death (死亡待遇结算文书), one A4 page each.

- 死亡待遇结算告知书, the notice to the heirs: the death and its sources, the months and
  amount paid after death, the funeral subsidy (丧葬补助金, the amount in force on the date of
  death), the account balance, what the heirs receive or return, how it is settled (only
  through the deceased's social security card or pension bank account, never cash), how
  and by when to object, and the bureau's contact. The family's own notice shows the whole
  citizen ID.
- 死亡待遇结算单, the bureau's settlement sheet: the same figures, the notice and objection
  window, signatures; the ID masked (前6后4).

Pure: a row of `document_data.death_documents` (a deaths_to_deregister row with its case)
and the `NoticeTerms` in, HTML text out (Jinja2 templates in `templates/`, @page A4,
Noto CJK fonts); `html_to_pdf` turns it into PDF with WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl

from pensionlink.connectors.citizen_id import mask_citizen_id
from pensionlink.reports.document_text import chinese_date, document_templates, yuan
from pensionlink.vocabulary import RECEIVING, SOURCE_TITLES

__all__ = [
    "BUNDLED_BUREAU",
    "Bureau",
    "NoticeTerms",
    "PdfUnavailable",
    "document_fields",
    "html_to_pdf",
    "load_bureau",
    "render_notices",
    "render_settlements",
]

BUNDLED_BUREAU = Path(__file__).with_name("bureau.toml")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Bureau:
    """经办机构: who the family contacts (`bureau.toml`; empty fields print a blank)."""

    name: str = "龙井市社会保险事业管理局"
    window: str = ""
    address: str = ""
    phone: str = ""
    hours: str = ""


@dataclass(frozen=True)
class NoticeTerms:
    """What every notice of one night shares: the notice date (the night's as-of date,
    unless a case was notified already), the objection window's days (policy
    `objection_window_days` on that date), the bureau, and the night's run."""

    notice_date: dt.date
    objection_days: int
    bureau: Bureau
    run_id: str = ""


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the pango library it needs) is not installed here."""


def load_bureau(path: Path | None = None) -> Bureau:
    """The bureau's contact from `bureau.toml` (the bundled one by default)."""
    doc = tomllib.loads(Path(path or BUNDLED_BUREAU).read_text(encoding="utf-8"))
    known = Bureau.__dataclass_fields__
    return Bureau(**{k: str(v) for k, v in doc.items() if k in known})


def _money(value) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(ZERO)


def document_fields(row: dict, terms: NoticeTerms, *, full_id: bool) -> dict:
    """Everything one page shows, as text: `row` is a death case with its settlement;
    `full_id` only for the family's own notice. The settlement is recomputed with the
    funeral subsidy in force on the date of death (`funeral_subsidy_at_death`, else the
    night's amount): net = subsidy + account balance − overpaid."""
    overpaid = _money(row.get("overpaid_amount"))
    balance = _money(row.get("account_balance"))
    night_subsidy = _money(row.get("funeral_subsidy"))
    at_death = row.get("funeral_subsidy_at_death")
    subsidy = _money(at_death) if (night_subsidy > 0 and at_death is not None) else night_subsidy
    net = subsidy + balance - overpaid
    to_heirs, to_recover = max(net, ZERO), max(-net, ZERO)
    death_date = row.get("death_date")
    if subsidy > 0:
        subsidy_note = f"按死亡之日 {chinese_date(death_date)} 施行的标准"
    elif row.get("status_at_death") not in (RECEIVING, None):
        subsidy_note = f"死亡时参保状态为「{row.get('status_at_death')}」，不符合领取条件"
    else:
        subsidy_note = "不符合领取条件（死亡时未在领取待遇或在押）"
    if to_heirs > 0:
        result = f"应支付给法定继承人 {yuan(to_heirs)} 元"
        settle = (
            f"应支付的 {yuan(to_heirs)} 元由本局转入逝者本人的社会保障卡或养老金发放银行账户，"
            "由法定继承人凭死亡证明、继承人身份证件及亲属关系证明依法办理支取。"
        )
    elif to_recover > 0:
        result = f"应退还多领养老金 {yuan(to_recover)} 元"
        settle = (
            f"应退还的 {yuan(to_recover)} 元，由本局从逝者本人社会保障卡或养老金发放"
            "银行账户中扣回；账户余额不足的，请法定继承人通过银行转账退还至本局社保基金"
            "专户（账户信息以窗口出具的缴款通知为准）。"
        )
    else:
        result = "多发养老金与丧葬补助金、个人账户余额相抵后两清，无需支付或退还"
        settle = "双方无需支付或退还款项，本局在异议期满后办理注销登记。"
    notice_date = row.get("notice_date") or terms.notice_date
    until = row.get("objection_until") or notice_date + dt.timedelta(days=terms.objection_days)
    citizen_id = row.get("citizen_id") or ""
    if not full_id:
        citizen_id = pl.select(mask_citizen_id(pl.lit(citizen_id))).item() or ""
    sources = [SOURCE_TITLES.get(s, s) for s in (row.get("evidence") or [])]
    address = "".join(x for x in (row.get("township"), row.get("village")) if x)
    return {
        "case_id": row.get("case_id") or "",
        "run_id": terms.run_id,
        "as_of": chinese_date(terms.notice_date),
        "name": row.get("name") or "",
        "citizen_id": citizen_id,
        "pension_no": row.get("pension_no") or "—",
        "address": address or "—",
        "roster_status": row.get("roster_status") or "—",
        "status_at_death": row.get("status_at_death") or "—",
        "death_date": chinese_date(death_date),
        "sources": "、".join(sources) or "—",
        "overpaid_months": int(row.get("overpaid_months") or 0),
        "overpaid_amount": yuan(overpaid),
        "funeral_subsidy": yuan(subsidy),
        "subsidy_note": subsidy_note,
        "account_balance": yuan(balance),
        "net_signed": f"{net:,.2f}",
        "net_to_heirs": yuan(to_heirs),
        "to_recover": yuan(to_recover),
        "result_text": result,
        "settle_text": settle,
        "notice_date": chinese_date(notice_date),
        "notice_status": (
            f"已于 {chinese_date(row['notice_date'])} 告知"
            if row.get("notice_date")
            else f"待送达（随本单打印，按 {chinese_date(notice_date)} 计）"
        ),
        "objection_days": terms.objection_days,
        "objection_until": chinese_date(until),
        "bureau": terms.bureau,
    }


def render_notices(rows: pl.DataFrame | list[dict], terms: NoticeTerms) -> str:
    """The heirs' notices (告知书), one A4 page per row, whole IDs, as one HTML document."""
    return _render("death_notice.html.j2", "死亡待遇结算告知书", rows, terms, full_id=True)


def render_settlements(rows: pl.DataFrame | list[dict], terms: NoticeTerms) -> str:
    """The bureau's settlement sheets (结算单), one A4 page per row, IDs masked."""
    return _render("death_settlement.html.j2", "死亡待遇结算单", rows, terms, full_id=False)


def _render(template: str, title: str, rows, terms: NoticeTerms, *, full_id: bool) -> str:
    listed = rows.to_dicts() if isinstance(rows, pl.DataFrame) else list(rows)
    pages = [document_fields(r, terms, full_id=full_id) for r in listed]
    return document_templates().get_template(template).render(title=title, pages=pages)


def html_to_pdf(html: str) -> bytes:
    """The document as PDF (WeasyPrint); `PdfUnavailable` where it cannot run here."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango missing
        raise PdfUnavailable(f"WeasyPrint unavailable ({type(exc).__name__})") from None
    return weasyprint.HTML(string=html).write_pdf()
