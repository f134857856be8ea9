"""The demo's varied texts and its planted abnormal applications (docs/demo.md, "Planted abnormal filings").

Texts: every demo invention and utility model gets an abstract and a first claim drawn from its industry's words
(components, sentence templates, effects), so that two ordinary applications with the same title are not
near-identical to the text search (supervision/text.py).  A design keeps its one-line abstract and has no claim.

Planted groups, appended to the demo's patent export and listed in ``planted-abnormal.csv`` (app_no, planted: the
rule of supervision/flags.RULES each is meant to trigger; an application may be listed for two rules).  The
manifest is never imported: supervision/evaluation.py reads it to measure the rules' precision and recall.  The
planting has its own random stream and never reads supervision/config.yaml: its sizes and dates are what a
supervisor would call abnormal, set here apart from the rules' thresholds so that the evaluation is fair.

- near-identical groups (near_duplicate, name_variants): three groups of 5-7 applications, one template text
  with small word swaps each, filed by related shell companies (not in the enterprise directory) through one
  agency, each within about three months between September 2023 and June 2024;
- one near-identical group under changing applicant names, same address and agency, filed July 2023 - June 2024
  (near_duplicate, name_variants);
- a bulk filer (bulk_filing): a directory enterprise with two bursts of 45 utility models in 2024, one in April -
  May and one in October - November, most deemed withdrawn within two months;
- an individual (applicant_mismatch) with 12 inventions across 6 IPC sections in the first half of 2024;
- a patentee (transfer_after_grant) transferring 6 patents, granted in 2023, to 6 different parties between
  January and April 2024.

Dates: the demo's dashboard day is 2024-06-30 and its exports are taken on 2024-12-31 (generator.EXPORT_DATE).
Every planted case is complete by 2024-06-30 and, but for the spring burst, still recent on 2024-12-31 (the
individual's inventions and the transfers all fall in 2024); a burst is a burst of one season, so the autumn one
is what a look back from the end of the year sees.  Application numbers carry the filing year, as CNIPA's do.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

from hvpatent.ingest.appno import check_digit

STREAM = 40  # seed + STREAM: the planting's own random stream; seed + TEXT_STREAM: the texts'
TEXT_STREAM = 41
MANIFEST = "planted-abnormal.csv"

_PARTS = ("壳体", "底座", "支架", "安装板", "连接杆", "导轨", "滑块", "驱动电机", "减速器", "传感器", "控制器",
          "密封圈", "散热片", "弹簧", "卡扣", "固定螺栓", "转轴", "轴承座", "挡板", "进料口", "出料口", "储液腔",
          "加热组件", "冷却管路", "过滤网", "检测探头", "显示屏", "电源模块", "通信接口", "夹持件", "缓冲垫",
          "导向槽", "调节旋钮", "限位块", "支撑脚", "防护罩", "定位销", "集线盒", "泄压阀", "风道")
_RELATIONS = ("固定连接于", "可拆卸地安装在", "转动连接于", "滑动设置在", "嵌设于", "套设在", "抵接于", "连通")
_EFFECTS = ("结构简单", "便于安装和维护", "提高了生产效率", "降低了能耗", "延长了使用寿命", "提升了检测精度",
            "减少了人工操作", "运行更加平稳", "降低了制造成本", "提高了安全性", "散热效果好", "适用范围广",
            "噪音小", "占用空间小", "稳定性好", "装配误差小")
_OPENINGS = ("本发明公开了{t}，", "本发明涉及{f}技术领域，具体公开了{t}，", "本申请提供{t}，",
             "本实用新型公开了{t}，", "本发明属于{f}领域，公开了{t}，")


def _claim(rng: random.Random, noun: str, parts: list[str]) -> str:
    lead = f"1.一种{noun}，包括{parts[0]}和{parts[1]}，其特征在于："
    links = [f"所述{a}{rng.choice(_RELATIONS)}所述{b}" for a, b in pairwise(parts[1:])]
    return lead + "；".join(links) + f"，所述{parts[-1]}的一侧设有{rng.choice(_PARTS)}。"


def texts(rng: random.Random, industry: str, noun: str, title: str, kind: str) -> tuple[str, str]:
    """(abstract, first claim) of an ordinary demo application; a design: its one line and no claim."""
    if kind == "design":
        return f"本外观设计产品用于{noun}。", ""
    parts = rng.sample(_PARTS, rng.randint(4, 6))
    effects = rng.sample(_EFFECTS, 2)
    opening = rng.choice(_OPENINGS).format(t=title, f=industry)
    body = f"包括{'、'.join(parts[:-1])}及{parts[-1]}；{parts[1]}{rng.choice(_RELATIONS)}{parts[0]}，"
    return opening + body + f"{effects[0]}，{effects[1]}。", _claim(rng, noun, parts)


# The near-identical templates: (title, abstract, claim, {word: its swaps}).
_TEMPLATES = (
    ("一种多功能电池包散热支架",
     "本实用新型公开了一种多功能电池包散热支架，包括底板、立柱、散热翅片和导风罩，所述立柱垂直固定于底板上，"
     "散热翅片均匀排布在立柱之间，导风罩罩设在散热翅片外侧，结构简单，散热效果好，便于安装。",
     "1.一种多功能电池包散热支架，包括底板和立柱，其特征在于：所述立柱垂直固定于所述底板上，所述立柱之间均匀"
     "排布有散热翅片，所述散热翅片外侧罩设有导风罩，所述导风罩顶部开设有出风口。",
     {"底板": ("底座", "基板"), "均匀": ("等间距",), "便于安装": ("安装方便",), "出风口": ("排风口",)}),
    ("一种茶叶杀青用翻炒装置",
     "本实用新型公开了一种茶叶杀青用翻炒装置，包括机架、炒锅、搅拌桨和加热盘，所述炒锅倾斜安装在机架上，"
     "搅拌桨由电机驱动在炒锅内转动，加热盘贴合于炒锅底部，翻炒均匀，杀青效率高，减少了人工操作。",
     "1.一种茶叶杀青用翻炒装置，包括机架和炒锅，其特征在于：所述炒锅倾斜安装在所述机架上，所述炒锅内设有"
     "由电机驱动转动的搅拌桨，所述炒锅底部贴合有加热盘，所述机架一侧设有出料槽。",
     {"机架": ("支架", "框架"), "倾斜": ("斜向",), "杀青效率高": ("效率高",), "出料槽": ("出料斗",)}),
    ("一种数控机床用快速定位夹具",
     "本实用新型公开了一种数控机床用快速定位夹具，包括夹具座、定位块、压紧气缸和导向柱，所述定位块设置在夹具"
     "座上表面，压紧气缸通过导向柱带动压板升降，定位准确，装夹速度快，提高了生产效率。",
     "1.一种数控机床用快速定位夹具，包括夹具座和定位块，其特征在于：所述定位块设置在所述夹具座上表面，所述"
     "夹具座上设有压紧气缸，所述压紧气缸通过导向柱带动压板升降，所述压板底部设有防滑垫。",
     {"夹具座": ("夹具底座",), "准确": ("精准",), "装夹速度快": ("装夹快捷",), "防滑垫": ("橡胶垫",)}),
    ("一种智能衣柜用除湿杀菌装置",
     "本实用新型公开了一种智能衣柜用除湿杀菌装置，包括柜体、除湿模块、紫外灯管和湿度传感器，所述除湿模块安装"
     "在柜体顶部，紫外灯管设置在柜体内侧壁，湿度传感器实时检测柜内湿度，除湿效果好，杀菌彻底，使用方便。",
     "1.一种智能衣柜用除湿杀菌装置，包括柜体和除湿模块，其特征在于：所述除湿模块安装在所述柜体顶部，所述柜体"
     "内侧壁设有紫外灯管，所述柜体内设有湿度传感器，所述湿度传感器与控制器电连接。",
     {"柜体": ("衣柜本体",), "实时": ("持续",), "使用方便": ("操作便捷",), "电连接": ("信号连接",)}),
)
_SHELL_WORDS = ("捷", "盛", "弘", "锦", "昱", "澜", "钧", "熠", "翰", "岳", "骏", "峻", "璟", "煜")
_SHELL_TRADES = ("商贸", "科技", "信息技术", "工程技术", "技术服务", "实业")


def _variant(rng: random.Random, template: tuple) -> tuple[str, str, str]:
    """A template's title, abstract and claim with one or two of its words swapped."""
    title, abstract, claim, swaps = template
    for word in rng.sample(sorted(swaps), rng.randint(1, 2)):
        new = rng.choice(swaps[word])
        abstract, claim = abstract.replace(word, new), claim.replace(word, new)
    return title, abstract, claim


