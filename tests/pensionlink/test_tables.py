"""Each table's columns are declared once, in sql/<table>.sql; the rules' output columns
and the vocabulary must agree with it (a drift fails here, not on a night)."""

from __future__ import annotations

import importlib

import pytest

from pensionlink.vocabulary import MONEY, SOURCE_TITLES
from pensionlink.warehouse.tables import table_schema

#: Columns the warehouse adds when it publishes a rule's frame.
ADDED_ON_PUBLISH = {"run_id"}

# table → (finding module, the name of its declared columns, columns added on publish)
RULE_OUTPUTS = {
    "deaths_to_deregister": ("deaths", "COLUMNS", set()),
    "uninsured_eligible": ("uninsured", "COLUMNS", set()),
    "duplicate_funeral_benefits": ("funeral_benefits", "COLUMNS", set()),
    "duplicate_enrollment": ("duplicate_enrollment", "COLUMNS", set()),
    "source_quality": ("source_quality", "COLUMNS", set()),
    "agency_disagreements": ("agency_disagreements", "SCHEMA", {"first_seen_run"}),
}


@pytest.mark.parametrize("table", sorted(RULE_OUTPUTS))
def test_a_rule_writes_exactly_its_tables_columns(table):
    module, name, added = RULE_OUTPUTS[table]
    declared = getattr(importlib.import_module(f"pensionlink.findings.{module}"), name)
    stored = table_schema(table)
    assert set(declared) == set(stored) - ADDED_ON_PUBLISH - added
    if isinstance(declared, dict):  # the rule declares types too: they must be the stored ones
        assert {c: stored[c] for c in declared} == dict(declared)


def test_money_columns_are_stored_as_money():
    stored = table_schema("deaths_to_deregister")
    assert stored["overpaid_amount"] == MONEY
    assert stored["to_recover"] == MONEY


def test_death_sources_are_the_titled_sources():
    from pensionlink.findings.death_evidence import EVIDENCE_SOURCES

    assert set(EVIDENCE_SOURCES) == set(SOURCE_TITLES)
