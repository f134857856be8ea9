"""`hvp breakdown`: the technology breakdowns (技术分解) — a tree with its counts, the classifier's training,
the review queue, corrections and the evaluation against a hand-labelled set (docs/navigation-classifier.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hvpatent.cli.common import (
    DbOption,
    Fmt,
    FormatOption,
    OutOption,
    app,
    console,
    emit,
    err_console,
    open_warehouse,
    resolve_industry,
)
from hvpatent.i18n import lang, say

breakdown_app = typer.Typer(help="技术分解：分支、分类器、复核与纠正 / technology breakdowns", no_args_is_help=True)
app.add_typer(breakdown_app, name="breakdown")

IndustryArg = Annotated[str, typer.Argument(help="产业代码或名称，如 new_energy / 新能源 / industry code or name")]


def _fail(zh: str, en: str) -> typer.Exit:
    err_console.print(say(zh, en), style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _tree(industry: str):
    """The technology breakdown of an industry given by code or Chinese name (as `hvp navigate` takes it)."""
    from hvpatent.navigation.tree import TreeError, breakdowns

    try:
        trees = breakdowns()
    except TreeError as err:
        raise _fail(f"技术分解文件有误：{err}", f"bad breakdown file: {err}") from None
    if industry not in trees:
        industry = resolve_industry(industry)   # a Chinese name (新能源); exit 2 listing the 8 for neither
    if industry not in trees:
        raise _fail(f"未知的产业 {industry!r}，可用：{', '.join(trees)}",
                    f"unknown industry {industry!r}; one of {', '.join(trees)}")
    return trees[industry]


def _name(branch) -> str:
    return branch.name if lang() == "zh" else branch.name_en


@breakdown_app.command("show")
def show_cmd(industry: IndustryArg, db: DbOption = None) -> None:
    """技术分解树及各分支专利数 / the tree with each branch's patents (rule, model, corrected)."""
    t = _tree(industry)
    from hvpatent.navigation.placement import placements

    with open_warehouse(db, read_only=True) as wh:
        placed = placements(wh.ibis(), t.industry)
        counts = placed.group_by(["branch", "source"]).aggregate(n=placed.app_no.nunique()).to_pyarrow().to_pylist()
    by: dict[str, dict[str, int]] = {}
    for row in counts:
        by.setdefault(row["branch"], {})[row["source"]] = row["n"]
    table = Table(title=f"{t.name if lang() == 'zh' else t.industry} " + say("技术分解", "technology breakdown"))
    for head in (("分支", "branch"), ("代码", "code"), ("规则", "rule"), ("模型", "model"), ("纠正", "corrected")):
        table.add_column(say(*head))
    for b in t.branches:
        n = by.get(b.code, {})
        table.add_row("  " * (b.level - 1) + _name(b), b.code, str(n.get("rule", 0)), str(n.get("model", 0)),
                      str(n.get("corrected", 0)))
    console.print(table)
    if t.sources:
        console.print(say("来源：", "Sources: ") + "; ".join(t.sources), markup=False, highlight=False)


@breakdown_app.command("train")
def train_cmd(
    industry: Annotated[str | None, typer.Argument(help="产业代码 / industry code")] = None,
    all_: Annotated[bool, typer.Option("--all", help="全部产业 / every industry")] = False,
    db: DbOption = None,
) -> None:
    """训练分类器并写入模型归属 / train the classifier and store its placements (times printed)."""
    from hvpatent.navigation.classifier import train
    from hvpatent.navigation.tree import breakdowns

    if (industry is None) == (not all_):
        raise _fail("请给出一个产业代码，或 --all", "give one industry code, or --all")
    industries = list(breakdowns()) if all_ else [_tree(industry).industry]  # type: ignore[arg-type]
    table = Table(title=say("分类器训练", "classifier training"))
    heads = (("产业", "industry"), ("训练专利", "training patents"), ("标签", "labels"), ("纠正", "corrections"),
             ("待预测", "candidates"), ("模型归入", "placed"), ("未建模分支", "not modelled"),
             ("读取秒", "read s"), ("训练秒", "train s"), ("预测秒", "predict s"), ("模型", "model"))
    for head in heads:
        table.add_column(say(*head))
    with open_warehouse(db) as wh:
        for code in industries:
            r = train(wh.con, code)
            table.add_row(code, str(r.training_patents), str(r.labels), str(r.corrections), str(r.candidates),
                          str(r.placed), str(len(r.skipped)), f"{r.read_seconds:.2f}", f"{r.train_seconds:.2f}",
                          f"{r.predict_seconds:.2f}", r.model or say("（标签太少，未建模）", "(too few labels)"))
    console.print(table)


