"""Accounts, roles and the audit log, stored beside the warehouse's tables (never exported to Spark).

Passwords are hashed with Argon2id (argon2-cffi); only the hash is stored. The password and user-name
policy (`check_password`, `check_username`) follows NIST SP 800-63B; docs/security.md gives the reasons.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

ROLES = ("admin", "analyst", "enterprise", "bank", "unit")

ACCOUNT_TABLES = {
    "users": """
        username VARCHAR PRIMARY KEY,
        password_hash VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        enterprise VARCHAR,          -- normalised applicant name, for enterprise accounts
        created_at TIMESTAMP NOT NULL,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        bank VARCHAR,                -- normalised pledgee name, for bank accounts (added by issue 18)
        unit VARCHAR                 -- a plan's responsible or cooperating unit as the plan files name it (区科技局),
                                     -- for unit accounts (added by issue 21, docs/tasks.md)
    """,
    "audit_log": """
        logged_at TIMESTAMP NOT NULL,
        username VARCHAR,
        action VARCHAR NOT NULL,
        detail VARCHAR
    """,
}

_HASHER = PasswordHasher()

MIN_PASSWORD = 12    # characters (NIST SP 800-63B: at least 8; rev. 4 asks 15 where the password is the only factor)
MAX_PASSWORD = 128   # characters: long pass phrases welcome, megabyte "passwords" are not
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,31}")
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")  # see common-passwords.LICENSE


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    username: str
    role: str
    enterprise: str | None = None
    bank: str | None = None      # normalised name of the bank (pledgee) a bank account acts for
    unit: str | None = None      # the plan unit (区科技局) a unit account reports for (hvpatent.tasks)


def create_account_tables(con: duckdb.DuckDBPyConnection) -> None:
    from hvpatent.warehouse.sessions import create_session_tables

    for name, cols in ACCOUNT_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
    con.execute("ALTER TABLE users ADD COLUMN IF NOT EXISTS bank VARCHAR")  # accounts made before issue 18
    con.execute("ALTER TABLE users ADD COLUMN IF NOT EXISTS unit VARCHAR")  # accounts made before issue 21
    create_session_tables(con)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip())


def check_username(username: str) -> None:
    if not USERNAME.fullmatch(username or ""):
        raise AccountError("用户名应为 2–32 位字母、数字或 _ . -，以字母或数字开头"
                           f" / a user name is 2-32 letters, digits, '_', '.' or '-', starting with a letter or digit:"
                           f" {username!r}")


def check_password(password: str, username: str = "") -> None:
    """NIST SP 800-63B: a minimum length, no composition rules, not a known common password, not the user
    name; any printable character (spaces and Chinese included) allowed, compared after NFKC normalisation."""
    text = unicodedata.normalize("NFKC", password or "")
    if len(text) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符 / a password needs at least {MIN_PASSWORD} characters")
    if len(text) > MAX_PASSWORD:
        raise AccountError(f"密码最多 {MAX_PASSWORD} 个字符 / a password has at most {MAX_PASSWORD} characters")
    if not text.strip() or len(set(text)) < 3:
        raise AccountError("密码不能全是空格或同一个字符 / a password may not be only spaces or one repeated character")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise AccountError("密码不能含控制字符 / a password may not contain control characters")
    lowered, name = text.casefold(), (username or "").casefold()
    if name and (lowered == name or (len(name) >= 4 and name in lowered)):
        raise AccountError("密码不能是或包含用户名 / a password may not be or contain the user name")
    squeezed = "".join(lowered.split())
    if lowered in common_passwords() or lowered.strip() in common_passwords() or squeezed in common_passwords():
        raise AccountError("这是常见密码，请换一个 / this is a commonly used password; choose another")


def add_user(con: duckdb.DuckDBPyConnection, username: str, password: str, role: str,
             enterprise: str | None = None, by: str | None = None, bank: str | None = None,
             unit: str | None = None) -> User:
    """``enterprise`` (enterprise accounts) and ``bank`` (bank accounts) are normalised names: an enterprise
    account sees its own patents; a bank account its own pledge contracts (pledgee = bank, or a branch of it).
    ``unit`` (unit accounts) is a plan unit's name as the plan files write it; the caller checks it against the
    plans' units (hvpatent.plan.known_units): a unit account sees and reports its own tasks only."""
    if role not in ROLES:
        raise AccountError(f"角色应为 {' | '.join(ROLES)} / role must be one of {', '.join(ROLES)}")
    if role == "enterprise" and not enterprise:
        raise AccountError("企业账号需要 --enterprise 企业名称 / an enterprise account needs its enterprise")
    if role == "bank" and not bank:
        raise AccountError("银行账号需要 --bank 银行名称 / a bank account needs its bank")
    if role == "unit" and not (unit or "").strip():
        raise AccountError("责任单位账号需要 --unit 单位名称 / a unit account needs its unit")
    if role != "unit":
        unit = None
    check_username(username)
    check_password(password, username)
    if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise AccountError(f"用户已存在 / user exists: {username}")
    con.execute("BEGIN")
    con.execute("INSERT INTO users (username, password_hash, role, enterprise, created_at, active, bank, unit)"
                " VALUES (?, ?, ?, ?, ?, TRUE, ?, ?)",
                [username, _HASHER.hash(password), role, enterprise, datetime.now(), bank, unit])
    of = enterprise or bank or unit
    audit(con, by, "user_added", f"{username} ({role}{', ' + of if of else ''})")
    con.execute("COMMIT")
    return User(username, role, enterprise, bank, unit)


