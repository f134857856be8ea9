"""The demo's pledge registry (docs/demo.md, "Pledge contracts"): the pledges drawn per patent by
demo/outcomes.py become contracts written in the pledges template's record shape (设立, 变更, 注销, 处置 rows).

Each drawn pledge is a contract led by that patent; a bundle adds 1-3 other granted patents of the same pledgor
in force on the registration day (better ones more often), some contracts add a trademark of the pledgor in
force, loans run 1-3 years from the registration day, a few are extended or their amount changed (变更), matured
ones are released (注销) soon after the maturity, a few are disposed (处置) after it.  No patent or mark is in two
contracts at once.  A random stream of its own (``random.Random(seed + STREAM)``), so the other files stay as they
were for a seed; the patents' merit is used and written to no file.  Synthetic: the banks are real names of
branch offices only as a bank would write them.
"""

from __future__ import annotations

import csv
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

STREAM = 21
# Bundles add patents: a drawn pledge leads a contract with this chance, so that about as many patents are pledged
# as outcomes.PLEDGE_RATE draws (30,000 applications, seed 2022: 242 drawn; 168 contracts holding 249 patents).
# Thinned here, not by a lower rate: the outcomes' stream, and so the patents file, stay as they were for a seed.
CONTRACT_SHARE = 0.66
DEMO_BANK = "重庆农村商业银行股份有限公司永川支行"  # the demo bank account's bank: the biggest pledgee
# Pledgees and their shares of the contracts (DEMO_BANK the biggest).
BANKS = ((DEMO_BANK, 0.34), ("中国银行股份有限公司永川支行", 0.2), ("中国建设银行股份有限公司永川支行", 0.16),
         ("重庆银行股份有限公司永川支行", 0.14), ("中国工商银行股份有限公司永川支行", 0.1),
         ("重庆三峡银行股份有限公司永川支行", 0.06))
PATENTS_PER_CONTRACT = ((1, 0.62), (2, 0.2), (3, 0.11), (4, 0.07))  # wanted; fewer when the pledgor has fewer
BUNDLE_MERIT = 0.7         # an added patent is drawn with weight exp(0.7·m)
MIXED_RATE = 0.2           # contracts of a pledgor owning a mark in force that pledge it too (20 %: two marks)
LOAN_YEARS = ((1, 0.55), (2, 0.3), (3, 0.15))
EXTEND_RATE = 0.08         # the maturity extended by a year (变更 registered 15-60 days before it)
AMOUNT_CHANGE_RATE = 0.05  # the amount raised or cut (变更 60-300 days after the registration)
DISPOSE_RATE = 0.04        # matured contracts disposed (处置, 60-240 days after the maturity) instead of released
RELEASE_LAG = (0, 20)      # days from the maturity to the release (注销)
# The template's record columns, in order (docs/importing.md; ingest/templates.py TEMPLATES["pledges"]).
PLEDGE_HEADERS = ["质押登记号", "登记类型", "专利申请号", "商标注册号", "出质人", "质权人", "质押金额(万元)", "登记日",
                  "债务起始日", "债务到期日", "解除日", "备注"]


@dataclass
class Granted:
    """A granted invention or utility model of a pledgor, as the generator knows it (merit never written)."""

    app_no: str
    grant: date
    term_end: date
    merit: float
    ended: date | None            # the right ended (lapse, expiry, invalidation), if it did by the export
    events: list[tuple[date, str]] = field(default_factory=list)


@dataclass
class Draw:
    """A pledge drawn for a patent (demo/outcomes.py): the contract it leads."""

    lead: Granted
    pledgor: str
    registered: date
    amount_wan: int


@dataclass
class _Contract:
    draw: Draw
    bank: str
    loan_end: date
    patents: list[str]
    marks: list[str] = field(default_factory=list)
    extended: date | None = None         # the 变更 day of a maturity extension
    amount_change: tuple[date, int] | None = None
    released: date | None = None
    disposed: date | None = None
    number: str = ""

    @property
    def maturity(self) -> date:
        return _years_after(self.loan_end, 1) if self.extended else self.loan_end

    @property
    def end(self) -> date:
        return self.released or self.disposed or date.max


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 2, 28)


def valid_on(p: Granted, day: date) -> bool:
    """In force (valid, not in a lapse that a restoration later undid) on the day, granted before it."""
    if p.grant >= day or (p.ended is not None and day >= p.ended) or day >= p.term_end:
        return False
    lapses = [d for d, words in p.events if words == "未缴年费专利权终止"]
    restored = sorted(d for d, words in p.events if words == "专利权的恢复")
    for announced in lapses:
        back = next((r for r in restored if r >= announced), None)
        # The due date was 203-258 days before the announcement (demo/outcomes.py); invalid from it until restored.
        if announced - timedelta(days=270) <= day <= (back or date.max):
            return False
    return True


