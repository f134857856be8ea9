"""The official statistical forms (hvpatent.forms, `hvp forms`) on a hand-built world whose every figure is
worked out by hand below.

The world (one warehouse, built once for the module) has two parts that never meet in a tested cell:

World S, the country in March 2024 (static forms, region None = every applicant, foreign ones included).
Filed in March 2024, none granted:

    key  type            first applicant   origin               counted as
    S1   invention       enterprise        mainland (Chongqing)  filed 2024-03-01, the window's first day
    S2   invention       university        mainland
    S3   utility_model   enterprise        mainland
    S4   utility_model   individual        mainland
    S5   design          individual        mainland              filed 2024-03-31, the window's last day
    S6   invention       other             mainland              unclassified: enterprise (the form's default)
    S7   invention       enterprise        Hong Kong (810000)    domestic
    S8   utility_model   individual        Taiwan (710000)       domestic
    S9   invention       institute         unknown               unknown origin: domestic (mainland)
    S10  invention       enterprise        foreign (US)
    S11  invention       individual        foreign (JP)
    S12  invention       enterprise        foreign (DE)
    E0   invention       enterprise        mainland              filed 2024-02-29, the day before: not counted
    E3   invention       enterprise        mainland              filed 2024-04-01, the day after: not counted
    G1   invention       enterprise        mainland              filed 2021-05-05, grant announced 2024-03-15
    G2   design          individual        foreign (KR)          filed 2023-09-09, grant announced 2024-03-31
    S13  invention       other             foreign (US)          filed 2024-09-09, alone in September 2024

World R, Ningxia (640000; cities 银川 640100, 石嘴山 640200, 吴忠 640300, 固原 640400, 中卫 640500), all inventions
unless said; R6 sits in 银川 without a county, R16 and R27 in Ningxia without a city:

    key  city    county  first applicant  filed       grant       other
    R1   640100  640104  enterprise       2010-01-10  2012-01-10  granted family member in the US (2015)
    R2   640100  640104  university       2012-05-05  2014-05-05
    R3   640100  640105  institute        2020-01-01  2022-01-01
    R4   640100  640105  government       2019-01-01  2021-01-01  中国专利奖 2023
    R5   640100  640106  individual       2021-02-02  2023-03-03
    R6   640100  -       other            2020-02-02  2022-02-02
    R7   640200          enterprise       2018-01-01  2020-01-01  granted family member in Japan (2021)
    R8   640200          enterprise       2019-02-02  2021-02-02
    R9   640200          individual       2019-03-03  2021-03-03
    R10  640300          university       2011-03-03  2013-03-03
    R11  640300          enterprise       2019-04-04  2021-04-04
    R12  640300          enterprise       2019-05-05  2021-05-05
    R13  640400          institute        2019-06-06  2021-06-06
    R14  640500          enterprise       2012-08-08  2014-08-08
    R15  640500          government       2019-07-07  2021-07-07
    R16  -               enterprise       2019-08-08  2021-08-08
    R17  640100  640104  enterprise       2010-09-09  2015-09-09  annuity lapse 2023-07-01
    R18  640100  640104  enterprise       2024-01-05  2024-06-01  utility model
    R19  640200          government       2024-02-10  -
    R20  640300          enterprise       2021-01-01  2024-07-15
    R21  640100  640106  individual       2024-02-01  2024-06-30  design
    R22  640200          university       2023-10-10  2024-05-31  utility model
    R23  640300          enterprise       2024-01-31  2024-07-01  utility model
    R24  640200          enterprise       2023-12-12  2024-01-01  design
    R25  640100  640104  enterprise       2023-06-06  2023-12-31  utility model
    R26  640500          institute        2020-06-06  2024-06-15
    R27  -               individual       2024-02-29  -

Resident population (persons, at year-end): 640100 2023 40,000 and 2024 10,000; 640200 2023 30,000;
640300 2023 29,999; 640400 2022 15,000; 640500 2024 10,000; 640104 (兴庆区) 2023 10,000; none for 640000.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import ibis
import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

from hvpatent.forms import (
    FormError,
    Period,
    PeriodError,
    cell_records,
    compute_form,
    find_form,
    list_forms,
    parse_period,
    write_form,
)
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.warehouse.store import Warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "forms"
BROKEN = FIXTURES / "broken"

CQ = {"province_code": "500000", "city_code": "500100", "county_code": "500118", "town_code": "500118002000"}
HK = {"province_code": "810000", "country": "HK"}
TW = {"province_code": "710000", "country": "TW"}
UNKNOWN: dict = {}
YC, SZS, WZ, GY, ZW = "640100", "640200", "640300", "640400", "640500"
NINGXIA = (YC, SZS, WZ, GY, ZW)


def abroad(country: str) -> dict:
    return {"country": country}


def nx(city: str | None = None, county: str | None = None) -> dict:
    return {"province_code": "640000", "city_code": city, "county_code": county}


@dataclass(frozen=True)
class App:
    key: str
    patent_type: str
    filed: date
    place: dict
    category: str  # the first applicant's party_type: one of the five categories, or 'other' (unclassified)
    granted: date | None = None
    lapsed: date | None = None
    family: tuple[str, date] | None = None  # a granted family member abroad: office, grant date
    events: list = field(default_factory=list)


D = date
WORLD = [
    App("S1", "invention", D(2024, 3, 1), CQ, "enterprise"),
    App("S2", "invention", D(2024, 3, 5), CQ, "university"),
    App("S3", "utility_model", D(2024, 3, 6), CQ, "enterprise"),
    App("S4", "utility_model", D(2024, 3, 7), CQ, "individual"),
    App("S5", "design", D(2024, 3, 31), CQ, "individual"),
    App("S6", "invention", D(2024, 3, 8), CQ, "other"),
    App("S7", "invention", D(2024, 3, 9), HK, "enterprise"),
    App("S8", "utility_model", D(2024, 3, 10), TW, "individual"),
    App("S9", "invention", D(2024, 3, 11), UNKNOWN, "institute"),
    App("S10", "invention", D(2024, 3, 12), abroad("US"), "enterprise"),
    App("S11", "invention", D(2024, 3, 13), abroad("JP"), "individual"),
    App("S12", "invention", D(2024, 3, 14), abroad("DE"), "enterprise"),
    App("E0", "invention", D(2024, 2, 29), CQ, "enterprise"),
    App("E3", "invention", D(2024, 4, 1), CQ, "enterprise"),
    App("G1", "invention", D(2021, 5, 5), CQ, "enterprise", granted=D(2024, 3, 15)),
    App("G2", "design", D(2023, 9, 9), abroad("KR"), "individual", granted=D(2024, 3, 31)),
    App("S13", "invention", D(2024, 9, 9), abroad("US"), "other"),
    App("R1", "invention", D(2010, 1, 10), nx(YC, "640104"), "enterprise", D(2012, 1, 10),
        family=("US", D(2015, 1, 1))),
    App("R2", "invention", D(2012, 5, 5), nx(YC, "640104"), "university", D(2014, 5, 5)),
    App("R3", "invention", D(2020, 1, 1), nx(YC, "640105"), "institute", D(2022, 1, 1)),
    App("R4", "invention", D(2019, 1, 1), nx(YC, "640105"), "government", D(2021, 1, 1)),
    App("R5", "invention", D(2021, 2, 2), nx(YC, "640106"), "individual", D(2023, 3, 3)),
    App("R6", "invention", D(2020, 2, 2), nx(YC), "other", D(2022, 2, 2)),
    App("R7", "invention", D(2018, 1, 1), nx(SZS), "enterprise", D(2020, 1, 1), family=("JP", D(2021, 1, 1))),
    App("R8", "invention", D(2019, 2, 2), nx(SZS), "enterprise", D(2021, 2, 2)),
    App("R9", "invention", D(2019, 3, 3), nx(SZS), "individual", D(2021, 3, 3)),
    App("R10", "invention", D(2011, 3, 3), nx(WZ), "university", D(2013, 3, 3)),
    App("R11", "invention", D(2019, 4, 4), nx(WZ), "enterprise", D(2021, 4, 4)),
    App("R12", "invention", D(2019, 5, 5), nx(WZ), "enterprise", D(2021, 5, 5)),
    App("R13", "invention", D(2019, 6, 6), nx(GY), "institute", D(2021, 6, 6)),
    App("R14", "invention", D(2012, 8, 8), nx(ZW), "enterprise", D(2014, 8, 8)),
    App("R15", "invention", D(2019, 7, 7), nx(ZW), "government", D(2021, 7, 7)),
    App("R16", "invention", D(2019, 8, 8), nx(), "enterprise", D(2021, 8, 8)),
    App("R17", "invention", D(2010, 9, 9), nx(YC, "640104"), "enterprise", D(2015, 9, 9), lapsed=D(2023, 7, 1)),
    App("R18", "utility_model", D(2024, 1, 5), nx(YC, "640104"), "enterprise", D(2024, 6, 1)),
    App("R19", "invention", D(2024, 2, 10), nx(SZS), "government"),
    App("R20", "invention", D(2021, 1, 1), nx(WZ), "enterprise", D(2024, 7, 15)),
    App("R21", "design", D(2024, 2, 1), nx(YC, "640106"), "individual", D(2024, 6, 30)),
    App("R22", "utility_model", D(2023, 10, 10), nx(SZS), "university", D(2024, 5, 31)),
    App("R23", "utility_model", D(2024, 1, 31), nx(WZ), "enterprise", D(2024, 7, 1)),
    App("R24", "design", D(2023, 12, 12), nx(SZS), "enterprise", D(2024, 1, 1)),
    App("R25", "utility_model", D(2023, 6, 6), nx(YC, "640104"), "enterprise", D(2023, 12, 31)),
    App("R26", "invention", D(2020, 6, 6), nx(ZW), "institute", D(2024, 6, 15)),
    App("R27", "invention", D(2024, 2, 29), nx(), "individual"),
]
POPULATION = [(YC, 2023, 40_000), (YC, 2024, 10_000), (SZS, 2023, 30_000), (WZ, 2023, 29_999), (GY, 2022, 15_000),
              (ZW, 2024, 10_000), ("640104", 2023, 10_000)]
TYPE_DIGIT = {"invention": "1", "utility_model": "2", "design": "3"}
NO = {a.key: f"{a.filed.year}{TYPE_DIGIT[a.patent_type]}{i:07d}" for i, a in enumerate(WORLD, 1)}
NO = {k: f"{v}.{check_digit(v)}" for k, v in NO.items()}


PEOPLE = iter(["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴斌"])
SUFFIX = {"enterprise": "科技有限公司", "university": "大学", "institute": "研究所", "government": "人民政府"}
# Names the import's name rules (reference/applicant_categories.yaml) put in the wanted category: a refresh
# retypes the stored parties by those rules. "申请人S6" is no company, body or person's name: unclassified.
NAME = {a.key: next(PEOPLE) if a.category == "individual" else f"申请人{a.key}" if a.category == "other"
        else f"测试{a.key}{SUFFIX[a.category]}" for a in WORLD}


def build(wh: Warehouse) -> None:
    from hvpatent.reference.applicant_categories import category_of_name

    assert all(category_of_name(NAME[a.key]) == a.category for a in WORLD)  # the world's premise
    batch = Batch()
    batch.set("applications", [{"app_no": NO[a.key], "patent_type": a.patent_type, "filing_date": a.filed,
                                "title": f"表式测试 {a.key}", "source": "test",
                                "family_id": f"F-{a.key}" if a.family else None} for a in WORLD])
    batch.set("parties", [{"app_no": NO[a.key], "seq": 1, "role": "applicant", "name": NAME[a.key],
                           "name_norm": normalize_name(NAME[a.key]), "party_type": a.category,
                           "address": None, **a.place} for a in WORLD])
    events = []
    for a in WORLD:
        events.append((a.key, a.filed, "filed"))
        if a.granted:
            events.append((a.key, a.granted, "granted"))
        if a.lapsed:
            events.append((a.key, a.lapsed, "annuity_lapse"))
    batch.set("legal_events", [{"app_no": NO[k], "event_date": d, "event_type": t, "raw_text": t}
                               for k, d, t in events])
    batch.set("family_members", [{"family_id": f"F-{a.key}", "office": a.family[0],
                                  "member_no": f"{a.family[0]}-{a.key}", "granted": True, "grant_date": a.family[1]}
                                 for a in WORLD if a.family])
    with wh.import_transaction("forms-world", "forms-world", "test", "fixture") as tx:
        tx.add(batch, len(WORLD))
    records = Batch()
    records.set("awards", [{"app_no": NO["R4"], "award": "中国专利奖", "grade": "优秀奖", "year": 2023}])
    records.set("population", [{"region_code": c, "year": y, "population": p} for c, y, p in POPULATION])
    with wh.import_transaction("forms-records", "forms-records", "test", "fixture") as tx:
        tx.add(records, 0)
    from hvpatent.indicators import refresh_derived

    refresh_derived(wh)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("forms") / "forms.duckdb"
    with Warehouse(path) as wh:
        build(wh)
    return path


@pytest.fixture(scope="module")
def con(db):
    wh = Warehouse(db, read_only=True)
    yield wh.ibis()
    wh.close()


def form(con, key: str, period: str, region: str | None = None, extra_dir: Path | None = None):
    return compute_form(con, find_form(key, extra_dir), parse_period(period), region)


def column(result, col: str) -> dict[str, str]:
    """{row key: printed text} of one column."""
    return {row.key: result.cell(row.key, col).text for row in result.rows}


def row(result, key: str) -> dict[str, str]:
    return {c.key: result.cell(key, c.key).text for c in result.spec.columns}


# -- periods ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "start", "end", "label", "key"), [
    ("2024-03", D(2024, 3, 1), D(2024, 3, 31), "2024年3月", "2024-03"),
    ("2024-2", D(2024, 2, 1), D(2024, 2, 29), "2024年2月", "2024-02"),  # a leap year's February
    ("2024-Q1", D(2024, 1, 1), D(2024, 3, 31), "2024年1-3月", "2024-Q1"),
    ("2024q4", D(2024, 10, 1), D(2024, 12, 31), "2024年10-12月", "2024-Q4"),
    ("2024", D(2024, 1, 1), D(2024, 12, 31), "2024年", "2024"),
    ("2024-01..2024-06", D(2024, 1, 1), D(2024, 6, 30), "2024年1-6月", "2024-01..2024-06"),
    ("2023-11..2024-02", D(2023, 11, 1), D(2024, 2, 29), "2023年11月-2024年2月", "2023-11..2024-02"),
])
def test_periods_parse_and_print_as_the_forms_do(text, start, end, label, key):
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert period.label("zh") == label
    assert period.key == key


@pytest.mark.parametrize(("text", "says"), [
    ("2024-13", "超出范围"), ("2024-0", "超出范围"), ("1984", "超出范围"), ("2101-01", "超出范围"),
    ("2024-06..2024-01", "起点晚于终点"), ("2024-Q5", "无法识别"), ("24-03", "无法识别"), ("", "无法识别"),
    ("2024/03", "无法识别"), ("March 2024", "无法识别"),
])
def test_bad_periods_are_refused_with_a_clear_message(text, says):
    with pytest.raises(PeriodError) as err:
        parse_period(text)
    assert says in str(err.value) and "/" in str(err.value)  # Chinese first, then English
    if text:
        assert text in str(err.value)


# -- a static form: 专月表3 --------------------------------------------------------------------------------
def test_home_abroad_counts_shares_and_100_over_x(con):
    """专月表3, March 2024, the whole country: S1–S12 (E0, E3 are outside the month; G1, G2 were filed earlier).

    Effective categories: S6 enterprise (unclassified), so service = S1 S2 S3 S6 S7 S9 S10 S12 (8), non-service
    = S4 S5 S8 S11 (4). Domestic S1–S9 (9: Hong Kong, Taiwan and the unknown S9 included), foreign S10–S12 (3).

               all  share   inv  share   um  share      design share
    total      12   100.0%  8   100.0%   3   100.0%     1   100.0%
    service     8   66.7%   7   87.5%    1   33.3%      0   0.0%
    non-serv.   4   33.3%   1   12.5%    2   66.7%      1   100.0%
    domestic    9   100/75.0  5 100/62.5 3   100/100.0  1   100/100.0
     service    6   66.7%   5   100.0%   1   33.3%      0   0.0%
     non-serv.  3   33.3%   0   0.0%     2   66.7%      1   100.0%
    foreign     3   100/25.0  3 100/37.5 0   100/0.0    0   100/0.0
     service    2   66.7%   2   66.7%    0   -  (0/0)   0   -
     non-serv.  1   33.3%   1   33.3%    0   -          0   -
    """
    result = form(con, "applications-home-abroad", "2024-03")
    assert [r.key for r in result.rows] == ["total", "total_service", "total_non_service", "domestic",
                                           "domestic_service", "domestic_non_service", "foreign", "foreign_service",
                                           "foreign_non_service"]
    assert row(result, "total") == {"all": "12", "all_share": "100.0%", "invention": "8", "invention_share": "100.0%",
                                    "utility_model": "3", "utility_model_share": "100.0%", "design": "1",
                                    "design_share": "100.0%"}
    assert row(result, "total_service") == {"all": "8", "all_share": "66.7%", "invention": "7",
                                            "invention_share": "87.5%", "utility_model": "1",
                                            "utility_model_share": "33.3%", "design": "0", "design_share": "0.0%"}
    assert row(result, "total_non_service") == {"all": "4", "all_share": "33.3%", "invention": "1",
                                                "invention_share": "12.5%", "utility_model": "2",
                                                "utility_model_share": "66.7%", "design": "1",
                                                "design_share": "100.0%"}
    assert row(result, "domestic") == {"all": "9", "all_share": "100/75.0", "invention": "5",
                                       "invention_share": "100/62.5", "utility_model": "3",
                                       "utility_model_share": "100/100.0", "design": "1", "design_share": "100/100.0"}
    assert row(result, "domestic_service") == {"all": "6", "all_share": "66.7%", "invention": "5",
                                               "invention_share": "100.0%", "utility_model": "1",
                                               "utility_model_share": "33.3%", "design": "0", "design_share": "0.0%"}
    assert row(result, "domestic_non_service") == {"all": "3", "all_share": "33.3%", "invention": "0",
                                                   "invention_share": "0.0%", "utility_model": "2",
                                                   "utility_model_share": "66.7%", "design": "1",
                                                   "design_share": "100.0%"}
    assert row(result, "foreign") == {"all": "3", "all_share": "100/25.0", "invention": "3",
                                      "invention_share": "100/37.5", "utility_model": "0",
                                      "utility_model_share": "100/0.0", "design": "0", "design_share": "100/0.0"}
    assert row(result, "foreign_service") == {"all": "2", "all_share": "66.7%", "invention": "2",
                                              "invention_share": "66.7%", "utility_model": "0",
                                              "utility_model_share": "-", "design": "0", "design_share": "-"}
    assert row(result, "foreign_non_service") == {"all": "1", "all_share": "33.3%", "invention": "1",
                                                  "invention_share": "33.3%", "utility_model": "0",
                                                  "utility_model_share": "-", "design": "0", "design_share": "-"}
    # the value of a share is the printed one (what the form publishes and ranks on); an undefined share has none
    assert result.cell("total_service", "all_share").value == 66.7
    assert result.cell("domestic", "all_share").value == pytest.approx(75.0)
    assert result.cell("foreign_service", "utility_model_share").value is None
    assert result.cell("total", "all").value == 12


def test_home_abroad_notes_say_where_unclassified_and_unknown_went(con):
    notes = [n("zh") for n in form(con, "applications-home-abroad", "2024-03").notes]
    assert any("其中 1 件的第一申请人类别尚未确认，暂计入工矿企业" in n for n in notes)  # S6
    assert any("其中 1 件的第一申请人地址未能判断国内外，暂计入国内" in n for n in notes)  # S9
    english = [n("en") for n in form(con, "applications-home-abroad", "2024-03").notes]
    assert any(n.startswith("1 record has an unclassified first applicant, counted as enterprise") for n in english)


def test_a_month_without_records_prints_dashes_not_zero_shares(con):
    """May 2024: nothing filed anywhere in the world; every share has a zero denominator."""
    result = form(con, "applications-home-abroad", "2024-05")
    assert all(result.cell(r.key, c.key).text == "0" for r in result.rows for c in result.spec.columns
               if c.kind == "count")
    assert all(result.cell(r.key, c.key).text == "-" for r in result.rows for c in result.spec.columns
               if c.kind == "share")
    assert not [n("zh") for n in result.notes if "暂计入" in n("zh")]  # nothing counted, nothing to settle


def test_window_edges_of_a_month_and_a_quarter(con):
    """March 2024 counts S1 (filed on the 1st) and S5 (the 31st) but not E0 (29 Feb) nor E3 (1 Apr).
    2024-Q1 adds E0 and, from Ningxia, R18 R23 R21 R19 R27 (filed Jan–Feb): 12 + 1 + 5 = 18 applications;
    of which domestic 15 (12 − 3 foreign + E0 + five Ningxia)."""
    march = form(con, "applications-home-abroad", "2024-03")
    assert march.cell("total", "all").text == "12"
    assert march.cell("total", "design").text == "1"  # S5, filed on the last day
    quarter = form(con, "applications-home-abroad", "2024-Q1")
    assert quarter.cell("total", "all").text == "18"
    assert quarter.cell("domestic", "all").text == "15"
    april = form(con, "applications-home-abroad", "2024-04")
    assert april.cell("total", "all").text == "1"  # E3
    february = form(con, "applications-home-abroad", "2024-02")
    assert february.cell("total", "all").text == "4"  # E0 29 Feb, R21 1 Feb, R19 10 Feb, R27 29 Feb
    january = form(con, "applications-home-abroad", "2024-01")
    assert january.cell("total", "all").text == "2"  # R18 5 Jan, R23 31 Jan


def test_grants_are_counted_by_the_announcement_date(con):
    """Grants announced in March 2024: G1 (filed 2021, domestic service invention) and G2 (filed 2023, foreign
    individual design); nothing filed in March was granted. total 2: domestic 1 = 100/50.0, foreign 100/50.0;
    invention 1 (G1): domestic 100/100.0; design 1 (G2): foreign 100/100.0, domestic's parts 0/0 = '-';
    no utility model: every share '-'."""
    result = form(con, "grants-home-abroad", "2024-03")
    assert column(result, "all") == {"total": "2", "total_service": "1", "total_non_service": "1", "domestic": "1",
                                     "domestic_service": "1", "domestic_non_service": "0", "foreign": "1",
                                     "foreign_service": "0", "foreign_non_service": "1"}
    assert column(result, "all_share") == {"total": "100.0%", "total_service": "50.0%", "total_non_service": "50.0%",
                                           "domestic": "100/50.0", "domestic_service": "100.0%",
                                           "domestic_non_service": "0.0%", "foreign": "100/50.0",
                                           "foreign_service": "0.0%", "foreign_non_service": "100.0%"}
    assert column(result, "invention_share")["domestic"] == "100/100.0"
    assert column(result, "invention_share")["foreign"] == "100/0.0"
    assert column(result, "design_share")["foreign"] == "100/100.0"
    assert column(result, "design_share")["domestic_service"] == "-"
    assert set(column(result, "utility_model_share").values()) == {"-"}


def test_applications_by_applicant_counts_domestic_applicants_by_category(con):
    """按对象分, March 2024: domestic S1–S9. individual S4 S5 S8 = 3; university S2; institute S9; enterprise
    S1 S3 S6 S7 = 4; government 0; total 9. Shares of 9: 33.3%, 11.1%, 11.1%, 44.4%, 0.0%."""
    result = form(con, "applications-by-applicant", "2024-03")
    assert column(result, "all") == {"total": "9", "individual": "3", "university": "1", "institute": "1",
                                     "enterprise": "4", "government": "0"}
    assert column(result, "all_share") == {"total": "100.0%", "individual": "33.3%", "university": "11.1%",
                                           "institute": "11.1%", "enterprise": "44.4%", "government": "0.0%"}
    assert column(result, "invention") == {"total": "5", "individual": "0", "university": "1", "institute": "1",
                                           "enterprise": "3", "government": "0"}


def test_an_unclassified_foreign_applicant_is_noted_where_the_form_counts_it(con):
    """September 2024 holds only S13 (foreign, unclassified): 专月表3 counts it (total 1, foreign service 1, as
    an enterprise) and says so in its note."""
    result = form(con, "applications-home-abroad", "2024-09")
    assert column(result, "all") == {"total": "1", "total_service": "1", "total_non_service": "0", "domestic": "0",
                                     "domestic_service": "0", "domestic_non_service": "0", "foreign": "1",
                                     "foreign_service": "1", "foreign_non_service": "0"}
    assert any("其中 1 件的第一申请人类别尚未确认，暂计入工矿企业" in n("zh") for n in result.notes)


def test_a_domestic_form_does_not_note_a_foreign_applicant_it_leaves_out(con):
    """按对象分 counts domestic applicants only: in September 2024 it is empty, so no applicant of it is
    unclassified; its note must not speak of S13."""
    result = form(con, "applications-by-applicant", "2024-09")
    assert result.cell("total", "all").text == "0"
    assert not [n("zh") for n in result.notes if "尚未确认" in n("zh")]


# -- a bureau's own form, as data --------------------------------------------------------------------------
def test_a_bureaus_form_replaces_the_shipped_key_and_computes_without_code(con):
    """The fixture counts unclassified applicants as individuals and unknown origins as foreign:
    S6 is non-service, S9 foreign. total 12; service S1 S2 S3 S7 S9 S10 S12 = 7 (58.33%); non-service S4 S5 S6
    S8 S11 = 5 (41.67%); domestic S1–S8 = 8 (66.67%); foreign S9–S12 = 4 (33.33%). Inventions: total 8,
    service 6, non-service 2 (S6 S11), domestic 4 (S1 S2 S6 S7), foreign 4."""
    shipped = find_form("applications-home-abroad")
    own = find_form("applications-home-abroad", FIXTURES)
    by_path = find_form(str(FIXTURES / "applications-home-abroad.yaml"))
    assert shipped.table_no == "专月表3" and own.table_no == by_path.table_no == "永知表1"
    keys = [f.key for f in list_forms(FIXTURES)]
    assert keys.count("applications-home-abroad") == 1 and "valid-by-city-bureau" in keys
    assert len(keys) == len(list_forms()) + 1  # one replaced, one added
    result = compute_form(con, own, parse_period("2024-03"))
    assert column(result, "all") == {"total": "12", "service": "7", "non_service": "5", "domestic": "8",
                                     "foreign": "4"}
    assert column(result, "all_share") == {"total": "100.00%", "service": "58.33%", "non_service": "41.67%",
                                           "domestic": "66.67%", "foreign": "33.33%"}
    assert column(result, "invention") == {"total": "8", "service": "6", "non_service": "2", "domestic": "4",
                                           "foreign": "4"}
    notes = [n("zh") for n in result.notes]
    assert any("其中 1 件的第一申请人类别尚未确认，暂计入个人" in n for n in notes)
    assert any("其中 1 件的第一申请人地址未能判断国内外，暂计入国外" in n for n in notes)
    assert dict(result.header_block())["表号"] == "永知表1"


@pytest.mark.parametrize(("file", "field"), [
    ("unknown-filter.yaml", "unknown-filter.yaml.rows[0].where.colour"),
    ("bad-value.yaml", "bad-value.yaml.columns[0].where.patent_type"),
    ("share-of-nothing.yaml", "share-of-nothing.yaml.columns.pct.of"),
    ("population-static.yaml", "population-static.yaml.columns.people"),
    ("not-yaml.yaml", "not-yaml.yaml"),
])
def test_broken_form_files_name_the_file_and_the_field(file, field):
    with pytest.raises(FormError) as err:
        find_form(str(BROKEN / file))
    message = str(err.value)
    assert message.startswith(field) and " / " in message
    assert "Traceback" not in message


def test_a_folder_with_a_broken_form_is_refused_naming_the_file():
    with pytest.raises(FormError, match=r"\.yaml"):
        list_forms(BROKEN)


def test_unknown_form_lists_the_keys():
    with pytest.raises(FormError) as err:
        find_form("no-such-form")
    assert "no-such-form" in str(err.value) and "applications-home-abroad" in str(err.value)


# -- forms by region ---------------------------------------------------------------------------------------
def test_valid_inventions_by_city_of_ningxia(con):
    """Valid inventions on 2024-06-30 by city (R17 lapsed, R20 granted 15 Jul, R19 R27 pending, R18 R21–R25 not
    inventions; R26 granted 15 Jun counts):

                 total univ inst ent gov service indiv  population(万)       density        rank
    银川 640100    6    1    1   2   1    5      1      4.00 (2023, not 2024)  6/4 = 1.50     1
    石嘴山 640200  3    0    0   2   0    2      1      3.00                   1.00           2
    吴忠 640300    3    1    0   2   0    3      0      2.9999 → 3.00          1.0000333 → 1.00  2 (tie)
    固原 640400    1    0    1   0   0    1      0      1.50 (2022)            0.6667 → 0.67  4
    中卫 640500    3    0    1   1   1    3      0      -  (only 2024)         -              (none)
    其他 (R16)     1    0    0   1   0    1      0      -                      -
    全省          17    2    3   8   2   15      2      -  (no own row, 中卫 has none)  -
    R6 (unclassified) is an enterprise of 银川.
    """
    result = form(con, "valid-inventions-by-region", "2024-06", "640000")
    assert [r.key for r in result.rows] == [*NINGXIA, "other", "total"]
    assert [r.kind for r in result.rows] == ["region"] * 5 + ["other", "total"]
    assert [r.labels[0]("zh") for r in result.rows] == ["银川市", "石嘴山市", "吴忠市", "固原市", "中卫市", "其他",
                                                        "全省"]
    assert row(result, YC) == {"total": "6", "university": "1", "institute": "1", "enterprise": "2",
                               "government": "1", "service": "5", "individual": "1", "population": "4.00",
                               "density": "1.50", "rank": "1"}
    assert row(result, SZS) == {"total": "3", "university": "0", "institute": "0", "enterprise": "2",
                                "government": "0", "service": "2", "individual": "1", "population": "3.00",
                                "density": "1.00", "rank": "2"}
    assert row(result, WZ) == {"total": "3", "university": "1", "institute": "0", "enterprise": "2",
                               "government": "0", "service": "3", "individual": "0", "population": "3.00",
                               "density": "1.00", "rank": "2"}
    assert row(result, GY) == {"total": "1", "university": "0", "institute": "1", "enterprise": "0",
                               "government": "0", "service": "1", "individual": "0", "population": "1.50",
                               "density": "0.67", "rank": "4"}
    assert row(result, ZW) == {"total": "3", "university": "0", "institute": "1", "enterprise": "1",
                               "government": "1", "service": "3", "individual": "0", "population": "-",
                               "density": "-", "rank": ""}
    assert row(result, "other") == {"total": "1", "university": "0", "institute": "0", "enterprise": "1",
                                    "government": "0", "service": "1", "individual": "0", "population": "-",
                                    "density": "-", "rank": ""}
    assert row(result, "total") == {"total": "17", "university": "2", "institute": "3", "enterprise": "8",
                                    "government": "2", "service": "15", "individual": "2", "population": "-",
                                    "density": "-", "rank": ""}
    # the total row is the sum of the rows above it, column by column
    for c in result.spec.columns:
        if c.kind == "count":
            assert result.cell("total", c.key).value == sum(result.cell(r.key, c.key).value for r in result.rows
                                                            if r.kind != "total")
    assert result.cell(WZ, "density").value == 1.0  # the printed value (3 / 2.9999 = 1.00003… prints 1.00)
    assert any("其中 1 件的第一申请人类别尚未确认，暂计入工矿企业" in n("zh") for n in result.notes)  # R6


def test_year_end_period_uses_that_years_population_and_the_sum_of_the_parts(con):
    """Period 2024 ends on 31 Dec: the 2024 rows count. R20 (granted 15 Jul) is now valid in 吴忠.

                 total  population           density             rank
    银川           6    1.00 (2024 row)      6.00                1
    石嘴山         3    3.00                 1.00                4
    吴忠           4    3.00 (2.9999)        1.33338 → 1.33      3
    固原           1    1.50 (2022)          0.67                5
    中卫           3    1.00 (2024)          3.00                2
    其他           1    -                    -
    全省          18    9.4999 → 9.50 (the sum of the five: no row of its own)  18/9.4999 = 1.8948 → 1.89
    """
    result = form(con, "valid-inventions-by-region", "2024", "640000")
    assert column(result, "total") == {YC: "6", SZS: "3", WZ: "4", GY: "1", ZW: "3", "other": "1", "total": "18"}
    assert column(result, "population") == {YC: "1.00", SZS: "3.00", WZ: "3.00", GY: "1.50", ZW: "1.00",
                                            "other": "-", "total": "9.50"}
    assert column(result, "density") == {YC: "6.00", SZS: "1.00", WZ: "1.33", GY: "0.67", ZW: "3.00",
                                         "other": "-", "total": "1.89"}
    assert column(result, "rank") == {YC: "1", SZS: "4", WZ: "3", GY: "5", ZW: "2", "other": "", "total": ""}
    assert result.cell("total", "population").value == 9.5  # the printed 万人 (94,999 persons)


def test_a_city_form_takes_the_citys_own_population_for_its_total(con):
    """银川 by county on 2024-06-30: 兴庆区 640104 R1 R2 = 2; 西夏区 640105 R3 R4 = 2; 金凤区 640106 R5 = 1; the
    other three counties 0; R6 (no county) in the other row; total 6. Only 兴庆区 has a population (1.00 万:
    density 2.00, rank 1); the total's population is 银川's own 2023 row, 4.00 万 (not the sum of its
    counties): density 6 / 4 = 1.50."""
    result = form(con, "valid-inventions-by-region", "2024-06", YC)
    assert [r.key for r in result.rows] == ["640104", "640105", "640106", "640121", "640122", "640181", "other",
                                           "total"]
    assert column(result, "total") == {"640104": "2", "640105": "2", "640106": "1", "640121": "0", "640122": "0",
                                       "640181": "0", "other": "1", "total": "6"}
    assert column(result, "population") == {"640104": "1.00", "640105": "-", "640106": "-", "640121": "-",
                                            "640122": "-", "640181": "-", "other": "-", "total": "4.00"}
    assert column(result, "density")["640104"] == "2.00" and column(result, "density")["total"] == "1.50"
    assert column(result, "rank") == {"640104": "1", "640105": "", "640106": "", "640121": "", "640122": "",
                                      "640181": "", "other": "", "total": ""}
    assert result.rows[-1].labels[0]("zh") == "全市"


def test_high_value_by_region_counts_a_patent_under_each_criterion_once_in_the_total(con):
    """High-value on 2024-06-30 (valid inventions meeting a criterion; no IPC, no pledges: no sei, no pledge_high):
    R1 maintained_10y and family_abroad; R2 maintained_10y (filed 2012-05-05); R4 award; R7 family_abroad;
    R10 maintained_10y; R14 maintained_10y. R17 (lapsed, filed 2010) is not valid.

                 total  family  10y  award  per 10k          rank
    银川           3      1      2     1     3/4 = 0.75        1
    石嘴山         1      1      0     0     1/3 = 0.33        2
    吴忠           1      0      1     0     1/2.9999 → 0.33   2
    固原           0      0      0     0     0.00              4
    中卫           1      0      1     0     -
    全省           6      2      4     1     -
    No other row: R16 is not high-value. The criteria columns add to 7: R1 counts under two of them.
    """
    result = form(con, "high-value-by-region", "2024-06", "640000")
    assert [r.key for r in result.rows] == [*NINGXIA, "total"]
    assert column(result, "total") == {YC: "3", SZS: "1", WZ: "1", GY: "0", ZW: "1", "total": "6"}
    assert column(result, "family_abroad") == {YC: "1", SZS: "1", WZ: "0", GY: "0", ZW: "0", "total": "2"}
    assert column(result, "maintained_10y") == {YC: "2", SZS: "0", WZ: "1", GY: "0", ZW: "1", "total": "4"}
    assert column(result, "award") == {YC: "1", SZS: "0", WZ: "0", GY: "0", ZW: "0", "total": "1"}
    assert set(column(result, "sei").values()) == set(column(result, "pledge_high").values()) == {"0"}
    assert column(result, "per_10k") == {YC: "0.75", SZS: "0.33", WZ: "0.33", GY: "0.00", ZW: "-", "total": "-"}
    assert column(result, "rank") == {YC: "1", SZS: "2", WZ: "2", GY: "4", ZW: "", "total": ""}
    criteria = ["sei", "family_abroad", "maintained_10y", "pledge_high", "award"]
    assert sum(result.cell("total", c).value for c in criteria) == 7
    r1 = cell_records(con, result.spec, result.period, "640000", YC, "total").to_pyarrow().to_pylist()
    assert {r["app_no"]: r["criteria"] for r in r1}[NO["R1"]] == "family_abroad,maintained_10y"


def test_applications_by_region_with_the_other_row(con):
    """Ningxia, 2024-Q1 (filed 1 Jan–31 Mar): 银川 R18 (utility model, enterprise) R21 (design, individual);
    石嘴山 R19 (invention, government); 吴忠 R23 (utility model, enterprise); other R27 (invention, individual,
    filed 29 Feb); total 5."""
    result = form(con, "applications-by-region", "2024-Q1", "640000")
    assert [r.key for r in result.rows] == [*NINGXIA, "other", "total"]
    assert row(result, YC) == {"total": "2", "invention": "0", "utility_model": "1", "design": "1",
                               "individual": "1", "university": "0", "institute": "0", "enterprise": "1",
                               "government": "0"}
    assert row(result, "other") == {"total": "1", "invention": "1", "utility_model": "0", "design": "0",
                                    "individual": "1", "university": "0", "institute": "0", "enterprise": "0",
                                    "government": "0"}
    assert row(result, "total") == {"total": "5", "invention": "2", "utility_model": "2", "design": "1",
                                    "individual": "2", "university": "0", "institute": "0", "enterprise": "2",
                                    "government": "1"}
    assert column(result, "total") == {YC: "2", SZS: "1", WZ: "1", GY: "0", ZW: "0", "other": "1", "total": "5"}


def test_the_countrys_table_by_province_counts_domestic_applicants_only(con):
    """March 2024, by province: 重庆 S1–S6 = 6, 香港 S7, 台湾 S8, other S9 (unknown origin, counted domestic,
    placed nowhere); the foreign S10–S12 are left out. Total 9, as 专月表3's domestic row."""
    result = form(con, "applications-by-region", "2024-03")
    counts = {k: v for k, v in column(result, "total").items() if v != "0"}
    assert counts == {"500000": "6", "810000": "1", "710000": "1", "other": "1", "total": "9"}
    assert len([r for r in result.rows if r.kind == "region"]) == 34
    assert result.rows[-1].labels[0]("zh") == "全国"
    assert column(result, "enterprise")["500000"] == "3"  # S1 S3 and the unclassified S6
    assert column(result, "institute")["other"] == "1"


