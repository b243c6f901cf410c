"""Expectations: Great Expectations suites, one per source, and the night's validation.

Why: the connectors guarantee the *shape* of each source; the suites in ``suites/``
check that its *content* is plausible (contract value sets, date bounds, amounts,
ID quality) before the findings rely on it, without ever showing GX a raw ID or name.
"""

from __future__ import annotations

from pensionlink.expectations.validate import (
    PRIVATE_COLUMNS,
    RESULT_FORMAT,
    SUITES_DIR,
    DocsIncomplete,
    NightValidator,
    PrivacyError,
    find_id_like,
    load_suite,
    load_suites,
    suite_columns,
    validate_night,
)

__all__ = [
    "PRIVATE_COLUMNS",
    "RESULT_FORMAT",
    "SUITES_DIR",
    "DocsIncomplete",
    "NightValidator",
    "PrivacyError",
    "find_id_like",
    "load_suite",
    "load_suites",
    "suite_columns",
    "validate_night",
]
