"""The product prints published tables back, cell for cell (issue 14).

A world is built whose counts are a published table's leaf cells (tests/form_worlds.py); the form the product
fills for that table's period must print every cell of the published table exactly, sub-totals, shares,
densities and ranks included, which the world never states. The numbers are public:

- CNIPA, 国内外三种专利申请受理状况月表, 2007年10月:
  https://www.cnipa.gov.cn/tjxx/zltj/gnwszclyb/2007/201310/t20131025_869805.html
- 湖南省市场监督管理局, 2020年11月湖南省有效发明专利统计表:
  http://amr.hunan.gov.cn/amr/sjx/tjfxx/202012/t20201221_14051418.html
- CNIPA, 国内外三种专利授权状况月表, 2003年9月:
  https://www.cnipa.gov.cn/tjxx/zltj/gnwszzlsqzkyb/2003/201310/t20131025_870385.html

One world holds all three, on dates that keep them apart (applications filed in October 2007 are never
granted by 2003 nor valid inventions of Hunan; the 2003 grants were filed in 1999–2003, outside Hunan; the
Hunan inventions were filed from 2008), with applications just outside each period that must not count.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from form_worlds import (
    Cohort,
    Party,
    abroad,
    build_world,
    hong_kong,
    macao,
    mainland,
    split,
    taiwan,
)
from hvpatent.forms import cell_records, compute_form, find_form, parse_period, write_form
from hvpatent.indicators import first_applicants
from hvpatent.ingest.appno import parse_appno
from hvpatent.ingest.fields import normalize_name
from hvpatent.legal import legal_state

TYPES = ("invention", "utility_model", "design")
HOME_ABROAD_ROWS = ("total", "total_service", "total_non_service", "domestic", "domestic_service",
                    "domestic_non_service", "foreign", "foreign_service", "foreign_non_service")
HOME_ABROAD_COLUMNS = ("all", "all_share", "invention", "invention_share", "utility_model", "utility_model_share",
                       "design", "design_share")

# -- the published tables, as printed (row labels, then the cells left to right) --------------------------
APPLICATIONS_2007_10 = """
合计 小计   82567 100.0%  26079 100.0%   19780 100.0%  36708 100.0%
合计 职务   41812 50.6%   20305 77.9%    8444 42.7%    13063 35.6%
合计 非职务 40755 49.4%   5774 22.1%     11336 57.3%   23645 64.4%
国内 小计   72790 100/88.2 17769 100/68.1 19628 100/99.2 35393 100/96.4
国内 职务   32322 44.4%   12215 68.7%    8325 42.4%    11782 33.3%
国内 非职务 40468 55.6%   5554 31.3%     11303 57.6%   23611 66.7%
国外 小计   9777 100/11.8  8310 100/31.9  152 100/0.8    1315 100/3.6
国外 职务   9490 97.1%    8090 97.4%     119 78.3%     1281 97.4%
国外 非职务 287 2.9%      220 2.6%       33 21.7%      34 2.6%
"""

GRANTS_2003_09 = """
合计 小计   16052 100.0%  3153 100.0%   6400 100.0%  6499 100.0%
合计 职务   8123 50.6%    2746 87.1%    2368 37.0%   3009 46.3%
合计 非职务 7929 49.4%    407 12.9%     4032 63.0%   3490 53.7%
国内 小计   13259 100/82.6 1026 100/32.5 6342 100/99.1 5891 100/90.6
国内 职务   5406 40.8%    679 66.2%     2317 36.5%   2410 40.9%
国内 非职务 7853 59.2%    347 33.8%     4025 63.5%   3481 59.1%
国外 小计   2793 100/17.4  2127 100/67.5 58 100/0.9   608 100/9.4
国外 职务   2717 97.3%    2067 97.2%    51 87.9%     599 98.5%
国外 非职务 76 2.7%       60 2.8%       7 12.1%      9 1.5%
"""

# 地区, 有效发明专利量, 大专院校, 科研单位, 工矿企业, 机关团体, 职务总计, 个人, 常住人口(万人), 专利密度, 排名;
# the region code each row stands for is ours (the table prints names only).
HUNAN_2020_11 = """
430100 长沙市 32981 13463 1100 17144 77  31784 1197 839.45  39.29 1
430200 株洲市 6957  205   329  6295  5   6834  123  402.85  17.27 2
430300 湘潭市 3829  2259  2    1421  9   3691  138  288.20  13.29 3
430400 衡阳市 1897  623   1    1069  6   1699  198  730.06  2.60  7
430500 邵阳市 610   82    0    425   8   515   95   730.24  0.84  14
430600 岳阳市 1868  78    6    1488  59  1631  237  577.13  3.24  5
430700 常德市 2070  262   23   1626  5   1916  154  577.20  3.59  4
430800 张家界 200   22    1    139   2   164   36   154.90  1.29  13
430900 益阳市 1300  158   1    911   136 1206  94   442.07  2.94  6
431000 郴州市 1111  20    2    1007  8   1037  74   475.50  2.34  8
431100 永州市 771   52    4    564   6   626   145  544.61  1.42  10
431200 怀化市 687   59    13   558   0   630   57   498.33  1.38  12
431300 娄底市 660   42    0    520   2   564   96   394.13  1.67  9
433100 湘西州 370   100   1    226   2   329   41   263.83  1.40  11
other  其他   2     0     0    2     0   2     0    -       -
total  全省   55313 17425 1483 33395 325 52628 2685 6918.40 8.00
"""
HUNAN_COLUMNS = ("total", "university", "institute", "enterprise", "government", "service", "individual",
                 "population", "density", "rank")
HUNAN_CATEGORIES = ("university", "institute", "enterprise", "government", "individual")


def home_abroad_table(text: str) -> dict[str, tuple[tuple[str, str], list[str]]]:
    """row key -> ((group label, row label), the 8 cells as printed)."""
    lines = [line.split() for line in text.strip().splitlines()]
    return {key: ((line[0], line[1]), line[2:]) for key, line in zip(HOME_ABROAD_ROWS, lines, strict=True)}


def hunan_table() -> dict[str, tuple[str, list[str]]]:
    """row key (region code, other, total) -> (printed name, the cells as printed; no rank on the last two)."""
    rows = {}
    for line in HUNAN_2020_11.strip().splitlines():
        key, name, *cells = line.split()
        rows[key] = (name, cells + [""] * (len(HUNAN_COLUMNS) - len(cells)))
    return rows


def home_abroad_leaves(text: str) -> dict[tuple[str, bool, str], int]:
    """(origin, service, patent type) -> count: the 12 leaf cells the world is built from."""
    table = home_abroad_table(text)
    leaves = {}
    for origin in ("domestic", "foreign"):
        for service, suffix in ((True, "service"), (False, "non_service")):
            cells = table[f"{origin}_{suffix}"][1]
            for i, patent_type in enumerate(TYPES):
                leaves[(origin, service, patent_type)] = int(cells[2 + 2 * i])
    return leaves


# -- the world --------------------------------------------------------------------------------------------
# Where each leaf's applicants are, and in what proportion: domestic includes Hong Kong, Macao and Taiwan;
# some carry a co-applicant of the other kind (origin and service), which must not move them.
BEIJING = ("110000", "110100", "110108")
GUANGDONG = ("440000", "440300", None)
SHANGHAI = ("310000", "310100", "310104")
YONGCHUAN = ("500000", "500100", "500118")
DOMESTIC_SERVICE = [(45, mainland("enterprise", *BEIJING), None),
                    (20, mainland("enterprise", *GUANGDONG), abroad("individual", "US")),
                    (12, mainland("university", *SHANGHAI), None),
                    (8, mainland("institute", *BEIJING), None),
                    (5, mainland("government", *YONGCHUAN), None),
                    (5, hong_kong("enterprise"), None),
                    (4, taiwan("enterprise"), None),
                    (1, macao("university"), None)]
DOMESTIC_NON_SERVICE = [(60, mainland("individual", *YONGCHUAN), None),
                        (25, mainland("individual", "440000"), abroad("enterprise", "DE")),
                        (8, taiwan("individual"), None),
                        (5, hong_kong("individual"), None),
                        (2, macao("individual"), None)]
FOREIGN_SERVICE = [(50, abroad("enterprise", "US"), None),
                   (30, abroad("enterprise", "JP"), mainland("individual", *BEIJING)),
                   (12, abroad("enterprise", "DE"), None),
                   (5, abroad("university", "US"), None),
                   (3, abroad("institute", "DE"), None)]
FOREIGN_NON_SERVICE = [(70, abroad("individual", "US"), mainland("enterprise", *SHANGHAI)),
                       (30, abroad("individual", "JP"), None)]
MIX = {("domestic", True): DOMESTIC_SERVICE, ("domestic", False): DOMESTIC_NON_SERVICE,
       ("foreign", True): FOREIGN_SERVICE, ("foreign", False): FOREIGN_NON_SERVICE}

OCTOBER_2007 = (date(2007, 10, 1), date(2007, 10, 31))
SEPTEMBER_2003 = (date(2003, 9, 1), date(2003, 9, 30))
FILED_BEFORE_GRANT_2003 = {"invention": (date(1999, 1, 1), date(2001, 6, 30)),
                           "utility_model": (date(2002, 1, 1), date(2002, 12, 31)),
                           "design": (date(2002, 6, 1), date(2003, 6, 30))}
HUNAN_AS_OF = date(2020, 11, 30)


def application_cohorts() -> list[Cohort]:
    """October 2007's applications, from the published leaf cells; none granted by 2003, none an invention
    of Hunan. Some utility models were granted later: the form counts filings whatever became of them."""
    cohorts = []
    for (origin, service, patent_type), count in home_abroad_leaves(APPLICATIONS_2007_10).items():
        mix = MIX[(origin, service)]
        for n, (_weight, party, co) in zip(split(count, [w for w, _, _ in mix]), mix, strict=True):
            granted = (date(2008, 3, 1), date(2008, 6, 30)) if patent_type == "utility_model" and co else None
            cohorts.append(Cohort(n, patent_type, party, OCTOBER_2007, granted, co))
    # the edges: filed the day before and the day after the month
    for day in (date(2007, 9, 30), date(2007, 11, 1)):
        cohorts += [Cohort(13, "invention", mainland("enterprise", *BEIJING), day),
                    Cohort(7, "design", abroad("individual", "US"), day),
                    Cohort(5, "utility_model", hong_kong("individual"), day),
                    Cohort(3, "invention", abroad("enterprise", "JP"), day)]
    return cohorts


def grant_cohorts() -> list[Cohort]:
    """September 2003's grants, from the published leaf cells, announced on every day of the month (the
    first and the last day each get their own cohort), and grants on the days either side that must not
    count."""
    cohorts = []
    for (origin, service, patent_type), count in home_abroad_leaves(GRANTS_2003_09).items():
        mix = MIX[(origin, service)]
        filed = FILED_BEFORE_GRANT_2003[patent_type]
        for n, (_weight, party, co) in zip(split(count, [w for w, _, _ in mix]), mix, strict=True):
            edge = min(n // 10, 20)  # on the first and on the last day of the month
            cohorts += [Cohort(edge, patent_type, party, filed, SEPTEMBER_2003[0], co),
                        Cohort(edge, patent_type, party, filed, SEPTEMBER_2003[1], co),
                        Cohort(n - 2 * edge, patent_type, party, filed, SEPTEMBER_2003, co)]
    for day in (date(2003, 8, 31), date(2003, 10, 1)):
        cohorts += [Cohort(11, "invention", mainland("enterprise", *SHANGHAI), FILED_BEFORE_GRANT_2003["invention"],
                           day),
                    Cohort(9, "design", abroad("enterprise", "JP"), FILED_BEFORE_GRANT_2003["design"], day),
                    Cohort(6, "utility_model", taiwan("individual"), FILED_BEFORE_GRANT_2003["utility_model"], day)]
    return cohorts


HUNAN_FILED = (date(2008, 1, 1), date(2014, 12, 31))
HUNAN_GRANTED = (date(2015, 1, 1), date(2020, 11, 29))


def hunan_cohorts() -> list[Cohort]:
    """Hunan's valid inventions on 2020-11-30, from the published cells by category; some granted on that
    very day; and inventions of Hunan that are not valid then, or not Hunan's, which must not count."""
    cohorts = []
    for key, (_name, cells) in hunan_table().items():
        if key == "total":
            continue
        city = None if key == "other" else key
        for category in HUNAN_CATEGORIES:
            count = int(cells[HUNAN_COLUMNS.index(category)])
            party = mainland(category, "430000", city)
            if key == "430100" and category == "enterprise":  # some in 岳麓区, five granted on the day itself
                cohorts += [Cohort(5, "invention", party, HUNAN_FILED, HUNAN_AS_OF),
                            Cohort(4000, "invention", mainland(category, "430000", city, "430104"), HUNAN_FILED,
                                   HUNAN_GRANTED)]
                count -= 4005
            co = mainland("individual", *BEIJING) if key == "430600" else None  # co-applicants don't move them
            cohorts.append(Cohort(count, "invention", party, HUNAN_FILED, HUNAN_GRANTED, co))
    changsha, zhuzhou = ("430000", "430100"), ("430000", "430200")
    cohorts += [
        Cohort(6, "invention", mainland("enterprise", *changsha), HUNAN_FILED, date(2020, 12, 1)),  # granted after
        Cohort(8, "invention", mainland("university", *zhuzhou), (date(2019, 1, 1), date(2019, 12, 31))),  # pending
        Cohort(9, "utility_model", mainland("enterprise", "430000", "430300"), HUNAN_FILED, HUNAN_GRANTED),
        # filed in March 2000, granted 2004: its 20-year term ended in March 2020
        Cohort(4, "invention", mainland("individual", "430000", "430400"), (date(2000, 3, 1), date(2000, 3, 31)),
               date(2004, 3, 1)),
        # first applicants elsewhere, co-applicants in Hunan: counted where the first applicant is
        Cohort(10, "invention", mainland("enterprise", *BEIJING), HUNAN_FILED, HUNAN_GRANTED,
               mainland("university", *changsha)),
        Cohort(3, "invention", abroad("enterprise", "US"), HUNAN_FILED, HUNAN_GRANTED,
               mainland("enterprise", *changsha)),
    ]
    return cohorts