@pytest.mark.parametrize(("period", "ytd", "month"), [
    # Jan–Jun: R24 (1 Jan), R22 (31 May), R18 (1 Jun), R26 (15 Jun), R21 (30 Jun); not R25 (31 Dec 2023),
    # R23 (1 Jul), R20 (15 Jul). June: R18, R26, R21; R22 (31 May) is May's.
    ("2024-06", {YC: "2", SZS: "2", WZ: "0", GY: "0", ZW: "1", "total": "5"},
     {YC: "2", SZS: "0", WZ: "0", GY: "0", ZW: "1", "total": "3"}),
    # a quarter's month window is its last month: the same as June
    ("2024-Q2", {YC: "2", SZS: "2", WZ: "0", GY: "0", ZW: "1", "total": "5"},
     {YC: "2", SZS: "0", WZ: "0", GY: "0", ZW: "1", "total": "3"}),
    ("2024-05", {YC: "0", SZS: "2", WZ: "0", GY: "0", ZW: "0", "total": "2"},
     {YC: "0", SZS: "1", WZ: "0", GY: "0", ZW: "0", "total": "1"}),
    # the year: adds R23 (1 Jul, 吴忠) and R20 (15 Jul, 吴忠); the month is December: nothing
    ("2024", {YC: "2", SZS: "2", WZ: "2", GY: "0", ZW: "1", "total": "7"},
     {YC: "0", SZS: "0", WZ: "0", GY: "0", ZW: "0", "total": "0"}),
])
def test_grants_by_region_year_to_date_and_month_windows(con, period, ytd, month):
    result = form(con, "grants-by-region", period, "640000")
    assert column(result, "year_to_date") == ytd
    assert column(result, "month") == month


