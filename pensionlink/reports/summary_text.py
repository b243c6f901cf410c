"""How the daily summary writes numbers (日报数字格式): counts with thousands separators,
money to the fen, rates as percentages, changes in percentage points, a dash for none."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["DASH", "count_text", "money_text", "percent_text", "points_text"]

DASH = "—"


def count_text(value: int | None) -> str:
    """1,234 — or a dash."""
    return DASH if value is None else f"{value:,}"


def money_text(value: Decimal | None) -> str:
    """1,234.50 (yuan) — or a dash."""
    return DASH if value is None else f"{value:,.2f}"


def percent_text(rate: float | None, digits: int = 1) -> str:
    """0.8425 as 84.3% (`digits` places) — or a dash."""
    return DASH if rate is None else f"{rate * 100:.{digits}f}%"


def points_text(change: float | None) -> str:
    """A change in percentage points, signed; no sign when it rounds to nothing."""
    if change is None:
        return DASH
    return "0.00" if round(change, 2) == 0 else f"{change:+.2f}"
