"""The demo's comparison world (对比区域): synthetic CN applications of applicants elsewhere in Chongqing and
in other provinces, in the district file's CNIPA shape (docs/demo.md, "The comparison world").

Its industry mix leans to new energy, electronics and biomedicine and away from consumer goods, and within each
industry its IPC codes span branches the district never files in (some of them growing fast since 2017), so a
landscape of the district against it shows strengths, weaknesses and gaps.  Universities and institutes co-apply
with enterprises.  Written row by row from its own random streams (``seed + 19`` for the rows, ``seed + 21`` for
the inventors), so it is deterministic for a seed, leaves the district's files as they were, and holds only the
applicants and a bounded window of citable publications in memory at any size.
"""

from __future__ import annotations

import csv
import random
from bisect import bisect
from collections import deque
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from hvpatent.demo.abnormal import texts
from hvpatent.demo.generator import (
    BANNER,
    DEMO_PATENT_HEADERS,
    EXPORT_DATE,
    FIRST_YEAR,
    LAST_YEAR,
    InventorTeams,
    _anniversary,
    _industries,
)
from hvpatent.ingest.appno import check_digit

FILE_NAME = "comparison_cnipa.csv"
CHONGQING_SHARE = 0.35  # of the applications; the rest in other provinces
# Places: (address prefix as filings write it, county code it attributes to, weight within its side).
CHONGQING_PLACES = (
    ("重庆市沙坪坝区", "500106", 0.16), ("重庆市九龙坡区", "500107", 0.15), ("重庆市渝北区", "500112", 0.16),
    ("重庆市江北区", "500105", 0.08), ("重庆市南岸区", "500108", 0.08), ("重庆市北碚区", "500109", 0.07),
    ("重庆市巴南区", "500113", 0.06), ("重庆市江津区", "500116", 0.05), ("重庆市璧山区", "500120", 0.05),
    ("重庆市大足区", "500111", 0.03), ("重庆市荣昌区", "500153", 0.03), ("重庆市涪陵区", "500102", 0.04),
    ("重庆市合川区", "500117", 0.04),
)
OTHER_PLACES = (
    ("四川省成都市武侯区", "510107", 0.08), ("四川省成都市双流区", "510116", 0.05),
    ("广东省深圳市南山区", "440305", 0.12), ("广东省广州市天河区", "440106", 0.07),
    ("江苏省南京市江宁区", "320115", 0.07), ("江苏省苏州市吴中区", "320506", 0.07),
    ("北京市海淀区", "110108", 0.12), ("上海市浦东新区", "310115", 0.12),
    ("浙江省杭州市余杭区", "330110", 0.08), ("湖北省武汉市洪山区", "420111", 0.06),
    ("陕西省西安市雁塔区", "610113", 0.06), ("安徽省合肥市蜀山区", "340104", 0.06),
    ("湖南省长沙市岳麓区", "430104", 0.04),
)
# Share of applications by plan industry (the district's: industries.yaml weights).
INDUSTRY_MIX = {"新能源": 0.20, "电子信息": 0.24, "生物医药及大健康": 0.16, "智能装备": 0.13, "汽车摩托车": 0.12,
                "智能家居及材料": 0.07, "民用航空": 0.05, "特色消费品": 0.03}
