"""Citizen ID rules (公民身份号码, GB 11643-1999).

An 18-character ID is a 6-digit area code, an 8-digit birth date (YYYYMMDD), a 3-digit
sequence (odd = male, even = female) and an ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

__all__ = ["CHECK_CHARS", "WEIGHTS", "check_character"]

# Weight of position i is 2**(17-i) mod 11; the check character maps (sum mod 11).
WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_character(body17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]
