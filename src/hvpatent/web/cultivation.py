"""Cultivation in the dashboard and the API: for staff, the gap to a per-10k target of the plan by a deadline,
the what-if, the candidates that could close it (filters, xlsx) and what each town and enterprise could
contribute; for an enterprise account, its own plan page (its portfolio's value, high-value patents,
candidates, warnings and what it could do before the deadline) and its letter. Staff fetch any enterprise's
letter. Answers come from the cultivation and value rooms through `Analytics.answer`; no SQL here."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response

from hvpatent.reference.regions import region_name
from hvpatent.warehouse.accounts import User
from hvpatent.web import inputs
from hvpatent.web.api import Fmt, Staff, _table_response, analytics, jsonable
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.pages import _day as page_day

router = APIRouter()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DEFAULT_TARGET = "high_value_per_10k"
# The words of these pages (the navigation's two labels are in web/i18n.py).
WORDS: dict[str, tuple[str, str]] = {
    "cultivation": ("高价值培育", "Cultivation"), "my_plan": ("培育计划", "Our plan"),
    "gap": ("缺口测算", "The gap"), "target_value": ("目标值", "Target"), "current_value": ("现值", "Now"),
    "current_count": ("现有件数", "Patents now"), "population_now": ("现有人口", "Population now"),
    "population_deadline": ("截止日预测人口", "Population at the deadline"),
    "required_count": ("截止日所需件数", "Patents needed at the deadline"),
    "expiring_count": ("截止日前期满", "Terms ending before the deadline"),
    "gap_count": ("缺口（件）", "Gap (patents)"), "what_if": ("情景测算", "What if"),
    "none": ("均未办理", "none succeeds"), "historical": ("按历史成功率", "at historical rates"),
    "all": ("全部办理成功", "all succeed"), "count": ("件数", "Patents"), "per_10k": ("每万人口", "Per 10,000"),
    "candidates": ("培育候选", "Candidates"), "kind": ("类别", "Kind"), "action": ("办理事项", "Action"),
    "action_date": ("最后办理日", "Last day"), "effect_date": ("计入日", "Counts from"),
    "effect": ("作用", "Effect"), "keep": ("保持", "keep"), "add": ("新增", "add"),
    "probability": ("历史成功率", "Historical rate"), "by_town": ("各镇街可贡献", "By town"),
    "by_enterprise": ("各企业可贡献", "By enterprise"), "expected": ("按历史成功率(件)", "Expected"),
    "all_count": ("全部成功(件)", "If all succeed"), "deadline": ("截止日", "Deadline"),
    "letter": ("培育提示函", "Letter"), "value": ("专利价值", "Portfolio value"), "scored": ("参评专利", "Scored"),
    "mean_score": ("平均分", "Mean score"), "grade": ("等级", "Grade"), "high_value": ("高价值发明专利", "High-value"),
    "warnings": ("预警", "Warnings"), "todo": ("截止日前可办理的事项", "What you could do before the deadline"),
    "district_aim": ("本区目标", "The district's aim"), "nothing": ("暂无", "none"),
    "method": ("测算说明", "Method"),
}
# the candidates' columns in the xlsx export and the page
COLUMNS = ("app_no", "title", "kind_label", "action", "action_date", "effect_date", "effect", "criterion",
           "probability", "high_value_now", "applicant_name", "town_code", "evidence")

TargetQ = Annotated[str | None, Query(max_length=60, description="方案的每万人口目标 / a per-10k target of the plan")]
DateQ = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")]
KindQ = Annotated[str | None, Query(max_length=30, description="候选类别 / candidate kind")]
TownQ = Annotated[str | None, Query(max_length=12, description="12 位镇街代码 / town code")]
RegionQ = Annotated[str | None, Query(max_length=12, description="区划代码 / region code (default: the plan's)")]
EnterpriseQ = Annotated[str | None, Query(max_length=200, description="企业名称 / an enterprise's name")]
WithinQ = Annotated[int, Query(ge=1, le=730, description="风险事项看今后多少天 / days ahead for risks")]


def word(key: str, lang: str) -> str:
    entry = WORDS.get(key)
    return entry[0 if lang == "zh" else 1] if entry else key


# -- the questions ----------------------------------------------------------------------------------------
def targets(request: Request) -> dict[str, str]:
    """The plan's per-10k targets (key → name): what a gap can be measured against."""
    from hvpatent.cultivation import per_10k_targets

    plan = analytics(request).plan
    keys = set(per_10k_targets(plan))
    return {t.key: t.name for t in plan.targets if t.key in keys}


