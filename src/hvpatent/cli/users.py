"""`hvp users`: accounts of the web dashboard, their sessions and login lockouts (docs/security.md).

The server holds the warehouse while it runs, so these commands are for when it is stopped; while it runs,
an administrator uses the API (`POST /api/users/{name}/unlock`, `/deactivate`) instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from hvpatent.cli.common import DbOption, Fmt, app, console, emit, err_console, open_warehouse

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")
users_app = typer.Typer(help="账号管理 / accounts", no_args_is_help=True)
app.add_typer(users_app, name="users")

Name = Annotated[str, typer.Argument(help="用户名 / user name")]


def _fail(err: Exception) -> None:
    err_console.print(str(err), style="red", markup=False, highlight=False)
    raise typer.Exit(2) from err


def _new_password(given: str | None) -> str:
    return given or typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    username: Name,
    role: Annotated[str, typer.Option(help="角色 / role: admin | analyst | enterprise | bank | unit")],
    enterprise: Annotated[str | None, typer.Option(
        help="企业名称（企业账号） / enterprise name (an enterprise account)")] = None,
    bank: Annotated[str | None, typer.Option(
        help="银行名称（银行账号；总行账号也看到其分支机构的合同与请求） / bank name (a bank account; a head office "
             "also sees its branches' contracts and requests)")] = None,
    unit: Annotated[str | None, typer.Option(
        help="责任单位名称（单位账号；须为方案所列单位，如 区科技局） / the plan unit a unit account reports for "
             "(one the known plans name, e.g. 区科技局)")] = None,
    plan: Annotated[list[Path] | None, typer.Option(
        "--plan", help="另一个方案文件（可多次），其单位也可用于 --unit，如只交给 hvp serve --plan 的方案 / a plan "
                       "file (repeatable) whose units --unit may also name, e.g. one given only to hvp serve --plan")
    ] = None,
    password: Annotated[str | None, typer.Option(
        help="密码（不给则提示输入） / password (prompted when not given)", hide_input=True)] = None,
    db: DbOption = None,
) -> None:
    """新建账号（密码至少 12 个字符，不能是常见密码或用户名）/ create an account."""
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.warehouse.accounts import AccountError, add_user, check_password, check_username

    try:  # before the prompt: a bad name or a refused --password needs no warehouse
        check_username(username)
        if password is not None:
            check_password(password, username)
    except AccountError as err:
        _fail(err)
    if unit is not None and role != "unit":   # never dropped in silence: the account would not be what was asked
        _fail(ValueError(f"--unit 只用于单位账号（--role unit），不用于 {role} / --unit is for unit accounts only "
                         f"(--role unit), not {role}"))
    unit = _plan_unit(unit, list(plan or ())) if role == "unit" else None
    secret = _new_password(password)
    with open_warehouse(db) as wh:
        try:
            add_user(wh.con, username, secret, role, normalize_name(enterprise) if enterprise else None, by="cli",
                     bank=normalize_name(bank) if bank else None, unit=unit)
        except AccountError as err:
            _fail(err)
    console.print(f"已创建 / created: {username} ({role})")


def _plan_unit(unit: str | None, files: list[Path]) -> str:
    """--unit of a unit account: a unit the known plans or the --plan files name (as the plan files write it),
    before any prompt or warehouse; else exit 2 listing them."""
    from hvpatent.i18n import say
    from hvpatent.plan import PlanError, load_plans

    try:
        known = load_plans(files).units()
    except PlanError as err:
        _fail(err)
    except OSError as err:
        _fail(ValueError(say(f"无法读取方案文件（--plan）：{err.filename}：{err.strerror or err}",
                             f"cannot read the plan file (--plan): {err.filename}: {err.strerror or err}")))
    text = (unit or "").strip()
    if not text:
        _fail(ValueError("单位账号需要 --unit 单位名称 / a unit account needs --unit"))
    if text not in known:
        listing = "、".join(known)
        _fail(ValueError(say(f"方案中没有这个单位（--unit）：{text!r}，可用：{listing}",
                             f"no plan names the unit {text!r} (--unit); one of: {listing}")))
    return text


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """列出账号 / list accounts."""
    from hvpatent.warehouse.accounts import list_users

    with open_warehouse(db) as wh:
        emit({"users": list_users(wh.con)}, Fmt.table, None)


@users_app.command("passwd")
def users_passwd(
    username: Name,
    password: Annotated[str | None, typer.Option(
        help="新密码（不给则提示输入） / new password (prompted when not given)", hide_input=True)] = None,
    db: DbOption = None,
) -> None:
    """修改密码；该用户的所有会话立即失效 / set a new password; every session of the user ends."""
    from hvpatent.warehouse.accounts import set_password

    secret = _new_password(password)
    ended = _change(db, lambda con: set_password(con, username, secret, by="cli"))
    console.print(f"密码已修改，结束会话 {ended} 个 / password changed, {ended} sessions ended: {username}")


@users_app.command("deactivate")
def users_deactivate(username: Name, db: DbOption = None) -> None:
    """停用账号；其会话立即失效 / deactivate an account; its sessions end at once."""
    from hvpatent.warehouse.accounts import set_active

    ended = _change(db, lambda con: set_active(con, username, False, by="cli"))
    console.print(f"已停用，结束会话 {ended} 个 / deactivated, {ended} sessions ended: {username}")


@users_app.command("activate")
def users_activate(username: Name, db: DbOption = None) -> None:
    """重新启用账号 / reactivate an account."""
    from hvpatent.warehouse.accounts import set_active

    _change(db, lambda con: set_active(con, username, True, by="cli"))
    console.print(f"已启用 / activated: {username}")


@users_app.command("unlock")
def users_unlock(username: Name, db: DbOption = None) -> None:
    """解除登录失败造成的锁定（各地址）/ lift the locks that failed logins put on an account (from any address)."""
    from hvpatent.warehouse.sessions import unlock

    was = _change(db, lambda con: unlock(con, username, by="cli"))
    console.print(("已解锁 / unlocked: " if was else "未被锁定，失败记录已清除 / was not locked, failures cleared: ")
                  + username)


def _change(db: Path | None, change: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """One change to an account in the warehouse; an AccountError (no such user, a refused password) is a
    message and exit status 2."""
    from hvpatent.warehouse.accounts import AccountError

    with open_warehouse(db) as wh:
        try:
            return change(wh.con)
        except AccountError as err:
            _fail(err)


@users_app.command("sessions")
def users_sessions(
    username: Annotated[str | None, typer.Argument(help="只看此用户 / only this user")] = None,
    end: Annotated[bool, typer.Option("--end", help="结束该用户的全部会话 / end all of the user's sessions")] = False,
    db: DbOption = None,
) -> None:
    """列出（或结束）登录会话 / list (or end) login sessions."""
    from hvpatent.warehouse.sessions import end_user_sessions, list_sessions

    with open_warehouse(db) as wh:
        if end:
            if not username:
                _fail(ValueError("--end 需要用户名 / --end needs a user name"))
            ended = end_user_sessions(wh.con, username)
            console.print(f"结束会话 {ended} 个 / {ended} sessions ended: {username}")
            return
        emit({"sessions": list_sessions(wh.con, username)}, Fmt.table, None)
