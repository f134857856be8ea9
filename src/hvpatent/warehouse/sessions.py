"""Server-side sessions and the login throttle, stored beside the accounts (never exported to Spark).

A session is a random 256-bit token. The browser keeps it in the signed session cookie; the warehouse keeps
only its SHA-256, with the user, when it started, when it was last seen and from where. Every request looks
the session up, so logout, a password change or a deactivation ends it at once, and a session ends after
``idle`` without requests (default 30 minutes) or ``absolute`` after it started (8 hours), whatever happens.

Failed logins are stored too (table ``login_failures``), so a restart does not reset them. Three counts, each
within ``WINDOW``, each locking for ``LOCKOUT`` once it reaches its limit, even for the right password:

- ``ACCOUNT_LIMIT`` failures for one user name from one client address lock that name *from that address*;
- ``NAME_LIMIT`` failures for one name from anywhere (guessing spread over many addresses) lock the name
  from every address *except those it logged in from before* (table ``known_addresses``), so nobody can keep
  a user locked out of the places they work from;
- ``ADDRESS_LIMIT`` failures from one address, whatever the names, lock that address.

Every attempt first reserves its failure row, under the store's write lock and in the same step as the lock
check, and only then verifies the password (outside the lock); a success deletes the reservation. So parallel
requests can never verify more than the limit of passwords per window. Locks apply to any name, existing or
not, so the answer never tells which names exist. See docs/security.md.
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

from hvpatent.warehouse.accounts import AccountError, User, audit, authenticate

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
        ip VARCHAR,
        attempt VARCHAR                 -- set while the attempt is in flight (its reservation), NULL once failed
    """,
    "lockouts": """
        subject VARCHAR NOT NULL,       -- a user name or a client address
        kind VARCHAR NOT NULL,          -- account_address | account | address
        locked_at TIMESTAMP NOT NULL,
        locked_until TIMESTAMP NOT NULL,
        ip VARCHAR,                     -- account_address: the address the name is locked from
        refusal_logged BOOLEAN DEFAULT FALSE  -- a refused login was audited during this lock
    """,
    "known_addresses": """
        username VARCHAR NOT NULL,      -- a successful login of this user from this address
        ip VARCHAR NOT NULL,
        last_login TIMESTAMP NOT NULL,
        PRIMARY KEY (username, ip)
    """,
}
# Columns added after the tables first shipped: warehouses made before get them on opening.
ADDED_COLUMNS = (("login_failures", "attempt VARCHAR"), ("lockouts", "ip VARCHAR"),
                 ("lockouts", "refusal_logged BOOLEAN DEFAULT FALSE"))

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most once a minute per session
ACCOUNT_LIMIT = 5                   # failures for one user name from one address within WINDOW
NAME_LIMIT = 50                     # failures for one user name from all addresses within WINDOW
ADDRESS_LIMIT = 50                  # failures from one client address within WINDOW, whatever the names
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
KEEP_FAILURES = timedelta(days=1)   # older failures are dropped
KNOWN_FOR = timedelta(days=90)      # an address a user logged in from stays known this long
NAME_CHARS = 64                     # what is stored of a submitted user name (any string may be tried)


def create_session_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name, cols in SESSION_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
    for table, column in ADDED_COLUMNS:
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}")


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
    """Lift every lock on an account (from any address, and everywhere) and forget its failures; True when it
    was locked. An unknown user is an AccountError (it may have been locked: unknown names are counted too,
    and their locks end by themselves)."""
    if not con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise AccountError(f"没有这个用户 / no such user: {username}")
    was = con.execute("SELECT count(*) FROM lockouts WHERE kind IN ('account', 'account_address') AND subject = ?"
                      " AND locked_until > ?", [username, datetime.now()]).fetchone()[0] > 0
    con.execute("DELETE FROM lockouts WHERE kind IN ('account', 'account_address') AND subject = ?", [username])
    con.execute("DELETE FROM login_failures WHERE username = ?", [username])
    audit(con, by, "account_unlocked", username)
    return was


