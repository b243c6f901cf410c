"""Dates and money as the printed documents write them."""

import datetime as dt
from decimal import Decimal

import jinja2
import pytest

from pensionlink.reports.document_text import chinese_date, document_templates, yuan


def test_dates_in_chinese():
    assert chinese_date(dt.date(2026, 11, 28)) == "2026年11月28日"
    assert chinese_date(dt.date(2027, 1, 5)) == "2027年1月5日"  # no leading zeros
    assert chinese_date(None) == "日期不详"


def test_yuan_with_two_decimals_and_separators():
    assert yuan(Decimal("1234.5")) == "1,234.50"
    assert yuan(Decimal("-303600")) == "-303,600.00"
    assert yuan(Decimal("12")) == "12.00"
    assert yuan(None) == "0.00"


def test_templates_escape_and_refuse_unknown_names():
    template = document_templates().from_string("{{ name }}")
    assert template.render(name="<金>") == "&lt;金&gt;"
    with pytest.raises(jinja2.UndefinedError):
        template.render()
