"""A warehouse another process holds: the CLI names the holder and exits 2 (no DuckDB traceback); a running
`hvp serve` announces itself in <warehouse>.server.json, and `hvp import FILE --server URL` imports through
it. Real processes throughout: a Python process holding the file, `hvp serve`, and the `hvp` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_xlsx
from test_cli import HVP, hvp
from test_import import good_rows
from webserver import PASSWORD

HOLD = ("import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n")


@pytest.fixture
def export(tmp_path) -> Path:
    return write_xlsx(tmp_path / "export.xlsx", good_rows())


def test_a_second_process_is_told_who_holds_the_warehouse(tmp_path, export):
    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        for args in (["import", str(export)], ["imports"], ["summary", "--as-of", "2024-01-01"],
                     ["serve", "--port", "0"]):
            r = hvp("--db", str(db), *args, check=False)
            assert r.returncode == 2, r.stdout + r.stderr
            message = " ".join(r.stderr.split())
            assert f"正被进程 {holder.pid} (python" in message and f"in use by PID {holder.pid}" in message
            assert "请待其结束后再试" in message and "try again when it has finished" in message
            assert "Traceback" not in r.stderr and "IOException" not in r.stderr
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert "新增 3" in hvp("--db", str(db), "import", str(export)).stdout  # free again


@pytest.fixture
def served(tmp_path):
    """`hvp serve --port 0` on a warehouse with one admin; yields (db, url, process)."""
    from hvpatent.warehouse.accounts import add_user
    from hvpatent.warehouse.store import Warehouse

    db = tmp_path / "served.duckdb"
    with Warehouse(db) as wh:
        add_user(wh.con, "admin", PASSWORD, "admin", None)
    server = subprocess.Popen([HVP, "--db", str(db), "serve", "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()  # printed once the socket listens and server.json is written
        assert "看板 / dashboard: http://127.0.0.1:" in line, line + server.stderr.read()
        url = line.split()[3].rstrip("/")
        yield db, url, server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=60)


def _remote(url: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    env = {**os.environ, "HVP_PASSWORD": password}
    return subprocess.run([HVP, "import", *args, "--server", url, "--user", "admin"], capture_output=True,
                          text=True, timeout=300, env=env)


def test_import_through_the_running_server(served, export, tmp_path):
    db, url, server = served
    announced = json.loads((db.parent / "served.duckdb.server.json").read_text(encoding="utf-8"))
    assert announced["url"] == url and announced["pid"] == server.pid and announced["started_at"]

    local = hvp("--db", str(db), "import", str(export), check=False)
    assert local.returncode == 2 and "Traceback" not in local.stderr
    message = " ".join(local.stderr.split())
    assert f"正被进程 {server.pid} (hvp --db " in message and "serve --port 0)" in message
    assert f"hvp import FILE --server {url}" in message and f"hvp import 文件 --server {url}" in message

    first = _remote(url, str(export))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "已导入 export.xlsx：读取 3 行，新增 3" in first.stdout
    again = _remote(url, str(export))
    assert again.returncode == 0 and "已于第 1 次导入中导入过" in again.stdout

    bad = write_xlsx(tmp_path / "bad.xlsx", [good_rows()[0], ["not-a-number", *good_rows()[1][1:]]])
    report = tmp_path / "errors.xlsx"
    rejected = _remote(url, str(bad), "--report", str(report))
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr
    assert "bad.xlsx 有 1 处错误，整个文件未导入" in rejected.stderr and "not-a-number" in rejected.stderr
    assert report.exists()

    wrong = _remote(url, str(export), password="not the password")
    assert wrong.returncode == 2 and "登录" in wrong.stderr and "login failed" in wrong.stderr

    server.terminate()  # SIGTERM: a graceful stop removes the announcement
    assert server.wait(timeout=60) == 0
    assert not (db.parent / "served.duckdb.server.json").exists()
    assert "已于第 1 次导入中导入过" in hvp("--db", str(db), "import", str(export)).stdout


def test_an_unreachable_server_is_a_message(export):
    r = _remote("http://127.0.0.1:9", str(export))
    assert r.returncode == 2 and "无法连接服务器 http://127.0.0.1:9" in r.stderr and "Traceback" not in r.stderr