def authenticate(con: duckdb.DuckDBPyConnection, username: str, password: str) -> User | None:
    row = con.execute("SELECT password_hash, role, enterprise, bank, unit FROM users WHERE username = ? AND active",
                      [username]).fetchone()
    if row is None:
        _HASHER.hash(password)  # the same cost as a real check: timing does not tell which names exist
        return None
    try:
        _HASHER.verify(row[0], password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    return User(username, row[1], row[2], row[3], row[4])


def set_password(con: duckdb.DuckDBPyConnection, username: str, password: str, by: str | None = None) -> int:
    """A new password; every session of the user ends. Returns how many sessions ended."""
    from hvpatent.warehouse.sessions import end_user_sessions

    check_password(password, username)
    _exists(con, username)
    con.execute("BEGIN")
    con.execute("UPDATE users SET password_hash = ? WHERE username = ?", [_HASHER.hash(password), username])
    ended = end_user_sessions(con, username)
    audit(con, by, "password_changed", f"{username}, {ended} sessions ended")
    con.execute("COMMIT")
    return ended


def set_active(con: duckdb.DuckDBPyConnection, username: str, active: bool, by: str | None = None) -> int:
    """Deactivate (every session ends at once) or reactivate an account. Returns how many sessions ended."""
    from hvpatent.warehouse.sessions import end_user_sessions

    _exists(con, username)
    con.execute("BEGIN")
    con.execute("UPDATE users SET active = ? WHERE username = ?", [active, username])
    ended = 0 if active else end_user_sessions(con, username)
    audit(con, by, "user_activated" if active else "user_deactivated", f"{username}, {ended} sessions ended")
    con.execute("COMMIT")
    return ended


def _exists(con: duckdb.DuckDBPyConnection, username: str) -> None:
    if not con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise AccountError(f"没有这个用户 / no such user: {username}")


def get_user(con: duckdb.DuckDBPyConnection, username: str) -> User | None:
    row = con.execute("SELECT role, enterprise, bank, unit FROM users WHERE username = ? AND active",
                      [username]).fetchone()
    return None if row is None else User(username, row[0], row[1], row[2], row[3])


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute("SELECT username, role, enterprise, bank, unit, created_at, active FROM users"
                       " ORDER BY username")
    return [dict(zip(("username", "role", "enterprise", "bank", "unit", "created_at", "active"), r, strict=True))
            for r in rows.fetchall()]


def audit(con: duckdb.DuckDBPyConnection, username: str | None, action: str, detail: str = "") -> None:
    con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?)", [datetime.now(), username, action, detail])


def audit_entries(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict]:
    rows = con.execute("SELECT logged_at, username, action, detail FROM audit_log"
                       " ORDER BY logged_at DESC LIMIT ?", [limit])
    return [dict(zip(("logged_at", "username", "action", "detail"), r, strict=True)) for r in rows.fetchall()]
