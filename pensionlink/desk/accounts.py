"""The desk's people and what they may see and do (用户、辖区与角色).

A desk user has one of four roles and an area: `village` (村级经办, one village),
`township` (乡镇经办, one township), `city` (市局, the whole city), `admin` (系统管理员,
manages users only, sees no case). The server maps a desk role onto the case machine's
roles (`pensionlink.cases.machine.ROLES`) — nobody types a role: village → clerk,
township → township, city → supervisor, or finance for the steps only finance may take
(`pay`, `advance_paid`; what finance or a supervisor may do is done as supervisor). The senior
actions — confirming a death (`verify_dead`), stopping money (`suspend`), writing a debt
off (`write_off`) — need the city. Passwords are hashed with argon2 (argon2-cffi).
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pensionlink.cases.advance import STEP_ROLES as ADVANCE_ROLES
from pensionlink.cases.machine import ACTION_ROLES
from pensionlink.cases.subsidy import STEP_ROLE

__all__ = [
    "DESK_ROLES",
    "SENIOR_ACTIONS",
    "BadUser",
    "DeskUser",
    "check_login",
    "hash_password",
    "machine_role",
    "new_user_row",
    "verify_password",
]

DESK_ROLES = ("village", "township", "city", "admin")
#: Actions only the city may take: a death confirmed, money stopped, a debt written off.
SENIOR_ACTIONS = frozenset({"verify_dead", "suspend", "write_off"})
_MACHINE_ROLE = {"village": "clerk", "township": "township", "city": "supervisor"}
_WORD = {"village": "村级经办", "township": "乡镇经办", "city": "市局", "admin": "系统管理员"}
_HASHER = PasswordHasher()


class BadUser(ValueError):
    """A user cannot be added as asked (one line)."""


@dataclass(frozen=True)
class DeskUser:
    """Who is logged in: name, desk role and area."""

    name: str
    role: str
    township: str | None = None
    village: str | None = None

    @property
    def role_word(self) -> str:
        return _WORD.get(self.role, self.role)

    @property
    def area_word(self) -> str:
        if self.role == "village":
            return f"{self.township}{self.village}"
        if self.role == "township":
            return self.township or ""
        return "全市" if self.role == "city" else "—"

    @property
    def sees_cases(self) -> bool:
        return self.role in _MACHINE_ROLE

    def covers(self, township: str | None, village: str | None) -> bool:
        """Whether a person living in `township`/`village` is in this user's area (a case
        whose area is unknown is the city's alone)."""
        if self.role == "city":
            return True
        if self.role == "township":
            return township is not None and township == self.township
        if self.role == "village":
            return (
                township is not None
                and township == self.township
                and village is not None
                and village == self.village
            )
        return False


def machine_role(user: DeskUser, kind: str, action: str) -> str | None:
    """The case machine's role `user` acts in for `action` on a `kind` case, or None when
    their desk role may not take it (a senior action below the city; a step that is
    another role's)."""
    base = _MACHINE_ROLE.get(user.role)
    if base is None or (action in SENIOR_ACTIONS and user.role != "city"):
        return None
    need: tuple[str, ...] | None = None
    if kind == "subsidy" and action in STEP_ROLE:
        need = (STEP_ROLE[action],)
    elif kind == "advance" and action in ADVANCE_ROLES:
        need = tuple(ADVANCE_ROLES[action])
    elif action in ACTION_ROLES:
        need = tuple(ACTION_ROLES[action])
    if need is None or base in need:
        return base
    if user.role == "city" and "finance" in need:
        return "finance"
    return None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """A hash no password opens, checked in place of a missing or disabled user's."""
    return _HASHER.hash(secrets.token_urlsafe(32))


def check_login(row: dict | None, password: str) -> bool:
    """Whether `password` opens the account `row` (the store's user row; None: no such
    name). A hash is checked whether or not the user exists or is disabled (a dummy one
    when missing), so the time a login takes does not tell which names exist."""
    matches = verify_password(row["password_hash"] if row else _dummy_hash(), password)
    return matches and row is not None and not row["disabled"]


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_user_row(
    name: str, role: str, township: str | None, village: str | None, password: str
) -> dict:
    """The case store's row for a new user; `BadUser` when the role and area disagree."""
    name = name.strip()
    if not name:
        raise BadUser("用户名不能为空 the user name is empty")
    if role not in DESK_ROLES:
        raise BadUser(f"--role: 无此角色 unknown role {role!r} (one of {'|'.join(DESK_ROLES)})")
    township = (township or "").strip() or None
    village = (village or "").strip() or None
    if role == "village" and not (township and village):
        raise BadUser("村级用户须填写 --township 和 --village a village user needs both")
    if role == "township" and (not township or village):
        raise BadUser(
            "乡镇用户须填写 --township（不填 --village） a township user needs --township"
        )
    if role in ("city", "admin") and (township or village):
        raise BadUser(f"{_WORD[role]}不设辖区 a {role} user has no --township/--village")
    if len(password) < 8:
        raise BadUser("密码至少8位 the password needs at least 8 characters")
    return {
        "name": name,
        "role": role,
        "township": township,
        "village": village,
        "password_hash": hash_password(password),
    }
