"""A doubtful link explained (疑似匹配说明): each comparison in words and its weight drawn.

Pure. The review queue stores each comparison level with its weight in bits (log2 of how
much likelier the observation is for the same person than for two different people):
`name_exact +8.8; birth_exact +1.6; …`. Here each becomes a sentence a clerk can read,
and a waterfall like Splink's: the prior (what any pair starts with, the total weight
less the comparisons') then each comparison's bar starting where the last one ended, and
the total at the end. Geometry only; the template draws it as inline SVG.
"""

from __future__ import annotations

from dataclasses import dataclass

from pensionlink.matching.comparison import LABELS

__all__ = ["Bar", "Comparison", "explain", "parse_comparison", "waterfall"]


@dataclass(frozen=True)
class Comparison:
    level: str
    weight: float

    @property
    def label(self) -> str:
        return LABELS.get(self.level, self.level)

    @property
    def sentence(self) -> str:
        """The comparison in words: what agreed and how much it counts."""
        times = 2 ** abs(self.weight)
        how = f"约 {times:,.0f} 倍" if times >= 10 else f"约 {times:.1f} 倍"
        if self.weight >= 0:
            return f"{self.label}：同一人时更常见，{how}，支持是同一人（{self.weight:+.1f}）"
        return f"{self.label}：不同人时更常见，{how}，不支持是同一人（{self.weight:+.1f}）"


@dataclass(frozen=True)
class Bar:
    label: str
    weight: float
    x: float  # left edge in the drawing's units
    width: float
    y: float
    colour: str
    kind: str  # prior | comparison | total


def parse_comparison(text: str | None) -> list[Comparison]:
    """'name_exact +8.8; birth_exact +1.6' → the comparisons (a malformed part skipped)."""
    out = []
    for part in (text or "").split(";"):
        words = part.strip().rsplit(" ", 1)
        if len(words) != 2:
            continue
        try:
            out.append(Comparison(words[0], float(words[1])))
        except ValueError:
            continue
    return out


def explain(total_weight: float | None, probability: float | None) -> str:
    """The whole pair in one sentence."""
    if total_weight is None or probability is None:
        return "没有计算匹配权重（按身份证或规则判定）"
    return (
        f"合计权重 {total_weight:+.1f}，即匹配概率 {_percent(probability)}；"
        "是否为同一人须经办人核对原始材料后决定"
    )


def _percent(p: float) -> str:
    """0.999975 → '99.998%' (never rounded up to a certain 100%)."""
    if p >= 0.9995:
        return f"{min(p, 0.99999):.3%}"
    return f"{p:.1%}"


def waterfall(
    parts: list[Comparison], total: float, width: float = 560, row: float = 26
) -> tuple[list[Bar], float, float]:
    """Bars of the waterfall (prior, each comparison, total), the x of zero and the
    drawing's height. Bars scale so the widest running sum fits `width`."""
    prior = total - sum(p.weight for p in parts)
    steps = [
        ("先验（任意两条记录）", prior, "prior"),
        *((p.label, p.weight, "comparison") for p in parts),
    ]
    running, points = 0.0, [0.0]
    for _, w, _ in steps:
        running += w
        points.append(running)
    points.append(total)
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    scale = width / span
    zero = -low * scale
    bars, running = [], 0.0
    for i, (label, w, kind) in enumerate(steps):
        start, end = running, running + w
        running = end
        colour = "#2e7d32" if w >= 0 else "#c62828"
        if kind == "prior":
            colour = "#78909c"
        bars.append(
            Bar(label, w, zero + min(start, end) * scale, abs(w) * scale, i * row, colour, kind)
        )
    bars.append(
        Bar(
            "合计",
            total,
            zero + min(0.0, total) * scale,
            abs(total) * scale,
            len(steps) * row,
            "#1565c0",
            "total",
        )
    )
    return bars, zero, (len(steps) + 1) * row
