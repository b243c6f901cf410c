"""残联's and 乡村振兴局's extracts rendered (残疾人, 防返贫监测): disability cards and the
poverty registry.
"""

from __future__ import annotations

import numpy as np
from pensionlink.synth.draws import shuffled
from pensionlink.synth.render import Extract, Renderer, extract

DISABILITY_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")


def disabled(r: Renderer, d: dict, protect: np.ndarray) -> Extract:
    """Disability cards (残疾人证号 = ID + category + grade)."""
    order = shuffled(r.rng, d["pid"])
    pid = d["pid"][order]
    ids = r.ids("disabled", pid, protect[pid])
    card = [
        f"{s}{c}{g}" for s, c, g in zip(ids, d["category"][order], d["grade"][order], strict=True)
    ]
    return extract(
        "disabled",
        {
            "残疾人证号": card,
            "姓名": r.names(pid),
            "性别": r.sex[pid],
            "残疾类别": np.array(DISABILITY_CATEGORIES, dtype=object)[d["category"][order] - 1],
            "残疾等级": [f"{g}级" for g in d["grade"][order]],
            "乡镇街道": r.p.township[pid],
        },
        pid,
    )


def poverty(r: Renderer, v: dict, protect: np.ndarray) -> Extract:
    """The poverty registry (脱贫户/监测户)."""
    order = shuffled(r.rng, v["pid"])
    pid = v["pid"][order]
    return extract(
        "poverty",
        {
            "证件号码": r.ids("poverty", pid, protect[pid]),
            "姓名": r.names(pid),
            "户类型": v["kind"][order],
            "乡镇": r.p.township[pid],
            "村": r.p.village[pid],
        },
        pid,
    )