def hunan_population() -> list[tuple[str, int, int]]:
    """Year-end 2019 as published (万人 × 10,000), for the cities and the province; 2018 and 2020 differ, and
    the form for November 2020 must read 2019's."""
    rows = []
    for key, (_name, cells) in hunan_table().items():
        if key == "other":
            continue
        code = "430000" if key == "total" else key
        persons = round(float(cells[HUNAN_COLUMNS.index("population")]) * 10_000)
        rows += [(code, 2018, persons - 50_000), (code, 2019, persons), (code, 2020, persons + 70_000)]
    return rows


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    wh = build_world(tmp_path_factory.mktemp("published") / "world.duckdb",
                     [*application_cohorts(), *grant_cohorts(), *hunan_cohorts()], hunan_population())
    yield wh.ibis()
    wh.close()


# -- the published tables add up (a typo in the transcription would show here) -----------------------------
@pytest.mark.parametrize("text", [APPLICATIONS_2007_10, GRANTS_2003_09])
def test_the_published_home_abroad_tables_add_up(text):
    table = {key: [int(c) for c in cells[0::2]] for key, (_labels, cells) in home_abroad_table(text).items()}
    for group in ("total", "domestic", "foreign"):
        whole, service, non_service = table[group], table[f"{group}_service"], table[f"{group}_non_service"]
        assert whole == [a + b for a, b in zip(service, non_service, strict=True)]
    for key in ("total", "total_service", "total_non_service"):
        part = key.removeprefix("total")
        assert table[key] == [a + b for a, b in zip(table["domestic" + part], table["foreign" + part], strict=True)]
    for row in table.values():
        assert row[0] == sum(row[1:])


