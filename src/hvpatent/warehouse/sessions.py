"""Server-side sessions and the login throttle, stored beside the accounts (never exported to Spark).

A session is a random 256-bit token. The browser keeps it in the signed session cookie; the warehouse keeps
only its SHA-256, with the user, when it started, when it was last seen and from where. Every request looks
the session up, so logout, a password change or a deactivation ends it at once, and a session ends after
``idle`` without requests (default 30 minutes) or ``absolute`` after it started (8 hours), whatever happens.

Failed logins are stored too (table ``login_failures``), so a restart does not reset them: after
``ACCOUNT_LIMIT`` failures for one user name within ``WINDOW`` that name is locked for ``LOCKOUT``, even for
the right password; after ``ADDRESS_LIMIT`` failures from one client address, that address is. Locks apply to
any name, existing or not, so the answer never tells which names exist. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from hvpatent.warehouse.accounts import User, audit, authenticate

SESSION_TABLES = {
    "sessions": """
        id_hash VARCHAR PRIMARY KEY,    -- SHA-256 of the session token; the token is only in the cookie
        username VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        last_seen TIMESTAMP NOT NULL,
        ip VARCHAR,
        user_agent VARCHAR
    """,
    "login_failures": """
        failed_at TIMESTAMP NOT NULL,
        username VARCHAR,
        ip VARCHAR
    """,
    "lockouts": """
        subject VARCHAR NOT NULL,       -- a user name or a client address
        kind VARCHAR NOT NULL,          -- account | address
        locked_at TIMESTAMP NOT NULL,
        locked_until TIMESTAMP NOT NULL
    """,
}

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most once a minute per session
ACCOUNT_LIMIT = 5                   # failures per user name within WINDOW before it is locked
ADDRESS_LIMIT = 50                  # failures per client address within WINDOW before it is locked
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
KEEP_FAILURES = timedelta(days=1)   # older failures are dropped
NAME_CHARS = 64                     # what is stored of a submitted user name (any string may be tried)


def create_session_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name, cols in SESSION_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(token: str) -> str:
    """The CSRF token of a session: derived from its secret token, so it needs no storage of its own and
    tells nothing about the token (a different hash input than the stored one)."""
    return hashlib.sha256(b"csrf:" + token.encode()).hexdigest()


def end_user_sessions(con: duckdb.DuckDBPyConnection, username: str) -> int:
    """End every session of a user (password change, deactivation, `hvp users sessions --end`)."""
    count = con.execute("SELECT count(*) FROM sessions WHERE username = ?", [username]).fetchone()[0]
    con.execute("DELETE FROM sessions WHERE username = ?", [username])
    return count


def list_sessions(con: duckdb.DuckDBPyConnection, username: str | None = None) -> list[dict]:
    sql = "SELECT username, created_at, last_seen, ip, user_agent FROM sessions"
    rows = con.execute(sql + (" WHERE username = ?" if username else "") + " ORDER BY username, created_at",
                       [username] if username else []).fetchall()
    return [dict(zip(("username", "created_at", "last_seen", "ip", "user_agent"), r, strict=True)) for r in rows]


def unlock(con: duckdb.DuckDBPyConnection, username: str, by: str | None = None) -> bool:
    """Lift an account's lock and forget its failures; True when it was locked."""
    was = con.execute("SELECT count(*) FROM lockouts WHERE kind = 'account' AND subject = ? AND locked_until > ?",
                      [username, datetime.now()]).fetchone()[0] > 0
    con.execute("DELETE FROM lockouts WHERE kind = 'account' AND subject = ?", [username])
    con.execute("DELETE FROM login_failures WHERE username = ?", [username])
    audit(con, by, "account_unlocked", username)
    return was


def locked_until(con: duckdb.DuckDBPyConnection, username: str, ip: str, now: datetime) -> datetime | None:
    row = con.execute("SELECT max(locked_until) FROM lockouts WHERE locked_until > ? AND"
                      " ((kind = 'account' AND subject = ?) OR (kind = 'address' AND subject = ?))",
                      [now, username[:NAME_CHARS], ip]).fetchone()
    return row[0]


