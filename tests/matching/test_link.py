import datetime as dt

import polars as pl
import pytest
from pensionlink.matching.link import build_spine, link_night, link_source, resolve_source
from pensionlink.matching.names import name_key, pinyin_key

D = dt.date


def hukou(*rows):
    return pl.DataFrame(
        rows,
        schema={
            "citizen_id": pl.String,
            "name": pl.String,
            "sex": pl.String,
            "birth_date": pl.Date,
            "death_date": pl.Date,
            "hukou_status": pl.String,
        },
        orient="row",
    ).with_columns(id_status=pl.lit("valid"), line_no=pl.int_range(2, pl.len() + 2))


HUKOU = hukou(
    ("222405194708204151", "池花亮", "男", D(1947, 8, 20), None, "正常"),
    ("22240519850401256X", "方国", "女", D(1985, 4, 1), None, "正常"),
    # namesakes: same name, sex and birth date
    ("222405195001011111", "金英", "女", D(1950, 1, 1), None, "正常"),
    ("222405195001012222", "金英", "女", D(1950, 1, 1), None, "正常"),
    ("222405193606090187", "董哲", "女", D(1936, 6, 9), D(2024, 11, 23), "死亡"),
)


def roster(*rows):
    return pl.DataFrame(
        rows,
        schema={
            "citizen_id": pl.String,
            "name": pl.String,
            "sex": pl.String,
            "birth_date": pl.Date,
        },
        orient="row",
    ).with_columns(line_no=pl.int_range(2, pl.len() + 2), id_status=pl.lit("valid"))


def test_name_keys_absorb_spaces_traditional_and_homophones():
    assert name_key(" 李 瑞 ") == "李瑞"
    assert name_key("劉") == "刘"
    assert pinyin_key("金香花") == pinyin_key("金香华")
    assert pinyin_key("金香花") != pinyin_key("金秀花")


def test_id_links_only_when_the_name_agrees():
    spine = build_spine(HUKOU)
    out = link_source(
        roster(
            ("222405194708204151", "池 花亮", "男", D(1947, 8, 20)),  # spaces: same person
            ("22240519850401256X", "李明华", "女", D(1985, 4, 1)),  # someone else's ID
            ("230103197611252610", "李明华", "男", D(1976, 11, 25)),  # not on the register
        ),
        spine,
    )
    assert out["link_method"].to_list() == ["id", None, "id_unregistered"]
    assert out["person_id"].to_list() == ["222405194708204151", None, "230103197611252610"]
    assert out["link_note"].to_list()[:2] == [None, "身份证号与姓名、性别或出生日期不符"]


def test_attributes_link_a_unique_person_and_never_a_namesake():
    spine = build_spine(HUKOU)
    out, queue = resolve_source(
        roster(
            (None, "池花亮", "男", D(1947, 8, 20)),  # mangled ID, unique on the register
            (None, "金英", "女", D(1950, 1, 1)),  # two people fit: review, never a link
            (None, "池花亮", "男", D(1947, 8, 21)),  # birth date one day off: scored
        ),
        spine,
        "death_certificates",
    )
    assert out["link_method"].to_list() == ["attributes", None, "probabilistic"]
    assert out["person_id"].to_list() == ["222405194708204151", None, "222405194708204151"]
    assert out["score"][2] >= 0.99
    assert queue["line_no"].to_list() == [3]  # the namesakes' record (line 3), with a reason
    assert queue["person_id"][0] in ("222405195001011111", "222405195001012222")


def test_funeral_record_with_a_relatives_id_links_to_the_deceased_not_the_relative():
    spine = build_spine(HUKOU)
    funeral = pl.DataFrame(
        {
            # the relative's (池花亮's) ID typed on 董哲's cremation record
            "citizen_id": ["222405194708204151"],
            "name": ["董哲"],
            "sex": ["女"],
            "death_date": [D(2024, 11, 23)],
            "line_no": [2],
            "id_status": ["valid"],
        }
    )
    out = link_source(funeral, spine)
    assert out["person_id"].to_list() == ["222405193606090187"]
    assert out["link_method"].to_list() == ["attributes"]


def test_link_night_passes_sources_without_ids_through():
    payments = pl.DataFrame({"pension_no": ["2205000001"], "amount": [1.0]})
    linked, links, queue = link_night({"hukou": HUKOU, "pension_payments": payments})
    assert linked["pension_payments"].equals(payments)
    assert queue.is_empty()
    assert links.filter(pl.col("source") == "hukou")["link_method"].to_list() == ["id"] * 5


def test_swapped_or_mistyped_id_is_repaired_only_for_a_unique_same_named_person():
    spine = build_spine(HUKOU)
    frame = pl.DataFrame(
        {
            # neighbours 0 and 8 swapped in the sequence → check character fails
            "id_clean": ["222405194708201451", "222405194708204152", "222405195001011112"],
            "name": ["池花亮", "方国", "金英"],
        }
    ).with_columns(
        citizen_id=pl.lit(None, pl.String), id_status=pl.lit("invalid"), line_no=pl.int_range(2, 5)
    )
    out = link_source(frame, spine)
    # 1: swap, same name → repaired; 2: one typo away from 池花亮 but the name differs;
    # 3: one typo from 金英 ...1111, two from ...2222 → still unique → repaired.
    assert out["link_method"].to_list() == ["id_repaired", None, "id_repaired"]
    assert out["person_id"].to_list() == ["222405194708204151", None, "222405195001011111"]