def test_the_published_hunan_table_adds_up():
    rows = {key: [int(c) for c in cells[:7]] for key, (_name, cells) in hunan_table().items()}
    for total, university, institute, enterprise, government, service, individual in rows.values():
        assert service == university + institute + enterprise + government
        assert total == service + individual
    assert rows["total"] == [sum(r[i] for k, r in rows.items() if k != "total") for i in range(7)]


# -- a tiny world: the builder means what it says -----------------------------------------------------------
@pytest.mark.parametrize("refresh", [True, False], ids=["timelines", "direct"])
def test_a_tiny_world_has_the_states_and_applicants_it_was_built_with(tmp_path, refresh):
    cohorts = [Cohort(3, "invention", mainland("university", "430000", "430100", "430104"),
                      (date(2010, 1, 5), date(2010, 1, 6)), date(2013, 6, 30), abroad("individual", "US")),
               Cohort(1, "utility_model", hong_kong("individual"), date(2020, 2, 29)),
               Cohort(1, "design", taiwan("enterprise"), date(2019, 5, 1), date(2019, 12, 31)),
               Cohort(1, "design", macao("government"), date(2019, 5, 1)),
               Cohort(2, "invention", abroad("institute", "DE"), date(2000, 3, 1), date(2004, 3, 1)),
               Cohort(1, "invention", Party("other", "110000"), date(2018, 8, 8))]
    wh = build_world(tmp_path / "tiny.duckdb", cohorts, [("430000", 2019, 69_184_000)], refresh=refresh)
    try:
        con = wh.ibis()
        apps = sorted(wh.con.execute("SELECT app_no, patent_type, filing_date FROM applications").fetchall())
        assert len(apps) == 9
        for app_no, patent_type, filed in apps:
            parsed = parse_appno(app_no, require_check=True)  # a wrong check digit raises
            assert parsed.canonical == app_no and parsed.patent_type == patent_type
            assert app_no.startswith(str(filed.year))
        assert len({a for a, _, _ in apps}) == 9
        # the i-th application of a cohort is filed on the (i mod days)-th day of its range
        first_three = sorted(f for a, t, f in apps if t == "invention" and f.year == 2010)
        assert first_three == [date(2010, 1, 5), date(2010, 1, 5), date(2010, 1, 6)]

        def states(day: date) -> dict[tuple[str, date], list[str]]:
            rows = legal_state(con, day).join(con.table("applications").select("app_no", "filing_date"), "app_no")
            found: dict = {}
            for r in rows.select("patent_type", "filing_date", "state").to_pyarrow().to_pylist():
                found.setdefault((r["patent_type"], r["filing_date"]), []).append(r["state"])
            return {k: sorted(v) for k, v in found.items()}

        the_day_before, the_day = states(date(2013, 6, 29)), states(date(2013, 6, 30))
        assert the_day_before[("invention", date(2010, 1, 5))] == ["pending", "pending"]
        assert the_day[("invention", date(2010, 1, 5))] == ["valid", "valid"]  # granted on the day: valid that day
        assert the_day[("invention", date(2000, 3, 1))] == ["valid", "valid"]
        # the 20-year term of an invention filed on 2000-03-01 ends on 2020-03-01
        assert states(date(2020, 2, 29))[("invention", date(2000, 3, 1))] == ["valid", "valid"]
        on_expiry = states(date(2020, 3, 1))
        assert on_expiry[("invention", date(2000, 3, 1))] == ["expired", "expired"]
        assert on_expiry[("utility_model", date(2020, 2, 29))] == ["pending"]
        assert on_expiry[("design", date(2019, 5, 1))] == ["pending", "valid"]

        first = first_applicants(con).to_pyarrow().to_pylist()
        found = sorted((r["applicant_type"], r["origin"], r["province_code"], r["city_code"], r["county_code"])
                       for r in first)
        assert found == sorted(
            [("university", "mainland", "430000", "430100", "430104")] * 3
            + [("individual", "hk", "810000", None, None), ("enterprise", "taiwan", "710000", None, None),
               ("government", "macao", "820000", None, None), ("institute", "foreign", None, None, None),
               ("institute", "foreign", None, None, None), ("other", "mainland", "110000", None, None)])
        parties = wh.con.execute("SELECT seq, name, name_norm, party_type, country FROM parties").fetchall()
        assert sorted(s for s, *_ in parties).count(2) == 3  # the co-applicants: seq 2, never first
        assert {(t, c) for s, _, _, t, c in parties if s == 2} == {("individual", "US")}
        assert all(norm == normalize_name(name) for _, name, norm, _, _ in parties)
        assert wh.con.execute("SELECT * FROM population").fetchall() == [("430000", 2019, 69_184_000)]
    finally:
        wh.close()


