"""The funeral subsidy's printed forms (丧葬补助金文书), from the claims' own records.

- 丧葬补助金发放审批表, one A4 page per claim: the deceased (masked ID, name, pension number,
  address, date of death, status at death), what the night knew about eligibility, the
  applicant and relation and the documents handed in, each step of the chain (受理, 村级初审,
  乡镇审核, 市级审批, 发放, 归档) with who, in which role, when and the note — blank lines for
  steps still to come —, the subsidy (the policy's on the date of death), the overpayment
  offset, the payout and where it was paid (社会保障卡 or 养老金发放银行账户, never cash).
- 丧葬补助金申领汇总表, one per township (A4 landscape): every claim of the township with
  its step, amounts and dates, and a 合计 row.

Pure: the township's subsidy cases (IDs masked), their deaths and events in, HTML text
out (Jinja2 templates in `templates/`); `death_documents.html_to_pdf` prints them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from pensionlink.cases.subsidy import CHAIN, apply_details
from pensionlink.reports.document_text import chinese_date, document_templates, yuan
from pensionlink.reports.labels import CASE_STATE, CLOSE_REASON, SUBSIDY_ELIGIBILITY

__all__ = [
    "CLAIM_ROW_SCHEMA",
    "PAID_TO",
    "STEP_TITLES",
    "claim_fields",
    "claim_record",
    "claim_rows",
    "printed_claims",
    "render_approval_forms",
    "render_claims_summary",
]

ZERO = Decimal("0.00")
STEP_TITLES = {
    "apply": "受理申请（村）",
    "village_check": "村级初审",
    "township_check": "乡镇审核",
    "city_approve": "市级审批",
    "pay": "发放",
    "archive": "归档",
}
PAID_TO = {"card": "逝者本人社会保障卡", "account": "逝者本人养老金发放银行账户"}
ROLE = {"clerk": "村级经办", "township": "乡镇经办", "supervisor": "市级审批", "finance": "财务"}


def _money(value) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(ZERO)


def _day(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _step_note(action: str, event: dict | None) -> str:
    """What a step's row says: the staff's note; the payment's figures are in 三、发放."""
    if event is None or action == "apply":
        return ""
    if action == "pay":
        return "见“三、发放”"
    return event.get("note") or ""


def claim_record(case: dict, death: dict | None, events: list[dict]) -> dict:
    """One claim as its records have it (dates, Decimal yuan): `case` a subsidy case (ID
    masked), `death` its death (death_date, pension_no, status_at_death) or None, `events`
    its events (the latest of each step counts)."""
    death = death or {}
    by_action: dict[str, dict] = {}
    for event in events:
        if event["action"] in CHAIN:
            by_action[event["action"]] = event
    applied, pay = by_action.get("apply"), by_action.get("pay")
    details = (apply_details(applied["note"]) if applied else None) or {}
    due = None if case.get("amount_due") is None else _money(case["amount_due"])
    payout = _money(pay["amount"]) if pay else None
    flags = [f for f in (case.get("outcome") or "").split(",") if f]
    approve = by_action.get("city_approve")
    state = CASE_STATE.get(case["state"], case["state"])
    if case["state"] == "closed":
        state = CLOSE_REASON.get(case.get("close_reason"), case.get("close_reason") or state)
    return {
        "case_id": case["case_id"],
        "township": case.get("township"),
        "village": case.get("village"),
        "name": case.get("name") or "",
        "citizen_id": case.get("citizen_id") or "",
        "pension_no": death.get("pension_no"),
        "death_date": death.get("death_date"),
        "status_at_death": death.get("status_at_death"),
        "eligibility": "、".join(SUBSIDY_ELIGIBILITY.get(f, f) for f in flags) or None,
        "override": bool(approve and (approve.get("note") or "").startswith("特批")),
        "applicant": details.get("applicant"),
        "relation": details.get("relation"),
        "documents": details.get("documents"),
        "applied_on": _day(applied["at"]) if applied else None,
        "state": state,
        "amount_due": due,
        "offset": None if payout is None or due is None else due - payout,
        "payout": payout,
        "paid_to": PAID_TO.get(pay.get("outcome")) if pay else None,
        "paid_on": _day(pay["at"]) if pay else None,
        "by_action": by_action,
    }


