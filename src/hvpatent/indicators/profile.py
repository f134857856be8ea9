"""One patent seen whole (legal state and history, parties, family, pledges, awards, high-value
checks) and the portfolio of one applicant: what a per-patent page and an enterprise account show."""

from __future__ import annotations

import dataclasses
from datetime import date

import ibis

from hvpatent.indicators.base import applications_of
from hvpatent.indicators.explain import explain
from hvpatent.indicators.measures import Context, high_value_records, valid_invention_records
from hvpatent.legal import status_of


def _rows(expr) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


def patent_profile(con: ibis.BaseBackend, app_no: str, as_of: date) -> dict | None:
    status = status_of(con, app_no, as_of)
    if status is None:
        return None
    apps = con.table("applications")
    app = _rows(apps.filter(apps.app_no == app_no).drop("row_hash"))[0]
    parties = con.table("parties")
    family = con.table("family_members")
    pledges = con.table("pledges")
    awards = con.table("awards")
    explanation = explain(con, app_no, as_of)
    return {
        "application": app,
        "state": status.facts,
        "events": status.events,
        "parties": _rows(parties.filter(parties.app_no == app_no).order_by("seq")),
        "family": _rows(family.filter(family.family_id == app["family_id"]).order_by("office"))
        if app.get("family_id") else [],
        "pledges": _rows(pledges.filter(pledges.app_no == app_no).order_by("registered_date")),
        "awards": _rows(awards.filter(awards.app_no == app_no).order_by("year")),
        "high_value": dataclasses.asdict(explanation) if explanation else None,
    }


def owned_by(con: ibis.BaseBackend, app_no: str, applicant: str) -> bool:
    """Whether the normalised applicant name is among the application's applicants/patentees."""
    parties = con.table("parties")
    hit = parties.filter((parties.app_no == app_no) & (parties.name_norm == applicant))
    return bool(hit.count().execute())


def applicant_portfolio(con: ibis.BaseBackend, applicant: str, as_of: date) -> dict:
    """An applicant's valid invention patents (as any applicant, not only the first) and which are
    high-value, with the criteria they meet."""
    ctx = Context.create(con, as_of)
    mine = applications_of(con, applicant)
    valid = valid_invention_records(ctx).semi_join(mine, "app_no")
    high = high_value_records(ctx).semi_join(mine, "app_no").select("app_no", "criteria")
    rows = valid.left_join(high, "app_no").drop("app_no_right").order_by("app_no")
    return {"applicant": applicant, "as_of": as_of, "valid_inventions": _rows(rows)}


def applicant_names(con: ibis.BaseBackend, as_of: date, region: str | None = None) -> dict[str, str]:
    """Display name of each normalised first-applicant name (for rankings keyed by the latter)."""
    rows = valid_invention_records(Context.create(con, as_of, "year", region))
    rows = rows.group_by("applicant").aggregate(name=rows.applicant_name.max())
    return {r["applicant"]: r["name"] for r in _rows(rows)}
