"""`hvp schedule`: scheduled bulletins, issued editions kept immutable (docs/schedule.md).  OWNER: H1.

`hvp schedule run` issues every bulletin whose first working day after its month or quarter has come; run it daily
from cron or a systemd timer (`hvp schedule timer` prints both).  While `hvp serve` holds the warehouse, `run
--server URL` asks the server to do it (POST /api/editions/run, admin only, under the warehouse's write lock)."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hvpatent.cli.common import (
    DbOption,
    app,
    console,
    err_console,
    fail,
    fail_message,
    open_warehouse,
    settings,
    writing,
)
from hvpatent.i18n import say
from hvpatent.reference.clock import china_today

schedule_app = typer.Typer(help="定期通报：按期出版、版本不可更改 / scheduled bulletins and their editions",
                           no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")

TodayOption = Annotated[str | None, typer.Option(
    "--today", help="按此日运行（默认今天）YYYY-MM-DD / run as on this day (default today)")]
TIMER_AT = "07:30"


def _day(text: str | None, *, dry_run: bool = False) -> date:
    """--today (default: today in Beijing).  A day after today only for a dry run: an edition issued "as on" a
    future day would print, immutably, a month that has not ended."""
    today = china_today()
    if text is None:
        return today
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(say(f"应为日期 YYYY-MM-DD：{text!r}", f"expected a day YYYY-MM-DD: {text!r}"),
                                 param_hint="--today") from None
    if day > today and not dry_run:
        raise typer.BadParameter(say(f"不能晚于今天（{today}），只有 --dry-run 可以", f"cannot be after today "
                                     f"({today}) except with --dry-run"), param_hint="--today")
    return day


def _config():
    from hvpatent.schedule import ConfigError, load_config

    try:
        return load_config()
    except ConfigError as err:
        raise fail_message(err) from None


def _plans():
    from hvpatent.plan import load_plans
    from hvpatent.plan.model import PlanError

    try:
        return load_plans()
    except PlanError as err:
        raise fail_message(err) from None


def _print(line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def _calendar_note(days: list[date]) -> None:
    """On standard error, when an issue day shown falls in a year whose holidays are not known (Monday to Friday
    taken): the day may move once the State Council's notice is out."""
    from hvpatent.reference.workdays import calendar_note

    note = calendar_note(days)
    if note:
        err_console.print(say(*note), style="yellow", markup=False, highlight=False, soft_wrap=True)


def _issued_line(e: dict) -> str:
    files = ", ".join(f"{f['format']} {f['size_bytes']:,} B" for f in e["files"])
    late = say(f"（晚于到期日 {e['due_on']}）", f" (after its due day {e['due_on']})") if e["late"] else ""
    return say(f"已印发 {e['edition_id']}：截至 {e['as_of']}，{e['issued_on']} 印发{late}；{files}",
               f"issued {e['edition_id']}: data to {e['as_of']}, issued on {e['issued_on']}{late}; {files}")


@schedule_app.command("run")
def run_cmd(
    today: TodayOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出到期的通报，不印发 / list, issue nothing")] = False,
    server: Annotated[str | None, typer.Option(
        "--server", help="通过运行中的看板印发，如 http://127.0.0.1:8000 / issue through a running server")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="看板管理员账号（密码取自 $HVP_PASSWORD 或提示输入）/ admin account on the server")] = None,
    db: DbOption = None,
) -> None:
    """印发到期的通报（每月、每季度结束后的第一个工作日）/ issue the bulletins that are due."""
    day = _day(today, dry_run=dry_run)
    if server:
        _run_remote(server, user, day, dry_run)
        return
    from hvpatent.schedule import EditionError, due_editions, run_schedule

    config, plans = _config(), _plans()
    with open_warehouse(db, must_exist=True) as wh:
        con = wh.ibis()
        try:
            if dry_run:
                due = due_editions(con, plans, day, config)
                for d in due:
                    _print(say(f"到期 {d['plan_key']}/{d['cadence']}/{d['period']}：{d['due_on']} 起",
                               f"due {d['plan_key']}/{d['cadence']}/{d['period']}: since {d['due_on']}"))
                if not due:
                    _print(say(f"{day} 没有到期未印发的通报", f"nothing due on {day}: every edition is issued"))
                _calendar_note([d["due_on"] for d in due])
                return
            issued = run_schedule(wh.con, con, plans, day, by=os.environ.get("USER") or "schedule", config=config)
        except EditionError as err:
            raise fail_message(err) from None
    for e in issued:
        _print(_issued_line(e))
    if not issued:
        _print(say(f"{day} 没有到期未印发的通报，未印发任何版本", f"nothing due on {day}: no edition issued"))
    _calendar_note([e["due_on"] for e in issued])


