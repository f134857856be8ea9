"""Who holds the warehouse: DuckDB lets one process write a database file (and no other open it while it
does; https://duckdb.org/docs/current/connect/concurrency). A second `hvp` while `hvp serve` or a long
import runs gets ``WarehouseBusy`` naming the holder, and, when the holder is the dashboard, its URL read
from ``<warehouse>.server.json`` so the user can import through it (`hvp import FILE --server URL`)."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

_LOCK = re.compile(r"Could not set lock on file .*?Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)",
                   re.S)


class WarehouseBusy(Exception):
    """The warehouse file is locked by another process."""

    def __init__(self, path: Path, pid: int | None, program: str, server_url: str | None):
        self.path, self.pid, self.program, self.server_url = path, pid, program, server_url
        super().__init__(self.message())

    def message(self) -> str:
        who = f"{self.pid} ({self.program})" if self.program else str(self.pid or "?")
        if self.server_url:
            hint_zh = f"请稍后再试，或通过看板服务导入：hvp import 文件 --server {self.server_url}"
            hint_en = f"try again later, or import through the server: hvp import FILE --server {self.server_url}"
        else:
            hint_zh, hint_en = "请待其结束后再试", "try again when it has finished"
        return (f"数据仓库 {self.path} 正被进程 {who} 使用；{hint_zh} / "
                f"the warehouse is in use by PID {who}; {hint_en}")


def busy_error(path: Path, err: Exception) -> WarehouseBusy | None:
    """The typed error for DuckDB's lock conflict, or None when ``err`` is something else."""
    match = _LOCK.search(str(err))
    if match is None:
        return None
    pid = int(match["pid"])
    server = read_server_file(path)
    url = server["url"] if server and server.get("pid") == pid else None
    return WarehouseBusy(path, pid, command_line(pid) or Path(match["program"]).name, url)


def command_line(pid: int) -> str:
    """How the process was started, as a person would type it ("hvp serve --port 8000"); '' if unknown."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    argv = [a for a in raw.decode("utf-8", "replace").split("\0") if a]
    if not argv:
        return ""
    if Path(argv[0]).name.startswith("python") and len(argv) > 1 and not argv[1].startswith("-"):
        argv = argv[1:]  # "python /…/bin/hvp serve" is hvp serve
    text = " ".join([Path(argv[0]).name, *argv[1:]])
    return text if len(text) <= 160 else text[:159] + "…"


def server_file(db: Path) -> Path:
    """Where a running `hvp serve` announces itself: beside the warehouse."""
    return db.with_name(db.name + ".server.json")


def write_server_file(db: Path, url: str) -> Path:
    path = server_file(db)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid(),
                               "started_at": datetime.now().astimezone().isoformat(timespec="seconds")}),
                   encoding="utf-8")
    tmp.replace(path)
    return path


def remove_server_file(db: Path) -> None:
    """Removed on exit, only when it is still this process's own."""
    info = read_server_file(db)
    if info and info.get("pid") == os.getpid():
        server_file(db).unlink(missing_ok=True)


def read_server_file(db: Path) -> dict | None:
    try:
        info = json.loads(server_file(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("url"), str) else None