def record_failure(con: duckdb.DuckDBPyConnection, username: str, ip: str, now: datetime,
                   account_limit: int = ACCOUNT_LIMIT, address_limit: int = ADDRESS_LIMIT) -> list[str]:
    """Store a failed login; lock the name or the address when it reaches its limit. Returns what was locked."""
    name = username[:NAME_CHARS]
    con.execute("DELETE FROM login_failures WHERE failed_at < ?", [now - KEEP_FAILURES])
    con.execute("DELETE FROM lockouts WHERE locked_until < ?", [now - KEEP_FAILURES])
    con.execute("INSERT INTO login_failures VALUES (?, ?, ?)", [now, name, ip])
    locked = []
    for kind, subject, column, limit in (("account", name, "username", account_limit),
                                         ("address", ip, "ip", address_limit)):
        # Failures since the last lock of this subject ended count; a lock starts a fresh count.
        since = con.execute("SELECT max(locked_until) FROM lockouts WHERE kind = ? AND subject = ?",
                            [kind, subject]).fetchone()[0]
        start = max(now - WINDOW, since) if since else now - WINDOW
        count = con.execute(f"SELECT count(*) FROM login_failures WHERE {column} = ? AND failed_at > ?",
                            [subject, start]).fetchone()[0]
        if count >= limit:
            con.execute("INSERT INTO lockouts VALUES (?, ?, ?, ?)", [subject, kind, now, now + LOCKOUT])
            audit(con, name if kind == "account" else None, f"{kind}_locked",
                  f"{subject}: {count} failed logins within {int(WINDOW.total_seconds()) // 60} min,"
                  f" locked until {(now + LOCKOUT).isoformat(timespec='seconds')}")
            locked.append(kind)
    return locked


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    token: str | None = None
    locked_until: datetime | None = None


class SessionStore:
    """Sessions and logins for a running server: each call works on a cursor of its own (DuckDB cursors may
    be used from different threads), writes are serialised by a lock of the store's own so that a login
    never waits for an import holding the warehouse lock (the tables written here are not the import's)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, idle: timedelta = IDLE, absolute: timedelta = ABSOLUTE,
                 clock: Callable[[], datetime] = datetime.now, account_limit: int = ACCOUNT_LIMIT,
                 address_limit: int = ADDRESS_LIMIT):
        self.con, self.idle, self.absolute, self.clock = con, idle, absolute, clock
        self.account_limit, self.address_limit = account_limit, address_limit
        self._write = threading.Lock()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = self.con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @contextmanager
    def _writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._write, self._cursor() as cursor:
            cursor.execute("BEGIN")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def login(self, username: str, password: str, ip: str, user_agent: str = "") -> LoginResult:
        now = self.clock()
        with self._cursor() as cursor:
            until = locked_until(cursor, username, ip, now)
        if until is not None:  # the password is not even checked: no guessing while locked
            with self._writing() as cursor:
                audit(cursor, username[:NAME_CHARS], "login_refused_locked", ip)
            return LoginResult(locked_until=until)
        with self._cursor() as cursor:
            user = authenticate(cursor, username, password)
        with self._writing() as cursor:
            if user is None:
                audit(cursor, username[:NAME_CHARS], "login_failed", ip)
                locked = record_failure(cursor, username, ip, now, self.account_limit, self.address_limit)
                return LoginResult(locked_until=now + LOCKOUT if locked else None)
            cursor.execute("DELETE FROM login_failures WHERE username = ?", [user.username])
            audit(cursor, user.username, "login", ip)
            return LoginResult(user, self._start(cursor, user.username, ip, user_agent, now))

    def start(self, username: str, ip: str = "", user_agent: str = "") -> str:
        with self._writing() as cursor:
            return self._start(cursor, username, ip, user_agent, self.clock())

    def _start(self, cursor, username: str, ip: str, user_agent: str, now: datetime) -> str:
        cursor.execute("DELETE FROM sessions WHERE created_at < ? OR last_seen < ?",
                       [now - self.absolute, now - self.idle])
        token = secrets.token_urlsafe(32)  # 256 random bits
        cursor.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                       [token_hash(token), username, now, now, ip[:64], user_agent[:256]])
        return token

    def user(self, token: str) -> User | None:
        """The active user of a live session, or None (unknown, ended, idle, too old, user deactivated)."""
        now, key = self.clock(), token_hash(token)
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT s.username, s.created_at, s.last_seen, u.role, u.enterprise FROM sessions s"
                " JOIN users u ON u.username = s.username WHERE s.id_hash = ? AND u.active", [key]).fetchone()
        if row is None:
            return None
        username, created, seen, role, enterprise = row
        if now - created > self.absolute or now - seen > self.idle:
            self.end(token)
            return None
        if now - seen >= TOUCH_EVERY:
            with self._writing() as cursor:
                cursor.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", [now, key])
        return User(username, role, enterprise)

    def end(self, token: str) -> None:
        with self._writing() as cursor:
            cursor.execute("DELETE FROM sessions WHERE id_hash = ?", [token_hash(token)])

    def end_user(self, username: str) -> int:
        with self._writing() as cursor:
            return end_user_sessions(cursor, username)

    def unlock(self, username: str, by: str | None = None) -> bool:
        with self._writing() as cursor:
            return unlock(cursor, username, by)

    @contextmanager
    def account_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for account changes made through the server (they open their own transaction)."""
        with self._write, self._cursor() as cursor:
            yield cursor
