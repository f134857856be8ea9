"""`hvp import FILE --server URL`: import through a running dashboard instead of opening the warehouse,
which the server holds (DuckDB lets one process have the file). Logs in (`POST /api/login`), uploads each
file (`POST /api/imports`), follows the background job (`GET /api/imports/jobs/{id}?wait=30`) and prints
the result as a local import does. Ctrl-C cancels the job on the server and follows it to its end: it says
"cancelled, nothing stored" only when the server says the job was cancelled."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx
import typer

from hvpatent.cli.common import console, err_console
from hvpatent.i18n import t
from hvpatent.model import RowError

FINAL = {"done", "rejected", "failed", "cancelled"}
WAIT_S = 30


class RemoteError(Exception):
    """The server could not be reached, refused the login, or answered something unexpected."""


def detail(response: httpx.Response) -> str:
    """The status and the server's `detail` message of a refused request (for the user's error line)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    said = body.get("detail") if isinstance(body, dict) else None
    return f"HTTP {response.status_code}: {said}" if said else f"HTTP {response.status_code}"


class ImportClient:
    """A logged-in session with the dashboard's API."""

    def __init__(self, server: str, username: str, password: str, timeout: float = WAIT_S + 30):
        self.server = server.rstrip("/")
        self.http = httpx.Client(base_url=self.server, timeout=timeout, follow_redirects=False)
        try:
            r = self.http.post("/api/login", json={"username": username, "password": password})
        except httpx.HTTPError as err:
            self.http.close()
            raise RemoteError(f"无法连接服务器 {self.server}：{err} / cannot reach the server") from err
        if r.status_code != 200:
            self.http.close()
            raise RemoteError(f"登录 {self.server} 失败（{detail(r)}）/ login failed")
        self.http.headers["x-csrf-token"] = r.json().get("csrf", "")

    def close(self) -> None:
        self.http.close()

    def upload(self, path: Path, skip_bad_rows: bool) -> httpx.Response:
        with path.open("rb") as f:
            return self.http.post("/api/imports", files={"file": (path.name, f)},
                                  data={"skip_bad_rows": "true" if skip_bad_rows else "false"},
                                  timeout=None)  # the old synchronous endpoint answers when the import ends

    def follow(self, job: dict, on_progress: Callable[[int], None]) -> dict:
        """Long-polls the job until it is final; returns its last record."""
        while job.get("status") not in FINAL:
            r = self.http.get(f"/api/imports/jobs/{job['job_id']}", params={"wait": WAIT_S})
            if r.status_code != 200:
                raise RemoteError(f"导入任务 {job['job_id']} 查询失败（{detail(r)}）/ cannot follow the job")
            job = r.json()
            on_progress(int((job.get("progress") or {}).get("rows_read") or 0))
        return job

    def cancel(self, job_id: str) -> dict | None:
        r = self.http.post(f"/api/imports/jobs/{job_id}/cancel")
        return r.json() if r.status_code == 200 else None


def prompt_password() -> str:
    """The password from $HVP_PASSWORD, else asked for (hidden)."""
    return os.environ.get("HVP_PASSWORD") or typer.prompt("密码 / password", hide_input=True)