@breakdown_app.command("review")
def review_cmd(
    industry: IndustryArg,
    limit: Annotated[int, typer.Option("--limit", min=1, help="条数 / rows")] = 50,
    fmt: FormatOption = Fmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """待复核的归属（最不确定的在前）/ placements to review, most uncertain first."""
    from hvpatent.navigation.classifier import review_queue

    code = _tree(industry).industry
    with open_warehouse(db, read_only=True) as wh:
        rows = review_queue(wh.con, code, limit)
    if not rows and fmt is Fmt.table:
        console.print(say("没有待复核的归属（先运行 hvp breakdown train）",
                          "nothing to review (run hvp breakdown train first)"))
        return
    emit({"review": rows}, fmt, out, title=say("待复核的分支归属", "placements to review"))


@breakdown_app.command("correct")
def correct_cmd(
    app_no: Annotated[str, typer.Argument(help="申请号 / application number")],
    industry: IndustryArg,
    branch: Annotated[str, typer.Argument(help="分支代码 / branch code")],
    off: Annotated[bool, typer.Option("--off", help="不属于该分支 / not on the branch")] = False,
    by: Annotated[str | None, typer.Option("--by", help="纠正人（记入审计日志）/ user, audit-logged")] = None,
    db: DbOption = None,
) -> None:
    """纠正一件专利的分支归属（重新训练后生效于模型）/ put a patent on (or --off) a branch."""
    from hvpatent.ingest.appno import AppNoError, normalize_appno
    from hvpatent.navigation.classifier import correct

    t = _tree(industry)
    try:
        number = normalize_appno(app_no)
    except AppNoError as err:
        raise _fail(f"申请号无效：{err}", f"bad application number: {err}") from None
    with open_warehouse(db) as wh:
        try:
            correct(wh.con, number, t.industry, branch, not off, by)
        except ValueError as err:
            raise _fail(str(err), str(err)) from None
    name = _name(t.get(branch))
    console.print(say(f"已记录：{number} {'不属于' if off else '属于'} {name}（{branch}）",
                      f"recorded: {number} {'off' if off else 'on'} {name} ({branch})"), markup=False)


@breakdown_app.command("evaluate")
def evaluate_cmd(
    file: Annotated[Path, typer.Argument(help="标注集 CSV / the labelled set (tests/navigation_labels.csv)")],
    industry: Annotated[list[str] | None, typer.Option("--industry", help="只评估这些产业 / only these")] = None,
    fmt: FormatOption = Fmt.table,
    out: OutOption = None,
) -> None:
    """规则、模型、合并的分支查准率与查全率 / precision and recall by branch against a labelled set."""
    from hvpatent.navigation.evaluation import evaluate, summary

    codes = [_tree(code).industry for code in industry] if industry else None
    try:
        rows = evaluate(None, file, codes)
    except UnicodeDecodeError as err:   # a ValueError that names no file
        raise _fail(f"{file}：不是 UTF-8 编码的 CSV（{err.reason}，第 {err.start} 字节）",
                    f"{file}: not a UTF-8 CSV ({err.reason} at byte {err.start})") from None
    except ValueError as err:
        raise _fail(str(err), str(err)) from None
    keep = ("industry", "branch", "level", "support", "rule_precision", "rule_recall", "model_precision",
            "model_recall", "combined_precision", "combined_recall", "combined_f1")

    def tidy(rs: list[dict]) -> list[dict]:
        return [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items() if k in keep} for r in rs]

    emit({"branches": tidy(rows), "summary": tidy(summary(rows))}, fmt, out,
         title=say("技术分支评估", "branch evaluation"))