def test_grants_by_region_month_by_kind(con):
    """June 2024: R18 utility model (银川, enterprise), R21 design (银川, individual), R26 invention (中卫,
    institute)."""
    result = form(con, "grants-by-region", "2024-06", "640000")
    assert row(result, YC) == {"year_to_date": "2", "month": "2", "invention": "0", "utility_model": "1",
                               "design": "1", "university": "0", "institute": "0", "enterprise": "1",
                               "government": "0", "service": "1", "individual": "1"}
    assert row(result, ZW) == {"year_to_date": "1", "month": "1", "invention": "1", "utility_model": "0",
                               "design": "0", "university": "0", "institute": "1", "enterprise": "0",
                               "government": "0", "service": "1", "individual": "0"}
    assert "other" not in [r.key for r in result.rows]  # no grant outside the cities


# -- drill-down --------------------------------------------------------------------------------------------
def _count_behind(result, row_key: str, col_key: str) -> float:
    col = result.spec.column(col_key)
    while col.kind != "count":
        col = result.spec.column(col.of)
    return result.cell(row_key, col.key).value


@pytest.mark.parametrize(("key", "period", "region"), [
    ("applications-by-applicant", "2024-03", None),       # six rows: four counts and their four shares each
    ("high-value-by-region", "2024-06", "640000"),        # counts, per 10,000, population and rank
])
def test_every_drillable_cell_lists_as_many_patents_as_it_counts(con, key, period, region):
    result = form(con, key, period, region)
    drilled, refused = [], 0
    for r in result.rows:
        for c in result.spec.columns:
            cell = result.cell(r.key, c.key)
            if c.kind in ("population", "rank"):
                assert not cell.drill
                with pytest.raises(KeyError):
                    cell_records(con, result.spec, result.period, region, r.key, c.key)
                refused += 1
                continue
            if not cell.drill:
                assert cell.text in ("-", "")
                continue
            drilled.append((r.key, c.key, cell_records(con, result.spec, result.period, region, r.key, c.key)))
    # every cell's own list, counted in one query (one per cell would take a second each on a busy machine)
    counts = ibis.union(*[t.aggregate(n=t.count()).mutate(i=ibis.literal(i)) for i, (_, _, t) in enumerate(drilled)])
    listed = {row["i"]: row["n"] for row in counts.to_pyarrow().to_pylist()}
    for i, (row_key, col_key, _) in enumerate(drilled):
        assert listed[i] == _count_behind(result, row_key, col_key), (row_key, col_key)
    checked = len(drilled)
    # by applicant: 6 rows x 8 columns, every share defined (the total is 9); by region: 6 rows x 6 counts and
    # the four cities with a population (中卫 and the total have none), 12 population and rank cells
    assert (checked, refused) == ((48, 0) if region is None else (40, 12))


