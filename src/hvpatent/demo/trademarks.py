"""Synthetic trademark records and market-entity counts of the demo district (docs/demo.md).

Written in the shapes the importer reads (ingest/trademarks.py): most marks as the trademark office's search
gives them (中国商标网 fields with 商标流程 lines), the rest as a commercial database's export (商标状态) with a
change-record file; and a market_entities template.  Scaled to the patents: about half as many effective
marks at the export date as patent applications, which at the default 30,000 applications puts the district
near the plan's 16,500 effective marks by 2024.  Every file says SYNTHETIC / 合成演示数据.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hvpatent.ingest.fields import years_after

EFFECTIVE_PER_APPLICATION = 0.5  # effective marks at the export date per patent application generated
GROWTH = 1.17                    # registrations grow this much a year (as the aggregate counts did)
FIRST_YEAR = 2005
ENTITIES_2024 = 152_000          # year-end market entities of the district
ENTITIES_GROWTH = 1.065

CNIPA = ["注册号/申请号", "国际分类号", "申请日期", "商标名称", "申请人名称(中文)", "申请人地址(中文)", "初审公告日期",
         "注册公告日期", "专用权期限", "商标类型", "国际注册日期", "代理/办理机构", "类似群", "商标流程"]
COMMERCIAL = ["序号", "商标名称", "注册号", "国际分类", "商标状态", "申请日期", "申请人", "申请人地址", "代理机构",
              "初审公告日期", "注册公告日期", "专用权期限开始", "专用权期限结束", "商标类型"]
CHANGES = ["注册号", "国际分类", "变更事项", "变更日期", "变更前", "变更后"]

# Nice classes by the district's industries (demo/industries.yaml), the first the most used.
CLASSES = {"汽车摩托车": (12, 7, 35), "电子信息": (9, 42, 35), "智能装备": (7, 9, 42),
           "智能家居及材料": (20, 11, 19, 17), "特色消费品": (30, 29, 32, 33, 43, 35),
           "生物医药及大健康": (5, 10, 44, 3), "新能源": (9, 4, 1),
           "民用航空": (12, 41, 39)}
INDIVIDUAL_CLASSES = (30, 35, 43, 29, 25, 31, 41)
CLASS_NAMES = {1: "化学原料", 3: "日化用品", 4: "燃料油脂", 5: "医药", 7: "机械设备", 9: "科学仪器", 10: "医疗器械",
               11: "灯具空调", 12: "运输工具", 17: "橡胶制品", 19: "建筑材料", 20: "家具", 25: "服装鞋帽",
               29: "食品", 30: "方便食品", 31: "饲料种籽", 32: "啤酒饮料", 33: "酒", 35: "广告销售", 39: "运输贮藏",
               41: "教育娱乐", 42: "科技服务", 43: "餐饮住宿", 44: "医疗园艺"}
_WORDS = ("永渝茶竹海棠凤凰秀芽松溉来苏宝峰红炉金龙临江青峰朱沱仙龙吉安五间三教板桥"
          "兴隆恒达鑫源博创华宇瑞丰天成嘉信康泰汇通")
# Geographical indications and other marks of associations (collective / certification marks).
ASSOCIATION_MARKS = (
    ("永川秀芽", 30, "证明商标（地理标志）", "重庆市永川区茶叶行业协会", "茶山竹海街道"),
    ("永川豆豉", 29, "集体商标（地理标志）", "重庆市永川区豆豉行业协会", "胜利路街道"),
    ("松溉米粉", 30, "集体商标", "重庆市永川区松溉米粉协会", "松溉镇"),
    ("朱沱柑橘", 31, "证明商标", "重庆市永川区朱沱镇农业服务中心", "朱沱镇"),
    ("来苏生态鱼", 31, "集体商标", "重庆市永川区来苏镇水产养殖协会", "来苏镇"),
    ("黄瓜山梨", 31, "证明商标（地理标志）", "重庆市永川区果业协会", "南大街街道"),
)


@dataclass
class _Mark:
    reg_no: str
    classes: list[int]
    name: str
    owner: str
    address: str
    kind: str
    filing: date
    prelim: date | None = None
    registration: date | None = None
    term_end: date | None = None
    madrid: date | None = None
    agency: str = ""
    process: list[tuple[str, date]] = field(default_factory=list)
    changes: list[tuple[str, date, str, str]] = field(default_factory=list)
    status: str = "商标已注册"


def _term_end(start: date, terms: int) -> date:
    return years_after(start - timedelta(days=1), 10 * terms)


class _Marks:
    def __init__(self, rng: random.Random, world: Any, export: date):
        self.rng, self.world, self.export = rng, world, export
        self.serial = rng.randint(8_000_000, 9_000_000)
        self.agencies = [f"重庆{self._word(2)}知识产权代理有限公司" for _ in range(10)]
        self.individuals = [world.individual() for _ in range(300)]

    def _word(self, n: int) -> str:
        return "".join(self.rng.choice(_WORDS) for _ in range(n))

    def _number(self, year: int) -> str:
        # Registration numbers rise with time, as CNIPA's do (about 5 million a year lately).
        self.serial += self.rng.randint(1, 40)
        return str(self.serial + (year - FIRST_YEAR) * 2_400_000)

    def _owner(self) -> tuple[str, str, tuple[int, ...]]:
        r = self.rng.random()
        if r < 0.72:
            e = self.rng.choices(self.world.enterprises, cum_weights=self.world.enterprise_cum)[0]
            return e.name, e.address, CLASSES[e.industry]
        person = self.rng.choice(self.individuals)
        return person.name, person.address, INDIVIDUAL_CLASSES

    def mark(self, registration_year: int) -> _Mark:
        rng = self.rng
        owner, address, classes = self._owner()
        nice = [classes[0] if rng.random() < 0.5 else rng.choice(classes)]
        if rng.random() < 0.08:
            nice += [c for c in rng.sample(classes, k=min(2, len(classes))) if c not in nice]
        registration = date(registration_year, 1, 1) + timedelta(days=rng.randrange(365))
        wait = rng.randint(240, 460) if registration_year < 2019 else rng.randint(200, 330)  # faster since 2019
        filing = registration - timedelta(days=wait)
        m = _Mark(self._number(filing.year), nice, self._word(rng.choice((2, 2, 3))), owner, address, "普通商标",
                  filing, agency=rng.choice(self.agencies) if rng.random() < 0.8 else "")
        m.process.append(("商标注册申请---申请收文", filing))
        m.process.append(("商标注册申请---受理通知书发文", filing + timedelta(days=rng.randint(20, 60))))
        refused = rng.random() < 0.08
        if refused:
            m.registration = None
            m.process.append(("商标注册申请---驳回通知发文", registration - timedelta(days=90)))
            m.status = "驳回复审中" if rng.random() < 0.2 else "商标无效"
            return m
        if registration > self.export:  # still pending at the export date
            m.status = "等待实质审查"
            if registration - timedelta(days=91) <= self.export:
                m.prelim = registration - timedelta(days=91)
                m.status = "初审公告"
            return m
        m.prelim = registration - timedelta(days=91)
        if rng.random() < 0.02:  # an opposition in the 3 months, rejected: registered later
            m.process.append(("商标异议---申请收文", m.prelim + timedelta(days=rng.randint(20, 85))))
            registration = m.prelim + timedelta(days=rng.randint(300, 500))
            if registration > self.export:
                m.status = "异议程序中"
                return m
            m.process.append(("商标异议---准予注册决定", registration - timedelta(days=rng.randint(20, 60))))
        m.registration = registration
        self._life(m)
        return m

    def _life(self, m: _Mark) -> None:
        """Transfers, licences, cancellations, invalidations and renewals up to the export date."""
        rng, export = self.rng, self.export
        assert m.registration is not None
        terms = 1
        end = _term_end(m.registration, 1)
        if rng.random() < 0.04:
            day = m.registration + timedelta(days=rng.randint(200, 3000))
            if day <= export:
                to = rng.choice(self.world.enterprises)
                m.process.append(("商标转让---申请收文", day - timedelta(days=rng.randint(60, 120))))
                m.process.append(("商标转让---核准转让证明打印发送", day))
                m.changes.append(("商标转让", day, m.owner, to.name))
                m.owner, m.address = to.name, to.address  # the register shows the assignee
        if rng.random() < 0.01:
            day = m.registration + timedelta(days=rng.randint(100, 2500))
            if day <= export:
                m.process.append(("商标使用许可备案---许可合同备案完成", day))
                m.changes.append(("商标使用许可备案", day, "", rng.choice(self.world.enterprises).name))
        r = rng.random()
        ended = None
        if r < 0.02:
            ended = ("撤销连续三年不使用注册商标申请", "核准通知打印发送", "商标撤销", 1100, 3400, "商标已撤销")
        elif r < 0.03:
            ended = ("商标注销", "核准通知打印发送", "商标注销", 400, 3400, "商标已注销")
        elif r < 0.035:
            ended = ("商标无效宣告", "无效宣告完成", "商标无效", 200, 1800, "商标无效")
        if ended:
            business, step, change, low, high, status = ended
            day = m.registration + timedelta(days=rng.randint(low, high))
            if day <= min(export, end):
                m.process.append((f"{business}---申请收文", day - timedelta(days=rng.randint(60, 300))))
                m.process.append((f"{business}---{step}", day))
                m.changes.append((change, day, "", ""))
                m.term_end, m.status = end, status
                return
        while end < export + timedelta(days=365):  # the renewal window opens 12 months before the end
            if rng.random() >= 0.55:
                break  # not renewed: in grace, or lapsed once the grace has passed
            in_grace = rng.random() < 0.1
            filed = end + timedelta(days=rng.randint(1, 175) if in_grace else -rng.randint(5, 360))
            if filed > export:
                break
            m.process.append(("商标续展---申请收文", filed))
            approved = filed + timedelta(days=rng.randint(60, 150))
            if approved > export:
                m.status = "商标续展待审中"
                break
            m.process.append(("商标续展---核准续展注册证明打印发送", approved))
            after = _term_end(m.registration, terms + 1)
            m.changes.append(("商标续展", approved, f"至{end.isoformat()}", f"至{after.isoformat()}"))
            terms += 1
            end = _term_end(m.registration, terms)
        m.term_end = end
        if end + timedelta(days=183) < export:
            m.status = "商标已失效" if m.status == "商标已注册" else m.status
        elif end < export:
            m.status = "宽展期"

    def association(self, name: str, nice: int, kind: str, owner: str, town: str) -> _Mark:
        registration = date(2010 + self.rng.randint(0, 10), self.rng.randint(1, 12), self.rng.randint(1, 28))
        m = _Mark(self._number(registration.year - 1), [nice], name, owner, f"重庆市永川区{town}", kind,
                  registration - timedelta(days=400), prelim=registration - timedelta(days=91),
                  registration=registration)
        m.process.append(("商标注册申请---申请收文", m.filing))
        m.term_end = _term_end(registration, 1)
        if m.term_end < self.export:  # the district's own marks are kept in force: renewed in the window
            m.process.append(("商标续展---核准续展注册证明打印发送", m.term_end - timedelta(days=40)))
            m.term_end = _term_end(registration, 2)
        return m

    def madrid(self, year: int) -> _Mark:
        m = self.mark(year)
        if m.registration is None:
            return m
        m.reg_no = f"G{self.rng.randint(1_000_000, 1_799_999)}"
        m.kind, m.madrid = "普通商标", m.registration
        m.process = []
        return m


def _registrations(applications: int) -> dict[int, int]:
    """Registrations a year, growing GROWTH a year, scaled so that the marks in force at the end of 2024 are about
    EFFECTIVE_PER_APPLICATION per application: those registered in the last ten years (less ~4% ended early) and
    ~55% of the older ones (renewed)."""
    years = range(FIRST_YEAR, 2026)
    weights = {y: GROWTH ** (y - FIRST_YEAR) for y in years}
    in_force = sum(w * (0.96 if y >= 2015 else 0.55) for y, w in weights.items() if y <= 2024)
    scale = EFFECTIVE_PER_APPLICATION * applications / in_force
    return {y: max(1, round(w * scale)) for y, w in weights.items()}


def write_trademarks(out: Path, world: Any, seed: int, applications: int, export: date, banner: str
                     ) -> list[Path]:
    """The demo's trademark files: trademarks_cnipa.csv (85% of the marks), trademarks_qcc.csv (the rest, with
    商标状态) and trademarks_qcc_changes.csv (their transfers, renewals, cancellations)."""
    rng = random.Random(seed * 7919 + 15)  # its own stream: the patents stay as they were
    marks = _Marks(rng, world, export)
    all_marks = [marks.association(*a) for a in ASSOCIATION_MARKS]
    for year, count in _registrations(applications).items():
        all_marks += [marks.mark(year) for _ in range(count)]
        if year >= 2012:
            all_marks += [marks.madrid(year) for _ in range(max(1, round(count * 0.004)))]
    rng.shuffle(all_marks)
    cnipa_path, qcc_path, changes_path = (out / "trademarks_cnipa.csv", out / "trademarks_qcc.csv",
                                          out / "trademarks_qcc_changes.csv")
    stamp = f"导出时间：{export.isoformat()}"
    with cnipa_path.open("w", encoding="utf-8-sig", newline="") as cf, \
            qcc_path.open("w", encoding="utf-8-sig", newline="") as qf, \
            changes_path.open("w", encoding="utf-8-sig", newline="") as xf:
        cnipa, qcc, changes = csv.writer(cf), csv.writer(qf), csv.writer(xf)
        cnipa.writerow([f"{banner} {stamp}"])
        cnipa.writerow(CNIPA)
        qcc.writerow([f"{banner} 企查查式商标导出 {stamp}"])
        qcc.writerow(COMMERCIAL)
        changes.writerow(CHANGES)
        n = 0
        for m in all_marks:
            if rng.random() < 0.85 or m.madrid:
                cnipa.writerow(_cnipa_row(m))
                continue
            n += 1
            qcc.writerow(_qcc_row(n, m))
            for item, day, before, after in m.changes:
                for nice in m.classes:
                    changes.writerow([m.reg_no, nice, item, day.isoformat(), before, after])
    return [cnipa_path, qcc_path, changes_path]


def _zh(day: date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def _cnipa_row(m: _Mark) -> list:
    term = f"{_zh(m.registration)} 至 {_zh(m.term_end)}" if m.registration and m.term_end else ""
    groups = ";".join(f"{c:02d}{g:02d}" for c in m.classes for g in (1, 2) if c != 35 or g == 1)
    process = "；".join(f"{text}---结束---{day.isoformat()}" for text, day in sorted(m.process, key=lambda p: p[1]))
    return [m.reg_no, ";".join(map(str, m.classes)), m.filing.isoformat(), m.name, m.owner, m.address,
            m.prelim.isoformat() if m.prelim else "", m.registration.isoformat() if m.registration else "", term,
            m.kind, m.madrid.isoformat() if m.madrid else "", m.agency, groups, process]


def _qcc_row(n: int, m: _Mark) -> list:
    classes = "；".join(f"第{c}类 {CLASS_NAMES.get(c, '')}".strip() for c in m.classes)
    return [n, m.name, m.reg_no, classes, m.status, f"{m.filing:%Y/%m/%d}", m.owner, m.address, m.agency,
            f"{m.prelim:%Y/%m/%d}" if m.prelim else "", f"{m.registration:%Y/%m/%d}" if m.registration else "",
            f"{m.registration:%Y/%m/%d}" if m.registration else "", f"{m.term_end:%Y/%m/%d}" if m.term_end else "",
            m.kind]


def market_entity_rows(rng: random.Random, world: Any, county: str, first: int, last: int) -> list[list]:
    """Year-end market entities of the district and its towns (towns in proportion to their weights)."""
    rows = []
    weights = [w * rng.uniform(0.8, 1.2) for w in world.town_weights]
    total_w = sum(weights)
    for year in range(first, last + 1):
        total = int(ENTITIES_2024 / ENTITIES_GROWTH ** (last - year))
        rows.append([county, "永川区", year, total])
        rows.extend([town.code, town.name, year, int(total * w / total_w)]
                    for town, w in zip(world.towns, weights, strict=True))
    return rows