def import_via_server(files: list[Path], server: str, username: str | None, skip_bad_rows: bool,
                      print_notes: Callable, print_errors: Callable) -> tuple[bool, list[RowError]]:
    """Imports every file through the server; (any file failed, every row error)."""
    user = username or os.environ.get("HVP_USER") or typer.prompt("用户名 / user")
    try:
        client = ImportClient(server, user, prompt_password())
    except RemoteError as err:
        err_console.print(str(err), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from None
    failed, all_errors = False, []
    try:
        for path in files:
            ok, errors = _one(client, path, skip_bad_rows, print_notes, print_errors)
            failed |= not ok
            all_errors.extend(errors)
    except RemoteError as err:
        err_console.print(str(err), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except httpx.HTTPError as err:
        err_console.print(f"与服务器 {client.server} 的连接中断：{err} / the connection to the server failed",
                          style="red", markup=False, highlight=False)
        raise typer.Exit(2) from None
    finally:
        client.close()
    return failed, all_errors


def _one(client: ImportClient, path: Path, skip_bad_rows: bool, print_notes, print_errors) -> tuple[bool, list]:
    if not path.is_file():
        err_console.print(t("file_error", file=path.name, reason="文件不存在 / no such file"), style="red",
                          markup=False, highlight=False)
        return False, []
    r = client.upload(path, skip_bad_rows)
    if r.status_code == 200:  # a server from before background jobs answers with the result itself
        return _report(path, r.json(), print_notes, print_errors)
    if r.status_code != 202:
        err_console.print(t("file_error", file=path.name, reason=detail(r)), style="red", markup=False,
                          highlight=False)
        return False, []
    job = r.json()
    err_console.print(f"{path.name}：已提交导入任务 {job['job_id']}（队列第 {job.get('position', 0)} 位）"
                      f" / queued as job {job['job_id']}", markup=False, highlight=False)
    with err_console.status(f"{path.name} …") as status:
        def progress(rows: int) -> None:
            status.update(f"{path.name}：已读取 {rows:,} 行 / {rows:,} rows read")

        try:
            job = client.follow(job, progress)
        except KeyboardInterrupt:
            job = _cancel(client, path, job, status, progress)
            if job["status"] == "cancelled":
                err_console.print(f"{path.name}：已取消导入任务 {job['job_id']}，数据未改变 / cancelled, nothing "
                                  "stored", style="yellow", markup=False, highlight=False)
            else:  # the cancel came after the import's last step: say what really happened
                err_console.print(f"{path.name}：取消未及时生效，导入任务已结束（{job['status']}）/ the cancel came "
                                  f"too late: the job ended {job['status']}", style="yellow", markup=False,
                                  highlight=False)
                _report(path, job.get("result") or {}, print_notes, print_errors)
            raise typer.Exit(1) from None
    if job["status"] == "cancelled":
        err_console.print(f"{path.name}：导入任务已被取消，数据未改变 / the import was cancelled, nothing stored",
                          style="yellow", markup=False, highlight=False)
        return False, []
    result = job.get("result") or {"accepted": False, "errors": [{"reason": job["status"]}], "error_count": 1}
    return _report(path, result, print_notes, print_errors)


def _cancel(client: ImportClient, path: Path, job: dict, status, progress: Callable[[int], None]) -> dict:
    """Asks the server to cancel, then follows the job until it is final (a running import stops at its
    next step, or ends first); a second Ctrl-C stops waiting and says the job may still be running."""
    asked = client.cancel(job["job_id"])
    if asked is None:
        err_console.print(f"{path.name}：取消失败，导入任务 {job['job_id']} 仍在服务器上运行 / could not cancel; "
                          "the job goes on on the server", style="red", markup=False, highlight=False)
        raise typer.Exit(1)
    status.update(f"{path.name}：正在取消… / cancelling …")
    try:
        return client.follow(asked, progress)
    except KeyboardInterrupt:
        err_console.print(f"{path.name}：已请求取消，导入任务 {job['job_id']} 尚未结束 / cancel requested; the job "
                          "has not ended yet", style="yellow", markup=False, highlight=False)
        raise typer.Exit(1) from None


def _row_errors(path: Path, result: dict) -> list[RowError]:
    return [RowError(str(e.get("file") or path.name), int(e.get("row") or 0), str(e.get("field") or ""),
                     str(e.get("value") or ""), str(e.get("reason") or "")) for e in result.get("errors") or []]


def _report(path: Path, result: dict, print_notes, print_errors) -> tuple[bool, list[RowError]]:
    """Prints the server's result the way a local import prints its own; (accepted, row errors)."""
    errors = _row_errors(path, result)
    if not result.get("accepted"):
        if any(e.row for e in errors):
            err_console.print(t("rejected", file=path.name, count=result.get("error_count", len(errors))),
                              style="red", markup=False, highlight=False)
            print_errors(errors)
        else:
            reason = "；".join(e.reason for e in errors) or "?"
            err_console.print(t("file_error", file=path.name, reason=reason), style="red", markup=False,
                              highlight=False)
        return False, errors
    if result.get("already_imported"):
        console.print(t("already_imported", file=path.name, id=result.get("import_id")))
        return True, errors
    console.print(t("imported", file=path.name, read=result.get("rows_read", 0),
                    inserted=result.get("rows_inserted", 0), updated=result.get("rows_updated", 0),
                    unchanged=result.get("rows_unchanged", 0), rejected=result.get("rows_rejected", 0)))
    print_notes(_Notes(path.name, result.get("unknown_events") or {}, result.get("warnings") or {}))
    if errors:
        err_console.print(f"[yellow]{t('skipped_rows', file=path.name, count=result.get('error_count', 0))}[/yellow]")
        print_errors(errors)
    return True, errors


class _Notes:
    """What cli/data.py's _print_notes reads from a local ImportResult."""

    def __init__(self, file_name: str, unknown_events: dict, warnings: dict):
        self.file_name, self.unknown_events, self.warnings = file_name, unknown_events, warnings
