"""The demo world's abnormal patent application notices (非正常专利申请, docs/subsidies.md): a handful of one
enterprise's recent applications notified in one batch, so that the subsidies' abnormal exclusion has something to
exclude -- one withdrawn, one overturned on review (which counts as not abnormal), the others still notified.

Drawn from its own random stream after the patents are written, from the rows as written: the other files stay as
they were for a seed.  Columns of the ``abnormal`` template (ingest/templates.py).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

# The rows of the patents file read here (demo/generator.py DEMO_PATENT_HEADERS): number, filing day, type, title,
# applicants, agency.
_APP_NO, _FILED, _TITLE, _NAMES, _AGENCY = 0, 1, 3, 5, 12
FIRST_FILED, LAST_FILED = date(2023, 1, 1), date(2024, 6, 30)  # notified within the demo's export year
NOTICES = 4


class RecentFilings:
    """The district enterprises' applications filed FIRST_FILED..LAST_FILED, noted as the patents file is written."""

    def __init__(self, enterprises: set[str]):
        self.enterprises = enterprises
        self.by_applicant: dict[str, list[tuple[str, date, str, str]]] = defaultdict(list)

    def note(self, row: list) -> None:
        filed = date.fromisoformat(row[_FILED])
        first = str(row[_NAMES]).split(";")[0]
        if first in self.enterprises and FIRST_FILED <= filed <= LAST_FILED:
            self.by_applicant[first].append((row[_APP_NO], filed, row[_TITLE], row[_AGENCY]))


def abnormal_rows(rng: random.Random, filings: RecentFilings, export_date: date) -> list[list]:
    """NOTICES applications of the enterprise that filed most in the window (ties by name), notified in one batch
    90-150 days after the last of them was filed; the first withdrawn 30 days on, the last overturned 60 days on."""
    if not filings.by_applicant:
        return []
    name = min(filings.by_applicant, key=lambda n: (-len(filings.by_applicant[n]), n))
    picked = sorted(rng.sample(filings.by_applicant[name], min(NOTICES, len(filings.by_applicant[name]))))
    notice = min(max(f for _, f, _, _ in picked) + timedelta(days=rng.randint(90, 150)), export_date)
    batch = f"{notice.year}年第{(notice.month - 1) // 3 + 1}批"   # the quarter: December is 第4批
    rows = []
    for i, (app_no, _, title, agency) in enumerate(picked):
        outcome, after = ("已撤回", 30) if i == 0 else ("复核撤销", 60) if i == len(picked) - 1 else ("", 0)
        decided = min(notice + timedelta(days=after), export_date) if outcome else None
        rows.append([app_no, title, name, agency, notice.isoformat(), batch, outcome,
                     decided.isoformat() if decided else ""])
    return rows