def _transferred_by(p: Granted, day: date) -> bool:
    return any(words == "专利权的转移" and d <= day for d, words in p.events)


def _free(busy: dict[str, list[tuple[date, date]]], item: str, start: date, end: date) -> bool:
    return all(end < s or start > e for s, e in busy.get(item, []))


def _pick(rng: random.Random, choices: Iterable[tuple[object, float]]) -> object:
    items = list(choices)
    return rng.choices([c for c, _ in items], [w for _, w in items])[0]


def pledgeable_marks(cnipa_csv: Path) -> dict[str, list[tuple[str, date, date]]]:
    """Per owner, the marks of the demo's trademark office file that a pledge may take: (reg_no, registration
    day, end of term), never transferred, cancelled or invalidated (the owner and the term hold throughout)."""
    out: dict[str, list[tuple[str, date, date]]] = {}
    if not cnipa_csv.exists():
        return out
    with cnipa_csv.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        header = next(reader, None)
        if header is None:
            return out
        col = {h: i for i, h in enumerate(header)}
        for row in reader:
            reg_no, owner = row[col["注册号/申请号"]], row[col["申请人名称(中文)"]]
            registered = row[col["注册公告日期"]]
            term, process = row[col["专用权期限"]], row[col["商标流程"]]
            ends = re.findall(r"(\d{4})年(\d{2})月(\d{2})日", term)
            if not registered or len(ends) < 2 or reg_no.startswith("G") or re.search("转让|撤销|注销|无效", process):
                continue
            out.setdefault(owner, []).append((reg_no, date.fromisoformat(registered), date(*map(int, ends[-1]))))
    return out


def pledge_rows(rng: random.Random, draws: list[Draw], granted: dict[str, list[Granted]],
                marks: dict[str, list[tuple[str, date, date]]], export: date) -> list[list]:
    """The registry records of the drawn pledges (PLEDGE_HEADERS columns), in date order."""
    busy: dict[str, list[tuple[date, date]]] = {}
    contracts = []
    for draw in sorted(draws, key=lambda d: (d.registered, d.lead.app_no)):
        if rng.random() >= CONTRACT_SHARE:
            continue
        years = int(_pick(rng, LOAN_YEARS))  # type: ignore[call-overload]
        c = _Contract(draw, str(_pick(rng, BANKS)), _years_after(draw.registered, years), [draw.lead.app_no])
        _lifecycle(rng, c, export, extend=rng.random() < EXTEND_RATE, change=rng.random() < AMOUNT_CHANGE_RATE,
                   dispose=rng.random() < DISPOSE_RATE)
        contracts.append(c)
    _show_each_kind(rng, contracts, export)
    if contracts and not any(c.bank == DEMO_BANK for c in contracts):  # the demo bank account sees a contract
        contracts[-1].bank = DEMO_BANK
    for c in contracts:
        busy.setdefault(c.draw.lead.app_no, []).append((c.draw.registered, c.end))
    for c in contracts:
        _bundle(rng, c, granted, busy, int(_pick(rng, PATENTS_PER_CONTRACT)) - 1)  # type: ignore[call-overload]
        owned = marks.get(c.draw.pledgor)
        if owned and rng.random() < MIXED_RATE:
            _add_marks(rng, c, owned, busy, 2 if rng.random() < 0.2 else 1)
    if contracts and not any(len(c.patents) > 1 for c in contracts):   # a small demo still shows a bundle
        for c in contracts:
            if _bundle(rng, c, granted, busy, 1):
                break
    if contracts and not any(c.marks for c in contracts):              # and a mixed contract
        for c in contracts:
            if marks.get(c.draw.pledgor) and _add_marks(rng, c, marks[c.draw.pledgor], busy, 1):
                break
    serial: dict[int, int] = {}
    for c in contracts:
        year = c.draw.registered.year
        serial[year] = serial.get(year, 0) + rng.randint(1, 9)  # other districts' registrations in between
        c.number = f"Y{year}5000{serial[year]:05d}"
    return _records(contracts)


