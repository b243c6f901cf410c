"""The synthetic-night generator: contract formats, quirks, determinism, truth consistency.

Small nights (a few thousand people) keep this fast. The truth is checked against the
extracts themselves (through truth/record_links.csv, the true person behind each row), so
a generator that wrote truth and files from diverging logic fails here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import tomllib
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from pensionlink.connectors.citizen_id import (
    check_character,
    convert_15_to_18,
    normalise_citizen_id,
)
from pensionlink.synth import generate_night
from pensionlink.synth.generate import FILES

REPO = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 11, 28)
PEOPLE = 3000
GB18030 = ("public_security/", "poverty/")


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("night")
    generate_night(out, people=PEOPLE, seed=7, as_of=AS_OF)
    return out


def _checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _sources() -> dict[str, dict]:
    with open(REPO / "connectors" / "sources.toml", "rb") as f:
        return tomllib.load(f)


def _read(night: Path, source: str) -> pl.DataFrame:
    """An extract as strings (empty cell = null), decoded as the contract says."""
    path = night / f"{_sources()[source]['path']}.csv"
    encoding = (
        "gb18030"
        if path.as_posix().split(f"{night.as_posix()}/")[1].startswith(GB18030)
        else "utf-8-sig"
    )
    text = path.read_bytes().decode(encoding)
    return pl.read_csv(io.StringIO(text), infer_schema=False)


def _truth(night: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(night / "truth" / f"{name}.csv", infer_schema=False)


def _linked(night: Path, source: str) -> pl.DataFrame:
    """An extract with `true_id`, the true person behind each row."""
    links = _truth(night, "record_links").filter(pl.col("source") == source)
    frame = _read(night, source).with_row_index("line_no", offset=1)
    return frame.with_columns(pl.col("line_no").cast(pl.String)).join(
        links.select("line_no", true_id="citizen_id"), on="line_no", how="left"
    )


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_files(night, tmp_path):
    generate_night(tmp_path, people=PEOPLE, seed=7, as_of=AS_OF)
    assert _checksums(tmp_path) == _checksums(night)


def test_another_seed_gives_another_night(night, tmp_path):
    generate_night(tmp_path, people=PEOPLE, seed=8, as_of=AS_OF)
    ours, theirs = _checksums(night), _checksums(tmp_path)
    assert ours.keys() == theirs.keys()
    assert ours["public_security/hukou.csv"] != theirs["public_security/hukou.csv"]
    assert ours["truth/deaths_to_deregister.csv"] != theirs["truth/deaths_to_deregister.csv"]


# --------------------------------------------------------------------------- contract


@pytest.mark.parametrize("source", sorted(_sources()))
def test_file_has_contract_header_and_encoding(night, source):
    table = _sources()[source]
    path = night / f"{table['path']}.csv"
    raw = path.read_bytes()
    if table["path"].startswith(GB18030):
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        text = raw.decode("gb18030")
    else:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    header = text.splitlines()[0].split(",")
    # The generator writes exactly the contract's columns, in the contract's order.
    assert header == [c["header"] for c in table["columns"]]
    assert tuple(header) == FILES[source][4]
    assert len(text.splitlines()) > 1, f"{source} is empty"


def test_date_formats_follow_the_contract(night):
    hukou = _read(night, "hukou")
    assert hukou["出生日期"].str.contains(r"^\d{8}$").all()
    dead = hukou.filter(pl.col("人员状态") == "死亡")
    assert dead["死亡日期"].str.contains(r"^\d{8}$").all()
    assert dead["注销日期"].str.contains(r"^\d{8}$").all()
    assert (dead["注销日期"] >= dead["死亡日期"]).all()
    assistance = _read(night, "assistance")
    assert assistance["起始日期"].str.contains(r"^\d{4}/\d{2}/\d{2}$").all()
    certs = _read(night, "death_certificates")
    assert certs["死亡时间"].str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$").all()
    payments = _read(night, "pension_payments")
    assert payments["发放年月"].str.contains(r"^20\d{4}$").all()
    assert payments["发放年月"].n_unique() == 24
    assert payments["发放年月"].max() == "202611"
    amounts = _read(night, "funeral_subsidies")["金额"].unique().sort().to_list()
    assert amounts == ["5000.00", "600.00"]


def test_hukou_ids_are_unique_valid_and_follow_sex(night):
    hukou = _linked(night, "hukou")
    ids = hukou["true_id"].to_list()
    assert len(set(ids)) == len(ids) == PEOPLE
    for cid, sex in zip(ids, hukou["性别"].to_list(), strict=True):
        assert cid[17] == check_character(cid[:17])
        assert (int(cid[16]) % 2 == 1) == (sex == "男")
    # Hukou quirks are repairable: every raw ID normalises to the true one.
    normalised = _normalised(hukou["公民身份号码"])
    assert (normalised["citizen_id"] == hukou["true_id"]).all()
    assert (normalised["id_status"] != "valid").sum() > 0


def test_population_looks_like_longjing(night):
    hukou = _read(night, "hukou")
    assert hukou["乡镇街道"].n_unique() == 9
    assert 0.55 < (hukou["民族"] == "朝鲜族").mean() < 0.7
    born = hukou["出生日期"].str.slice(0, 4).cast(pl.Int32)
    assert (born <= AS_OF.year - 60).mean() > 0.25  # ageing city
    names = hukou["姓名"].str.replace_all(" ", "")
    shared = names.value_counts().filter(pl.col("count") > 1)
    assert shared["count"].sum() > 0.05 * len(names)  # namesakes are frequent
    twins = hukou.group_by("姓名", "性别", "出生日期").len().filter(pl.col("len") > 1)
    assert twins.height > 0


# --------------------------------------------------------------------------- quirks


def _normalised(raw: pl.Series) -> pl.DataFrame:
    """citizen_id and id_status of raw IDs (the matcher's own normalisation)."""
    return (
        pl.DataFrame({"raw": raw.cast(pl.String)})
        .select(normalise_citizen_id(pl.col("raw")).alias("n"))
        .unnest("n")
    )


def _all_ids(night: Path) -> list[str]:
    out = []
    for source, table in _sources().items():
        for column in table["columns"]:
            if column.get("id") and source != "disabled":
                out += _read(night, source)[column["header"]].drop_nulls().to_list()
    return out


def test_id_quirks_are_present(night):
    ids = _all_ids(night)
    assert any("E+17" in s for s in ids)
    assert any(any("０" <= c <= "９" for c in s) for s in ids)
    assert any(s.startswith(" ") and s.count(" ") == 3 for s in ids)
    assert any(s.endswith("x") for s in ids)
    statuses = _normalised(pl.Series(ids))["id_status"]
    assert (statuses == "invalid").sum() > 0  # typos and swapped digits
    assert (statuses == "repaired").sum() > 0
    roster = _linked(night, "resident_roster")
    old = roster.filter(pl.col("公民身份号码").str.len_chars() == 15)
    assert old.height > 0
    for raw, cid in old.select("公民身份号码", "true_id").iter_rows():
        assert convert_15_to_18(raw) == cid
    assistance = _read(night, "assistance")["身份证号"]
    assert assistance.str.contains("E+17", literal=True).sum() > 0
    certs = _read(night, "death_certificates")
    assert certs["死者身份证号"].is_null().sum() > 0


def test_name_and_date_quirks_are_present(night):
    names = pl.concat(
        [_read(night, s)["姓名"] for s in ("visits", "medical_enrollment", "resident_roster")]
    )
    assert names.str.contains(r"^\S+ \S+$").any()
    assert names.str.ends_with(" ").any()
    assert names.str.contains("[劉張趙陳黃鄭許孫韓龍華蘭麗東國軍]").any()
    funeral = _read(night, "funeral")
    dates = funeral["死亡日期"]
    assert dates.str.contains(r"^\d{4}/\d{1,2}/\d{1,2}$").all()
    assert dates.str.contains(r"/\d/|/\d$").any()  # unpadded
    assert dates.str.contains(r"/\d{2}/\d{2}$").any()  # padded


def test_noise_zero_gives_clean_ids(tmp_path):
    generate_night(tmp_path, people=800, seed=3, as_of=AS_OF, noise=0.0)
    roster = _read(tmp_path, "resident_roster")["公民身份号码"]
    assert (_normalised(roster)["id_status"] == "valid").all()


def test_funeral_relatives_id_points_at_a_living_neighbour(night):
    funeral = _linked(night, "funeral")
    hukou = _linked(night, "hukou").select("true_id", "村社区", "人员状态")
    raw_ok = funeral.filter(
        pl.col("逝者身份证号").str.contains(r"^\d{17}[\dX]$")
        & (pl.col("逝者身份证号") != pl.col("true_id"))
    )
    relatives = raw_ok.join(hukou, left_on="逝者身份证号", right_on="true_id", how="inner")
    own = raw_ok.join(hukou, left_on="true_id", right_on="true_id", how="inner")
    assert relatives.height > 0
    assert (relatives["人员状态"] == "正常").all()
    village = dict(zip(own["true_id"], own["村社区"], strict=True))
    for row in relatives.iter_rows(named=True):
        assert row["村社区"] == village[row["true_id"]]


# --------------------------------------------------------------------------- truth


def _money(value: str | None) -> Decimal:
    return Decimal(value) if value else Decimal("0")


def _dead_rows(night: Path) -> pl.DataFrame:
    return _truth(night, "deaths_to_deregister").filter(pl.col("truly_dead") == "true")


def test_settlement_arithmetic(night):
    truth = _truth(night, "deaths_to_deregister")
    dead = truth.filter(pl.col("truly_dead") == "true")
    living = truth.filter(pl.col("truly_dead") == "false")
    assert dead.height > 5 and living.height > 0
    assert living["overpaid_amount"].is_null().all()
    assert set(dead["funeral_subsidy"]) <= {"0.00", "600.00"}
    assert (dead["to_recover"] != "0.00").any(), "no settlement leaves money to recover"
    for row in dead.iter_rows(named=True):
        net = (
            _money(row["funeral_subsidy"])
            + _money(row["account_balance"])
            - _money(row["overpaid_amount"])
        )
        assert _money(row["net_to_heirs"]) == max(net, Decimal("0"))
        assert _money(row["to_recover"]) == max(-net, Decimal("0"))
        subsidy_due = row["status_at_death"] == "待遇领取"
        assert row["funeral_subsidy"] == "600.00" or not subsidy_due or _in_custody(night, row)


def _in_custody(night: Path, row: dict) -> bool:
    custody = _linked(night, "custody").filter(pl.col("true_id") == row["citizen_id"])
    day = row["death_date"]
    return any(
        start <= day and (end is None or end >= day)
        for start, end in custody.select("入所日期", "出所日期").iter_rows()
    )


def test_overpayments_match_the_payment_file(night):
    dead = _dead_rows(night)
    payments = _read(night, "pension_payments")
    for row in dead.iter_rows(named=True):
        death_month = row["death_date"][:7].replace("-", "")
        after = payments.filter(
            (pl.col("个人编号") == row["pension_no"]) & (pl.col("发放年月") > death_month)
        )
        assert after.height == int(row["overpaid_months"])
        total = sum((Decimal(a) for a in after["发放金额"]), Decimal("0.00"))
        assert total == Decimal(row["overpaid_amount"])


def _status_on(changes: list[tuple[str, str, str]], today: str, day: str) -> str:
    """Status in force on `day`: after the last change before it, else before the next."""
    before = [c for c in changes if c[2] < day]
    if before:
        return before[-1][1]
    later = [c for c in changes if c[2] >= day]
    return later[0][0] if later else today


def test_status_at_death_matches_the_history(night):
    dead = _dead_rows(night)
    roster = _read(night, "resident_roster").select("个人编号", "参保状态")
    today = dict(roster.iter_rows())
    changes = _read(night, "status_changes").sort("个人编号", "变更日期")
    # Histories made to contradict themselves (synth.patterns) are checked in test_patterns.
    broken = set(_truth(night, "contradictory_histories")["pension_no"])
    assert broken, "no contradictory history"
    history: dict[str, list] = {}
    for no, before, after, day in changes.select(
        "个人编号", "变更前状态", "变更后状态", "变更日期"
    ).iter_rows():
        history.setdefault(no, []).append((before, after, day))
    for no, rows in history.items():  # the history chains
        if no not in broken:
            assert all(a[1] == b[0] for a, b in itertools.pairwise(rows))
            assert rows[-1][1] == today[no]
    for row in dead.iter_rows(named=True):
        no = row["pension_no"]
        assert today[no] in ("参保缴费", "待遇领取", "暂停")
        if no in broken:  # a status read from a history that does not hold is unknown
            assert row["status_at_death"] == "unknown"
            continue
        got = _status_on(history.get(no, []), today[no], row["death_date"])
        assert got == row["status_at_death"]
    assert set(dead["status_at_death"]) >= {"待遇领取", "参保缴费"}


def _reported_deaths(night: Path) -> pl.DataFrame:
    """true_id, source rank, reported date of every death report in the extracts."""
    hukou = _linked(night, "hukou").filter(pl.col("人员状态") == "死亡")
    medical = _linked(night, "medical_enrollment").filter(pl.col("终止原因") == "死亡")
    parts = [
        _linked(night, "death_certificates").select(
            "true_id", rank=pl.lit(0), day=pl.col("死亡时间").str.slice(0, 10)
        ),
        hukou.select(
            "true_id",
            rank=pl.lit(1),
            day=pl.col("死亡日期").str.strptime(pl.Date, "%Y%m%d").cast(pl.String),
        ),
        _linked(night, "funeral").select(
            "true_id",
            rank=pl.lit(2),
            day=pl.col("死亡日期").str.strptime(pl.Date, "%Y/%m/%d").cast(pl.String),
        ),
        medical.select("true_id", rank=pl.lit(3), day=pl.col("终止日期")),
    ]
    return pl.concat(parts)


def test_reported_death_date_is_the_true_one(night):
    reports = _reported_deaths(night)
    first = reports.sort("rank").group_by("true_id").agg(pl.col("day").first())
    truth = _truth(night, "deaths_to_deregister").join(
        first, left_on="citizen_id", right_on="true_id", how="left"
    )
    assert truth["day"].null_count() == 0, "a truth death nobody reports"
    assert (truth["day"] == truth["death_date"]).all()
    spread = reports.group_by("true_id").agg(
        (pl.col("day").str.to_date().max() - pl.col("day").str.to_date().min())
        .dt.total_days()
        .alias("days")
    )
    assert (spread["days"] > 31).any(), "no conflicting death reports"


def test_never_confirm_dead_visited_a_doctor_afterwards(night):
    living = _truth(night, "never_confirm_dead")
    assert living.height > 0
    reported = _reported_deaths(night).group_by("true_id").agg(pl.col("day").min())
    visits = _linked(night, "visits").group_by("true_id").agg(last=pl.col("就诊日期").max())
    joined = living.join(reported, left_on="citizen_id", right_on="true_id", how="left").join(
        visits, left_on="citizen_id", right_on="true_id", how="left"
    )
    assert joined["day"].null_count() == 0
    assert (joined["last"] > joined["day"]).all()
    # The truly dead never visit after their death.
    dead = _dead_rows(night).join(visits, left_on="citizen_id", right_on="true_id", how="inner")
    assert (dead["last"] <= dead["death_date"]).all()


def test_uninsured_truth_follows_the_rules(night):
    truth = _truth(night, "uninsured_eligible")
    hukou = _linked(night, "hukou")
    ok = hukou.filter(pl.col("人员状态") == "正常")["true_id"]
    assert truth["citizen_id"].is_in(ok.implode()).all()
    employees = _linked(night, "employee_roster")["true_id"]
    assert not truth["citizen_id"].is_in(employees.implode()).any()
    roster = _linked(night, "resident_roster").filter(
        pl.col("参保状态").is_in(["参保缴费", "待遇领取", "暂停"])
    )
    assert not truth["citizen_id"].is_in(roster["true_id"].implode()).any()
    assert (truth["age"].cast(pl.Int32) >= 16).all()
    cats = truth["category"]
    assert set(cats) == {"government_paid", "back_payment", "standard"}
    gov = truth.filter(pl.col("category") == "government_paid")
    assert gov["special_groups"].is_not_null().all()
    back = truth.filter(pl.col("category") == "back_payment")
    assert (back["age"].cast(pl.Int32) >= 60).all()
    # The bundled advance ended on 2021-12-31 (annex 3): none on a 2026 night.
    assert back.height > 0 and back["advance_amount"].is_null().all()
    assert truth.filter(pl.col("category") != "back_payment")["advance_amount"].is_null().all()


def test_coverage_adds_up(night):
    coverage = _truth(night, "coverage_by_area").with_columns(
        pl.col("residents_16_plus", "insured", "uninsured_eligible").cast(pl.Int64)
    )
    uninsured = _truth(night, "uninsured_eligible").group_by("township", "village").len()
    joined = coverage.join(uninsured, on=["township", "village"], how="left")
    assert (joined["uninsured_eligible"] == joined["len"].fill_null(0)).all()
    assert (joined["insured"] + joined["uninsured_eligible"] == joined["residents_16_plus"]).all()
    for row in coverage.iter_rows(named=True):
        assert row["coverage_rate"] == f"{row['insured'] / row['residents_16_plus']:.4f}"


def test_duplicate_funeral_truth_matches_the_subsidy_file(night):
    truth = _truth(night, "duplicate_funeral_benefits")
    assert {"duplicate_resident", "duplicate_other_scheme"} <= set(truth["kind"])
    paid = _linked(night, "funeral_subsidies")
    resident = paid.filter(pl.col("险种") == "城乡居民基本养老保险").group_by("true_id").len()
    counts = dict(resident.iter_rows())
    others = set(paid.filter(pl.col("险种") != "城乡居民基本养老保险")["true_id"])
    others |= set(_linked(night, "pension_fuxu")["true_id"])
    for row in truth.iter_rows(named=True):
        assert row["citizen_id"] in counts
        if row["kind"] == "duplicate_resident":
            assert Decimal(row["amount_to_recover"]) == 600 * (counts[row["citizen_id"]] - 1)
        if row["kind"] == "duplicate_other_scheme":
            assert row["citizen_id"] in others
    for person, n in counts.items():
        if n > 1:
            assert (
                truth.filter(
                    (pl.col("citizen_id") == person) & (pl.col("kind") == "duplicate_resident")
                ).height
                == 1
            )
    per_person = truth.group_by("citizen_id").agg(
        pl.col("amount_to_recover").cast(pl.Decimal(12, 2)).sum()
    )
    for person, total in per_person.iter_rows():
        assert total <= 600 * counts[person]


def test_xlsx_night(tmp_path):
    summary = generate_night(tmp_path, people=600, seed=1, as_of=AS_OF, xlsx=True)
    for stem in ("civil_affairs/assistance", "poverty/registry"):
        assert not (tmp_path / f"{stem}.csv").exists()
        sheet = pl.read_excel(tmp_path / f"{stem}.xlsx")
        assert sheet.height > 0
        table = next(t for t in _sources().values() if t["path"] == stem)
        assert sheet.columns == [c["header"] for c in table["columns"]]
    assert summary["rows"]["hukou"] == 600
