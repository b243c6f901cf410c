"""Random draws shared by every stage (随机抽取): weighted picks, uniform days in a range,
a chance per person. Each takes the night's `numpy.random.Generator`.
"""

from __future__ import annotations

import numpy as np


def pick(rng: np.random.Generator, table, n: int) -> np.ndarray:
    """Indices into a ((value, weight), ...) table."""
    w = np.array([x[1] for x in table], dtype=float)
    return rng.choice(len(table), size=n, p=w / w.sum())


def between(rng: np.random.Generator, lo, hi, n: int | None = None) -> np.ndarray:
    """Uniform ints in [lo, hi] (hi < lo gives lo); `n` rows when both bounds are scalars."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    shape = np.broadcast(lo, hi).shape if n is None else (n,)
    if shape == ():
        raise ValueError("scalar bounds need n")
    return lo + np.floor(rng.random(shape) * (hi - lo + 1)).astype(np.int64)


def chance(rng: np.random.Generator, p, mask: np.ndarray) -> np.ndarray:
    """Per person, True with probability `p` (scalar or array) where `mask` holds."""
    return (rng.random(len(mask)) < p) & mask


def shuffled(rng: np.random.Generator, pid: np.ndarray) -> np.ndarray:
    """A random order of the rows of `pid`."""
    return rng.permutation(len(pid))


def _reasons(rng: np.random.Generator, n: int, choices: tuple[str, ...]) -> np.ndarray:
    return np.array(choices, dtype=object)[rng.integers(0, len(choices), n)]
