"""How the printed documents write dates and money, and where their templates come from
(文书格式).

The death documents (告知书、结算单), the funeral subsidy's forms, the advance ledger and
the summary's case tables write a date as 2026年11月28日 and an amount in yuan with two
decimals and thousands separators (1,234.50); the documents render from `templates/`
through one Jinja2 environment (autoescaped, undefined names an error).
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import jinja2

__all__ = ["chinese_date", "document_templates", "yuan"]


def chinese_date(day: dt.date | None) -> str:
    """2026-11-28 → 2026年11月28日; no date → 日期不详."""
    return "日期不详" if day is None else f"{day.year}年{day.month}月{day.day}日"


def yuan(value: Decimal | None) -> str:
    """Decimal("1234.5") → 1,234.50; None → 0.00."""
    return f"{(value or Decimal('0.00')):,.2f}"


@functools.cache
def document_templates() -> jinja2.Environment:
    """The Jinja2 environment of the documents' templates (`reports/templates/`)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pensionlink", "reports/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
