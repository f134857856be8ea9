"""`hvp serve`: the web dashboard (its accounts: `hvp users`, cli/users.py)."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hvpatent.cli.common import DbOption, app, console, settings


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="监听地址 / host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port")] = 8000,
    secure_cookies: Annotated[bool, typer.Option(
        "--secure-cookies", help="会话 cookie 总是只经 HTTPS 发送（默认：请求经 HTTPS 时）/ always Secure")] = False,
    trusted_proxies: Annotated[str | None, typer.Option(
        "--trusted-proxies", help="信任其 X-Forwarded-For/-Proto 的反向代理地址，逗号分隔（默认不信任任何地址）"
                                  " / reverse proxies whose X-Forwarded-* headers are believed, comma-separated"
                                  " (default: none)")] = None,
    plan_files: Annotated[list[Path] | None, typer.Option(
        "--plan", help="方案文件 YAML，可重复；第一个为默认方案 / a plan file, repeatable; the first is the default")]
    = None,
    db: DbOption = None,
) -> None:
    """启动网页看板与 API / start the web dashboard and API."""
    from hvpatent.warehouse.store import default_db_path

    path = db or settings["db"] or default_db_path()
    _check_plans(plan_files or [])
    run_server(Path(path), host, port, secure_cookies=secure_cookies, plan_files=plan_files or [],
               trusted_proxies=trusted_proxies)


def _check_plans(files: list[Path]) -> None:
    """Read the plan files before anything starts: a bad one exits 2 with the file and the field."""
    from hvpatent.cli.common import err_console
    from hvpatent.plan import load_plans
    from hvpatent.plan.model import PlanError

    try:
        load_plans(files)
    except (PlanError, OSError) as err:
        err_console.print(str(err), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _refresh_before_serving(path: Path) -> None:
    """Finish any refresh an import or a rule change left (e.g. a warehouse built by an older version)."""
    from hvpatent.cli.refresh import refresh_derived_tables
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(path) as wh:
        refresh_derived_tables(wh)


def run_server(path: Path, host: str, port: int, *, secure_cookies: bool = False, plan_file: Path | None = None,
               default_as_of: date | None = None, trusted_proxies: str | None = None,
               plan_files: Sequence[Path] = ()) -> None:
    import uvicorn

    from hvpatent.cli.common import err_console
    from hvpatent.warehouse.busy import WarehouseBusy, remove_server_file, write_server_file
    from hvpatent.web import create_app

    # Without --secure-cookies the cookie is Secure whenever the request came over HTTPS (docs/security.md).
    try:
        _refresh_before_serving(path)
        app = create_app(path, secure_cookies=secure_cookies or None, plan_file=plan_file, plan_files=plan_files,
                         default_as_of=default_as_of, warm=True)
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
        # The client is the socket's peer; X-Forwarded-For / -Proto are believed only from --trusted-proxies
        # (uvicorn would otherwise trust any local connection, and $FORWARDED_ALLOW_IPS): docs/security.md.
        proxies = [p.strip() for p in (trusted_proxies or "").split(",") if p.strip()]
        config = uvicorn.Config(app, log_level="warning", proxy_headers=bool(proxies),
                                forwarded_allow_ips=proxies or None)
        uvicorn.Server(config).run(sockets=[sock])
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