def test_drill_lists_the_very_patents(con):
    spec = find_form("valid-inventions-by-region")
    period = parse_period("2024-06")
    listed = cell_records(con, spec, period, "640000", "other", "total").to_pyarrow().to_pylist()
    assert [r["app_no"] for r in listed] == [NO["R16"]]
    enterprise = cell_records(con, spec, period, "640000", YC, "enterprise").to_pyarrow().to_pylist()
    assert sorted(r["app_no"] for r in enterprise) == sorted([NO["R1"], NO["R6"]])
    home = find_form("applications-home-abroad")
    domestic = cell_records(con, home, parse_period("2024-03"), None, "domestic", "all_share")  # 100/75.0
    assert domestic.count().execute() == 9
    with pytest.raises(KeyError):
        cell_records(con, spec, period, "640000", "999999", "total")
    with pytest.raises(KeyError):
        cell_records(con, spec, period, "640000", YC, "nonsense")


# -- files -------------------------------------------------------------------------------------------------
def _merged(sheet) -> dict[str, tuple[int, int, int, int]]:
    """{text of the top-left cell: (min_row, min_col, max_row, max_col)} of every merged range."""
    return {sheet.cell(m.min_row, m.min_col).value: (m.min_row, m.min_col, m.max_row, m.max_col)
            for m in sheet.merged_cells.ranges}