def test_cohorts_refuse_what_cannot_be():
    with pytest.raises(ValueError, match="after its last filing day"):
        Cohort(1, "invention", mainland("enterprise", "110000"), (date(2010, 1, 1), date(2010, 3, 1)),
               date(2010, 2, 1))
    with pytest.raises(ValueError, match="either in a province"):
        Party("enterprise", "110000", country="US")
    with pytest.raises(ValueError, match="unknown patent type"):
        Cohort(1, "plant", mainland("enterprise", "110000"), date(2010, 1, 1))
    assert split(10, [1, 1, 1]) == [4, 3, 3] and split(7, [3, 1]) == [6, 1]


def test_the_world_holds_the_edges_that_must_not_count(world):
    """Without these the print-back tests below would not notice a period one day too wide."""
    apps = world.table("applications")
    events = world.table("legal_events")
    grants = events.filter(events.event_type == "granted")

    def filed_on(day: date) -> int:
        return int(apps.filter(apps.filing_date == day).count().execute())

    def granted_on(day: date) -> int:
        return int(grants.filter(grants.effective_date == day).count().execute())

    assert filed_on(date(2007, 9, 30)) == filed_on(date(2007, 11, 1)) == 13 + 7 + 5 + 3
    assert granted_on(date(2003, 8, 31)) == granted_on(date(2003, 10, 1)) == 11 + 9 + 6
    assert granted_on(date(2020, 12, 1)) == 6 and granted_on(HUNAN_AS_OF) == 5
    assert int(apps.count().execute()) == 82567 + 16052 + 55313 + 2 * 28 + 2 * 26 + 6 + 8 + 9 + 4 + 10 + 3