def _target(request: Request, key: str | None) -> str:
    known = targets(request)
    if not key:
        if DEFAULT_TARGET in known or not known:
            return DEFAULT_TARGET
        return next(iter(known))
    if key not in known:
        inputs._bad("target", key, " | ".join(known) or DEFAULT_TARGET)
    return key


def _date(name: str, text: str | date | None, default: date) -> date:
    if text is None or text == "":
        return default
    try:
        day = text if isinstance(text, date) else date.fromisoformat(text)
    except ValueError as err:
        raise HTTPException(422, f"{name}：日期格式应为 YYYY-MM-DD / {name}: YYYY-MM-DD") from err
    try:
        return inputs.as_of(day)
    except HTTPException as err:
        raise HTTPException(422, f"{name}: {err.detail}") from err


def _dates(request: Request, as_of: str | None, deadline: str | None) -> tuple[date, date]:
    """(as_of, deadline): as_of defaults to the dashboard's day, the deadline to the plan's (once the plan's deadline
    has passed, the end of the next year); 422 when a deadline given is not after as_of."""
    day = _date("as_of", as_of, request.app.state.default_as_of or date.today())
    default_end = analytics(request).plan.deadline
    if default_end <= day:  # the plan has ended: look to the end of the next year until a new plan is loaded
        default_end = date(day.year + 1, 12, 31)
    end = _date("deadline", deadline, default_end)
    if end <= day:
        raise HTTPException(422, f"截止日 {end} 须晚于统计日 {day} / deadline: {end} is not after as_of {day}")
    return day, end


def _region(request: Request, region: str | None) -> str | None:
    if region:
        inputs.query(region=region)
        return region
    return analytics(request).plan.region


def _ask(request: Request, key: tuple, compute):
    """A room's answer through the cache and gate; the room's ValueError (a day or target it refuses) is 422."""
    try:
        return analytics(request).answer(("cultivation", *key), compute)
    except ValueError as err:
        raise HTTPException(422, str(err)[:400]) from err


def gap_of(request: Request, target: str, day: date, deadline: date, region: str | None):
    from hvpatent.cultivation import plan_gap

    plan = analytics(request).plan
    return _ask(request, ("gap", target, day, deadline, region),
                lambda con: plan_gap(con, plan, target, day, deadline, region=region))


def rates_of(request: Request, day: date, region: str | None) -> dict:
    """The historical rates of the day in a region (about 1.6 s on the 30,000-application demo), once per day:
    every candidates list and enterprise plan of that day and region shares them."""
    from hvpatent.cultivation import historical_rates

    return _ask(request, ("rates", day, region), lambda con: historical_rates(con, day, region))


def value_frame_of(request: Request, day: date):
    """The value room's frame of the day (every scored patent's normalised inputs), under the key the value
    pages use, so one computation serves them and every enterprise plan of the day."""
    from hvpatent.value import value_frame

    try:
        return analytics(request).answer(("value", "frame", day), lambda con: value_frame(con, day))
    except ValueError as err:
        raise HTTPException(422, str(err)[:400]) from err


def candidates_of(request: Request, day: date, deadline: date, region: str | None,
                  enterprise: str | None = None) -> list[dict]:
    from hvpatent.cultivation import candidates

    rates = rates_of(request, day, region)
    return _ask(request, ("candidates", day, deadline, region, enterprise),
                lambda con: candidates(con, day, deadline, region=region, enterprise=enterprise, rates=rates))


def _filter(rows: list[dict], kind: str | None, town: str | None) -> list[dict]:
    from hvpatent.cultivation import CANDIDATE_KINDS

    if kind and kind not in CANDIDATE_KINDS:
        inputs._bad("kind", kind, " | ".join(CANDIDATE_KINDS))
    inputs.query(town=town or None)
    return [r for r in rows if (not kind or r["kind"] == kind) and (not town or r["town_code"] == town)]


def _cell(v: object) -> object:
    return v if v is None or isinstance(v, str | int | float | bool | date) else str(v)


def _norm(name: str) -> str:
    from hvpatent.ingest.fields import normalize_name

    return normalize_name(name.strip())


# -- the API ----------------------------------------------------------------------------------------------
@router.get("/api/cultivation/gap", summary="高价值目标缺口与情景测算 / the gap to a per-10k target and the what-if",
            tags=["cultivation"])