class _Numbers:
    """Application numbers of the planted rows: serials from 9,500,000 up, far above the generator's (which
    start below 900,000 and grow by the year's filings), so none collides."""

    def __init__(self) -> None:
        self.serial = 9_500_000

    def __call__(self, year: int, type_digit: str) -> str:
        self.serial += 1
        digits = f"{year}{type_digit}{self.serial:07d}"
        return f"{digits}.{check_digit(digits)}"


def _day(rng: random.Random, start: date, days: int) -> date:
    return start + timedelta(days=rng.randrange(days))


def plant(rng: random.Random, write: Callable[[dict], None], *, enterprise: tuple[str, str], agency: str,
          town_address: str, export_date: date) -> list[tuple[str, str]]:
    """Write the planted applications through ``write`` (a dict of the demo's patent columns: app_no, filing,
    kind, title, abstract, claim, applicant, address, ipc, grant, agency, events [(date, text)]); returns the
    manifest rows (app_no, rule).  ``enterprise``: (name, address) of a directory enterprise with a history."""
    number, manifest = _Numbers(), []

    def add(rules: tuple[str, ...], type_digit: str, **row) -> None:
        row["app_no"] = number(row["filing"].year, type_digit)  # a CNIPA number's year is its filing year
        row.setdefault("events", [])
        row.setdefault("grant", None)
        row.setdefault("agency", "")
        write(row)
        manifest.extend((row["app_no"], rule) for rule in rules)

    shell_agency = "重庆捷诚知识产权代理有限公司"
    for g, template in enumerate(_TEMPLATES[:3]):
        shells = [f"重庆{''.join(rng.sample(_SHELL_WORDS, 2))}{rng.choice(_SHELL_TRADES)}有限公司" for _ in range(3)]
        start = date(2023, 9, 1) + timedelta(days=91 * g)  # 2023-09-01, 12-01, 2024-03-01: done by 06-08
        for k in range(rng.randint(5, 7)):
            title, abstract, claim = _variant(rng, template)
            filing = _day(rng, start, 100)
            add(("near_duplicate", "name_variants"), "2", filing=filing, kind="utility_model",
                title=title, abstract=abstract, claim=claim, applicant=shells[k % 3],
                address=f"{town_address}{rng.randint(1, 300)}号", ipc="H01M50/20", agency=shell_agency)
    base = "".join(rng.sample(_SHELL_WORDS, 2))
    names = [f"重庆{base}科技有限公司", f"重庆{base}智能科技有限公司", f"重庆市{base}科技有限责任公司",
             f"重庆{base[::-1]}科技有限公司"]
    address = f"{town_address}88号"
    for k in range(6):
        title, abstract, claim = _variant(rng, _TEMPLATES[3])
        add(("near_duplicate", "name_variants"), "2", filing=_day(rng, date(2023, 7, 1), 360),
            kind="utility_model", title=title, abstract=abstract, claim=claim, applicant=names[k % len(names)],
            address=address, ipc="A47B61/00", agency=agency)
    _bulk(rng, add, enterprise, export_date)
    _individual(rng, add, town_address)
    _transfers(rng, add, town_address)
    return manifest