def test_xlsx_has_the_header_block_merged_headers_and_numbers(con):
    result = form(con, "applications-home-abroad", "2024-03")
    sheet = load_workbook(io.BytesIO(write_form(result, "xlsx"))).active
    assert sheet["A1"].value == "国内外三种专利申请受理状况"
    header = sheet["A2"].value
    assert "表号：专月表3" in header and "制表机关：国家知识产权局" in header and "统计期：2024年3月" in header
    assert "备案机关：国家统计局" in header and "地区：全国" in header
    cells = {(c.row, c.column): c for r in sheet.iter_rows() for c in r}
    top = min(r for (r, _), c in cells.items() if c.value == "合计" and _ > 1)  # the first header row
    merged = _merged(sheet)
    # 合计 spans its two columns (申请量, 构成) in the header and its three rows (小计, 职务, 非职务) in the labels
    spans = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in sheet.merged_cells.ranges
             if sheet.cell(m.min_row, m.min_col).value == "合计"]
    assert (top, 3, top, 4) in spans and (top + 2, 1, top + 4, 1) in spans
    assert merged["国内外三种专利申请受理状况"][3] == 2 + 8  # the title over the two label and eight data columns
    first_data = top + 2
    assert sheet.cell(first_data, 3).value == 12 and sheet.cell(first_data, 3).data_type == "n"
    assert sheet.cell(first_data + 3, 3).value == 9 and sheet.cell(first_data + 3, 4).value == "100/75.0"
    share = sheet.cell(first_data + 1, 4)  # total service: 66.7% stored as the number printed, with its format
    assert share.value == pytest.approx(66.7) and share.number_format == '0.0"%"'
    notes = [c.value for c in sheet["A"] if isinstance(c.value, str) and "暂计入" in c.value]
    assert len(notes) == 2


