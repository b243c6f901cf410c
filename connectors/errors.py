"""Why a source could not be used tonight: not delivered, or delivered but unreadable.

The two are kept apart because the night treats them differently: an absent optional
file is routine, a rejected one is worth a line in the run record, and either for the
hukou spine or the roster stops the night (see `connectors.night`).
"""

from __future__ import annotations

__all__ = ["SourceMissing", "SourceRejected"]


class SourceMissing(FileNotFoundError):
    """The source's file is not in the drop folder (not delivered tonight)."""

    def __init__(self, source: str, expected: str) -> None:
        super().__init__(f"{expected}: 未送达 not delivered ({source})")
        self.source = source
        self.expected = expected


class SourceRejected(ValueError):
    """The file is there but cannot be used whole; the message is one line for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
