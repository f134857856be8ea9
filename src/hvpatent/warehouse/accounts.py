"""Accounts, roles and the audit log, stored beside the warehouse's tables (never exported to Spark).

Passwords are hashed with Argon2id (argon2-cffi); only the hash is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

ROLES = ("admin", "analyst", "enterprise", "bank")

ACCOUNT_TABLES = {
    "users": """
        username VARCHAR PRIMARY KEY,
        password_hash VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        enterprise VARCHAR,          -- normalised applicant name, for enterprise accounts
        created_at TIMESTAMP NOT NULL,
        active BOOLEAN NOT NULL DEFAULT TRUE
    """,
    "audit_log": """
        logged_at TIMESTAMP NOT NULL,
        username VARCHAR,
        action VARCHAR NOT NULL,
        detail VARCHAR
    """,
}

_HASHER = PasswordHasher()


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    username: str
    role: str
    enterprise: str | None = None


def create_account_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name, cols in ACCOUNT_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


def add_user(con: duckdb.DuckDBPyConnection, username: str, password: str, role: str,
             enterprise: str | None = None, by: str | None = None) -> User:
    if role not in ROLES:
        raise AccountError(f"角色应为 {' | '.join(ROLES)} / role must be one of {', '.join(ROLES)}")
    if role == "enterprise" and not enterprise:
        raise AccountError("企业账号需要 --enterprise 企业名称 / an enterprise account needs its enterprise")
    if len(password) < 8:
        raise AccountError("密码至少8位 / password must have at least 8 characters")
    if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise AccountError(f"用户已存在 / user exists: {username}")
    con.execute("BEGIN")
    con.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, TRUE)",
                [username, _HASHER.hash(password), role, enterprise, datetime.now()])
    audit(con, by, "user_added", f"{username} ({role}{', ' + enterprise if enterprise else ''})")
    con.execute("COMMIT")
    return User(username, role, enterprise)


def authenticate(con: duckdb.DuckDBPyConnection, username: str, password: str) -> User | None:
    row = con.execute("SELECT password_hash, role, enterprise FROM users WHERE username = ? AND active",
                      [username]).fetchone()
    if row is None:
        _HASHER.hash(password)  # the same cost as a real check: timing does not tell which names exist
        return None
    try:
        _HASHER.verify(row[0], password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    return User(username, row[1], row[2])


def get_user(con: duckdb.DuckDBPyConnection, username: str) -> User | None:
    row = con.execute("SELECT role, enterprise FROM users WHERE username = ? AND active", [username]).fetchone()
    return None if row is None else User(username, row[0], row[1])


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute("SELECT username, role, enterprise, created_at, active FROM users ORDER BY username")
    return [dict(zip(("username", "role", "enterprise", "created_at", "active"), r, strict=True))
            for r in rows.fetchall()]


def audit(con: duckdb.DuckDBPyConnection, username: str | None, action: str, detail: str = "") -> None:
    con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?)", [datetime.now(), username, action, detail])


def audit_entries(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict]:
    rows = con.execute("SELECT logged_at, username, action, detail FROM audit_log"
                       " ORDER BY logged_at DESC LIMIT ?", [limit])
    return [dict(zip(("logged_at", "username", "action", "detail"), r, strict=True)) for r in rows.fetchall()]