def api_gap(request: Request, user: Staff, target: TargetQ = None, deadline: DateQ = None, as_of: DateQ = None,
            region: RegionQ = None) -> JSONResponse:
    from hvpatent.cultivation import contributions, what_if

    key = _target(request, target)
    day, end = _dates(request, as_of, deadline)
    code = _region(request, region)
    gap = gap_of(request, key, day, end, code)
    rows = candidates_of(request, day, end, code)
    return JSONResponse(jsonable([{"gap": gap.as_dict(), "what_if": what_if(gap, rows),
                                   "by_town": contributions(rows, "town_code", gap=gap),
                                   "by_enterprise": contributions(rows, "applicant_norm", gap=gap)}])[0])


@router.get("/api/cultivation/candidates", summary="培育候选：办理事项与最后办理日 / candidates with their actions",
            tags=["cultivation"])
def api_candidates(request: Request, user: Staff, deadline: DateQ = None, as_of: DateQ = None,
                   region: RegionQ = None, kind: KindQ = None, town: TownQ = None, enterprise: EnterpriseQ = None,
                   format: Fmt = "json", lang: str = "zh"):
    day, end = _dates(request, as_of, deadline)
    rows = _filter(candidates_of(request, day, end, _region(request, region), _norm(enterprise) if enterprise
                                 else None), kind, town)
    if format == "xlsx":  # the columns a reader wants, the action in the chosen language, evidence as text
        act = "action_en" if lang == "en" else "action"
        rows = [{c: _cell(r.get(act if c == "action" else c)) for c in COLUMNS} for r in rows]
    return _table_response(rows, format, "培育候选")


# -- the staff page ---------------------------------------------------------------------------------------
@router.get("/cultivation", response_class=HTMLResponse, include_in_schema=False)
def cultivation_page(request: Request, target: TargetQ = None, deadline: DateQ = None, kind: KindQ = None,
                     town: TownQ = None, region: RegionQ = None) -> HTMLResponse:
    from hvpatent.cultivation import KIND_LABELS, contributions, what_if

    user = _user(request, *STAFF)
    lang = _lang(request)
    key = _target(request, target)
    day = page_day(request)
    _, end = _dates(request, day.isoformat(), deadline)
    code = _region(request, region)
    gap = gap_of(request, key, day, end, code)
    everything = candidates_of(request, day, end, code)
    rows = _filter(everything, kind, town)
    scenarios = what_if(gap, everything)
    i = 0 if lang == "zh" else 1
    names = {r["applicant_norm"]: r["applicant_name"] for r in everything}
    # with the gap: each group's patents as the what-if counts them, so the groups add up to its figures
    by_town = sorted(contributions(everything, "town_code", gap=gap), key=lambda r: -(r.get("expected") or 0))
    by_ent = sorted(contributions(everything, "applicant_norm", gap=gap), key=lambda r: -(r.get("expected") or 0))
    for r in by_town:
        group = r.get("town_code", r.get("group"))
        r["name"], r["url"] = region_name(group) or group or "—", _page_url(key, day, end, region, town=group)
    for r in by_ent:
        group = r.get("applicant_norm", r.get("group"))
        r["name"] = names.get(group, group)
        r["letter"] = "/cultivation/letter.docx?" + urlencode({"enterprise": group, "as_of": day.isoformat(),
                                                               "deadline": end.isoformat()})
    query = {"as_of": day.isoformat(), "deadline": end.isoformat(), **({"region": region} if region else {}),
             **({"kind": kind} if kind else {}), **({"town": town} if town else {})}
    g = gap.as_dict()
    chart = [{"name": word(s, lang), "value": round(scenarios[s]["per_10k"] or 0, 4)}
             for s in ("none", "historical", "all")]
    if g.get("target_value") is not None:
        chart.append({"name": word("target_value", lang), "value": round(g["target_value"], 4)})
    return _render(request, "cultivation.html", user, "cultivation", title=word("cultivation", lang),
                   w=lambda k: word(k, lang), as_of=day, deadline=end, target=key, targets=targets(request),
                   gap=g, scenarios=scenarios, rows=rows, total=len(everything), kind=kind or "", town=town or "",
                   kinds={k: v[i] for k, v in KIND_LABELS.items()}, by_town=by_town[:50], by_enterprise=by_ent[:50],
                   region_label=region_name(code) or code or "", region_param=region or "",
                   towns=sorted({(r["town_code"], region_name(r["town_code"]) or r["town_code"])
                                 for r in everything if r.get("town_code")}),
                   action="action" if i == 0 else "action_en", limit=1000,
                   export_url="/api/cultivation/candidates?" + urlencode({**query, "format": "xlsx", "lang": lang}),
                   chart_rows=chart, chart_title=f"{word('what_if', lang)}（{end}）")


