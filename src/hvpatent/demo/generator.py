"""Seeded generator of the synthetic demo district (see the package docstring)."""

from __future__ import annotations

import csv
import json
import random
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from itertools import accumulate
from pathlib import Path

import yaml
from openpyxl import Workbook

from hvpatent.demo import abnormal as planted
from hvpatent.demo.outcomes import Outcomes
from hvpatent.demo.pledges import DEMO_BANK as DEMO_BANK  # the demo bank account's bank (hvpatent.demo's name)
from hvpatent.demo.pledges import PLEDGE_HEADERS, STREAM, Draw, Granted, pledge_rows, pledgeable_marks
from hvpatent.demo.subsidies import RecentFilings, abnormal_rows
from hvpatent.demo.trademarks import market_entity_rows, write_trademarks
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.templates import TEMPLATES
from hvpatent.reference.regions import towns_of

DEMO_COUNTY = "500118"
BANNER = "【合成演示数据 SYNTHETIC DEMO DATA】本文件由 hvp demo 随机生成，不是任何真实地区、企业或专利的数据"
FIRST_YEAR, LAST_YEAR = 2005, 2024
EXPORT_DATE = date(2024, 12, 31)  # the demo exports are "taken" on this day
POPULATION_2024 = 1_151_000
DEMO_CITY, CITY_POPULATION_2024 = "500000", 32_000_000  # synthetic, for the city plan's per-10,000 targets
# Calibration against the national figures (bench/fidelity.py prints the side by side).
APPLICANT_MIX = {"enterprise": 0.70, "university": 0.035, "institute": 0.012, "individual": 0.12}  # rest: outsiders
INVENTION_SHARE = {"enterprise": 0.19, "individual": 0.13, "university": 0.6, "institute": 0.6}
GENERAL_IPC_SHARE = 0.66  # filings classified outside the strategic emerging industries
FILING_GROWTH = 1.16       # a year
INVENTION_LAPSE_RATE = 0.12  # share of valid inventions whose annuity goes unpaid each year (on average over merit)

PATENT_HEADERS = ["申请号", "申请日", "专利类型", "名称", "摘要", "申请(专利权)人", "地址", "主分类号", "分类号",
                  "公开(公告)号", "公开(公告)日", "授权公告日", "代理机构", "权利要求数量", "PCT国际申请号",
                  "法律事件", "简单同族ID", "专利引证"]
# The inventors column (CNIPA's 发明人, names ';'-joined) follows the columns above in the demo's patent files.
INVENTOR_HEADER = "发明人"
# Then the first claim (首项权利要求, demo/abnormal.py writes its text): the near-duplicate search reads it.
CLAIM_HEADER = "首项权利要求"
DEMO_PATENT_HEADERS = [*PATENT_HEADERS, INVENTOR_HEADER, CLAIM_HEADER]
# Inventors per patent (1-6) and how a team grows: a new person joins with chance max(floor, θ/(θ + team)),
# else a member is drawn with weight 1/(rank + 1)^0.6, so a few lead inventors recur and co-invent.
INVENTORS_PER_PATENT = ((1, 0.22), (2, 0.26), (3, 0.2), (4, 0.14), (5, 0.1), (6, 0.08))
TEAM_THETA, TEAM_NEW_FLOOR, TEAM_MAX = 3.0, 0.08, 2_000
NAVIGATION_PROJECT_HEADERS = ["项目编号", "项目名称", "项目类型", "承担单位", "产业", "立项日期", "验收日期", "状态",
                              "报告文件", "备注"]

_SYLLABLES = ("永川渝西茶竹海棠凤凰卫星松溉来苏宝峰双石红炉金龙临江青峰"
              "朱沱仙龙吉安五间三教板桥何埂大安陈食兴隆恒达鑫源博创华宇瑞丰天成嘉信康泰汇通")
_SUFFIX = {"汽车摩托车": "汽车零部件", "电子信息": "电子科技", "智能装备": "智能装备", "智能家居及材料": "新材料",
           "特色消费品": "食品", "生物医药及大健康": "生物医药", "新能源": "新能源科技", "民用航空": "航空科技"}
_ROADS = ("人民大道", "兴龙大道", "凤凰湖大道", "昌州大道", "汇龙大道", "红河大道", "星光大道", "渝西大道")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
_OTHER_PLACES = (("重庆市沙坪坝区", 0.35), ("重庆市九龙坡区", 0.2), ("重庆市江津区", 0.1), ("四川省成都市", 0.15),
                 ("北京市海淀区", 0.1), ("广东省深圳市", 0.1))
