"""The restricted database's key (数据库密钥), from the environment, never from the repo.

The social security bureau's database holds whole citizen IDs, deaths, health visits and
welfare status — sensitive personal information under PIPL — so it is encrypted at rest
(DuckDB's AES-GCM database encryption). The key comes from `PENSIONLINK_DB_KEY_FILE` (a
file readable only by the service account) or `PENSIONLINK_DB_KEY`; it is handed to DuckDB
through a session variable that is reset right after ATTACH, so it appears in no SQL text,
no setting and no catalog view. The key for the analysts' pseudonyms is derived from it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "MissingKey",
    "database_key",
    "new_key_file",
    "pseudonym_key",
]

KEY_ENV = "PENSIONLINK_DB_KEY"
KEY_FILE_ENV = "PENSIONLINK_DB_KEY_FILE"
MIN_LENGTH = 16


class MissingKey(RuntimeError):
    """No usable key in the environment: the restricted database cannot be opened."""


def database_key() -> str:
    """The key from `PENSIONLINK_DB_KEY_FILE` or `PENSIONLINK_DB_KEY`."""
    key = os.environ.get(KEY_ENV)
    source = KEY_ENV
    if not key and (path := os.environ.get(KEY_FILE_ENV)):
        source = path
        try:
            _refuse_shared_key_file(Path(path))
            key = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MissingKey(
                f"{KEY_FILE_ENV}={path}: cannot read the key file ({exc.strerror})"
            ) from None
    if not key:
        raise MissingKey(
            f"no database key: set {KEY_FILE_ENV} to the key file (or {KEY_ENV}); "
            "the restricted database is encrypted (a new key: pensionlink new-key --out FILE)"
        )
    if len(key) < MIN_LENGTH:
        raise MissingKey(f"the database key from {source} is shorter than {MIN_LENGTH} characters")
    return key


def _refuse_shared_key_file(path: Path) -> None:
    """A key file that its group or others may read (or write) is refused: whoever can
    read it can read every citizen's record."""
    mode = path.stat().st_mode
    if mode & 0o077:
        raise MissingKey(
            f"{KEY_FILE_ENV}={path}: 密钥文件权限过宽 the key file is open to its group or "
            f"others (mode {mode & 0o777:03o}); run: chmod 600 {path}"
        )


def pseudonym_key(key: str) -> bytes:
    """The HMAC key of the analysts' pseudonyms: stable while the database key is."""
    return hashlib.sha256(b"pensionlink pseudonym\x00" + key.encode("utf-8")).digest()


def new_key_file(path: Path) -> Path:
    """Write a new random key (readable by the owner only), e.g. for the demo."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
    return path
