"""`hvp serve` and `hvp users`: the web dashboard and its accounts."""

from __future__ import annotations

import signal
import socket
import threading
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hvpatent.cli.common import DbOption, app, console, err_console, open_warehouse, settings

users_app = typer.Typer(help="账号管理 / accounts", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="监听地址 / host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port")] = 8000,
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="仅通过 HTTPS 发送会话 cookie")] = False,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="方案文件 YAML")] = None,
    db: DbOption = None,
) -> None:
    """启动网页看板与 API / start the web dashboard and API."""
    from hvpatent.warehouse.store import default_db_path

    path = db or settings["db"] or default_db_path()
    run_server(Path(path), host, port, secure_cookies=secure_cookies, plan_file=plan_file)


def run_server(path: Path, host: str, port: int, *, secure_cookies: bool = False, plan_file: Path | None = None,
               default_as_of: date | None = None) -> None:
    import uvicorn

    from hvpatent.cli.common import err_console
    from hvpatent.warehouse.busy import WarehouseBusy, remove_server_file, write_server_file
    from hvpatent.web import create_app

    try:
        app = create_app(path, secure_cookies=secure_cookies, plan_file=plan_file, default_as_of=default_as_of)
    except WarehouseBusy as busy:
        err_console.print(busy.message(), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    # The socket is bound before anything is announced: requests from then on wait in its backlog, a port
    # in use is a message, and --port 0 takes a free port (the line below names it).
    try:
        sock = _listen(host, port)
    except OSError as err:
        err_console.print(f"无法在 {host}:{port} 上监听：{err} / cannot listen", style="red", markup=False,
                          highlight=False)
        raise typer.Exit(2) from None
    local = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    url = f"http://{f'[{local}]' if ':' in local else local}:{sock.getsockname()[1]}"
    # <warehouse>.server.json says where this server answers, so a CLI command that finds the warehouse locked
    # can point to `hvp import FILE --server URL` (warehouse/busy.py); removed when the server stops.
    write_server_file(path, url)
    console.print(f"看板 / dashboard: {url}/   API: {url}/docs")
    console.file.flush()  # seen at once when piped (a service log, a test waiting for this line)
    # uvicorn stops gracefully on SIGTERM, then raises it again with the handler found before it started:
    # with this one the process ends through the finally below (file removed, exit 0), not killed outright.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    finally:
        remove_server_file(path)
        sock.close()
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _terminated(signum, frame) -> None:
    raise SystemExit(0)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[str, typer.Option(help="admin | analyst | enterprise | bank")],
    enterprise: Annotated[str | None, typer.Option(help="企业名称（企业账号）")] = None,
    password: Annotated[str | None, typer.Option(help="密码（不给则提示输入）", hide_input=True)] = None,
    db: DbOption = None,
) -> None:
    """新建账号 / create an account."""
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.warehouse.accounts import AccountError, add_user

    secret = password or typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    with open_warehouse(db) as wh:
        try:
            add_user(wh.con, username, secret, role, normalize_name(enterprise) if enterprise else None, by="cli")
        except AccountError as err:
            err_console.print(f"[red]{err}[/red]")
            raise typer.Exit(2) from err
    console.print(f"已创建 / created: {username} ({role})")


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """列出账号 / list accounts."""
    from hvpatent.cli.common import Fmt, emit
    from hvpatent.warehouse.accounts import list_users

    with open_warehouse(db) as wh:
        emit({"users": list_users(wh.con)}, Fmt.table, None)