def test_xlsx_by_region_merges_service_over_five_columns(con):
    result = form(con, "valid-inventions-by-region", "2024-06", "640000")
    sheet = load_workbook(io.BytesIO(write_form(result, "xlsx"))).active
    merged = _merged(sheet)
    r0, c0, r1, c1 = merged["职务"]
    assert (r1 - r0, c1 - c0) == (0, 4)  # one header row, five columns: four kinds and their total
    assert [sheet.cell(r0 + 1, c).value for c in range(c0, c1 + 1)] == ["大专院校", "科研单位", "工矿企业", "机关团体",
                                                                      "职务总计"]
    labels = [sheet.cell(r, 1).value for r in range(r0 + 2, r0 + 9)]
    assert labels == ["银川市", "石嘴山市", "吴忠市", "固原市", "中卫市", "其他", "全省"]
    yinchuan = [sheet.cell(r0 + 2, c).value for c in range(2, 12)]
    assert yinchuan[:7] == [6, 1, 1, 2, 1, 5, 1]
    assert yinchuan[7] == pytest.approx(4.0) and yinchuan[8] == pytest.approx(1.5) and yinchuan[9] == 1
    assert sheet.cell(r0 + 2, 9).number_format == "0.00"


def test_texts_starting_with_equals_reach_a_spreadsheet_as_text(con):
    """The bureau's form names its other row "=未定位" and has a note that is a formula."""
    result = form(con, "valid-by-city-bureau", "2024-06", "640000", FIXTURES)
    assert column(result, "total") == {YC: "6", SZS: "3", WZ: "3", GY: "1", ZW: "3", "other": "1", "total": "17"}
    # shares of 17: 35.3%, 17.6%, 17.6%, 5.9%, 17.6%, 5.9%, 100.0%
    assert column(result, "share") == {YC: "35.3%", SZS: "17.6%", WZ: "17.6%", GY: "5.9%", ZW: "17.6%",
                                       "other": "5.9%", "total": "100.0%"}
    assert [r.labels[0]("zh") for r in result.rows][:5] == ["银川", "石嘴山", "吴忠", "固原", "中卫"]  # short names
    sheet = load_workbook(io.BytesIO(write_form(result, "xlsx"))).active
    texts = [c for r in sheet.iter_rows() for c in r if isinstance(c.value, str) and "未定位" in c.value]
    assert len(texts) == 1 and texts[0].data_type == "s" and not texts[0].value.startswith("=")
    assert not [c for r in sheet.iter_rows() for c in r if c.data_type == "f"]  # no formula anywhere
    lines = list(csv.reader(io.StringIO(write_form(result, "csv").decode("utf-8-sig"))))
    other = next(line for line in lines if line and "未定位" in line[0])
    assert not other[0].startswith("=") and other[1:] == ["1", "5.9%"]