# The bulk filer's bursts: (first day, days): 2024-04-08 - 05-10, its withdrawals by 06-29 (before the dashboard
# day); 2024-10-08 - 11-21, before the export day.
_BURSTS = ((date(2024, 4, 8), 33), (date(2024, 10, 8), 45))


def _bulk(rng, add, enterprise: tuple[str, str], export_date: date) -> None:
    """Two bursts of 45 utility models, each within five to seven weeks; three in four deemed withdrawn (the fees
    unpaid) some seven weeks after filing."""
    name, address = enterprise
    for k in range(45 * len(_BURSTS)):
        filing = _day(rng, *_BURSTS[k % len(_BURSTS)])
        events = []
        withdrawn = filing + timedelta(days=rng.randint(40, 50))
        if rng.random() < 0.75 and withdrawn <= export_date:
            events.append((withdrawn, "视为撤回"))
        noun = rng.choice(("连接件", "固定座", "防护罩", "卡接结构", "支撑架"))
        abstract, claim = texts(rng, "智能装备", noun, f"一种{noun}", "utility_model")
        add(("bulk_filing",), "2", filing=filing, kind="utility_model", title=f"一种{noun}",
            abstract=abstract, claim=claim, applicant=name, address=address, ipc="F16B5/02", events=events)


_FIELDS = (("A23L7/10", "特色消费品", "调味品配方"), ("B25J9/16", "智能装备", "工业机器人手爪"),
           ("C08L23/06", "智能家居及材料", "复合板材"), ("F03D80/00", "新能源", "风力发电叶片"),
           ("G06F16/20", "电子信息", "数据处理方法"), ("H02J7/00", "新能源", "充电控制电路"),
           ("A61K36/00", "生物医药及大健康", "中药组合物"), ("B60L53/00", "汽车摩托车", "充电桩"))