WIDER_SHARE = 0.5          # of an industry's applications on codes the district never draws
RISING_FROM, RISING_GROWTH = 2017, 1.3  # rising codes' weight × 1.3 a year from 2017
FILING_GROWTH = 1.14
# Each industry's codes: those the district files too (its main-IPC codes within the plan's industry rules),
# and wider ones (code, title noun, rising) that it does not.
SHARED_CODES = {
    "新能源": ("H01M10/052", "H02J7/00", "H02S20/30", "H01M4/58", "F03D80/00", "H02J3/38", "F24S25/00"),
    "电子信息": ("H01L21/67", "H05K7/20", "G06F16/20", "H04L67/12", "G09G3/32", "H01L23/31", "G06F11/30"),
    "生物医药及大健康": ("A61K36/00", "A61P35/00", "C07D401/14", "A61B5/00", "C12N15/11", "A61K9/20"),
    "智能装备": ("B25J9/16", "G05B19/418", "B23Q3/06", "B65G47/90", "B23K37/04", "B23P19/00"),
    "汽车摩托车": ("B60K6/20", "B62D21/00", "B62K11/00", "F02M35/00", "B60R16/02", "B60T13/00", "B62J6/00"),
    "智能家居及材料": ("A47B88/40", "C08L23/06", "C04B28/04", "E06B3/36", "F24C15/20", "A47C27/14"),
    "民用航空": ("B64C27/08", "B64D47/08", "B64U10/13", "B64F5/60", "B64D11/00", "B64F1/36"),
    "特色消费品": ("A23L7/10", "C12G3/02", "A23F3/06", "A21D13/00", "A23L27/10"),
}
WIDER_CODES = {
    "新能源": (("H01M8/1004", "燃料电池膜电极", True), ("H01M8/04", "燃料电池系统", False),
            ("H01M10/0562", "固态电解质", True), ("H01M4/525", "高镍三元正极材料", False),
            ("H01M10/54", "废旧动力电池回收方法", True), ("H02J3/32", "电网储能调度系统", True),
            ("H02S40/32", "光伏组件电气连接装置", False), ("F03D1/06", "风力发电机叶片", False),
            ("B60L53/16", "充电连接器", False), ("H01M10/613", "电池包液冷板", False),
            ("H01M4/386", "硅碳负极材料", True), ("F03D7/02", "风电机组变桨控制方法", False)),
    "电子信息": (("G06N3/08", "神经网络训练方法", True), ("G06N3/04", "深度学习模型结构", True),
             ("H04W72/04", "无线资源调度方法", False), ("H04B7/06", "多天线发射装置", False),
             ("H10K59/12", "有机发光显示面板", True), ("H10B43/27", "三维存储器", True),
             ("G11C16/04", "闪存编程方法", False), ("H04N19/70", "视频编码方法", False),
             ("H01L29/78", "功率半导体器件", False), ("H04L9/40", "网络安全防护方法", False)),
    "生物医药及大健康": (("C07K16/28", "抗体及其应用", True), ("A61K39/395", "抗体药物组合物", False),
                 ("C12N5/0783", "嵌合抗原受体T细胞", True), ("C12Q1/6883", "基因检测方法", False),
                 ("A61F2/24", "人工心脏瓣膜", False), ("A61M25/00", "介入导管", False),
                 ("A61B34/30", "手术机器人", True), ("A61K47/69", "纳米递送载体", False)),
    "智能装备": (("B25J9/1697", "视觉引导机器人", True), ("B25J11/00", "服务机器人", False),
             ("G05B19/4155", "数控系统插补方法", False), ("B23K26/38", "激光切割装置", True),
             ("G01B11/25", "三维形貌测量装置", False), ("G01M13/045", "轴承故障诊断方法", False),
             ("B21D43/05", "冲压自动送料装置", False), ("B65G1/137", "智能立体仓库", False)),
    "汽车摩托车": (("B62D15/02", "自动转向控制方法", True), ("B60R21/0134", "碰撞预警传感装置", False),
              ("B60K35/00", "车载显示系统", True), ("B60K1/04", "电驱动桥总成", True),
              ("B60T8/17", "制动防抱死控制方法", False), ("B62D65/02", "车身总装线", False),
              ("B60Q1/08", "自适应前照灯", False), ("F01N3/20", "尾气后处理装置", False)),
    "智能家居及材料": (("C09D5/08", "防腐涂料", True), ("B32B27/08", "多层复合膜", False),
                ("C08K7/14", "玻纤增强复合材料", False), ("A47L11/40", "扫地机器人", True),
                ("C04B35/622", "陶瓷成型方法", False), ("E06B9/68", "电动卷帘", False)),
    "民用航空": (("B64D27/24", "电动垂直起降飞行器推进系统", True), ("B64U50/19", "无人机动力系统", True),
             ("B64C1/06", "机身框架", False), ("B64F5/40", "航空器维修方法", False),
             ("B64U70/90", "无人机起降平台", False), ("B64B1/06", "浮空器", False)),
    "特色消费品": (("A23L33/105", "功能性食品", True), ("A23G9/32", "冷冻饮品", False),
              ("C12C12/00", "精酿啤酒", False), ("A23L2/38", "植物蛋白饮料", False)),
}
# Codes of the industry (its IPC rules) that no branch of the technology breakdown names (navigation/breakdowns.yaml):
# what real exports hold too (in-car phone holders in B60R11, animal materia medica in A61K35).  No rule places them
# on a branch, so the demo shows the classifier at work: `hvp demo` trains it and it places these.
UNBRANCHED_CODES = {
    "汽车摩托车": (("B60R11/02", "车载手机支架"), ("B60R5/04", "后备箱储物装置")),
    "生物医药及大健康": (("A61K35/64", "动物药材提取物组合物"),),
}
UNBRANCHED_SHARE = 0.04    # of those industries' applications
_UNBRANCHED = frozenset(code for codes in UNBRANCHED_CODES.values() for code, _ in codes)
# Filings by kind of applicant; the kinds' shares of inventions (else utility models, designs 1 in 5 of the rest).
APPLICANT_MIX = (("enterprise", 0.72), ("university", 0.14), ("institute", 0.05), ("individual", 0.09))
INVENTION_SHARE = {"enterprise": 0.5, "university": 0.85, "institute": 0.8, "individual": 0.25}
CO_APPLY = {"university": 0.35, "institute": 0.3, "enterprise": 0.05}  # chance of a co-applicant of the other side
GRANT_RATE = {"enterprise": 0.58, "university": 0.62, "institute": 0.64, "individual": 0.3}
LAPSE_RATE = {"invention": 0.07, "utility_model": 0.14, "design": 0.18}  # annual, after the grant
SERIAL_BASE = 5_000_000   # application serials from here: the district's start below 1,000,000 (generator.app_no)
PUB_BASE = 120_000_000    # publication numbers: the district draws from 100,000,000-119,999,999
CITABLE_WINDOW = 3_000    # publications of earlier years an industry keeps to be cited

