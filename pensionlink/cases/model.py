"""The case model (案件): the columns of a case, an event and a night, and a night's changes.

Money is kept in fen (分, whole numbers) in the case store and shown as DECIMAL(12,2) yuan
in the warehouse. Dates are ISO strings in the store (both backends alike).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = [
    "CASE_SCHEMA",
    "CLOSED",
    "EVENT_SCHEMA",
    "KIND_PREFIX",
    "NIGHT_SCHEMA",
    "SYSTEM",
    "NightChanges",
    "empty",
]

#: Case id prefixes: 'D000123' a death, 'R…' a recovery, 'U…' an uninsured person,
#: 'S…' a funeral subsidy claim (丧葬补助金申领), 'A…' a contribution advance (缴费资金垫付).
KIND_PREFIX = {"death": "D", "recovery": "R", "uninsured": "U", "subsidy": "S", "advance": "A"}
CLOSED = "closed"
SYSTEM = "system"  # `by` and `role` of the night's own events

CASE_SCHEMA = {
    "case_id": pl.String,
    "kind": pl.String,
    "number": pl.Int64,
    "basis": pl.String,  # what the case is about: 'death', 'overpaid', 'funeral:<kind>', …
    "person_key": pl.String,
    "state": pl.String,
    "fingerprint": pl.String,  # the evidence it was opened on (sources and dates)
    "refers_to": pl.String,  # an earlier case this one follows (new evidence after it)
    "opened_run": pl.String,
    "opened_on": pl.String,
    "last_seen_run": pl.String,
    "last_seen_on": pl.String,
    "closed_run": pl.String,
    "closed_on": pl.String,
    "close_reason": pl.String,
    "notice_date": pl.String,
    "objection_until": pl.String,
    "amount_due_fen": pl.Int64,
    "amount_recovered_fen": pl.Int64,
    "outcome": pl.String,
    "balance_since": pl.String,
}
EVENT_SCHEMA = {
    "event_id": pl.Int64,
    "case_id": pl.String,
    "at": pl.String,
    "by_name": pl.String,
    "role": pl.String,
    "action": pl.String,
    "from_state": pl.String,
    "to_state": pl.String,
    "note": pl.String,
    "amount_fen": pl.Int64,
    "outcome": pl.String,
    "run_id": pl.String,
}
NIGHT_SCHEMA = {
    "run_id": pl.String,
    "as_of": pl.String,
    "written_at": pl.String,
    "moved": pl.Int64,
}


def empty(schema: dict) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class NightChanges:
    """What one night does to the cases: new cases, changed cases (whole rows), events."""

    opened: pl.DataFrame
    updated: pl.DataFrame
    events: pl.DataFrame

    @property
    def is_empty(self) -> bool:
        return self.opened.is_empty() and self.updated.is_empty() and self.events.is_empty()

    def then(self, later: NightChanges) -> NightChanges:
        """These changes and `later`'s (on other cases) as one night's."""
        return NightChanges(
            opened=pl.concat([self.opened, later.opened]),
            updated=pl.concat([self.updated, later.updated]),
            events=pl.concat([self.events, later.events]),
        )