# -- the tables printed back -------------------------------------------------------------------------------
def csv_table(data: bytes, header_rows: int, rows: int) -> list[list[str]]:
    """The data rows of the form's CSV (after the title, header block, blank line and column headers)."""
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    start = lines.index([]) + 1 + header_rows
    return lines[start:start + rows]


@pytest.mark.parametrize(("key", "period", "text"), [
    ("applications-home-abroad", "2007-10", APPLICATIONS_2007_10),
    ("grants-home-abroad", "2003-09", GRANTS_2003_09),
], ids=["applications-2007-10", "grants-2003-09"])
def test_cnipa_home_abroad_tables_print_back_cell_for_cell(world, key, period, text):
    spec = find_form(key)
    result = compute_form(world, spec, parse_period(period), None)
    published = home_abroad_table(text)
    assert [r.key for r in result.rows] == list(HOME_ABROAD_ROWS)
    for row, (_labels, cells) in published.items():
        got = [result.cell(row, column).text for column in HOME_ABROAD_COLUMNS]
        assert got == cells, row
    # and as the CSV prints it, labels included
    printed = csv_table(write_form(result, "csv"), header_rows=2, rows=len(HOME_ABROAD_ROWS))
    assert printed == [[*labels, *cells] for labels, cells in published.values()]
    # every applicant was classified and placed: no settlement notes, only the form's own
    assert [n("zh") for n in result.notes] == [n("zh") for n in spec.notes]