def _page_url(target: str, day: date, deadline: date, region: str | None, **filters: str | None) -> str:
    params = {"target": target, "as_of": day.isoformat(), "deadline": deadline.isoformat(),
              **({"region": region} if region else {}), **{k: v for k, v in filters.items() if v}}
    return f"/cultivation?{urlencode(params)}"


# -- one enterprise: its page and its letter --------------------------------------------------------------
def enterprise_answer(request: Request, enterprise: str, day: date, deadline: date, within: int = 90) -> dict:
    """One enterprise's plan. What every enterprise of the day shares (the region's rates, the plan's gap, the
    value frame) comes from the cache, each computed once per day, not once per enterprise (a staff member
    fetching fifty letters paid all three fifty times)."""
    from hvpatent.reports.cultivation import enterprise_plan, section_target

    plan = analytics(request).plan
    key = section_target(plan)
    rates = rates_of(request, day, plan.region)
    gap = gap_of(request, key, day, deadline, plan.region) if key else None
    frame = value_frame_of(request, day)
    return _ask(request, ("enterprise", enterprise, day, deadline, within),
                lambda con: enterprise_plan(con, enterprise, day, deadline, plan, within, rates=rates, gap=gap,
                                            frame=frame))


@router.get("/mine/plan", response_class=HTMLResponse, include_in_schema=False)
def my_plan_page(request: Request, deadline: DateQ = None) -> HTMLResponse:
    from hvpatent.cultivation import KIND_LABELS
    from hvpatent.warnings import KIND_LABELS as WARNING_LABELS

    user = _user(request, "enterprise")
    lang, i = _lang(request), 0 if _lang(request) == "zh" else 1
    day = page_day(request)
    _, end = _dates(request, day.isoformat(), deadline)
    found = enterprise_answer(request, user.enterprise, day, end)
    from hvpatent.reports.cultivation import aim_sentence

    return _render(request, "enterprise_plan.html", user, "my_plan", title=word("my_plan", lang),
                   w=lambda k: word(k, lang), p=found, as_of=day, deadline=end, aim=aim_sentence(found["gap"], lang),
                   kinds={k: v[i] for k, v in KIND_LABELS.items()},
                   warning_kinds={k: v[i] for k, v in WARNING_LABELS.items()},
                   action="action" if i == 0 else "action_en",
                   letter_url="/mine/plan/letter.docx?" + urlencode({"as_of": day.isoformat(),
                                                                     "deadline": end.isoformat(), "lang": lang}))


def _letter(request: Request, user: User, enterprise: str, deadline: str | None) -> Response:
    from hvpatent.reports.bulletin import default_issuer
    from hvpatent.reports.cultivation import write_cultivation_letter

    a, lang = analytics(request), _lang(request)
    day = page_day(request)
    _, end = _dates(request, day.isoformat(), deadline)
    found = enterprise_answer(request, enterprise, day, end)
    if user.role != "enterprise" and not (found["scores"] or found["high_value"] or found["candidates"]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有这家企业的专利 / no patents of this enterprise")
    with tempfile.TemporaryDirectory() as tmp:
        data = write_cultivation_letter(found["name"], found["candidates"], found["gap"], day,
                                        default_issuer(a.plan.region), Path(tmp) / "letter.docx", lang,
                                        high_value=found["high_value"]).read_bytes()
    a.audit(user.username, "cultivation_letter", f"{day} {end} {enterprise}")
    name = re.sub(r"[^\w.\-]", "_", f"培育提示函-{found['name']}-{day.isoformat()}", flags=re.UNICODE)[:120]
    return Response(data, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"cultivation-{day.isoformat()}.docx\"; "
                               f"filename*=UTF-8''{quote(name)}.docx"})


@router.get("/mine/plan/letter.docx", include_in_schema=False)
def my_letter(request: Request, deadline: DateQ = None) -> Response:
    user = _user(request, "enterprise")
    return _letter(request, user, user.enterprise, deadline)


@router.get("/cultivation/letter.docx", include_in_schema=False)
def enterprise_letter(request: Request, enterprise: Annotated[str, Query(min_length=1, max_length=200)],
                      deadline: DateQ = None) -> Response:
    user = _user(request, *STAFF)
    return _letter(request, user, _norm(enterprise), deadline)