def _run_remote(server: str, user: str | None, day: date, dry_run: bool) -> None:
    """The server holds the warehouse: ask it to issue (POST /api/editions/run, admin only)."""
    import httpx

    from hvpatent.cli.remote import ImportClient, RemoteError, detail, prompt_password

    username = user or os.environ.get("HVP_USER") or typer.prompt("用户名 / user")
    try:
        client = ImportClient(server, username, prompt_password(), timeout=600)
    except RemoteError as err:
        raise fail_message(err) from None
    try:
        r = client.http.post("/api/editions/run", json={"today": day.isoformat(), "dry_run": dry_run})
    except httpx.HTTPError as err:
        raise fail(f"与服务器的连接中断：{err}", f"the connection to the server failed: {err}") from None
    finally:
        client.close()
    if r.status_code != 200:
        raise fail(f"服务器拒绝：{detail(r)}", f"the server refused: {detail(r)}")
    body = r.json()
    for d in body.get("due", []) if dry_run else []:
        _print(say(f"到期 {d['plan_key']}/{d['cadence']}/{d['period']}", f"due {d['plan_key']}/{d['cadence']}/"
                   f"{d['period']}"))
    for e in body.get("issued", []):
        _print(_issued_line(e))
    if not body.get("issued") and not body.get("due"):
        _print(say(f"{day} 没有到期未印发的通报", f"nothing due on {day}: no edition issued"))


@schedule_app.command("list")
def list_cmd(plan: Annotated[str | None, typer.Option("--plan", help="方案代码 / plan key")] = None,
             db: DbOption = None) -> None:
    """列出已印发的通报版本 / list the issued editions."""
    from hvpatent.schedule import editions

    with open_warehouse(db, read_only=True) as wh:
        rows = editions(wh.ibis(), plan)
    for e in rows:
        mark = say(" 迟发", " late") if e["late"] else ""
        _print(f"{e['edition_id']}\t{e['as_of']}\t{e['due_on']}\t{e['issued_on']}{mark}\t"
               f"{','.join(f['format'] for f in e['files'])}\t{e['reason'] or ''}")
    if not rows:
        _print(say("尚无已印发的通报", "no edition issued yet"))
    _calendar_note([e["due_on"] for e in rows])


def _edition(con, edition_id: str) -> dict:
    from hvpatent.schedule import EditionError, edition

    try:
        return edition(con, edition_id)
    except EditionError as err:
        raise fail_message(err) from None


@schedule_app.command("show")
def show_cmd(edition_id: str, db: DbOption = None) -> None:
    """一个版本的详情：数据戳、变化、文件及其 SHA-256 / one edition: data stamp, changes, files."""
    with open_warehouse(db, read_only=True) as wh:
        e = _edition(wh.ibis(), edition_id)
    _print(f"{e['edition_id']}  {e['region']}  {say('截至', 'data to')} {e['as_of']}  {say('到期', 'due')} "
           f"{e['due_on']}  {say('印发', 'issued')} {e['issued_on']} ({e['issued_by']})")
    stamp = e["data_stamp"]
    _print(say(f"数据：{stamp['imports']} 批导入，最后一批 #{stamp['last_import_id']}（{stamp['last_imported_at']}）",
               f"data: {stamp['imports']} imports, the last #{stamp['last_import_id']} "
               f"({stamp['last_imported_at']})"))
    if "last_report_at" in stamp:  # editions issued before the stamp held the tasks' data have imports only
        _print(say(f"最后报送 {stamp['last_report_at'] or '—'}，最后评分 {stamp['last_score_at'] or '—'}，"
                   f"目标值 {stamp['plan_values']} 条", f"last report {stamp['last_report_at'] or '—'}, last score "
                   f"{stamp['last_score_at'] or '—'}, {stamp['plan_values']} plan values"))
    if "reviews" in stamp:  # and since the stamp held the reviews and the branch corrections
        _print(say(f"非正常申请复核 {stamp['reviews']} 条（最后 {stamp['last_review_at'] or '—'}），分支更正 "
                   f"{stamp['corrections']} 条（最后 {stamp['last_correction_at'] or '—'}）",
                   f"{stamp['reviews']} abnormal-application reviews (the last {stamp['last_review_at'] or '—'}), "
                   f"{stamp['corrections']} branch corrections (the last {stamp['last_correction_at'] or '—'})"))
    if e["reason"]:
        _print(say(f"更正原因：{e['reason']}", f"reason: {e['reason']}"))
    for c in e["changes"]:
        _print(f"  {c['name']} ({c['key']}): {c['before']} → {c['after']}")
    for f in e["files"]:
        _print(f"  {f['format']}\t{f['file_name']}\t{f['size_bytes']:,} B\tsha256 {f['sha256']}")


@schedule_app.command("get")
def get_cmd(edition_id: str,
            fmt: Annotated[str, typer.Option("--format", help="docx | xlsx | html | pdf")] = "docx",
            out: Annotated[Path | None, typer.Option("--out", help="输出文件（默认按版本命名）/ output file")] = None,
            db: DbOption = None) -> None:
    """取出一个版本的文件（与印发时逐字节相同）/ write an edition's file, byte for byte as issued."""
    from hvpatent.schedule import EditionError, edition_file

    with open_warehouse(db, read_only=True) as wh:
        try:
            f = edition_file(wh.ibis(), edition_id, fmt)
        except EditionError as err:
            raise fail_message(err) from None
    path = out or Path(f["file_name"])
    with writing(path):
        path.write_bytes(f["content"])
    _print(say(f"已写出 {path}（sha256 {f['sha256']}）", f"wrote {path} (sha256 {f['sha256']})"))


