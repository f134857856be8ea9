"""Hand-built applications and event histories for legal-state tests."""

from __future__ import annotations

from datetime import date

from hvpatent.ingest.appno import check_digit
from hvpatent.model import Batch
from hvpatent.warehouse.store import Warehouse

_counter = iter(range(1, 10**6))


def app_no(year: int = 2010, type_digit: str = "1") -> str:
    digits = f"{year}{type_digit}{next(_counter):07d}"
    return f"{digits}.{check_digit(digits)}"


def add_application(wh: Warehouse, filing: date, events: list[tuple[date, str]],
                    patent_type: str = "invention", number: str | None = None) -> str:
    type_digit = {"invention": "1", "utility_model": "2", "design": "3"}[patent_type]
    number = number or app_no(filing.year, type_digit)
    batch = Batch()
    batch.set("applications", [{"app_no": number, "patent_type": patent_type, "filing_date": filing,
                                "source": "test"}])
    batch.set("legal_events", [{"app_no": number, "event_date": d, "event_type": t, "raw_text": t}
                               for d, t in [(filing, "filed"), *events]])
    with wh.import_transaction(f"fixture-{number}", number, "test", "fixture") as tx:
        tx.add(batch, 1)
    return number