@pytest.mark.parametrize(("key", "period", "row", "column", "count"), [
    ("applications-home-abroad", "2007-10", "foreign_non_service", "design", 34),
    ("applications-home-abroad", "2007-10", "domestic", "all_share", 72790),  # a share: its count's records
    ("applications-home-abroad", "2007-10", "domestic_service", "utility_model", 8325),
    ("grants-home-abroad", "2003-09", "foreign_service", "utility_model_share", 51),
    ("grants-home-abroad", "2003-09", "total_non_service", "invention", 407),
])
def test_home_abroad_cells_drill_down_to_as_many_records(world, key, period, row, column, count):
    spec = find_form(key)
    records = cell_records(world, spec, parse_period(period), None, row, column).to_pyarrow()
    assert records.num_rows == count
    assert len(set(records.column("app_no").to_pylist())) == count


def test_hunan_valid_inventions_print_back_cell_for_cell(world):
    """Rows are compared by region code: the product prints the full names (张家界市, 湘西土家族苗族自治州)
    where the published table shortens them (张家界, 湘西州)."""
    spec = find_form("valid-inventions-by-region")
    result = compute_form(world, spec, parse_period("2020-11"), "430000")
    published = hunan_table()
    assert [r.key for r in result.rows] == list(published)
    for row, (_name, cells) in published.items():
        got = [result.cell(row, column).text for column in HUNAN_COLUMNS]
        assert got == cells, row
    labels = {r.key: r.labels[0]("zh") for r in result.rows}
    assert (labels["430800"], labels["433100"], labels["other"], labels["total"]) == (
        "张家界市", "湘西土家族苗族自治州", "其他", "全省")
    assert [n("zh") for n in result.notes] == [n("zh") for n in spec.notes]