def _lifecycle(rng: random.Random, c: _Contract, export: date, *, extend: bool, change: bool,
               dispose: bool) -> None:
    c.extended = c.amount_change = c.released = c.disposed = None
    registered = c.draw.registered
    if extend:
        day = c.loan_end - timedelta(days=rng.randint(15, 60))
        c.extended = day if registered < day <= export else None
    if change:
        day = registered + timedelta(days=rng.randint(60, 300))
        if day < c.loan_end and day <= export:
            factor = rng.choice((1.5, 0.6))
            c.amount_change = (day, max(50, round(c.draw.amount_wan * factor / 50) * 50))
    maturity = c.maturity
    if dispose and maturity + timedelta(days=60) <= export:
        day = maturity + timedelta(days=rng.randint(60, 240))
        c.disposed = day if day <= export else None   # defaulted, not disposed yet by the export
        if c.disposed is None:
            return
    elif maturity <= export:
        day = maturity + timedelta(days=rng.randint(*RELEASE_LAG))
        c.released = day if day <= export else None


def _show_each_kind(rng: random.Random, contracts: list[_Contract], export: date) -> None:
    """A small demo (few contracts) still shows an extension and a disposal when any contract can have one."""
    if not any(c.extended for c in contracts):
        c = next((c for c in contracts if not c.disposed and c.loan_end - timedelta(days=15) <= export
                  and c.loan_end - timedelta(days=60) > c.draw.registered), None)
        if c is not None:
            _lifecycle(rng, c, export, extend=True, change=c.amount_change is not None, dispose=False)
    if not any(c.disposed for c in contracts):
        c = next((c for c in contracts if not c.extended and c.loan_end + timedelta(days=240) <= export), None)
        if c is not None:
            _lifecycle(rng, c, export, extend=False, change=c.amount_change is not None, dispose=True)


def _bundle(rng: random.Random, c: _Contract, granted: dict[str, list[Granted]],
            busy: dict[str, list[tuple[date, date]]], wanted: int) -> bool:
    """Adds up to ``wanted`` other patents of the pledgor, in force from the registration past the maturity."""
    start, end = c.draw.registered, c.end
    pool = [p for p in granted.get(c.draw.pledgor, []) if p.app_no not in c.patents and valid_on(p, start)
            and p.term_end > c.maturity and not _transferred_by(p, start) and _free(busy, p.app_no, start, end)]
    added = False
    while wanted > 0 and pool:
        p = rng.choices(pool, [math.exp(BUNDLE_MERIT * p.merit) for p in pool])[0]
        pool.remove(p)
        c.patents.append(p.app_no)
        busy.setdefault(p.app_no, []).append((start, end))
        wanted, added = wanted - 1, True
    return added


def _add_marks(rng: random.Random, c: _Contract, owned: list[tuple[str, date, date]],
               busy: dict[str, list[tuple[date, date]]], wanted: int) -> bool:
    start, end = c.draw.registered, c.end
    pool = [reg for reg, registered, term_end in owned if registered < start and term_end > c.maturity
            and _free(busy, "TM" + reg, start, end)]
    chosen = rng.sample(pool, k=min(wanted, len(pool)))
    for reg in chosen:
        c.marks.append(reg)
        busy.setdefault("TM" + reg, []).append((start, end))
    return bool(chosen)


def _amount(c: _Contract) -> int:
    """The registered amount (万元): the lead's drawn amount, more for each further patent or mark."""
    raw = c.draw.amount_wan * (1 + 0.6 * (len(c.patents) - 1) + 0.3 * len(c.marks))
    return max(50, round(raw / 50) * 50)


def _records(contracts: list[_Contract]) -> list[list]:
    rows: list[tuple[date, int, str, list]] = []
    for c in contracts:
        d = c.draw
        rows.append((d.registered, 0, c.number, [
            c.number, "设立", ";".join(c.patents), ";".join(c.marks), d.pledgor, c.bank, _amount(c),
            d.registered.isoformat(), d.registered.isoformat(), c.loan_end.isoformat(), "", "合成演示数据"]))
        if c.amount_change:
            day, amount = c.amount_change
            amount = max(50, round(amount * _amount(c) / d.amount_wan / 50) * 50)
            rows.append((day, 1, c.number, [c.number, "变更", "", "", "", "", amount, day.isoformat(), "", "", "",
                                            "变更融资金额"]))
        if c.extended:
            rows.append((c.extended, 1, c.number, [c.number, "变更", "", "", "", "", "", c.extended.isoformat(), "",
                                                   c.maturity.isoformat(), "", "债务履行期限展期一年"]))
        if c.released:
            rows.append((c.released, 2, c.number, [c.number, "注销", "", "", "", "", "", c.released.isoformat(), "",
                                                   "", "", "债务到期清偿，注销质押登记"]))
        if c.disposed:
            rows.append((c.disposed, 2, c.number, [c.number, "处置", "", "", "", "", "", c.disposed.isoformat(), "",
                                                   "", "", "出质人到期未清偿，质权人依法处置质押物"]))
    return [r for *_, r in sorted(rows, key=lambda r: (r[0], r[1], r[2]))]
