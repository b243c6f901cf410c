"""Stage 4, rendering the true records as extracts (渲染): one `Extract` per source (its
columns in header order and the true person behind each row) and the `Renderer` the
per-agency modules (`render_*`) draw with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from pensionlink.synth.files import FILES
from pensionlink.synth.lives import Lives
from pensionlink.synth.population import People
from pensionlink.synth.quirks import quirk_ids, quirk_names


@dataclass
class Extract:
    """One source file: columns in header order, and the true person behind each row."""

    frame: pl.DataFrame
    pid: np.ndarray


def extract(source: str, columns: dict[str, object], pid: np.ndarray) -> Extract:
    """The rows of `source` in its header order; an empty string is written as nothing."""
    headers = FILES[source][4]
    data = {h: columns[h] for h in headers}
    frame = pl.DataFrame({h: _text(v) for h, v in data.items()})
    frame = frame.select(pl.when(pl.all() != "").then(pl.all()))  # "" is written as nothing
    return Extract(frame, np.asarray(pid, dtype=np.int64))


def _text(values) -> pl.Series:
    """A string column from a Series, a numpy array (None = null) or a list."""
    if isinstance(values, pl.Series):
        return values.cast(pl.String)
    if isinstance(values, np.ndarray):
        values = values.tolist()
    return pl.Series(values, dtype=pl.String)


class Renderer:
    """What rendering any source needs (渲染): the night's generator, the true story, the
    noise, and each person's IDs and names as a source damages them."""

    def __init__(self, rng: np.random.Generator, p: People, life: Lives, noise: float):
        self.rng, self.p, self.life, self.noise = rng, p, life, noise
        self.sex = np.where(p.male, "男", "女").astype(object)

    def ids(self, source: str, pid: np.ndarray, protect: np.ndarray | None = None) -> np.ndarray:
        return quirk_ids(self.rng, self.p.cid[pid], source, self.noise, protect)

    def names(self, pid: np.ndarray, scale: float = 1.0) -> np.ndarray:
        return quirk_names(self.rng, self.p.name[pid], self.noise * scale)