def claim_fields(case: dict, death: dict | None, events: list[dict], as_of: dt.date) -> dict:
    """Everything one 发放审批表 shows, as text (see `claim_record`), with each step of the
    chain: who, in which role, when, the note — blank for steps still to come."""
    r = claim_record(case, death, events)
    steps = []
    for action in CHAIN:
        event = r["by_action"].get(action)
        if action == "archive" and event and case.get("close_reason") == "refused":
            title = "不予发放，归档"
        else:
            title = STEP_TITLES[action]
        steps.append(
            {
                "title": title,
                "done": event is not None,
                "who": (event or {}).get("by") or "",
                "role": ROLE.get((event or {}).get("role"), (event or {}).get("role") or ""),
                "when": chinese_date(_day(event["at"])) if event else "",
                "note": _step_note(action, event),
            }
        )
    address = "".join(x for x in (r["township"], r["village"]) if x)
    return {
        "case_id": r["case_id"],
        "as_of": chinese_date(as_of),
        "name": r["name"],
        "citizen_id": r["citizen_id"],
        "pension_no": r["pension_no"] or "—",
        "address": address or "—",
        "village": r["village"] or "—",
        "death_date": chinese_date(r["death_date"]),
        "status_at_death": r["status_at_death"] or "—",
        "eligibility": r["eligibility"] or "—",
        "eligible": r["eligibility"] == SUBSIDY_ELIGIBILITY["eligible"],
        "override": r["override"],
        "applicant": r["applicant"] or "",
        "relation": r["relation"] or "",
        "documents": r["documents"] or "",
        "applied_on": chinese_date(r["applied_on"]) if r["applied_on"] else "",
        "steps": steps,
        "amount_due": "未知" if r["amount_due"] is None else yuan(r["amount_due"]),
        "offset": "" if r["offset"] is None else yuan(r["offset"]),
        "payout": "" if r["payout"] is None else yuan(r["payout"]),
        "paid_to": r["paid_to"] or "",
        "paid_on": chinese_date(r["paid_on"]) if r["paid_on"] else "",
        "state": r["state"],
    }


#: The 丧葬补助金申领 sheet's columns (`claim_rows`), in order.
CLAIM_ROW_SCHEMA = {
    "village": pl.String,
    "case_id": pl.String,
    "name": pl.String,
    "citizen_id": pl.String,
    "death_date": pl.Date,
    "applicant": pl.String,
    "relation": pl.String,
    "documents": pl.String,
    "applied_on": pl.Date,
    "state": pl.String,
    "eligibility": pl.String,
    "override_text": pl.String,
    "amount_due": pl.Decimal(12, 2),
    "offset": pl.Decimal(12, 2),
    "payout": pl.Decimal(12, 2),
    "paid_to": pl.String,
    "paid_on": pl.Date,
}


def claim_rows(cases: pl.DataFrame, deaths: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The township's claims (`printed_claims(…, summary=True)`) as rows of the workbook's
    丧葬补助金申领 sheet, by village and case."""
    records = _records(printed_claims(cases, summary=True), deaths, events)
    rows = [
        {
            **{k: r[k] for k in CLAIM_ROW_SCHEMA if k in r},
            "override_text": "特批" if r["override"] else None,
        }
        for r in records
    ]
    return pl.DataFrame(rows, schema=CLAIM_ROW_SCHEMA)


def printed_claims(cases: pl.DataFrame, summary: bool) -> pl.DataFrame:
    """The subsidy claims a township prints: for the 申领汇总表 every claim but one closed
    because its death no longer stands; for the 发放审批表 only those applied for."""
    claims = cases.filter(
        (pl.col("kind") == "subsidy") & (pl.col("close_reason").fill_null("") != "evidence_gone")
    )
    return claims if summary else claims.filter(pl.col("state") != "to_apply")


def _by_case(cases: pl.DataFrame, deaths: pl.DataFrame, events: pl.DataFrame):
    """(claim, its death, its events) of each subsidy case, by village and case."""
    death = {d["case_id"]: d for d in deaths.to_dicts()}
    per: dict[str, list[dict]] = {}
    for e in events.sort("at").to_dicts():
        per.setdefault(e["case_id"], []).append(e)
    claims = cases.filter(pl.col("kind") == "subsidy").sort("village", "case_id", nulls_last=True)
    return [(c, death.get(c["case_id"]), per.get(c["case_id"], [])) for c in claims.to_dicts()]


def _records(cases: pl.DataFrame, deaths: pl.DataFrame, events: pl.DataFrame) -> list[dict]:
    return [claim_record(c, d, e) for c, d, e in _by_case(cases, deaths, events)]


def _claims(cases: pl.DataFrame, deaths: pl.DataFrame, events: pl.DataFrame, as_of: dt.date):
    return [claim_fields(c, d, e, as_of) for c, d, e in _by_case(cases, deaths, events)]


def render_approval_forms(
    cases: pl.DataFrame, deaths: pl.DataFrame, events: pl.DataFrame, as_of: dt.date, bureau: str
) -> str:
    """The 发放审批表 of every subsidy claim in `cases`, one A4 page each."""
    pages = _claims(cases, deaths, events, as_of)
    return (
        document_templates()
        .get_template("subsidy_approval.html.j2")
        .render(title="丧葬补助金发放审批表", pages=pages, bureau=bureau)
    )


def render_claims_summary(
    township: str,
    cases: pl.DataFrame,
    deaths: pl.DataFrame,
    events: pl.DataFrame,
    as_of: dt.date,
    bureau: str,
) -> str:
    """The township's 丧葬补助金申领汇总表: every claim, its step and amounts, a 合计 row."""
    claims = _claims(cases, deaths, events, as_of)

    def total(key: str) -> str:
        shown = [c[key].replace(",", "") for c in claims]
        return yuan(sum((Decimal(v) for v in shown if v[:1].isdigit()), ZERO))

    totals = {k: total(k) for k in ("amount_due", "offset", "payout")}
    return (
        document_templates()
        .get_template("subsidy_summary.html.j2")
        .render(
            title="丧葬补助金申领汇总表",
            township=township,
            claims=claims,
            totals=totals,
            as_of=chinese_date(as_of),
            bureau=bureau,
        )
    )