@dataclass(frozen=True)
class Count:
    """One of the throttle's counts: which lock it sets, on whom, and which failures it counts."""
    kind: str             # account_address | account | address
    subject: str          # the user name, or the address for kind "address"
    ip: str | None        # the address, for kind "account_address"
    where: str            # the failures it counts (SQL condition on login_failures)
    params: tuple
    limit: int

    def describe(self) -> str:
        return f"{self.subject} from {self.ip}" if self.ip is not None else self.subject

    def lock(self, con: duckdb.DuckDBPyConnection) -> tuple | None:
        """The latest lock this count set (locked_until, locked_at, refusal_logged), ended or not."""
        return con.execute("SELECT locked_until, locked_at, refusal_logged FROM lockouts WHERE kind = ?"
                           " AND subject = ? AND ip IS NOT DISTINCT FROM ? ORDER BY locked_until DESC LIMIT 1",
                           [self.kind, self.subject, self.ip]).fetchone()

    def failures(self, con: duckdb.DuckDBPyConnection, now: datetime, last_lock: tuple | None,
                 in_flight: bool) -> int:
        """Failures within the window, with or without the attempts still being checked; a lock starts a
        fresh count when it ends."""
        start = max(now - WINDOW, last_lock[0]) if last_lock else now - WINDOW
        settled = "" if in_flight else " AND attempt IS NULL"
        return con.execute(f"SELECT count(*) FROM login_failures WHERE {self.where} AND failed_at > ?{settled}",
                           [*self.params, start]).fetchone()[0]


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
                 name_limit: int = NAME_LIMIT, address_limit: int = ADDRESS_LIMIT):
        self.con, self.idle, self.absolute, self.clock = con, idle, absolute, clock
        self.account_limit, self.name_limit, self.address_limit = account_limit, name_limit, address_limit
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
        result = self.verify(username, password, ip)
        if result.user is None:
            return result
        with self._writing() as cursor:
            audit(cursor, result.user.username, "login", ip)
            return LoginResult(result.user, self._start(cursor, result.user.username, ip, user_agent, self.clock()))

    def verify(self, username: str, password: str, ip: str, failure: str = "login_failed") -> LoginResult:
        """Check a password through the throttle, without starting a session (a login, or the current password
        of a password change: a wrong one is a failed login like any other). ``failure`` is the audit action."""
        name = username[:NAME_CHARS]
        attempt, until = self._reserve(name, ip, self.clock())
        if attempt is None:  # the password is not even checked: no guessing while locked
            return LoginResult(locked_until=until)
        with self._cursor() as cursor:  # Argon2 outside the write lock: other logins go on meanwhile
            user = authenticate(cursor, username, password)
        return LoginResult(user, locked_until=self._settle(name, ip, attempt, user, failure, self.clock()))

    def _counts(self, name: str, ip: str) -> tuple[Count, ...]:
        return (Count("account_address", name, ip, "username = ? AND ip = ?", (name, ip), self.account_limit),
                Count("account", name, None, "username = ?", (name,), self.name_limit),
                Count("address", ip, None, "ip = ?", (ip,), self.address_limit))

    @staticmethod
    def _applies(count: Count, cursor: duckdb.DuckDBPyConnection, name: str, ip: str, now: datetime) -> bool:
        """A name's lock from everywhere spares the addresses it logged in from before."""
        return count.kind != "account" or not cursor.execute(
            "SELECT 1 FROM known_addresses WHERE username = ? AND ip = ? AND last_login > ?",
            [name, ip, now - KNOWN_FOR]).fetchone()

    def _reserve(self, name: str, ip: str, now: datetime) -> tuple[str | None, datetime | None]:
        """In one step under the write lock: refuse when a lock applies, or when failures and attempts in
        flight already fill a limit; else store this attempt's failure row before its password is checked.
        Returns (attempt id, None), or (None, until when to wait)."""
        with self._writing() as cursor:
            counts = [c for c in self._counts(name, ip) if self._applies(c, cursor, name, ip, now)]
            locks = [(count, count.lock(cursor)) for count in counts]
            for count, last in locks:
                if last and last[0] > now:
                    if not last[2]:  # audited once per lock, not once per refused try
                        audit(cursor, name, "login_refused_locked", f"{ip}: {count.kind} {count.describe()}"
                              f" locked until {last[0].isoformat(timespec='seconds')}")
                        cursor.execute("UPDATE lockouts SET refusal_logged = TRUE WHERE kind = ? AND subject = ?"
                                       " AND ip IS NOT DISTINCT FROM ? AND locked_until = ?",
                                       [count.kind, count.subject, count.ip, last[0]])
                    return None, last[0]
            for count, last in locks:
                if count.failures(cursor, now, last, in_flight=True) >= count.limit:
                    # The limit is taken by attempts still being checked: they lock (and are audited) when
                    # they fail, or free their place when they succeed; ask again in a moment.
                    return None, now + timedelta(seconds=1)
            attempt = secrets.token_hex(16)
            cursor.execute("INSERT INTO login_failures VALUES (?, ?, ?, ?)", [now, name, ip, attempt])
            return attempt, None

    def _settle(self, name: str, ip: str, attempt: str, user: User | None, failure: str,
                now: datetime) -> datetime | None:
        """After the check: a success drops the attempt's row and this address's failures for the name and
        remembers the address; a failure stays counted and locks what reached its limit. Returns the end of
        a lock that now applies to this attempt, if any."""
        with self._writing() as cursor:
            if user is not None:
                cursor.execute("DELETE FROM login_failures WHERE username = ? AND ip = ?"
                               " AND (attempt IS NULL OR attempt = ?)", [name, ip, attempt])
                cursor.execute("DELETE FROM known_addresses WHERE (username = ? AND ip = ?) OR last_login < ?",
                               [name, ip, now - KNOWN_FOR])
                cursor.execute("INSERT INTO known_addresses VALUES (?, ?, ?)", [name, ip, now])
                return None
            cursor.execute("UPDATE login_failures SET attempt = NULL WHERE attempt = ?", [attempt])
            audit(cursor, name, failure, ip)
            cursor.execute("DELETE FROM login_failures WHERE failed_at < ?", [now - KEEP_FAILURES])
            cursor.execute("DELETE FROM lockouts WHERE locked_until < ?", [now - KEEP_FAILURES])
            until = None
            for count in self._counts(name, ip):
                last = count.lock(cursor)
                if last and last[0] > now:
                    continue  # already locked (a parallel attempt got there first)
                failed = count.failures(cursor, now, last, in_flight=False)
                if failed >= count.limit:
                    cursor.execute("INSERT INTO lockouts VALUES (?, ?, ?, ?, ?, FALSE)",
                                   [count.subject, count.kind, now, now + LOCKOUT, count.ip])
                    audit(cursor, None if count.kind == "address" else name, f"{count.kind}_locked",
                          f"{count.describe()}: {failed} failed logins within {int(WINDOW.total_seconds()) // 60}"
                          f" min, locked until {(now + LOCKOUT).isoformat(timespec='seconds')}")
                    if self._applies(count, cursor, name, ip, now):
                        until = now + LOCKOUT
            return until

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
                "SELECT s.username, s.created_at, s.last_seen, u.role, u.enterprise, u.bank, u.unit FROM sessions s"
                " JOIN users u ON u.username = s.username WHERE s.id_hash = ? AND u.active", [key]).fetchone()
        if row is None:
            return None
        username, created, seen, role, enterprise, bank, unit = row
        if now - created > self.absolute or now - seen > self.idle:
            self.end(token)
            return None
        if now - seen >= TOUCH_EVERY:
            with self._writing() as cursor:
                cursor.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", [now, key])
        return User(username, role, enterprise, bank, unit)

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