_OFFICES = (("US", 0.35), ("EP", 0.2), ("JP", 0.15), ("KR", 0.1), ("WO", 0.1), ("HK", 0.05), ("AU", 0.05))
_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@cache
def _industries() -> dict:
    text = resources.files(__package__).joinpath("industries.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["industries"]


@cache
def _places_by_town() -> dict[str, list]:
    """Town name → gazetteer places (curated seed and NBS villages/communities) of the demo county."""
    from hvpatent.reference.gazetteer import places_of
    from hvpatent.reference.regions import region_name

    found: dict[str, list] = {}
    for place in sorted(places_of(DEMO_COUNTY), key=lambda p: p.name):
        if place.town:
            found.setdefault(region_name(place.town), []).append(place)
    return found


@cache
def _gazetteer_names() -> frozenset[str]:
    return frozenset(p.name for places in _places_by_town().values() for p in places)


@dataclass
class Applicant:
    name: str
    kind: str  # enterprise | university | institute | individual
    address: str
    industry: str
    local: bool
    town: str | None = None
    tags: list[str] = field(default_factory=list)
    credit_code: str | None = None


class InventorTeams:
    """The inventors of each applicant: a team per enterprise, university, institute or outsider that grows as
    it files (constants at the module's top), so the same people recur and co-invent; an individual applicant
    is their own inventor.  Its own random stream, so the other columns do not shift."""

    _given = _GIVEN + "志国建文斌慧婷宇浩鹏飞欣怡晨阳俊雪梅红兵波辉玲"

    def __init__(self, rng: random.Random):
        self.rng = rng
        # applicant → (people, the same as a set, cumulative weights)
        self.teams: dict[str, tuple[list[str], set[str], list[float]]] = {}

    def _newcomer(self, team: set[str]) -> str:
        rng = self.rng
        for _ in range(20):
            name = rng.choice(_SURNAMES) + "".join(rng.choice(self._given) for _ in range(rng.randint(1, 2)))
            if name not in team:
                return name
        while name in team:  # a crowded team: three-character given names
            name += rng.choice(self._given)
        return name

    def _member(self, applicant: str) -> str:
        people, team, cum = self.teams.setdefault(applicant, ([], set(), []))
        rng = self.rng
        n = len(people)
        if n < TEAM_MAX and rng.random() < max(TEAM_NEW_FLOOR, TEAM_THETA / (TEAM_THETA + n)):
            people.append(self._newcomer(team))
            team.add(people[-1])
            cum.append((cum[-1] if cum else 0.0) + 1 / (n + 1) ** 0.6)
            return people[-1]
        return people[bisect(cum, rng.random() * cum[-1], 0, n - 1)]

    def names(self, applicants: list[tuple[str, str]]) -> list[str]:
        """Inventors of one patent of ``applicants`` [(name, kind)], the first leading: 1-6 distinct people,
        members of the applicants' teams in turn (co-applicants co-invent)."""
        name, kind = applicants[0]
        if kind == "individual":
            return [name]
        teams = [a for a, k in applicants if k != "individual"]
        k = self.rng.choices([c for c, _ in INVENTORS_PER_PATENT], [w for _, w in INVENTORS_PER_PATENT])[0]
        chosen: list[str] = []
        for slot in range(k * 3):  # a draw that repeats someone already on the patent is skipped
            person = self._member(teams[slot % len(teams)])
            if person not in chosen:
                chosen.append(person)
            if len(chosen) == k:
                break
        return chosen


def _credit_code(rng: random.Random) -> str:
    body = "91500118" + "".join(rng.choice(_USCC) for _ in range(9))
    total = sum(_USCC.index(c) * w for c, w in zip(body, _USCC_W, strict=True))
    return body + _USCC[(31 - total % 31) % 31]


class _World:
    def __init__(self, rng: random.Random, applications: int):
        self.rng = rng
        self.towns = towns_of(DEMO_COUNTY)
        # Streets and the industrial towns host most filers.
        self.town_weights = [6 if t.name.endswith("街道") else 1.5 for t in self.towns]
        self.industries = list(_industries())
        self.industry_weights = [v["weight"] for v in _industries().values()]
        n_enterprises = max(50, applications // 25)
        self.enterprises = []
        names: set[str] = set()
        while len(self.enterprises) < n_enterprises:
            # Longer brand names once the short ones run out, so large worlds never stall.
            syllables = 2 if len(names) < 10_000 else 3 if len(names) < 200_000 else 4
            candidate = self._enterprise(len(self.enterprises), syllables)
            if candidate.name not in names:
                names.add(candidate.name)
                self.enterprises.append(candidate)
        # A few enterprises file most patents (Zipf-like weights), as in real districts.
        # Cumulative weights once, so that each draw is a bisection, not a pass over all of them.
        self.enterprise_cum = list(accumulate(1 / (i + 1) ** 0.8 for i in range(n_enterprises)))
        self.universities = [self._institution(f"重庆{self._syll(2)}学院", "university") for _ in range(3)]
        self.institutes = [self._institution(f"重庆{self._syll(2)}研究院", "institute") for _ in range(4)]
        self.outsiders = [self._outsider() for _ in range(max(20, applications // 200))]
        self.agencies = [f"重庆{self._syll(2)}专利代理事务所(普通合伙)" for _ in range(12)]
        self.serial: dict[tuple[int, str], int] = {}

    def _syll(self, n: int) -> str:
        return "".join(self.rng.choice(_SYLLABLES) for _ in range(n))

    def _town(self) -> str:
        return self.rng.choices(self.towns, self.town_weights)[0].name

    def _address(self, town: str | None) -> str:
        """Addresses as real filings write them: most name a road, park, community or village and no town
        (重庆市永川区港桥工业园…, 重庆市永川区观音井村3组), some name the town, a few say nothing a gazetteer knows."""
        number = self.rng.randint(1, 999)
        road = self.rng.choice([r for r in _ROADS if r not in _gazetteer_names()])
        if town is None:  # a park spanning several streets: only the enterprise directory or `assign` places it
            return f"重庆市永川区凤凰湖工业园区凤凰大道{number}号"
        r = self.rng.random()
        places = _places_by_town().get(town)
        if r < 0.25 or not places:
            return f"重庆市永川区{town}{road}{number}号"
        if r < 0.9:
            place = self.rng.choice(places)
            if place.kind == "village" and place.name.endswith("村"):
                return f"重庆市永川区{place.name}{self.rng.randint(1, 12)}组"
            return f"重庆市永川区{place.name}{number}号"
        return f"重庆市永川区{road}{number}号"  # a road no gazetteer entry covers: left for `regions unresolved`

    def _enterprise(self, i: int, syllables: int = 2) -> Applicant:
        industry = self.rng.choices(self.industries, self.industry_weights)[0]
        town = None if self.rng.random() < 0.05 else self._town()
        form = "股份有限公司" if i % 7 == 0 else "有限公司"
        name = f"重庆{self._syll(syllables)}{_SUFFIX[industry]}{form}"
        tags = []
        rank = i / 100
        if self.rng.random() < max(0.08, 0.6 - rank):
            tags.append("高新技术企业")
        if self.rng.random() < max(0.03, 0.3 - rank):
            tags.append("专精特新")
        if i < 12 and self.rng.random() < 0.5:
            tags.append("知识产权优势企业")
        if i < 5 and self.rng.random() < 0.4:
            tags.append("知识产权示范企业")
        if i < 20 and self.rng.random() < 0.3:
            tags.append("贯标达标企业")
        return Applicant(name, "enterprise", self._address(town), industry, True, town, tags,
                         _credit_code(self.rng))

    def _institution(self, name: str, kind: str) -> Applicant:
        town = self._town()
        industry = self.rng.choices(self.industries, self.industry_weights)[0]
        return Applicant(name, kind, self._address(town), industry, True, town)

    def _outsider(self) -> Applicant:
        place = self.rng.choices([p for p, _ in _OTHER_PLACES], [w for _, w in _OTHER_PLACES])[0]
        industry = self.rng.choices(self.industries, self.industry_weights)[0]
        name = f"{place[:2]}{self._syll(2)}{_SUFFIX[industry]}有限公司"
        return Applicant(name, "enterprise", f"{place}{self._syll(2)}路{self.rng.randint(1, 500)}号", industry, False)

    def individual(self) -> Applicant:
        name = self.rng.choice(_SURNAMES) + "".join(self.rng.choice(_GIVEN) for _ in range(self.rng.randint(1, 2)))
        town = self._town()
        industry = self.rng.choices(self.industries, self.industry_weights)[0]
        return Applicant(name, "individual", self._address(town), industry, True, town)

    def applicant(self) -> Applicant:
        # Shares of filings by kind of applicant, calibrated so that enterprises hold about three
        # quarters of the high-value patents, as nationally (bench/fidelity.py).
        r = self.rng.random()
        if r < APPLICANT_MIX["enterprise"]:
            return self.rng.choices(self.enterprises, cum_weights=self.enterprise_cum)[0]
        r -= APPLICANT_MIX["enterprise"]
        if r < APPLICANT_MIX["university"]:
            return self.rng.choice(self.universities)
        r -= APPLICANT_MIX["university"]
        if r < APPLICANT_MIX["institute"]:
            return self.rng.choice(self.institutes)
        r -= APPLICANT_MIX["institute"]
        if r < APPLICANT_MIX["individual"]:
            return self.individual()
        return self.rng.choice(self.outsiders)

    def app_no(self, year: int, type_digit: str) -> str:
        key = (year, type_digit)
        serial = self.serial.get(key, self.rng.randint(10_000, 900_000)) + 1
        self.serial[key] = serial
        digits = f"{year}{type_digit}{serial:07d}"
        return f"{digits}.{check_digit(digits)}"


def _day_in_year(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def _anniversary(filing: date, years: int) -> date:
    try:
        return filing.replace(year=filing.year + years)
    except ValueError:  # 29 February
        return date(filing.year + years, 2, 28)


def _filing_years(rng: random.Random, n: int) -> list[int]:
    # Filings grow about 16% a year over the 20 years, as district filings did; with the lapse rates
    # below about a tenth of valid inventions are over 10 years old, as nationally (bench/fidelity.py).
    weights = [FILING_GROWTH ** (y - FIRST_YEAR) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
    return rng.choices(range(FIRST_YEAR, LAST_YEAR + 1), weights, k=n)


@dataclass
class _Outputs:
    pledges: list[Draw] = field(default_factory=list)               # demo/pledges.py makes them contracts
    granted: dict[str, list[Granted]] = field(default_factory=dict)  # per applicant: what a bundle may add
    awards: list[list] = field(default_factory=list)
    family_rows: int = 0


def _lifecycle(
    rng: random.Random, kind: str, applicant: Applicant, filing: date, outcomes: Outcomes, merit: float
) -> tuple[list[tuple[date, str]], date | None, object]:
    """Legal events known on EXPORT_DATE, the grant date and what happened after it (demo/outcomes.py), per CN
    practice.  Publication, examination and the grant decision come from the main stream; what follows the
    grant from the patent's merit (docs/demo.md, "How the demo draws outcomes")."""
    events: list[tuple[date, str]] = []
    grant = None
    if kind == "invention":
        publish = filing + timedelta(days=rng.randint(90, 540))
        if publish <= EXPORT_DATE:
            events.append((publish, "发明专利申请公布"))
        exam = publish + timedelta(days=rng.randint(0, 200))
        if exam <= EXPORT_DATE:
            events.append((exam, "实质审查的生效"))
        quality = {"university": 0.62, "institute": 0.66, "individual": 0.3}.get(applicant.kind, 0.55)
        decided = exam + timedelta(days=rng.randint(360, 1100))
        if decided > EXPORT_DATE:
            return events, None, None
        r = rng.random()
        if r < quality:
            grant = decided
            events.append((grant, "授权"))
        elif r < quality + (1 - quality) * 0.45:
            events.append((decided, "发明专利申请公布后的驳回"))
            return events, None, None
        else:
            events.append((decided, "发明专利申请公布后的视为撤回"))
            return events, None, None
        lapse_rate, term = INVENTION_LAPSE_RATE, 20
    else:
        grant = filing + timedelta(days=rng.randint(150, 400))
        if grant > EXPORT_DATE or rng.random() < 0.05:
            return events, None, None
        events.append((grant, "授权"))
        lapse_rate, term = (0.16, 10) if kind == "utility_model" else (0.2, 10 if filing < date(2021, 6, 1) else 15)
    # Annuities: each year after the grant year the patentee pays, or the right lapses; tagged enterprises
    # (高新技术企业 …) keep their rights longer.
    tagged = applicant.kind == "enterprise" and bool(applicant.tags)
    life = outcomes.after_grant(merit, filing, grant, lapse_rate * (0.5 if tagged else 1), term)
    events = sorted(events + life.events)
    return events, grant, life


def _title(rng: random.Random, industry: str, kind: str) -> tuple[str, str]:
    """The title and its noun (the main stream's draws, as ever: the other columns stay as they were)."""
    noun = rng.choice(_industries()[industry]["nouns"])
    if kind == "design":
        return f"{noun}(外观)", noun
    adj = rng.choice(("一种", "一种新型", "一种高效", "一种智能", "一种低成本"))
    tail = rng.choice(("", "及其制备方法", "及其控制方法", "及系统"))
    return f"{adj}{noun}{tail}", noun


def generate_demo(out: Path, *, applications: int = 30_000, seed: int = 2022,
                  progress: Callable[[int], None] | None = None, comparison: int | None = None) -> list[Path]:
    """Write the demo district's files under ``out``; returns them in import order.  ``comparison``: the
    applications of the comparison world (demo/comparison.py) elsewhere in Chongqing and China, by default twice
    ``applications``; 0 writes none.  ``progress`` is told the rows written, district and comparison."""
    if comparison is None:
        comparison = 2 * applications
    if applications < 0 or comparison < 0:
        raise ValueError("applications and comparison must be >= 0")
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    world = _World(rng, applications)
    extras = _Outputs()
    patents = out / "patents_cnipa.csv"
    families = out / "families_google.jsonl"
    # In filing order, so that a patent can cite the earlier ones (demo/outcomes.py).
    years = sorted(_filing_years(rng, applications))
    # The planted abnormal applications (demo/abnormal.py) count among ``applications``: as many ordinary ones,
    # evenly spread over the years, make way for them.  A demo under PLANT_MIN applications plants none.
    plants = _planted_rows(world, seed) if applications >= PLANT_MIN else []
    if plants:
        step = len(years) / len(plants)
        drop = {int(k * step) for k in range(len(plants))}
        years = [y for i, y in enumerate(years) if i not in drop]
    outcomes = Outcomes(seed, EXPORT_DATE)
    teams = InventorTeams(random.Random(seed + 18))  # its own stream: the other columns stay as they were
    wording = random.Random(seed + planted.TEXT_STREAM)  # abstracts and first claims: their own stream too
    recent = RecentFilings({e.name for e in world.enterprises})  # for the abnormal notices (demo/subsidies.py)
    with patents.open("w", encoding="gb18030", newline="") as pf, families.open("w", encoding="utf-8") as ff:
        writer = csv.writer(pf)
        writer.writerow([BANNER])
        writer.writerow(DEMO_PATENT_HEADERS)
        batch = 0
        for i, year in enumerate(years):
            row = _patent_row(rng, world, year, i, extras, ff, outcomes, teams, wording)
            writer.writerow(row)
            recent.note(row)
            batch += 1
            if progress and batch == 10_000:
                progress(batch)
                batch = 0
        if progress and batch:
            progress(batch)
        manifest = [m for row, rules in plants for m in rules]
        for row, _ in plants:
            writer.writerow(row)
    if manifest:  # beside the demo's files, never imported (supervision/evaluation.py reads it)
        planted.write_manifest(out / planted.MANIFEST, manifest)
    paths = [patents]
    if families.stat().st_size:
        paths.append(families)
    else:   # a small district may file nothing abroad: no file (the importer refuses an empty one)
        families.unlink()
    if comparison:
        from hvpatent.demo.comparison import generate_comparison

        paths += generate_comparison(out, comparison, seed, progress)
    paths.append(_write_template(out / "awards.xlsx", "awards", extras.awards))
    paths.append(_write_template(out / "population.xlsx", "population", _population_rows(rng, world)))
    # Trademark records (demo/trademarks.py, its own random stream) replace the aggregate counts template: the
    # district's records win over totals anyway.  Market entities: the base of the per-10,000-entities density.
    paths += write_trademarks(out, world, seed, applications, EXPORT_DATE, BANNER)
    # The pledge registry (demo/pledges.py, its own stream): contracts of the drawn pledges, some with the
    # pledgor's marks, so after the trademark files.
    paths.append(_write_template(out / "pledges.xlsx", "pledges", pledge_rows(
        random.Random(seed + STREAM), extras.pledges, extras.granted, pledgeable_marks(out / "trademarks_cnipa.csv"),
        EXPORT_DATE)))
    paths.append(_write_template(out / "market_entities.xlsx", "market_entities",
                                 market_entity_rows(random.Random(seed + 16), world, DEMO_COUNTY, 2015, LAST_YEAR)))
    paths.append(_write_template(out / "enterprises.xlsx", "enterprises", [
        # A real directory knows the town of some enterprises only (here: two in three).
        [e.name, e.credit_code, "；".join(e.tags), e.town if i % 3 else ""] for i, e in enumerate(world.enterprises)]))
    # Dated recognitions of the tagged enterprises (docs/recognitions.md); a generator of its own, so the other
    # files stay as they were for a seed.
    paths.append(_write_template(out / "recognitions.xlsx", "recognitions",
                                 _recognition_rows(random.Random(seed + 15), world)))
    # Navigation projects of the district's enterprises (its own stream); once the importer knows the template.
    if "navigation_projects" in TEMPLATES:
        paths.append(_write_template(out / "navigation_projects.xlsx", "navigation_projects",
                                     navigation_project_rows(random.Random(seed + 20), world)))
    # Abnormal-application notices of one enterprise (demo/subsidies.py, its own stream), for the subsidies.
    notices = abnormal_rows(random.Random(seed + 22), recent, EXPORT_DATE)
    if notices:
        paths.append(_write_template(out / "abnormal_notices.xlsx", "abnormal", notices))
    (out / "README.txt").write_text(
        f"{BANNER}\n种子 seed={seed}，申请 {applications} 件，导出日 {EXPORT_DATE}。\n"
        "Synthetic demo data generated by `hvp demo`; not real patents, companies or people.\n",
        encoding="utf-8",
    )
    return paths


def _patent_row(rng: random.Random, world: _World, year: int, i: int, extras: _Outputs, families,
                outcomes: Outcomes, teams: InventorTeams, wording: random.Random) -> list:
    applicant = world.applicant()
    invention = INVENTION_SHARE[applicant.kind]
    if applicant.kind in ("university", "institute"):
        kind = "invention" if rng.random() < invention else "utility_model"
    else:
        kind = rng.choices(("invention", "utility_model", "design"), (invention, 0.85 * (1 - invention),
                                                                       0.15 * (1 - invention)))[0]
    pct = kind == "invention" and applicant.kind == "enterprise" and rng.random() < 0.03
    type_digit = {"invention": "8" if pct else "1", "utility_model": "2", "design": "3"}[kind]
    filing = _day_in_year(rng, year)
    app_no = world.app_no(year, type_digit)
    industry = applicant.industry if rng.random() < 0.8 else rng.choice(world.industries)
    ipcs = _industries()[industry]["ipc_general" if rng.random() < GENERAL_IPC_SHARE else "ipc"]
    main = rng.choice(ipcs)
    others = rng.sample(ipcs, k=min(len(ipcs), rng.randint(0, 2)))
    ipc_all = ";".join(dict.fromkeys([main, *others]))
    title, noun = _title(rng, industry, kind)
    abstract, claim = planted.texts(wording, industry, noun, title, kind)
    names = [applicant.name]
    holders = [(applicant.name, applicant.kind)]
    if rng.random() < 0.08:
        co = world.applicant()
        if co.name != applicant.name:
            names.append(co.name)
            holders.append((co.name, co.kind))
    merit = outcomes.merit()  # never written: the outcomes below are drawn from it (demo/outcomes.py)
    events, grant, life = _lifecycle(rng, kind, applicant, filing, outcomes, merit)
    pub_no, pub_date = "", ""
    if grant:
        kind_code = {"invention": "B", "utility_model": "U", "design": "S"}[kind]
        pub_no, pub_date = f"CN{rng.randint(100_000_000, 119_999_999)}{kind_code}", grant
    elif events and events[0][1] == "发明专利申请公布":
        pub_no, pub_date = f"CN{rng.randint(100_000_000, 119_999_999)}A", events[0][0]
    cited = outcomes.citations(industry, kind, filing) if pub_no else []
    outcomes.publish(industry, kind, pub_no, pub_date or filing, merit)
    family_id = ""
    if grant and kind == "invention" and applicant.kind == "enterprise" and outcomes.family(merit):
        family_id = f"{rng.randint(60_000_000, 89_999_999)}"
        offices = outcomes.family_offices(merit, [o for o, _ in _OFFICES])
        _write_family(rng, family_id, app_no, filing, families, offices)
    if grant and kind in ("invention", "utility_model"):
        mine = Granted(app_no, grant, _years_after(filing, 20 if kind == "invention" else 10), merit, life.ended,
                       life.events)
        extras.granted.setdefault(applicant.name, []).append(mine)
        pledge = outcomes.pledge(merit, grant, life) if grant.year >= 2015 else None
        if pledge:
            registered, _, amount = pledge  # the drawn release gives way to the contract's loan term
            extras.pledges.append(Draw(mine, applicant.name, registered, amount))
            rng.randrange(4)  # the main stream's draw of the pledgee before demo/pledges.py: the other files stay
    if grant and kind == "invention":
        award = outcomes.award(merit, grant, life, LAST_YEAR)
        if award:
            extras.awards.append([app_no, *award])
    legal = ";".join(f"{d.isoformat()} {text}" for d, text in events)
    return [
        app_no, filing.isoformat(), {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}[kind],
        title, abstract, ";".join(names), applicant.address,
        main, ipc_all, pub_no, pub_date.isoformat() if pub_date else "", grant.isoformat() if grant else "",
        rng.choice(world.agencies) if rng.random() < 0.7 else "", outcomes.claims(merit) if kind != "design" else "",
        f"PCT/CN{filing.year - 1}/{rng.randint(100000, 999999)}" if pct else "", legal, family_id, ";".join(cited),
        ";".join(teams.names(holders)), claim,
    ]


_ZH_TYPES = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}


PLANT_MIN = 1_000


def _planted_rows(world: _World, seed: int) -> list[tuple[list, list[tuple[str, str]]]]:
    """The planted abnormal applications (demo/abnormal.py, its own stream) as patent export rows, each with its
    manifest rows (app_no, rule).  The bulk filer: a directory enterprise a little down the ranking (a history
    of filings, not the biggest filer)."""
    firm = world.enterprises[min(30, len(world.enterprises) - 1)]
    people = random.Random(seed + planted.STREAM + 3)  # the companies' inventors: a stream of their own

    rows: list[tuple[list, list[tuple[str, str]]]] = []

    def write(r: dict) -> None:
        legal = ";".join(f"{d.isoformat()} {text}" for d, text in sorted(r["events"]))
        inventor = r["applicant"] if len(r["applicant"]) <= 4 else \
            people.choice(_SURNAMES) + "".join(people.sample(_GIVEN, 2))
        rows.append(([
            r["app_no"], r["filing"].isoformat(), _ZH_TYPES[r["kind"]], r["title"], r["abstract"], r["applicant"],
            r["address"], r["ipc"], r["ipc"], "", "", r["grant"].isoformat() if r["grant"] else "", r["agency"],
            3, "", legal, "", "", inventor, r["claim"]], []))

    manifest = planted.plant(random.Random(seed + planted.STREAM), write, enterprise=(firm.name, firm.address),
                             agency=world.agencies[0], town_address=f"重庆市永川区{_ROADS[0]}",
                             export_date=EXPORT_DATE)
    for row, rules in rows:
        rules.extend(m for m in manifest if m[0] == row[0])
    return rows


def _write_family(rng: random.Random, family_id: str, app_no: str, filing: date, families,
                  offices: list[tuple[str, bool]]) -> None:
    for office, granted in offices:
        number = rng.randint(10_000_000, 12_999_999)
        kind = ("B2" if office == "US" else "B1") if granted else ("A1" if office in ("US", "EP", "WO") else "A")
        grant_date = (filing + timedelta(days=rng.randint(900, 1800))) if granted else None
        if grant_date and grant_date > EXPORT_DATE:
            granted, kind, grant_date = False, "A1" if office in ("US", "EP") else "A", None
        families.write(json.dumps({
            "publication_number": f"{office}-{number}-{kind}", "application_number": f"{office}-{number}",
            "country_code": office, "kind_code": kind, "family_id": family_id,
            "filing_date": int(filing.strftime("%Y%m%d")),
            "publication_date": int((filing + timedelta(days=540)).strftime("%Y%m%d")),
            "grant_date": int(grant_date.strftime("%Y%m%d")) if grant_date else 0,
            "priority_date": int(filing.strftime("%Y%m%d")), "_synthetic": True,
            "_cn_priority": app_no,
        }, ensure_ascii=False) + "\n")


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 2, 28)


def _population_rows(rng: random.Random, world: _World) -> list[list]:
    rows = []
    weights = [w * rng.uniform(0.8, 1.2) for w in world.town_weights]
    total_w = sum(weights)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        total = int(POPULATION_2024 * (1 - 0.006 * (LAST_YEAR - year)))
        rows.append([DEMO_COUNTY, "永川区", year, total])
        for town, w in zip(world.towns, weights, strict=True):
            rows.append([town.code, town.name, year, int(total * w / total_w)])
        # The city (the second shipped plan's region, plan/chongqing-2022-2024.yaml): a synthetic figure of the
        # city's order of size (about 32 million), no draw from ``rng`` so the district's rows stay as they were.
        rows.append([DEMO_CITY, "重庆市", year,
                     int(CITY_POPULATION_2024 * (1 - 0.002 * (LAST_YEAR - year)))])
    return rows


RECOGNITION_KINDS = {"知识产权优势企业": ("知识产权优势企业", ("区级", "市级")),
                     "知识产权示范企业": ("知识产权示范企业", ("市级", "国家级")),
                     "贯标达标企业": ("贯标", ("",)), "高新技术企业": ("高新技术企业", ("",))}
CERTIFIERS = ("中知（北京）认证有限公司", "中规（北京）认证有限公司", "华知鼎诚（北京）认证有限公司")


def _recognition_rows(rng: random.Random, world: _World) -> list[list]:
    """One record per tag that names a recognition: about half recognised before the plan's baseline
    (2021-12-31), the rest spread over 2022-2024, so the plan's two enterprise targets have a history; a
    title's year alone now and then, as published lists give it."""
    rows = []
    for e in world.enterprises:
        for tag in e.tags:
            if tag not in RECOGNITION_KINDS:
                continue
            words, levels = RECOGNITION_KINDS[tag]
            year = rng.choice((2018, 2019, 2020, 2021)) if rng.random() < 0.5 else rng.choice((2022, 2023, 2024))
            day = _day_in_year(rng, year)
            level = rng.choice(levels)
            certified, titled = words == "贯标", words.startswith("知识产权")
            recognised = str(year) if titled and rng.random() < 0.2 else day.isoformat()
            rows.append([e.name, e.credit_code, words, level, recognised, "", "",  # certificates: 3 years
                         rng.choice(CERTIFIERS) if certified else "",
                         f"165IP{year % 100}{rng.randint(1000, 9999)}R0M" if certified else "",
                         f"永知发〔{year}〕{rng.randint(1, 60)}号" if titled else "", e.town or ""])
    return rows


_PROJECT_STATUS_ZH = {"accepted": "已验收", "terminated": "终止", "in_progress": "实施中"}  # as a bureau fills it in


def navigation_project_rows(rng: random.Random, world: _World) -> list[list]:
    """Six enterprise navigation projects (专利导航项目) of the district's biggest filers: three accepted after
    the plan's baseline (2021-12-31) and before the demo's as-of date (2024-06-30), one terminated, two in
    progress; columns of the navigation_projects template."""
    rows = []
    plan = ("accepted", "accepted", "accepted", "terminated", "in_progress", "in_progress")
    for i, (status, e) in enumerate(zip(plan, world.enterprises[:6], strict=True)):
        if status == "accepted":
            started = date(2022, 1, 15) + timedelta(days=rng.randint(0, 500))
            accepted = started + timedelta(days=rng.randint(240, 330))
        elif status == "terminated":
            started, accepted = date(2022, 3, 1) + timedelta(days=rng.randint(0, 200)), None
        else:
            started, accepted = date(2024, 1, 10) + timedelta(days=rng.randint(0, 120)), None
        number = f"YCDH-{started.year}-{i + 1:02d}"
        short = e.name.removeprefix("重庆").removesuffix("股份有限公司").removesuffix("有限公司")
        rows.append([number, f"{short}企业运营类专利导航", "企业", e.name, e.industry, started.isoformat(),
                     accepted.isoformat() if accepted else "", _PROJECT_STATUS_ZH[status],
                     f"{number} 专利导航报告.pdf" if accepted else "",
                     "企业经营调整，项目终止" if status == "terminated" else "合成演示数据"])
    return rows


def _write_template(path: Path, kind: str, rows: list[list]) -> Path:
    _, cols = TEMPLATES[kind]
    headers = [c.header for c in cols]
    if kind == "navigation_projects":  # rows by the contract's headers, written in the template's order
        rows = [[dict(zip(NAVIGATION_PROJECT_HEADERS, row, strict=True)).get(h, "") for h in headers]
                for row in rows]
    if kind == "pledges":  # the registry's record shape (demo/pledges.py), in the template's order
        rows = [[dict(zip(PLEDGE_HEADERS, row, strict=True)).get(h, "") for h in headers] for row in rows]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(kind)
    ws.append([BANNER])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path