def test_docx_has_the_title_and_merged_header_cells(con):
    result = form(con, "grants-by-region", "2024-06", "640000")
    doc = Document(io.BytesIO(write_form(result, "docx")))
    assert doc.paragraphs[0].text == "分地区专利授权量统计表"
    assert any("统计期：2024年6月" in p.text and "地区：宁夏回族自治区" in p.text for p in doc.paragraphs)
    table = doc.tables[0]
    header = table.rows[0].cells  # a merged cell appears once per grid column it covers
    service = [i for i, c in enumerate(header) if c.text == "职务"]
    assert len(service) == 5 and len({id(header[i]._tc) for i in service}) == 1
    this_month = [i for i, c in enumerate(header) if c.text == "当月授权量"]
    assert len(this_month) == 4  # 当月授权量 over the month's total and its three kinds
    year_to_date = [i for i, c in enumerate(header) if c.text == "当年授权量"]
    assert table.rows[1].cells[year_to_date[0]].text == "当年授权量"  # a one-level label reaches down
    body = [[c.text for c in r.cells] for r in table.rows[2:]]
    assert body[0][:3] == ["银川市", "2", "2"] and body[-1][:3] == ["全省", "5", "3"]


def test_csv_has_a_bom_the_header_block_and_rows_as_printed(con):
    result = form(con, "applications-home-abroad", "2024-03")
    data = write_form(result, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == ["国内外三种专利申请受理状况"]
    assert ["表号", "专月表3"] in lines and ["制表机关", "国家知识产权局"] in lines and ["统计期", "2024年3月"] in lines
    heads = lines.index(["按国内外分组", "按国内外分组", "合计", "合计", "发明", "发明", "实用新型", "实用新型",
                         "外观设计", "外观设计"])  # one line per header level, a merged label repeated
    assert lines[heads + 1][2:4] == ["申请量", "构成"]
    assert lines[heads + 2][:4] == ["合计", "小计", "12", "100.0%"]
    domestic = next(line for line in lines if line[:2] == ["国内", "小计"])
    assert domestic[2:] == ["9", "100/75.0", "5", "100/62.5", "3", "100/100.0", "1", "100/100.0"]
    foreign_service = next(line for line in lines if line[:2] == ["国外", "职务"])
    assert foreign_service[2:5] == ["2", "66.7%", "2"]
    assert any("暂计入国内" in line[0] for line in lines if line)


def test_an_undefined_cell_is_a_plain_dash_in_every_file(con):
    """国外/职务 × 实用新型构成 is 0 of 0: printed "-" on the form, in docx, xlsx and csv alike (the engine's own
    text, not a formula: it was once quoted "'-" in xlsx and csv)."""
    result = form(con, "applications-home-abroad", "2024-03")
    assert result.cell("foreign_service", "utility_model_share").text == "-"
    doc = Document(io.BytesIO(write_form(result, "docx")))
    assert [c.text for c in doc.tables[0].rows[-2].cells][-4:] == ["0", "-", "0", "-"]
    lines = list(csv.reader(io.StringIO(write_form(result, "csv").decode("utf-8-sig"))))
    assert next(line for line in lines if line[:2] == ["国外", "职务"])[-4:] == ["0", "-", "0", "-"]
    sheet = load_workbook(io.BytesIO(write_form(result, "xlsx"))).active
    dashes = [c.value for r in sheet.iter_rows() for c in r if isinstance(c.value, str) and c.value.endswith("-")]
    assert dashes == ["-"] * 4


def test_english_form(con):
    result = form(con, "applications-home-abroad", "2024-03")
    lines = list(csv.reader(io.StringIO(write_form(result, "csv", lang="en").decode("utf-8-sig"))))
    assert lines[0] == ["Applications received for the three kinds of patents, home and abroad"]
    assert ["Period", "March 2024"] in lines and ["Region", "China"] in lines


def test_unknown_format_is_refused(con):
    with pytest.raises(ValueError, match="xlsx"):
        write_form(form(con, "applications-home-abroad", "2024-03"), "pdf")


def test_compute_checks_the_period_range_and_the_region(con):
    with pytest.raises(ValueError, match="1985-04-01"):
        compute_form(con, find_form("applications-home-abroad"), Period(D(1985, 1, 1), D(1985, 1, 31)))
    with pytest.raises(ValueError, match="没有下级区划"):
        form(con, "valid-inventions-by-region", "2024-06", "710000")


# -- the command line --------------------------------------------------------------------------------------
runner = CliRunner()


def hvp(db: Path, *args: str):
    from hvpatent.cli.main import app

    result = runner.invoke(app, ["--db", str(db), *[str(a) for a in args]])
    # No input may end in a traceback: only typer's own exit is allowed through.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_cli_lists_the_forms(db):
    result = hvp(db, "forms", "list")
    assert result.exit_code == 0
    assert "applications-home-abroad" in result.output and "专月表3" in result.output
    own = hvp(db, "forms", "list", "--forms-dir", FIXTURES)
    assert "valid-by-city-bureau" in own.output and "永知表1" in own.output


def test_cli_writes_an_xlsx_form(db, tmp_path):
    out = tmp_path / "有效发明.xlsx"
    result = hvp(db, "forms", "valid-inventions-by-region", "--period", "2024-06", "--region", "640000",
                 "--format", "xlsx", "--out", out)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    assert sheet["A1"].value == "分地区有效发明专利统计表"
    assert 17 in [c.value for r in sheet.iter_rows() for c in r]  # the total


def test_cli_json(db):
    result = hvp(db, "forms", "applications-home-abroad", "--period", "2024-03", "--region", "全国",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["form"] == "applications-home-abroad" and data["period"] == "2024-03" and data["region"] is None
    assert data["header"]["表号"] == "专月表3"
    rows = {r["key"]: r["cells"] for r in data["rows"]}
    assert rows["domestic"]["all"] == {"value": 9, "text": "9"}
    assert rows["domestic"]["all_share"]["text"] == "100/75.0"
    assert len(data["notes"]) == 4  # the form's two and the two settlements


def test_cli_drills_into_a_cell(db):
    result = hvp(db, "forms", "valid-inventions-by-region", "--period", "2024-06", "--region", "640000",
                 "--cell", f"{YC}:enterprise", "--format", "json")
    assert result.exit_code == 0, result.output
    assert sorted(r["app_no"] for r in json.loads(result.stdout)) == sorted([NO["R1"], NO["R6"]])
    table = hvp(db, "forms", "valid-inventions-by-region", "--period", "2024-06", "--region", "640000",
                "--cell", "other:total")
    assert table.exit_code == 0 and "（1 件）" in table.output


@pytest.mark.parametrize(("args", "says"), [
    (["forms", "applications-home-abroad", "--period", "2024-13"], "超出范围"),
    (["forms", "applications-home-abroad", "--period", "soon"], "无法识别统计期"),
    (["forms", "no-such-form", "--period", "2024-03"], "没有表式"),
    (["forms", "applications-by-region", "--period", "2024-03", "--region", "999999"], "未知区划代码"),
    (["forms", "applications-by-region", "--period", "2024-03", "--region", "710000"], "没有下级区划"),
    (["forms", "valid-inventions-by-region", "--period", "2024-06", "--region", "640000", "--cell",
      f"{YC}:rank"], "没有该格"),
    (["forms", str(BROKEN / "unknown-filter.yaml"), "--period", "2024-03"], "where.colour"),
    (["forms", "list", "--forms-dir", BROKEN], "bad-value.yaml.columns[0].where.patent_type"),
    (["forms", "applications-home-abroad", "--period", "1985-01", "--region", "全国"], "1985-04-01"),
    # the same with --cell: a message, not a traceback
    (["forms", "applications-home-abroad", "--period", "1985-01", "--region", "全国", "--cell", "total:all"],
     "1985-04-01"),
    (["forms", "valid-inventions-by-region", "--period", "2024-06", "--region", "710000", "--cell", "total:total"],
     "没有下级区划"),
])
def test_cli_bad_input_exits_2_with_a_message(db, args, says):
    result = hvp(db, *args)
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("numerator", "denominator", "scale", "decimals", "text"), [
    (1, 16, 100, 1, "6.3"),           # 6.25: half up, as statisticians round (a binary float prints 6.2)
    (3, 16, 100, 1, "18.8"),          # 18.75
    (2, 3, 100, 1, "66.7"),
    (1, 8, 100, 2, "12.50"),
    (32981, 8394500, 10_000, 2, "39.29"),   # 长沙市, Hunan 2020-11: 32,981 over 839.45 万人
    (55313, 69184000, 10_000, 2, "8.00"),   # 全省: 7.995… prints 8.00
    (8394500, 10_000, 1, 2, "839.45"),      # a population in 万人
])
def test_printed_numbers_round_half_up(numerator, denominator, scale, decimals, text):
    from hvpatent.forms.engine import printed

    assert str(printed(numerator, denominator, scale, decimals)) == text


def test_every_header_cell_of_every_shipped_form_is_covered_once():
    """The merged header blocks tile the header: no gap (a label missing over a column) and no overlap."""
    from hvpatent.forms import FormResult, FormRow, Period
    from hvpatent.forms.engine import Cell
    from hvpatent.forms.render import layout

    for spec in list_forms():
        rows = [FormRow("r", (spec.title,), "static")]
        cells = {("r", c.key): Cell(None, "") for c in spec.columns}
        grid = layout(FormResult(spec, Period(date(2024, 1, 1), date(2024, 1, 31)), None, rows, cells), "zh")
        seen: dict[tuple[int, int], int] = {}
        for b in grid.blocks:
            for r in range(b.r0, b.r1 + 1):
                for c in range(b.c0, b.c1 + 1):
                    seen[(r, c)] = seen.get((r, c), 0) + 1
        assert seen == {(r, c): 1 for r in range(grid.rows) for c in range(grid.cols)}, spec.key


def test_directly_administered_counties_are_rows_of_their_own():
    """Hubei lists its cities and, in place of the divisions' 省直辖县级行政区划 (429000), 仙桃, 潜江, 天门 and
    神农架林区; Chongqing its districts and counties in place of 市辖区 and 县. A record lies in the city row by
    its city code, in a directly administered county's row by its county code."""
    from hvpatent.forms.engine import sub_region_key, sub_regions

    hubei = sub_regions("420000")
    codes = [r.code for r in hubei]
    assert "429000" not in codes and {"420100", "429004", "429005", "429006", "429021"} <= set(codes)
    assert codes == sorted(codes)
    chongqing = sub_regions("500000")
    assert {r.level for r in chongqing} == {"county"} and "500118" in {r.code for r in chongqing}
    records = ibis.memtable({"city_code": ["420100", "429000", "429000", None, "430100"],
                             "county_code": ["420102", "429004", "429999", None, "430102"]})
    keys = records.select(key=sub_region_key(records, hubei)).to_pyarrow().column("key").to_pylist()
    assert keys == ["420100", "429004", "other", "other", "other"]


def _spec(**changes) -> dict:
    base = {"key": "mine", "title": "我的表", "measure": "applications", "rows": {"by": "sub_region"},
            "columns": [{"key": "total", "labels": ["合计"]},
                        {"key": "population", "labels": ["人口"], "kind": "population"},
                        {"key": "density", "labels": ["密度"], "kind": "per_10k", "of": "total"},
                        {"key": "rank", "labels": ["排名"], "kind": "rank", "of": "density"}]}
    return {**base, **changes}


@pytest.mark.parametrize(("changes", "says"), [
    ({"columns": [{"key": "s", "labels": ["构成"], "kind": "share", "of": "s"}]}, "columns.s.of"),  # itself
    ({"columns": [{"key": "t", "labels": ["合计"]}, {"key": "r", "labels": ["排名"], "kind": "rank", "of": "r"}]},
     "columns.r.of"),
    ({"columns": [{"key": "t", "labels": ["合计"]}, {"key": "p", "labels": ["人口"], "kind": "population"},
                  {"key": "d", "labels": ["密度"], "kind": "per_10k", "of": "p"}]}, "columns.d.of"),
    ({"measure": ["applications"]}, ".measure"),
    ({"notes": "一条说明"}, ".notes"),
    ({"key": "../../x"}, ".key"),
    ({"columns": [{"key": "a:b", "labels": ["合计"]}]}, "columns[0].key"),
    ({"columns": [{"key": "t", "labels": {"zh": ["合计"]}}]}, "mine.yaml"),
])
def test_a_form_file_that_cannot_work_is_refused_with_its_field(changes, says):
    from hvpatent.forms.spec import parse_form

    with pytest.raises(FormError) as refused:
        parse_form(_spec(**changes), "mine.yaml")
    assert str(refused.value).startswith("mine.yaml") and says in str(refused.value)


def test_the_reference_form_of_these_checks_is_accepted():
    from hvpatent.forms.spec import parse_form

    assert [c.kind for c in parse_form(_spec(), "mine.yaml").columns] == ["count", "population", "per_10k", "rank"]
