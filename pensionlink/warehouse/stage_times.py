"""A published run's stage times kept beside the database (运行耗时), until the next write.

The stages after a night is published (Data Docs, the analysts' copy, the reports) end
after its `runs` row was written. Writing their times into that row meant a staged copy
of the whole database for a few numbers — seconds at 150,000 people, tens of seconds at
a million. They go instead into `<db>.stages.json` (run id → [[stage, seconds], …]; no
person's data), replaced atomically, and the next publish folds them into `runs.stages`
in its own staged copy (`store.publish_night`). Readers of a run's times take the file's
entry over the row's (`stages_of`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["forget_stage_times", "keep_stage_times", "pending_stage_times", "stage_times_path"]

Stages = list[tuple[str, float]]


def stage_times_path(db: Path) -> Path:
    db = Path(db)
    return db.with_name(db.name + ".stages.json")


def pending_stage_times(db: Path) -> dict[str, Stages]:
    """Run id → stages not yet folded into the database (empty when there are none, or
    when the file cannot be read: the times are lost, the nights are not)."""
    try:
        held = json.loads(stage_times_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(held, dict):
        return {}
    return {
        str(run): [(str(name), float(seconds)) for name, seconds in stages]
        for run, stages in held.items()
        if isinstance(stages, list)
    }


def keep_stage_times(db: Path, run_id: str, stages: Sequence[tuple[str, float]]) -> None:
    """Keep `run_id`'s every stage (rounded to the millisecond, as `runs.stages`)."""
    held = pending_stage_times(db)
    held[run_id] = [(name, round(seconds, 3)) for name, seconds in stages]
    _write(db, held)


def forget_stage_times(db: Path, run_ids: Iterable[str]) -> None:
    """Drop the entries folded into the database."""
    held = pending_stage_times(db)
    left = {run: stages for run, stages in held.items() if run not in set(run_ids)}
    if left == held:
        return
    if left:
        _write(db, left)
    else:
        stage_times_path(db).unlink(missing_ok=True)


def _write(db: Path, held: dict[str, Stages]) -> None:
    path = stage_times_path(db)
    staged = path.with_name(path.name + ".tmp")
    staged.write_text(json.dumps({r: [list(s) for s in st] for r, st in held.items()}), "utf-8")
    os.replace(staged, path)