_BRAND = "澜睿翊琨瀚骁珩铖璟曦钜淞岚渤臻霖栎湛桓昀珂骐甄煜"
_SUFFIX = {"新能源": "新能源科技", "电子信息": "微电子", "生物医药及大健康": "生物科技", "智能装备": "智能装备",
           "汽车摩托车": "汽车部件", "智能家居及材料": "新材料", "民用航空": "航空科技", "特色消费品": "食品"}
_ROADS = ("科技大道", "创新路", "高新大道", "学府路", "软件园路", "锦绣大道", "产业园路", "天府大道")
_TYPES = {"invention": ("发明", "1"), "utility_model": ("实用新型", "2"), "design": ("外观设计", "3")}


class _Party:
    __slots__ = ("address", "industry", "kind", "name")

    def __init__(self, name: str, kind: str, address: str, industry: str | None):
        self.name, self.kind, self.address, self.industry = name, kind, address, industry


def _city(prefix: str) -> str:
    """The short place an enterprise name starts with: 重庆 for Chongqing, else the city (成都, 深圳, 北京 …)."""
    if prefix.startswith("重庆"):
        return "重庆"
    city = prefix.split("省")[-1]
    return city[:2]


class _Side:
    """The applicants of one side (Chongqing or the other provinces): enterprises per industry, universities,
    institutes, agencies."""

    def __init__(self, rng: random.Random, places: tuple, applications: int, taken: set[str]):
        self.rng = rng
        self.places = [p for p, _, _ in places]
        self.place_cum = _cum(w for _, _, w in places)
        per_industry = max(12, min(2_500, applications // 40))
        self.enterprises: dict[str, list[_Party]] = {}
        for industry in INDUSTRY_MIX:
            found, misses = [], 0
            while len(found) < per_industry:
                place = self._place()
                size = 2 + min(3, misses // 100)  # longer brand names once the short ones run out
                name = f"{_city(place)}{''.join(rng.choice(_BRAND) for _ in range(size))}{_SUFFIX[industry]}有限公司"
                if name in taken:
                    misses += 1
                    continue
                taken.add(name)
                found.append(_Party(name, "enterprise", self._address(place), industry))
            self.enterprises[industry] = found
        self.enterprise_cum = _cum(1 / (i + 1) ** 0.8 for i in range(per_industry))  # a few file most
        self.universities = self._institutions("university", max(6, min(60, applications // 1_500)), taken)
        self.institutes = self._institutions("institute", max(4, min(40, applications // 3_000)), taken)
        self.agencies = [f"{_city(p)}{rng.choice(_BRAND)}{rng.choice(_BRAND)}知识产权代理有限公司"
                         for p in self.places]

    def _place(self) -> str:
        return _pick(self.rng, self.places, self.place_cum)

    def _address(self, place: str) -> str:
        return f"{place}{self.rng.choice(_ROADS)}{self.rng.randint(1, 999)}号"

    def _institutions(self, kind: str, n: int, taken: set[str]) -> list[_Party]:
        found: list[_Party] = []
        misses = 0
        while len(found) < n:
            place = self._place()
            brand = "".join(self.rng.choice(_BRAND) for _ in range(2 + min(3, misses // 100)))
            if kind == "university":
                name = f"{_city(place)}{brand}{self.rng.choice(('理工大学', '工业大学', '科技大学', '大学'))}"
            else:
                name = f"{_city(place)}{brand}{self.rng.choice(('技术研究院', '产业技术研究院', '研究所'))}"
            if name in taken:
                misses += 1
                continue
            taken.add(name)
            found.append(_Party(name, kind, self._address(place), None))
        return found

    def enterprise(self, industry: str) -> _Party:
        return _pick(self.rng, self.enterprises[industry], self.enterprise_cum)

    def individual(self) -> _Party:
        rng = self.rng
        name = rng.choice("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗") + rng.choice("伟芳敏静强磊军勇杰涛明超") \
            + rng.choice("华英平刚霞辉玲斌峰")
        return _Party(name, "individual", self._address(self._place()), None)


def _pick(rng: random.Random, items: list, cum: list[float]):
    """random.choices(items, cum_weights=cum)[0] without its per-call overhead (the same draw)."""
    return items[bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]


def _cum(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _year_counts(n: int) -> list[tuple[int, int]]:
    """Applications per filing year, growing FILING_GROWTH a year, by largest remainders (they sum to n)."""
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    weights = [FILING_GROWTH ** (y - FIRST_YEAR) for y in years]
    exact = [n * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[: n - sum(counts)]:
        counts[i] += 1
    return list(zip(years, counts, strict=True))


def _code_table(year: int) -> dict[str, tuple[list[tuple[str, str | None]], list[float]]]:
    """Per industry the year's codes (code, noun or None for the district's nouns) and cumulative weights:
    shared and wider codes each WIDER_SHARE of the weight, rising ones growing from RISING_FROM; unbranched codes
    UNBRANCHED_SHARE of their industries' weight."""
    table = {}
    for industry, shared in SHARED_CODES.items():
        wider = WIDER_CODES[industry]
        codes: list[tuple[str, str | None]] = [(c, None) for c in shared] + [(c, noun) for c, noun, _ in wider]
        growth = RISING_GROWTH ** max(0, year - RISING_FROM)
        weights = [(1 - WIDER_SHARE) / len(shared)] * len(shared)
        weights += [WIDER_SHARE / len(wider) * (growth if rising else 1.0) for _, _, rising in wider]
        unbranched = UNBRANCHED_CODES.get(industry, ())
        if unbranched:  # UNBRANCHED_SHARE of the industry's weight after they join
            codes += list(unbranched)
            weights += [sum(weights) * UNBRANCHED_SHARE / (1 - UNBRANCHED_SHARE) / len(unbranched)] * len(unbranched)
        table[industry] = (codes, _cum(weights))
    return table


def generate_comparison(out: Path, applications: int, seed: int,
                        progress: Callable[[int], None] | None = None) -> list[Path]:
    """Write ``comparison_cnipa.csv`` (``applications`` rows) under ``out``; returns [its path]."""
    if applications < 0:
        raise ValueError("applications must be >= 0")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + 19)
    teams = InventorTeams(random.Random(seed + 21))
    wording = random.Random(seed + 42)  # abstracts and first claims (demo/abnormal.py texts()): their own stream
    taken: set[str] = set()
    sides = {"chongqing": _Side(rng, CHONGQING_PLACES, applications, taken),
             "other": _Side(rng, OTHER_PLACES, applications, taken)}
    industries = list(INDUSTRY_MIX)
    industry_cum = _cum(INDUSTRY_MIX.values())
    kinds = [k for k, _ in APPLICANT_MIX]
    kind_cum = _cum(w for _, w in APPLICANT_MIX)
    serial: dict[tuple[int, str], int] = {}
    citable = {i: deque(maxlen=CITABLE_WINDOW) for i in industries}  # (pub_no, pub_date) of earlier years
    path = out / FILE_NAME
    row_no = 0
    with path.open("w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([BANNER])
        writer.writerow(DEMO_PATENT_HEADERS)
        batch = 0
        for year, count in _year_counts(applications):
            codes = _code_table(year)
            published: dict[str, list[tuple[str, date]]] = {i: [] for i in industries}
            for _ in range(count):
                side = sides["chongqing" if rng.random() < CHONGQING_SHARE else "other"]
                industry = _pick(rng, industries, industry_cum)
                kind = _pick(rng, kinds, kind_cum)
                row, pub = _row(rng, teams, side, industry, kind, year, codes[industry], serial, row_no,
                                citable[industry], wording)
                writer.writerow(row)
                if pub:
                    published[industry].append(pub)
                row_no += 1
                batch += 1
                if progress and batch == 10_000:
                    progress(batch)
                    batch = 0
            for industry, pubs in published.items():
                citable[industry].extend(pubs)
        if progress and batch:
            progress(batch)
    return [path]


def _row(rng: random.Random, teams: InventorTeams, side: _Side, industry: str, kind: str, year: int,
         codes: tuple[list, list[float]], serial: dict, row_no: int, citable: deque,
         wording: random.Random) -> tuple[list, tuple | None]:
    if kind == "enterprise":
        lead = side.enterprise(industry)
    elif kind == "individual":
        lead = side.individual()
    else:
        lead = rng.choice(side.universities if kind == "university" else side.institutes)
    holders = [lead]
    if kind in CO_APPLY and rng.random() < CO_APPLY[kind]:
        # University or institute with an enterprise of the industry, or an enterprise with a university.
        holders.append(side.enterprise(industry) if kind != "enterprise" else rng.choice(side.universities))
    invention_share = INVENTION_SHARE[kind]
    r = rng.random()
    patent_type = "invention" if r < invention_share else \
        "design" if kind in ("enterprise", "individual") and r > 1 - (1 - invention_share) / 5 else "utility_model"
    filing = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    type_name, type_digit = _TYPES[patent_type]
    key = (year, type_digit)
    serial[key] = serial.get(key, 0) + 1
    digits = f"{year}{type_digit}{SERIAL_BASE + serial[key]:07d}"
    code_list, code_cum = codes
    main, noun = _pick(rng, code_list, code_cum)
    other, _ = _pick(rng, code_list, code_cum)
    if main in _UNBRANCHED:  # no branched second code: only the classifier can place it (UNBRANCHED_CODES)
        other = main
    noun = noun or rng.choice(_industries()[industry]["nouns"])
    if patent_type == "design":
        title = f"{noun}(外观)"
    else:
        adj = rng.choice(("一种", "一种新型", "一种高效", "一种智能", "一种低成本"))
        title = f"{adj}{noun}{rng.choice(('', '及其制备方法', '及其控制方法', '及系统'))}"
    abstract, claim = texts(wording, industry, noun, title, patent_type)  # varied: no false near-duplicates
    events, grant = _events(rng, patent_type, lead.kind, filing)
    pub_no, pub_date = "", None
    number = f"CN{PUB_BASE + row_no}"
    if grant:
        pub_no, pub_date = f"{number}{ {'invention': 'B', 'utility_model': 'U', 'design': 'S'}[patent_type]}", grant
    elif events and events[0][1] == "发明专利申请公布":
        pub_no, pub_date = f"{number}A", events[0][0]
    cited = _citations(rng, patent_type, filing, citable) if pub_no else []
    pub = (pub_no, pub_date) if pub_no and patent_type != "design" else None
    row = [
        f"{digits}.{check_digit(digits)}", filing.isoformat(), type_name, title, abstract,
        ";".join(h.name for h in holders), lead.address, main, ";".join(dict.fromkeys([main, other])),
        pub_no, pub_date.isoformat() if pub_date else "", grant.isoformat() if grant else "",
        rng.choice(side.agencies) if rng.random() < 0.75 else "",
        rng.randint(4, 15) if patent_type != "design" else "", "",
        ";".join(f"{d.isoformat()} {text}" for d, text in events), "", ";".join(cited),
        ";".join(teams.names([(h.name, h.kind) for h in holders])), claim,
    ]
    return row, pub


def _events(rng: random.Random, patent_type: str, kind: str, filing: date) -> tuple[list[tuple[date, str]],
                                                                                    date | None]:
    """Legal events known on EXPORT_DATE and the grant date: publication, examination and decision of
    inventions; grants of the others; then annuity lapses at the type's rate, or the end of the term."""
    events: list[tuple[date, str]] = []
    if patent_type == "invention":
        publish = filing + timedelta(days=rng.randint(90, 540))
        if publish > EXPORT_DATE:
            return events, None
        events.append((publish, "发明专利申请公布"))
        exam = publish + timedelta(days=rng.randint(0, 200))
        if exam > EXPORT_DATE:
            return events, None
        events.append((exam, "实质审查的生效"))
        decided = exam + timedelta(days=rng.randint(360, 1100))
        if decided > EXPORT_DATE:
            return events, None
        r = rng.random()
        if r >= GRANT_RATE[kind]:
            events.append((decided, "发明专利申请公布后的驳回" if r < GRANT_RATE[kind] + 0.2
                           else "发明专利申请公布后的视为撤回"))
            return events, None
        grant, term = decided, 20
    else:
        grant = filing + timedelta(days=rng.randint(150, 400))
        if grant > EXPORT_DATE or rng.random() < 0.05:
            return events, None
        term = 10 if patent_type == "utility_model" or filing < date(2021, 6, 1) else 15
    events.append((grant, "授权"))
    hazard = LAPSE_RATE[patent_type]
    for year in range((grant - filing).days // 365 + 1, term):
        due = _anniversary(filing, year)
        if due > EXPORT_DATE:
            return events, grant
        if rng.random() < hazard:
            announced = due + timedelta(days=183 + rng.randint(20, 75))
            if announced <= EXPORT_DATE:
                events.append((announced, "未缴年费专利权终止"))
            return events, grant
    end = _anniversary(filing, term)
    if end <= EXPORT_DATE:
        events.append((end + timedelta(days=rng.randint(30, 90)), "专利权有效期届满"))
    return events, grant


def _citations(rng: random.Random, patent_type: str, filing: date, citable: deque) -> list[str]:
    """0-5 earlier publications of the industry (published before the filing date), inventions more."""
    if not citable or patent_type == "design":
        return []
    p = 0.35 if patent_type == "invention" else 0.2
    wanted = sum(rng.random() < p for _ in range(5))
    cited: list[str] = []
    for _ in range(wanted * 3):
        pub_no, pub_date = citable[rng.randrange(len(citable))]
        if pub_date < filing and pub_no not in cited:
            cited.append(pub_no)
        if len(cited) == wanted:
            break
    return cited