def _individual(rng, add, town_address: str) -> None:
    """One person's 12 inventions in January - June 2024 across six IPC sections (A B C F G H), two a month."""
    for k in range(12):
        ipc, industry, noun = _FIELDS[k % len(_FIELDS)]
        title = f"一种{noun}"
        abstract, claim = texts(rng, industry, noun, title, "invention")
        add(("applicant_mismatch",), "1", filing=_day(rng, date(2024, 1 + k % 6, 1), 25),
            kind="invention", title=title, abstract=abstract, claim=claim, applicant="欧阳明轩",
            address=f"{town_address}12号", ipc=ipc)


def _transfers(rng, add, town_address: str) -> None:
    """A patentee's 6 utility models filed in January - February 2023 and granted 200-230 days later (July -
    October 2023), each transferred between 2024-01-08 and 04-16 (84-271 days after its grant) to a different
    company (变更后权利人 named in the event text, as CNIPA words it)."""
    for k in range(6):
        filing = _day(rng, date(2023, 1, 1), 59)
        grant = filing + timedelta(days=rng.randint(200, 230))
        moved = _day(rng, date(2024, 1, 8), 100)
        to = f"{('四川', '贵州', '湖南', '陕西', '河南', '江西')[k]}{''.join(rng.sample(_SHELL_WORDS, 2))}科技有限公司"
        noun = rng.choice(("输送装置", "检测工装", "防尘结构", "散热结构"))
        abstract, claim = texts(rng, "智能装备", noun, f"一种{noun}", "utility_model")
        add(("transfer_after_grant",), "2", filing=filing, kind="utility_model",
            title=f"一种{noun}", abstract=abstract, claim=claim, applicant="重庆鼎丰专利运营有限公司",
            address=f"{town_address}66号", ipc="B65G47/90", grant=grant,
            events=[(grant, "授权"), (moved, f"专利权的转移 变更事项：专利权人 变更前权利人：重庆鼎丰专利运营有限公司 "
                                          f"变更后权利人：{to}")])


def write_manifest(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["app_no", "planted"])
        writer.writerows(rows)
    return path