def test_notes_explain_only_what_was_not_linked():
    spine = build_spine(HUKOU)
    out = link_source(
        roster(
            ("222405194708204151", "池花亮", "男", D(1947, 8, 20)),
            ("222405194708204151", "朴英", "男", D(1947, 8, 20)),
            (None, "无名", "男", D(1947, 8, 20)),
        ),
        spine,
    )
    assert out["link_note"].to_list() == [
        None,
        "身份证号与姓名、性别或出生日期不符",
        "无可用身份证号且无唯一匹配",
    ]


def test_reviewer_decision_links_while_the_record_is_unchanged():
    from pensionlink.matching.review import record_keys

    spine = build_spine(HUKOU)
    record = roster((None, "金英", "女", D(1950, 1, 1)))  # namesakes: never linked alone
    assert link_source(record, spine)["person_id"].to_list() == [None]
    key = record_keys(record, "death_certificates")[0]
    decisions = pl.DataFrame(
        {
            "source": ["death_certificates"],
            "record_key": [key],
            "person_id": ["222405195001012222"],
            "decision": ["accept"],
        }
    )
    out, _ = resolve_source(record, spine, "death_certificates", decisions)
    assert out.select("person_id", "link_method").row(0) == ("222405195001012222", "reviewer")
    changed = record.with_columns(sex=pl.lit("男"))
    out, _ = resolve_source(changed, spine, "death_certificates", decisions)
    assert out["person_id"].to_list() == [None]


def test_relatives_id_goes_to_review_never_to_a_link():
    spine = build_spine(HUKOU)
    # 方国's ID typed into the funeral record of 池花亮: he is found by his own attributes
    record = roster(("22240519850401256X", "池花亮", "男", D(1947, 8, 20)))
    out, queue = resolve_source(record, spine, "funeral")
    assert out.select("person_id", "link_method").row(0) == ("222405194708204151", "attributes")
    assert queue.is_empty()
    # someone not on the register under 方国's ID: never linked, queued for a reviewer
    record = roster(("22240519850401256X", "朴英", "男", D(1930, 1, 1)))
    out, queue = resolve_source(record, spine, "funeral")
    assert out["person_id"].to_list() == [None]
    assert queue.select("person_id", "source").row(0) == ("22240519850401256X", "funeral")
    assert "亲属" in queue["reason"][0]
    rejected = pl.DataFrame(
        {
            "source": ["funeral"],
            "record_key": [queue["record_key"][0]],
            "person_id": ["22240519850401256X"],
            "decision": ["reject"],
        }
    )
    _, again = resolve_source(record, spine, "funeral", rejected)
    assert again.is_empty()


@pytest.mark.parametrize(
    ("raw", "method"),
    [
        ("222405194708204151", "id"),
        ("222405470820415", "id"),  # old 15-digit ID
        ("２２２４０５１９４７０８２０４１５１", "id"),  # full-width digits
        (" 222405 19470820 4151 ", "id"),  # spaces
        ("2.22405E+17", "attributes"),  # mangled by a spreadsheet: name, sex, birth date
        ("222405194708204161", "id_repaired"),  # one digit mistyped
        ("222405194708201451", "id_repaired"),  # two neighbours swapped
        ("", "attributes"),  # no ID at all
    ],
)
def test_every_id_quirk_links_to_the_right_person(raw, method):
    from pensionlink.connectors.citizen_id import normalise_citizen_id

    frame = pl.DataFrame(
        {"raw": [raw], "name": ["池 花亮"], "sex": ["男"], "birth_date": [D(1947, 8, 20)]}
    ).with_columns(
        normalise_citizen_id(pl.col("raw").replace("", None)).alias("_id"),
        line_no=pl.lit(2),
    )
    frame = frame.with_columns(
        citizen_id=pl.col("_id").struct.field("citizen_id"),
        id_status=pl.col("_id").struct.field("id_status"),
        id_clean=pl.col("_id").struct.field("id_clean"),
    ).drop("_id", "raw")
    out = link_source(frame, build_spine(HUKOU))
    assert out.select("person_id", "link_method").row(0) == ("222405194708204151", method)


def test_a_relatives_id_is_never_linked_by_the_probabilistic_pass():
    """董哲's cremation record carries her living husband 池花亮's valid ID; she is not on
    the register. The ID, sex, township and village agree with 池花亮, only the name
    differs: the probabilistic pass scores him p > 0.99 — yet he must never be linked
    (he would be reported dead). The pair goes to review, saying why."""
    register = hukou(
        ("222405194708204151", "池花亮", "男", D(1947, 8, 20), None, "正常"),
        ("22240519850401256X", "方国", "女", D(1985, 4, 1), None, "正常"),
    ).with_columns(township=pl.lit("龙门街道"), village=pl.lit("新城社区"))
    funeral = pl.DataFrame(
        {
            "citizen_id": ["222405194708204151"],
            "id_clean": ["222405194708204151"],
            "name": ["董哲"],
            "sex": ["男"],
            "death_date": [D(2026, 11, 3)],
            "township": ["龙门街道"],
            "village": ["新城社区"],
            "line_no": [2],
            "id_status": ["valid"],
        }
    )
    out, queue = resolve_source(funeral, build_spine(register), "funeral")
    assert out.select("person_id", "link_method").row(0) == (None, None)
    (item,) = queue.rows(named=True)  # one item: the candidate is the ID's owner
    assert item["person_id"] == "222405194708204151"
    assert item["probability"] > 0.99  # what would have linked him
    assert "亲属" in item["reason"]
