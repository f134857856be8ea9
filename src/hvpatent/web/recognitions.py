"""Dated enterprise recognitions in the dashboard and the API: the plan's two enterprise targets with their
history and the enterprises behind each figure, and the recognitions in force on a day (or new since a day).
Data comes from `Analytics`; no SQL here. Staff only (admin, analyst)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from hvpatent.recognitions import KINDS, LEVELS, kind_of, level_of
from hvpatent.web import inputs
from hvpatent.web.api import AsOf, Fmt, Staff, _table_response, analytics
from hvpatent.web.pages import STAFF, _day, _lang, _render, _user

router = APIRouter()
LABELS: dict[str, tuple[str, str]] = {  # the list's columns, in the page's language
    "name": ("企业名称", "Enterprise"), "credit_code": ("统一社会信用代码", "Credit code"),
    "region_code": ("所在地区", "Region"), "kind_label": ("认定类型", "Kind"), "level_label": ("级别", "Level"),
    "recognised_date": ("认定日期", "Recognised"), "expiry_date": ("有效期至", "Expires"),
    "revoked_date": ("撤销日期", "Revoked"), "certifier": ("认证机构", "Certifier"),
    "certificate_no": ("证书编号", "Certificate"), "document": ("文号", "Document"),
    "first_date": ("首次新认定", "First new"), "recognitions": ("认定次数", "Recognitions"),
    "listed": ("期间内认定", "Recognitions in the window"),
}
IN_FORCE = ("name", "credit_code", "region_code", "kind_label", "level_label", "recognised_date", "expiry_date",
            "certifier", "certificate_no", "document")
NEW = ("name", "credit_code", "region_code", "first_date", "recognitions", "listed")
KindQ = Annotated[list[str] | None, Query(description="ip_advantage | ip_demonstration | ip_standard | high_tech")]
LevelQ = Annotated[list[str] | None, Query(description="national | provincial | municipal | district")]
SinceQ = Annotated[date | None, Query(description="只列此日之后新认定的企业 / enterprises new after this day")]
TargetQ = Annotated[str | None, Query(max_length=60, description="方案目标 / a plan target's key")]


def _question(request: Request, kind: list[str] | None, level: list[str] | None, new_since: date | None,
              target: str | None) -> tuple[list[str], list[str], date | None]:
    """(kinds, levels, since) of a query: a plan target's, or the filters given; 422 for words not known."""
    a = analytics(request)
    if target:
        goals = {t.key: t for t in a.plan.targets if t.source == "recognitions"}
        if target not in goals:
            raise HTTPException(404, f"没有这个认定类目标 / no such recognitions target: {target[:60]}")
        goal = goals[target]
        return list(goal.kinds), list(goal.levels), goal.since or a.plan.baseline_date
    try:
        kinds = [kind_of(k) for k in kind or [] if k]  # the page's "all" option sends an empty value
        levels = [level_of(v) for v in level or [] if v]
    except ValueError as err:
        raise HTTPException(422, str(err)) from err
    if new_since is not None:
        inputs.as_of(new_since)
    return kinds, levels, new_since


@router.get("/api/recognitions", summary="企业认定与贯标认证：有效的，或某日之后新认定的 / enterprise recognitions")
def api_recognitions(request: Request, user: Staff, as_of: AsOf = None, kind: KindQ = None, level: LevelQ = None,
                     new_since: SinceQ = None, target: TargetQ = None, format: Fmt = "json", lang: str = "zh"):
    kinds, levels, since = _question(request, kind, level, new_since, target)
    day = inputs.as_of(as_of or date.today())
    a = analytics(request)
    rows = a.recognitions(day, kinds, levels, since, a.plan.region, "en" if lang == "en" else "zh")
    return _table_response(rows, format, "新认定企业" if since else "企业认定")


@router.get("/recognitions", response_class=HTMLResponse, include_in_schema=False)
def recognitions_page(request: Request, kind: KindQ = None, level: LevelQ = None,
                      new_since: Annotated[str | None, Query(max_length=10)] = None,
                      target: TargetQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    a, day, lang = analytics(request), _day(request), _lang(request)
    try:  # the page's form sends an empty value for "no date"
        after = date.fromisoformat(new_since) if new_since else None
    except ValueError as err:
        raise HTTPException(422, "new_since: YYYY-MM-DD") from err
    kinds, levels, since = _question(request, kind, level, after, target)
    rows = a.recognitions(day, kinds, levels, since, a.plan.region, lang)
    columns = NEW if since else IN_FORCE
    params = [("as_of", day.isoformat()), *[("kind", k) for k in kinds], *[("level", v) for v in levels],
              *([("target", target)] if target else [("new_since", since.isoformat())] if since else []),
              ("format", "xlsx"), ("lang", lang)]
    i = 0 if lang == "zh" else 1
    targets = a.recognition_targets(day)
    chart = {"labels": [p["date"].isoformat() for p in targets[0]["trend"]] if targets else [],
             "series": [{"name": t["name"], "values": [p["value"] for p in t["trend"]]} for t in targets]}
    return _render(request, "recognitions.html", user, "recognitions", rows=rows, columns=columns,
                   labels={c: v[i] for c, v in LABELS.items()}, as_of=day, targets=targets, target=target,
                   since=since, kinds=kinds, levels=levels, chart=chart,
                   kind_names={k: v[i] for k, v in KINDS.items()},
                   level_names={k: v[i] for k, v in LEVELS.items() if k != "none"},
                   export_url=f"/api/recognitions?{urlencode(params)}", limit=1000)
