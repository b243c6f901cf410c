"""A generated, published night for the desk's tests, and its users (no real people)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from pensionlink.flows.nightly import run_night
from pensionlink.synth import generate_night

from pensionlink.cases.store import case_store_location, open_case_store
from pensionlink.desk.accounts import new_user_row
from pensionlink.settings import Settings, load_policy

AS_OF = dt.date(2026, 11, 28)
PASSWORD = "correct-horse-7"


def build_night(folder: Path, people: int = 3000, seed: int = 11) -> Path:
    """Generate a night and publish it (warehouse, case store, Data Docs); its db."""
    night, db = folder / "night", folder / "pensionlink.duckdb"
    generate_night(night, people=people, seed=seed, as_of=AS_OF)
    run_night(Settings(extracts=night, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))
    return db


def copy_night(db: Path, folder: Path) -> Path:
    """A private copy of a published night (warehouse, case store, Data Docs)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / db.name
    shutil.copyfile(db, target)
    store = Path(case_store_location(db))
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{store}{suffix}").exists():
            shutil.copyfile(f"{store}{suffix}", f"{case_store_location(target)}{suffix}")
    if (db.parent / "data-docs").is_dir():
        shutil.copytree(db.parent / "data-docs", folder / "data-docs")
    return target


def add_user(
    db: Path,
    name: str,
    role: str,
    township: str | None = None,
    village: str | None = None,
    password: str = PASSWORD,
) -> None:
    with open_case_store(case_store_location(db)) as store:
        store.add_user(new_user_row(name, role, township, village, password))
