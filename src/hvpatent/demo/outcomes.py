"""How the demo draws what happens to each patent: from a latent merit of its own (docs/demo.md, "How the demo
draws outcomes").

Each patent gets a merit m ~ N(0, 1) from a random stream of its own (``random.Random(seed + MERIT_STREAM)``);
its claims, its family abroad and what happens to it after the grant (annuity lapses, restorations, transfers,
licences, pledges, awards, foreign grants, the citations it receives from later patents) are drawn from m plus
noise, by the rates and slopes below.  A rate r with slope b becomes ``r · exp(b·m − b²/2)``: the same rate on
average over m ~ N(0, 1) (E[exp(b·m)] = exp(b²/2)), higher for better patents when b > 0.

This module never reads the value room (hvpatent.value) or its configuration, and the merit is written to no
file: an assessment of the demo sees only what the exports show.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

MERIT_STREAM = 17  # the outcomes' random stream: random.Random(seed + 17)

# Annual hazard of an unpaid annuity: the generator's base rate per kind times LAPSE_LEVEL·exp(−a·m − a²/2),
# a = LAPSE_MERIT.  Better patents lapse less, so the weaker ones go first and the survivors' hazard falls with
# age; LAPSE_LEVEL brings the number of lapses back to what the homogeneous rates gave (docs/demo.md).
LAPSE_MERIT, LAPSE_LEVEL = 0.7, 1.2
RESTORE_RATE, RESTORE_MERIT = 0.08, 0.5      # a lapsed right restored (专利权的恢复), once per lapse
INVALIDATION_RATE = 0.01                     # invalidated in whole: independent of merit (anyone may request it)
TRANSFER_RATE, TRANSFER_MERIT = 0.022, 0.6   # each maintained year: 专利权的转移
LICENCE_RATE, LICENCE_MERIT = 0.008, 0.8     # each maintained year: 专利实施许可合同备案的生效
PLEDGE_RATE, PLEDGE_MERIT = 0.020, 0.7       # once, granted 2015 on (inventions, utility models)
PLEDGE_AMOUNTS = (100, 200, 300, 500, 800, 1000, 1500, 3000)  # 10,000 yuan; higher merit, higher amounts
AWARD_RATE, AWARD_MERIT = 0.0020, 1.2        # once, granted inventions: 中国专利奖 / 国家科学技术进步奖
FAMILY_RATE, FAMILY_MERIT = 0.065, 1.0       # granted inventions of enterprises: a family filed abroad
FOREIGN_GRANT_SHIFT, FOREIGN_GRANT_MERIT = -0.3, 0.8  # P(an office grants) = logistic(−0.3 + 0.8·m)
CLAIMS_MEAN, CLAIMS_MERIT, CLAIMS_NOISE, CLAIMS_MIN, CLAIMS_MAX = 9.0, 2.0, 2.5, 3, 20
# Backward citations a new invention / utility model makes (0–5: five tries of this chance each), to earlier
# published demo patents of its industry, chosen with weight exp(CITE_MERIT·min(m, CITE_CAP)).
CITE_CHANCE = {"invention": 0.35, "utility_model": 0.2}
CITE_MERIT, CITE_CAP, CITES_MAX = 1.0, 2.5, 5
FOREIGN_CITE_CHANCE = 0.08  # a citation of a foreign document (not in the demo, cited by number only)
POOL_MAX = 20_000           # documents remembered per industry (a random one replaced when full)
_TRIES = 60


def scaled(rate: float, slope: float, merit: float, cap: float = 0.95) -> float:
    """``rate · exp(slope·m − slope²/2)``, at most ``cap``: ``rate`` on average over m ~ N(0, 1)."""
    return min(cap, rate * math.exp(slope * merit - slope * slope / 2))


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _anniversary(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 2, 28)


@dataclass
class Afterlife:
    """What happens to a granted right: its legal events (date, words) and the day it ended, if it did."""

    events: list[tuple[date, str]] = field(default_factory=list)
    ended: date | None = None


class Outcomes:
    """The outcomes' random stream and the documents later patents may cite."""

    def __init__(self, seed: int, export_date: date):
        self.rng = random.Random(seed + MERIT_STREAM)
        self.export_date = export_date
        self.pool: dict[str, list[tuple[str, date, float]]] = {}

    def merit(self) -> float:
        return self.rng.gauss(0.0, 1.0)

    def claims(self, merit: float) -> int:
        drawn = CLAIMS_MEAN + CLAIMS_MERIT * merit + self.rng.gauss(0.0, CLAIMS_NOISE)
        return max(CLAIMS_MIN, min(CLAIMS_MAX, round(drawn)))

    def after_grant(self, merit: float, filing: date, grant: date, lapse_rate: float, term: int) -> Afterlife:
        """Annuity years from the grant to the end of the term: each year the right lapses with the merit's
        hazard (restored now and then), else it may be transferred or licensed."""
        rng, out = self.rng, Afterlife()
        first_due_year = (grant - filing).days // 365 + 1
        if rng.random() < INVALIDATION_RATE:
            out.events.append((grant + timedelta(days=rng.randint(200, 1500)), "专利权全部无效"))
        hazard = lapse_rate * LAPSE_LEVEL * math.exp(-LAPSE_MERIT * merit - LAPSE_MERIT ** 2 / 2)
        for year in range(first_due_year, term):
            due = _anniversary(filing, year)
            if due > self.export_date:
                break
            if rng.random() < min(0.95, hazard):
                announced = due + timedelta(days=183 + rng.randint(20, 75))
                if announced > self.export_date:
                    break
                out.events.append((announced, "未缴年费专利权终止"))
                if rng.random() < scaled(RESTORE_RATE, RESTORE_MERIT, merit):
                    out.events.append((announced + timedelta(days=rng.randint(20, 60)), "专利权的恢复"))
                    continue
                out.ended = due
                break
            if rng.random() < scaled(TRANSFER_RATE, TRANSFER_MERIT, merit):
                out.events.append((due + timedelta(days=rng.randint(1, 300)), "专利权的转移"))
            if rng.random() < scaled(LICENCE_RATE, LICENCE_MERIT, merit):
                out.events.append((due + timedelta(days=rng.randint(1, 300)), "专利实施许可合同备案的生效"))
        else:
            end = _anniversary(filing, term)
            if end <= self.export_date:
                out.events.append((end + timedelta(days=rng.randint(30, 90)), "专利权有效期届满"))
                out.ended = end
        invalidated = [d for d, words in out.events if words == "专利权全部无效"]
        if invalidated and (out.ended is None or invalidated[0] < out.ended):
            out.ended = invalidated[0]
        out.events = [e for e in out.events if e[0] <= self.export_date]
        out.events.sort()
        return out

    def in_force(self, life: Afterlife, day: date) -> bool:
        return life.ended is None or day < life.ended

    def pledge(self, merit: float, grant: date, life: Afterlife) -> tuple[date, date | None, int] | None:
        """(registered, released or None, amount in 10,000 yuan) of a pledge, or None."""
        rng = self.rng
        if rng.random() >= scaled(PLEDGE_RATE, PLEDGE_MERIT, merit):
            return None
        registered = grant + timedelta(days=rng.randint(60, 900))
        if registered > self.export_date or not self.in_force(life, registered):
            return None
        released = registered + timedelta(days=rng.randint(300, 1100))
        rank = round(3.5 + 1.5 * merit + rng.gauss(0.0, 1.2))
        amount = PLEDGE_AMOUNTS[max(0, min(len(PLEDGE_AMOUNTS) - 1, rank))]
        return registered, released if released <= self.export_date else None, amount

    def award(self, merit: float, grant: date, life: Afterlife, last_year: int) -> tuple[str, str, int] | None:
        rng = self.rng
        if rng.random() >= scaled(AWARD_RATE, AWARD_MERIT, merit, cap=0.5):
            return None
        year = min(last_year, grant.year + rng.randint(1, 4))
        if not self.in_force(life, date(year, 1, 1)):
            return None
        name, grade = rng.choice((("中国专利奖", "优秀奖"), ("中国专利奖", "银奖"), ("国家科学技术进步奖", "二等奖")))
        return name, grade, year

    def family(self, merit: float) -> bool:
        return self.rng.random() < scaled(FAMILY_RATE, FAMILY_MERIT, merit, cap=0.6)

    def family_offices(self, merit: float, offices: list[str]) -> list[tuple[str, bool]]:
        """The offices a family is filed at (1–3, more for better patents) and whether each grants it."""
        rng = self.rng
        count = 1 + sum(rng.random() < _logistic(merit - 1) for _ in range(2))
        chosen = rng.sample(offices, k=count)
        return [(o, o != "WO" and rng.random() < _logistic(FOREIGN_GRANT_SHIFT + FOREIGN_GRANT_MERIT * merit))
                for o in chosen]

    def citations(self, industry: str, kind: str, filing: date) -> list[str]:
        """The documents a new patent cites: earlier published demo patents of its industry, better ones more
        often, and now and then a foreign document."""
        rng = self.rng
        chance = CITE_CHANCE.get(kind, 0.0)
        wanted = sum(rng.random() < chance for _ in range(CITES_MAX))
        pool = self.pool.get(industry, [])
        cited: list[str] = []
        for _ in range(wanted):
            if rng.random() < FOREIGN_CITE_CHANCE:
                cited.append(self._foreign(filing.year - rng.randint(1, 8)))
                continue
            for _ in range(_TRIES if pool else 0):
                pub_no, published, weight = pool[rng.randrange(len(pool))]
                if published < filing and pub_no not in cited and rng.random() < weight:
                    cited.append(pub_no)
                    break
        return cited

    def _foreign(self, year: int) -> str:
        """A foreign document published about ``year``: its number in the office's range of that year (US
        grants passed 7,000,000 in 2006 and 11,000,000 in 2021; EP grants 1,500,000 about 2005)."""
        rng = self.rng
        office = rng.choice(("US", "JP", "EP"))
        if office == "US":
            return f"US{7_000_000 + (year - 2006) * 270_000 + rng.randrange(270_000)}B2"
        if office == "JP":
            return f"JP{year}{rng.randint(100_000, 299_999)}A"
        return f"EP{max(1_000_000, 1_500_000 + (year - 2005) * 150_000 + rng.randrange(150_000))}B1"

    def publish(self, industry: str, kind: str, pub_no: str, published: date, merit: float) -> None:
        """Remember a published document that later patents of its industry may cite."""
        if kind not in CITE_CHANCE or not pub_no:
            return
        weight = math.exp(CITE_MERIT * (min(merit, CITE_CAP) - CITE_CAP))  # acceptance ∝ exp(b·min(m, cap))
        pool = self.pool.setdefault(industry, [])
        if len(pool) < POOL_MAX:
            pool.append((pub_no, published, weight))
        else:
            pool[self.rng.randrange(POOL_MAX)] = (pub_no, published, weight)