def hunan_result(world):
    return compute_form(world, find_form("valid-inventions-by-region"), parse_period("2020-11"), "430000")


def xlsx_table(data: bytes, rows: int) -> list[list]:
    """The data rows of the form's xlsx, as stored (numbers as numbers, rounded as printed): the last ``rows``
    rows above the notes and the blank line before them."""
    sheet = load_workbook(io.BytesIO(data)).active
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    end = next(i for i, line in enumerate(lines) if isinstance(line[0], str) and line[0].startswith("注："))
    while all(v is None for v in lines[end - 1]):  # the blank line above the notes
        end -= 1
    return lines[end - rows:end]


def test_hunan_csv_and_xlsx_print_every_published_number(world):
    """The files the bureau sends: the CSV prints each cell's text, the xlsx stores each number as the number
    printed (with its number format). The undefined cells ("-") are checked apart, below."""
    result, published = hunan_result(world), hunan_table()
    printed = csv_table(write_form(result, "csv"), header_rows=2, rows=len(published))
    stored = xlsx_table(write_form(result, "xlsx"), rows=len(published))
    assert [line[0] for line in stored] == [line[0] for line in printed] == [r.labels[0]("zh") for r in result.rows]
    for (_name, cells), csv_line, xlsx_line in zip(published.values(), printed, stored, strict=True):
        for want, text, value in zip(cells, csv_line[1:], xlsx_line[1:], strict=True):
            if want == "-":
                assert text == "-" and value == "-"  # undefined, printed as the form prints it
                continue
            assert text == want
            assert value == (float(want) if want else None)


def test_undefined_cells_print_as_the_form_prints_them(world):
    result, published = hunan_result(world), hunan_table()
    printed = csv_table(write_form(result, "csv"), header_rows=2, rows=len(published))
    stored = xlsx_table(write_form(result, "xlsx"), rows=len(published))
    other = list(published).index("other")
    population, density = 1 + HUNAN_COLUMNS.index("population"), 1 + HUNAN_COLUMNS.index("density")
    assert [printed[other][population], printed[other][density]] == ["-", "-"]
    assert [stored[other][population], stored[other][density]] == ["-", "-"]


@pytest.mark.parametrize(("row", "column", "count"), [
    ("430100", "government", 77),
    ("other", "total", 2),
    ("total", "individual", 2685),
    ("433100", "service", 329),
    ("430800", "density", 200),  # a density: its count's records
])
def test_hunan_cells_drill_down_to_as_many_records(world, row, column, count):
    spec = find_form("valid-inventions-by-region")
    records = cell_records(world, spec, parse_period("2020-11"), "430000", row, column).to_pyarrow()
    assert records.num_rows == count
    assert len(set(records.column("app_no").to_pylist())) == count
    assert set(records.column("state").to_pylist()) == {"valid"}
