"""A hand-built district whose indicator values are worked out by hand in test_indicators.py.

Region: Yongchuan (500118); towns 胜利路街道 (500118002000) and 来苏镇 (500118111000).
"""

from __future__ import annotations

from datetime import date

from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.reference.regions import attribute
from hvpatent.warehouse.store import Warehouse

SHENGLI = "重庆市永川区胜利路街道人民大道1号"
LAISU = "重庆市永川区来苏镇观音井村"
BEIJING = "北京市海淀区中关村大街1号"
E1, E2, U1 = "重庆甲新能源科技有限公司", "重庆乙食品有限公司", "重庆丙学院"
P_BJ, C_BJ = "张伟", "北京丁科技有限公司"
BANK = "重庆银行股份有限公司永川支行"  # the bank account's bank (webserver.ACCOUNTS); pledgee of no world pledge


def no(serial: int, year: int, type_digit: str = "1") -> str:
    digits = f"{year}{type_digit}{serial:07d}"
    return f"{digits}.{check_digit(digits)}"


A1, A2, A3, A4, A5 = no(1, 2010), no(2, 2019), no(3, 2012), no(4, 2016), no(5, 2017)
A6, A7, A8, A9, A10 = no(6, 2024), no(7, 2023, "2"), no(8, 2020), no(9, 2021), no(10, 2018)

# app_no, type, filing date, [(name, address)], IPC codes, events, family id
APPS = [
    (A1, "invention", date(2010, 3, 1), [(E1, SHENGLI)], ["H01M10/052"], [(date(2012, 5, 1), "granted")], None),
    # Granted and lapsed within 2024: the year-6 annuity due 2024-03-01 was not paid.
    (A2, "invention", date(2019, 3, 1), [(E1, SHENGLI)], ["B62K11/00"],
     [(date(2024, 2, 1), "granted"), (date(2024, 10, 15), "annuity_lapse")], None),
    # Lapsed (annuity due 2022-06-01) and restored on 2023-02-10.
    (A3, "invention", date(2012, 6, 1), [(E2, LAISU)], ["A23L7/10"],
     [(date(2015, 1, 10), "granted"), (date(2023, 1, 20), "annuity_lapse"), (date(2023, 2, 10), "restoration")],
     None),
    # First applicant in Beijing, Yongchuan co-applicant: counts for Beijing only.
    (A4, "invention", date(2016, 1, 1), [(P_BJ, BEIJING), (E1, SHENGLI)], ["G06N3/08"],
     [(date(2018, 1, 1), "granted")], "F4"),
    # First applicant in Yongchuan, Beijing co-applicant: counts for Yongchuan.
    (A5, "invention", date(2017, 5, 5), [(U1, SHENGLI), (C_BJ, BEIJING)], ["G06N3/08"],
     [(date(2019, 9, 9), "granted")], "F5"),
    (A6, "invention", date(2024, 3, 3), [(E2, LAISU)], ["C12G3/02"], [], "F6"),
    (A7, "utility_model", date(2023, 11, 11), [(E1, SHENGLI)], ["B62K11/00"], [(date(2024, 4, 4), "granted")], None),
    (A8, "invention", date(2020, 8, 8), [(E2, LAISU)], ["A23L7/10"], [(date(2024, 6, 6), "rejected")], None),
    (A9, "invention", date(2021, 1, 1), [(E2, LAISU)], ["A23L7/10"], [(date(2023, 5, 5), "deemed_withdrawn")], None),
    (A10, "invention", date(2018, 2, 2), [(E2, LAISU)], ["A47B88/40"], [(date(2024, 7, 7), "granted")], None),
]


def build(wh: Warehouse) -> None:
    batch = Batch()
    batch.set("applications", [{"app_no": a, "patent_type": t, "filing_date": f, "title": f"测试专利{i}",
                                "ipc_main": ipcs[0], "family_id": fam, "source": "test"}
                               for i, (a, t, f, _, ipcs, _, fam) in enumerate(APPS, 1)])
    batch.set("parties", [
        {"app_no": a, "seq": seq, "role": "applicant", "name": name, "name_norm": normalize_name(name),
         "party_type": "university" if name == U1 else "individual" if name == P_BJ else "enterprise",
         "address": addr, **attribute(addr).__dict__}
        for a, _, _, parties, _, _, _ in APPS for seq, (name, addr) in enumerate(parties, 1)
    ])
    batch.set("ipc_classes", [{"app_no": a, "seq": s, "ipc": c, "is_main": s == 1}
                              for a, _, _, _, ipcs, _, _ in APPS for s, c in enumerate(ipcs, 1)])
    batch.set("legal_events", [{"app_no": a, "event_date": d, "event_type": e, "raw_text": e}
                               for a, _, f, _, _, events, _ in APPS for d, e in [(f, "filed"), *events]])
    members = [("F4", "US", "US-9000004-B2", date(2019, 1, 1)), ("F5", "EP", "EP-3000005-B1", date(2020, 1, 1)),
               ("F5", "JP", "JP-2000005-A", None), ("F6", "WO", "WO-2024000006-A1", None)]
    batch.set("family_members", [{"family_id": f, "office": o, "member_no": m, "granted": d is not None,
                                  "grant_date": d} for f, o, m, d in members])
    with wh.import_transaction("world", "world", "test", "fixture") as tx:
        tx.add(batch, len(APPS))
    records = Batch()
    records.set("pledges", [
        # P1 covers two patents: each is attributed half of 1,500万.
        {"contract_no": "P1", "app_no": A5, "amount_yuan": 15_000_000, "registered_date": date(2023, 3, 1)},
        {"contract_no": "P1", "app_no": A1, "amount_yuan": 15_000_000, "registered_date": date(2023, 3, 1)},
        {"contract_no": "P2", "app_no": A5, "amount_yuan": 8_000_000, "registered_date": date(2024, 5, 1)},
    ])
    records.set("awards", [{"app_no": A5, "award": "中国专利奖", "grade": "优秀奖", "year": 2023}])
    records.set("population", [
        {"region_code": "500118", "year": 2023, "population": 990_000},
        {"region_code": "500118", "year": 2024, "population": 1_000_000},
        {"region_code": "500118002000", "year": 2024, "population": 100_000},
        {"region_code": "500118111000", "year": 2024, "population": 50_000},
        {"region_code": "110000", "year": 2024, "population": 21_850_000},
    ])
    records.set("trademark_counts", [
        {"region_code": "500118", "as_of_date": date(2023, 12, 31), "effective_count": 15_000},
        {"region_code": "500118", "as_of_date": date(2024, 12, 31), "effective_count": 16_600},
    ])
    with wh.import_transaction("records", "records", "test", "fixture") as tx:
        tx.add(records, 0)
    # As `hvp import` does after its files: the figures below are read from the stored timelines
    # (tests/test_timeline.py checks those against the rules themselves).
    from hvpatent.indicators import refresh_derived

    refresh_derived(wh)
