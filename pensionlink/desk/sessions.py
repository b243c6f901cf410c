"""Logging in (登录会话): session tokens, their expiry, CSRF tokens and the login limit.

The session lives on the server, in the case store (`desk_sessions`): the browser holds
a random token (cookie `pensionlink_session`, HttpOnly, SameSite=Strict), the store only
its SHA-256, so a copied store opens no session. A session ends after `SESSION_HOURS`
or at logout, and at once when its user is disabled. Each session has a CSRF token, sent
to the browser as cookie `csrf_token` (readable by the page) and expected back in the
header `X-CSRF-Token` of every state-changing request; it must equal both the cookie and
the session's own token. Logins are limited within `FAILED_WINDOW` (429 until it has
passed), so that guessing is slow but nobody can lock the others out: after `MAX_FAILED`
failures for one name from one address, that name from that address; after
`MAX_FAILED_PER_NAME` for one name from anywhere (a guess spread over addresses), that
name; after the desk's per-address limit, from that address only the names that failed
recently (a name with no recent failure still logs in: behind the bureau's proxy one
address is everybody's). Counted from the audit, so a restart forgets nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "FAILED_WINDOW",
    "MAX_FAILED",
    "MAX_FAILED_PER_NAME",
    "SESSION_COOKIE",
    "SESSION_HOURS",
    "csrf_matches",
    "expiry",
    "new_token",
    "token_hash",
    "unknown_name",
]

SESSION_COOKIE = "pensionlink_session"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 8  # one working day
MAX_FAILED = 5
MAX_FAILED_PER_NAME = 50
FAILED_WINDOW = dt.timedelta(minutes=15)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def unknown_name(name: str, key: bytes) -> str:
    """How the audit keeps a login name no account has: "?" and a keyed hash, so a password
    typed into the name field is never kept, yet the same name's failures count as one."""
    return "?" + hmac.new(key, name.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:12]


def expiry(now: dt.datetime, hours: float = SESSION_HOURS) -> str:
    return (now + dt.timedelta(hours=hours)).isoformat(timespec="microseconds")


def csrf_matches(header: str | None, cookie: str | None, session_token: str) -> bool:
    """The header carries the session's CSRF token, and so does the cookie."""
    if not header or not cookie:
        return False
    given, kept = header.encode("utf-8", "replace"), cookie.encode("utf-8", "replace")
    held = session_token.encode("utf-8", "replace")  # bytes: a non-ASCII header is no 500
    return hmac.compare_digest(given, kept) and hmac.compare_digest(given, held)
