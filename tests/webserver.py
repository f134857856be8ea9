"""A real HTTP server for tests: uvicorn on a loopback socket bound before it starts, so the port
is known and early requests wait in the socket's backlog instead of racing the start-up."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn


@contextmanager
def serve(app):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def get_routes(routes):
    """Every GET route of an app (pass ``app.routes``), through FastAPI's included routers: from FastAPI 0.165 on,
    app.routes holds the included routers, not their routes."""
    from fastapi.routing import APIRoute

    for route in routes:
        if hasattr(route, "original_router"):
            yield from get_routes(route.original_router.routes)
        elif isinstance(route, APIRoute) and "GET" in route.methods:
            yield route


PASSWORD = "correct horse 42"
# The hand-built district's accounts: one per role, two enterprises (甲 = world.E1, 乙 = world.E2); the bank
# account acts for world.BANK (a bank account is bound to its bank, issue 18).
# Two unit accounts (issue 21) report for two of the seed plan's units, named as the plan names them.
ACCOUNTS = (("admin", "admin", None), ("analyst", "analyst", None), ("jia", "enterprise", "E1"),
            ("yi", "enterprise", "E2"), ("bank", "bank", "BANK"), ("keji", "unit", "区科技局"),
            ("jingxin", "unit", "区经济信息委"))


def world_db(folder, name: str = "web.duckdb", extra_accounts=()):
    """The world.py district in ``folder / name`` with one account per role (ACCOUNTS) and the
    ``extra_accounts`` given as (username, role, enterprise or bank or None: a name in world.py; for a unit
    account the unit's name itself), all with PASSWORD; the path."""
    import world
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.warehouse.accounts import add_user
    from hvpatent.warehouse.store import Warehouse

    db = folder / name
    with Warehouse(db) as wh:
        world.build(wh)
        for username, role, of in (*ACCOUNTS, *extra_accounts):
            name = normalize_name(getattr(world, of)) if of and role != "unit" else None
            add_user(wh.con, username, PASSWORD, role, name if role == "enterprise" else None,
                     bank=name if role == "bank" else None, unit=of if role == "unit" else None)
    return db


@contextmanager
def world_server(folder, **app_options):
    """The world.py district with one account per role, served on loopback; yields the base URL."""
    from hvpatent.web import create_app

    with serve(create_app(world_db(folder), secret="test-secret", **app_options)) as url:
        yield url


@contextmanager
def client(base_url: str, username: str | None = None) -> Iterator[httpx.Client]:
    """A browser-like client: keeps the session cookie; logged in as ``username`` when given."""
    with httpx.Client(base_url=base_url, timeout=120) as c:
        if username:
            r = c.post("/api/login", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            c.headers["x-csrf-token"] = r.json()["csrf"]
        yield c
