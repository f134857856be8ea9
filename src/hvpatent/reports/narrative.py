"""Sentences of a bulletin, written from the figures.

Every sentence states only what its figures say: a change is 增长/下降/持平 by its sign, a figure
that is missing drops the sentence (or the clause) instead of printing a placeholder.
"""

from __future__ import annotations

from datetime import date

from hvpatent.plan import TargetProgress

PERIOD_WORDS = {"month": "本月", "quarter": "本季度", "year": "年内"}


def fmt(v: float, digits: int = 2) -> str:
    text = f"{v:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def change(now: float | None, before: float | None, unit: str = "") -> str:
    """'，同比增长12.5%' / '，同比下降3件' / '，与上年同期持平' / '' when it cannot be said."""
    if now is None or before is None:
        return ""
    if now == before:
        return "，与上年同期持平"
    verb = "增长" if now > before else "下降"
    if before == 0:
        return f"，同比{verb}{fmt(abs(now - before))}{unit}"
    return f"，同比{verb}{abs(now - before) / before * 100:.1f}%"


def as_of_phrase(day: date) -> str:
    month_end = (day.replace(day=28).toordinal() + 4)
    last_day = date.fromordinal(month_end).replace(day=1).toordinal() - 1
    if day.toordinal() == last_day:
        return f"截至{day.year}年{day.month}月底"
    return f"截至{day.year}年{day.month}月{day.day}日"


def headline_sentences(as_of: date, period: str, place: str, now: dict, before: dict) -> list[str]:
    out: list[str] = []
    head = as_of_phrase(as_of)
    if now.get("valid_inventions") is not None:
        s = f"{head}，{place}有效发明专利{fmt(now['valid_inventions'], 0)}件"
        s += change(now["valid_inventions"], before.get("valid_inventions"), "件")
        if now.get("valid_inventions_per_10k") is not None:
            s += f"；每万人口发明专利拥有量{fmt(now['valid_inventions_per_10k'])}件"
            s += change(now["valid_inventions_per_10k"], before.get("valid_inventions_per_10k"), "件")
        out.append(s + "。")
    if now.get("high_value_inventions") is not None:
        s = f"高价值发明专利{fmt(now['high_value_inventions'], 0)}件"
        s += change(now["high_value_inventions"], before.get("high_value_inventions"), "件")
        if now.get("high_value_per_10k") is not None:
            s += f"，每万人口高价值发明专利拥有量{fmt(now['high_value_per_10k'])}件"
        out.append(s + "。")
    words = PERIOD_WORDS[period]
    flows = [(k, label) for k, label in (("invention_applications", "发明专利申请"),
                                          ("invention_grants", "发明专利授权")) if now.get(k) is not None]
    if flows:
        out.append(f"{words}" + "；".join(
            f"{label}{fmt(now[k], 0)}件{change(now[k], before.get(k), '件')}" for k, label in flows) + "。")
    rates = []
    if now.get("invention_grant_rate") is not None:
        rates.append(f"发明专利授权率{fmt(now['invention_grant_rate'], 1)}%")
    if now.get("invention_maintenance_rate") is not None:
        rates.append(f"有效发明专利维持率{fmt(now['invention_maintenance_rate'], 1)}%")
    if rates:
        out.append("，".join(rates) + "。")
    if now.get("ip_pledge_count") and now.get("ip_pledge_count") != now.get("pledge_count"):
        # contracts, each once: a contract pledging patents and trademarks is one contract (docs/finance.md)
        s = (f"{words}办理专利商标质押登记{fmt(now['ip_pledge_count'], 0)}笔，质押融资额"
             f"{fmt(now['ip_pledge_amount'])}万元{change(now['ip_pledge_amount'], before.get('ip_pledge_amount'))}")
        if now.get("pledge_count"):
            s += f"，其中涉及专利权的{fmt(now['pledge_count'], 0)}笔、{fmt(now['pledge_amount'])}万元"
        out.append(s + "。")
    elif now.get("pledge_count"):
        out.append(f"{words}办理专利权质押登记{fmt(now['pledge_count'], 0)}笔，质押金额"
                   f"{fmt(now['pledge_amount'])}万元{change(now['pledge_amount'], before.get('pledge_amount'))}。")
    elif now.get("pledge_count") == 0:
        out.append(f"{words}未办理专利权质押登记。")
    if now.get("trademarks") is not None:
        out.append(f"有效商标注册量{fmt(now['trademarks'], 0)}件"
                   f"{change(now['trademarks'], before.get('trademarks'), '件')}。")
    return out


STATUS_WORDS = {"achieved": "已完成目标", "on_track": "按当前趋势可按期完成", "at_risk": "按当前趋势完成有风险",
                "off_track": "按当前趋势难以按期完成", "missed": "截止日已过，未完成目标"}


def progress_sentence(p: TargetProgress, deadline: date) -> str:
    t = p.target
    if p.current is None:
        return f"{t.name}：暂无数据（{p.note or '未录入'}）。"
    if t.direction == "increase":
        base = "" if p.baseline_value is None else f"，方案基期为{fmt(p.baseline_value)}{t.unit}"
        return f"{t.name}{fmt(p.current)}{t.unit}{base}，{STATUS_WORDS[p.status]}。"
    gap = "" if p.gap is None or p.gap <= 0 else f"，距目标还差{fmt(p.gap)}{t.unit}"
    digits = 0 if t.unit in ("件", "家", "个", "份") else 2
    proj = "" if p.projection is None or p.status == "achieved" else \
        f"，按趋势预计{deadline.year}年{deadline.month}月底达到{fmt(p.projection, digits)}{t.unit}"
    return f"{t.name}{fmt(p.current)}{t.unit}（目标{fmt(t.target)}{t.unit}）{gap}{proj}，{STATUS_WORDS[p.status]}。"


def ranking_sentence(what: str, items: list[tuple[str, float]], unit: str, integer: bool = False) -> str:
    """'每万人口发明专利拥有量居前三位的是甲（5.2件）、乙（4件）和丙（3件）。' over the sorted items."""
    digits = 0 if integer else 2
    top = [f"{name}（{fmt(v, digits)}{unit}）" for name, v in items[:3]]
    if len(top) == 1:
        return f"{what}最多的是{top[0]}。"
    listed = "、".join(top[:-1]) + "和" + top[-1]
    return f"{what}居前{'两三'[len(top) - 2]}位的是{listed}。"