@schedule_app.command("reissue")
def reissue_cmd(plan: str, cadence: str, period: str,
                reason: Annotated[str, typer.Option("--reason", help="更正原因（必填）/ why (required)")],
                today: TodayOption = None, db: DbOption = None) -> None:
    """重新印发：下一版本，列出与上一版的变化；原版本保持不变 / re-issue as the next version, its changes listed."""
    from hvpatent.plan.model import PlanError
    from hvpatent.schedule import EditionError, issue_edition

    day = _day(today)
    try:
        the_plan = _plans().get(plan)
    except PlanError as err:
        raise fail_message(err) from None
    config = _config()
    with open_warehouse(db, must_exist=True) as wh:
        try:
            e = issue_edition(wh.con, wh.ibis(), the_plan, cadence, period, by=os.environ.get("USER") or "cli",
                              today=day, reason=reason, config=config)
        except EditionError as err:
            raise fail_message(err) from None
    _print(_issued_line(e))
    for c in e["changes"]:
        _print(f"  {c['name']} ({c['key']}): {c['before']} → {c['after']}")


@schedule_app.command("verify")
def verify_cmd(db: DbOption = None) -> None:
    """核对每个已印发文件的 SHA-256（被改动则退出码 1）/ check every issued file's SHA-256 (exit 1 on a mismatch)."""
    from hvpatent.schedule import verify_editions

    with open_warehouse(db, read_only=True) as wh:
        rows = verify_editions(wh.con)
    bad = [r for r in rows if not r["ok"]]
    for r in bad:
        if r.get("missing"):
            line = (say(f"文件缺失：{r['edition_id']} {r['format']}（印发时有记录，现已不在）",
                        f"file missing: {r['edition_id']} {r['format']} (recorded at issue, now gone)")
                    if r["format"] else say(f"文件缺失：{r['edition_id']} 没有任何文件",
                                            f"files missing: {r['edition_id']} has no file"))
            err_console.print(line, style="red", markup=False, highlight=False, soft_wrap=True)
            continue
        recorded = r["audited"] or r["sha256"]
        err_console.print(say(f"已被改动：{r['edition_id']} {r['format']}（印发时 {recorded[:16]}…，实际 "
                              f"{r['actual'][:16]}…）", f"changed since issue: {r['edition_id']} {r['format']} "
                              f"(recorded {recorded[:16]}…, now {r['actual'][:16]}…)"),
                          style="red", markup=False, highlight=False, soft_wrap=True)
    _print(say(f"已核对 {len(rows)} 个文件，{len(bad)} 个不符", f"checked {len(rows)} files, {len(bad)} changed"))
    if bad:
        raise typer.Exit(1)


def timer_units(hvp: str, db: str | None, at: str = TIMER_AT) -> dict[str, str]:
    """A systemd service and timer, and a crontab line, running `hvp schedule run` daily at ``at``."""
    command = " ".join(shlex.quote(p) for p in [hvp, *(["--db", db] if db else []), "schedule", "run"])
    hour, minute = at.split(":")
    return {
        "hvp-schedule.service": ("[Unit]\nDescription=hvpatent scheduled bulletins (hvp schedule run)\n\n"
                                 f"[Service]\nType=oneshot\nExecStart={command}\n"),
        "hvp-schedule.timer": ("[Unit]\nDescription=Run hvp schedule run daily\n\n"
                               f"[Timer]\nOnCalendar=*-*-* {at}:00\nPersistent=true\n\n"
                               "[Install]\nWantedBy=timers.target\n"),
        "crontab": f"{int(minute)} {int(hour)} * * * {command} >> $HOME/hvp-schedule.log 2>&1\n",
    }


@schedule_app.command("timer")
def timer_cmd(db: DbOption = None) -> None:
    """打印每日 07:30 运行 hvp schedule run 的 systemd 服务与定时器，以及 crontab 行 / print systemd units and a
    crontab line that run `hvp schedule run` daily at 07:30."""
    hvp = shutil.which("hvp") or str(Path(sys.executable).with_name("hvp"))
    chosen = db or settings["db"]
    units = timer_units(hvp, str(Path(chosen).resolve()) if chosen else None)
    for name in ("hvp-schedule.service", "hvp-schedule.timer"):
        _print(f"# ~/.config/systemd/user/{name}\n{units[name]}")
    _print(say("# 启用：systemctl --user daemon-reload && systemctl --user enable --now hvp-schedule.timer",
               "# enable: systemctl --user daemon-reload && systemctl --user enable --now hvp-schedule.timer"))
    _print(say("# 或者 crontab -e 加入一行：", "# or add this line with crontab -e:"))
    _print(units["crontab"].rstrip())
