"""Sessions, logins and page security against a real server on loopback (issue 12, items 6, 7, 8, 11, the
`?lang=` case of 9 and the security headers): logout, password change and deactivation end a saved
cookie at once; failed logins lock a name (persisted, admin unlock); `next` stays on the site; the account
policy; CSP without inline script, frame/sniff/referrer headers, Secure cookies behind TLS, /docs for staff."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import chromium
from hvpatent.warehouse.accounts import AccountError, add_user, check_password, check_username
from hvpatent.warehouse.sessions import ACCOUNT_LIMIT, LOCKOUT, SessionStore
from hvpatent.warehouse.store import Warehouse
from hvpatent.web import create_app
from webserver import ACCOUNTS, PASSWORD, serve, world_db

HVP = str(Path(sys.executable).parent / "hvp")
SECRET = "test-secret"
# Accounts of this module's own, so that locking or deactivating them leaves the role accounts alone.
EXTRA = ("locky", "gone", "changer", "guessed")
TEMPLATES = Path(__file__).parents[1] / "src" / "hvpatent" / "web" / "templates"


def make_db(folder: Path) -> Path:
    return world_db(folder, "security.duckdb", extra_accounts=[(name, "analyst", None) for name in EXTRA])


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return make_db(tmp_path_factory.mktemp("security"))


@pytest.fixture(scope="module")
def base_url(db):
    with serve(create_app(db, secret=SECRET, default_as_of=date(2024, 12, 31))) as url:
        yield url


@contextmanager
def client(base_url: str, username: str | None = None, **headers: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=120, headers=headers) as c:
        if username:
            r = c.post("/api/login", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            c.headers["x-csrf-token"] = r.json()["csrf"]
        yield c


def saved_cookie(c: httpx.Client) -> dict[str, str]:
    return {"hvp_session": c.cookies["hvp_session"]}


def me(base_url: str, cookies: dict[str, str]) -> int:
    with httpx.Client(base_url=base_url, cookies=cookies, timeout=120) as c:
        return c.get("/api/me").status_code


def form_csrf(c: httpx.Client, path: str = "/login") -> str:
    page = c.get(path).text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def form_login(c: httpx.Client, username: str, next: str = "/") -> httpx.Response:
    return c.post("/login", data={"username": username, "password": PASSWORD, "csrf": form_csrf(c), "next": next})


# -- sessions ---------------------------------------------------------------------------------------------
def test_the_cookie_carries_only_a_session_id(base_url):
    with client(base_url, "analyst") as c:
        payload = c.cookies["hvp_session"].split(".")[0]
        data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
        assert set(data) == {"sid"} and len(data["sid"]) >= 43  # 256 random bits, url-safe base64
        assert "analyst" not in json.dumps(data)


def test_api_logout_needs_csrf_and_ends_the_session_at_once(base_url):
    with client(base_url, "analyst") as c:
        cookie = saved_cookie(c)
        assert me(base_url, cookie) == 200
        token = c.headers.pop("x-csrf-token")
        assert c.post("/api/logout").status_code == 403          # no CSRF token: refused, still logged in
        assert me(base_url, cookie) == 200
        assert c.post("/api/logout", headers={"x-csrf-token": token}).json() == {"ok": True}
        assert me(base_url, cookie) == 401                       # the saved cookie is dead


def test_form_logout_ends_the_session_at_once(base_url):
    with client(base_url) as c:
        assert form_login(c, "analyst").status_code == 303
        cookie = saved_cookie(c)
        assert me(base_url, cookie) == 200
        r = c.post("/logout", data={"csrf": form_csrf(c, "/tasks")})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert me(base_url, cookie) == 401
        assert c.get("/tasks").status_code == 303                # pages send it back to the login page


def test_password_change_through_the_api_ends_other_sessions(base_url):
    with client(base_url, "changer") as old, client(base_url, "changer") as current:
        cookie = saved_cookie(old)
        body = {"current_password": "wrong password 1", "new_password": "another horse 43"}
        assert current.post("/api/me/password", json=body).status_code == 403
        body["current_password"] = PASSWORD
        assert current.post("/api/me/password", json={**body, "new_password": "password1234"}).status_code == 422
        r = current.post("/api/me/password", json=body)
        assert r.status_code == 200
        assert me(base_url, cookie) == 401                       # the other session ended
        current.headers["x-csrf-token"] = r.json()["csrf"]
        assert current.get("/api/me").status_code == 200         # the one that changed it goes on
        r = current.post("/api/me/password", json={"current_password": "another horse 43",
                                                   "new_password": PASSWORD})
        assert r.status_code == 200


def test_admin_deactivation_ends_the_users_sessions(base_url):
    with client(base_url, "gone") as gone, client(base_url, "admin") as admin:
        cookie = saved_cookie(gone)
        assert admin.post("/api/users/gone/deactivate", headers={"x-csrf-token": ""}).status_code == 403
        r = admin.post("/api/users/gone/deactivate")
        assert r.json() == {"username": "gone", "sessions_ended": 1}
        assert me(base_url, cookie) == 401
        assert httpx.post(f"{base_url}/api/login", json={"username": "gone", "password": PASSWORD}).status_code == 401
        assert admin.post("/api/users/nobody-here/deactivate").status_code == 404


def hvp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HVP, *args], capture_output=True, text=True, timeout=300, check=False)


def test_cli_passwd_and_deactivate_end_saved_sessions(tmp_path):
    """The CLI works on a stopped server's warehouse; the sessions live there, so a restart keeps them
    (same secret) and `hvp users passwd` / `deactivate` end them."""
    db = make_db(tmp_path)
    with (serve(create_app(db, secret=SECRET)) as url, client(url, "analyst") as a, client(url, "jia") as j,
          client(url, "admin") as b):
        analyst, jia, admin = saved_cookie(a), saved_cookie(j), saved_cookie(b)
    sessions = hvp("--db", str(db), "users", "sessions")
    assert sessions.returncode == 0 and "analyst" in sessions.stdout and "jia" in sessions.stdout
    assert hvp("--db", str(db), "users", "passwd", "analyst", "--password", "analyst").returncode == 2  # policy
    changed = hvp("--db", str(db), "users", "passwd", "analyst", "--password", "a new horse 43")
    assert changed.returncode == 0 and "1" in changed.stdout, changed.stderr
    assert hvp("--db", str(db), "users", "deactivate", "jia").returncode == 0
    with serve(create_app(db, secret=SECRET)) as url:
        assert me(url, admin) == 200            # a restart alone ends nothing
        assert me(url, analyst) == 401          # the password changed
        assert me(url, jia) == 401              # the account was deactivated
        assert httpx.post(f"{url}/api/login", json={"username": "analyst", "password": "a new horse 43"}).is_success


def test_sessions_end_when_idle_or_too_old(tmp_path):
    """The store's clock is a parameter: minutes pass without waiting for them."""
    now = [datetime(2024, 6, 1, 9, 0)]
    with Warehouse(tmp_path / "s.duckdb") as wh:
        add_user(wh.con, "ana", PASSWORD, "analyst")
        store = SessionStore(wh.con, idle=timedelta(minutes=30), absolute=timedelta(hours=8), clock=lambda: now[0])
        idle = store.start("ana")
        busy = store.start("ana")
        for _ in range(20):                     # busy: a request every 25 minutes for 8 h 20 min
            now[0] += timedelta(minutes=25)
            alive = store.user(busy) is not None
            if now[0] - datetime(2024, 6, 1, 9, 0) <= timedelta(hours=8):
                assert alive, now[0]
            else:
                assert not alive                # 8 hours after the login, whatever happens
        assert store.user(idle) is None         # 25 minutes idle was fine, 50 were not
        seen = wh.con.execute("SELECT count(*) FROM sessions").fetchone()[0]
        assert seen == 0                        # expired sessions are deleted
        # last_seen is written at most once a minute
        now[0] = datetime(2024, 6, 2, 9, 0)
        token = store.start("ana")
        now[0] += timedelta(seconds=30)
        assert store.user(token)
        assert wh.con.execute("SELECT last_seen FROM sessions").fetchone()[0] == datetime(2024, 6, 2, 9, 0)
        now[0] += timedelta(seconds=31)
        assert store.user(token)
        assert wh.con.execute("SELECT last_seen FROM sessions").fetchone()[0] == now[0]
        assert store.end_user("ana") == 1 and store.user(token) is None


# -- brute force ------------------------------------------------------------------------------------------
def test_six_wrong_passwords_lock_the_name_until_an_admin_unlocks_it(base_url):
    def login(username: str, password: str) -> httpx.Response:
        return httpx.post(f"{base_url}/api/login", json={"username": username, "password": password}, timeout=120)

    answers = [login("locky", f"wrong guess {i:02}").status_code for i in range(6)]
    assert answers == [401] * (ACCOUNT_LIMIT - 1) + [429] * (6 - ACCOUNT_LIMIT + 1)
    refused = login("locky", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0   # even the right password
    # A name that does not exist gets the very same answers: nothing tells which names exist.
    ghost = [login("no-such-user", f"wrong guess {i:02}") for i in range(6)]
    assert [r.status_code for r in ghost] == answers and ghost[-1].json() == refused.json()
    with client(base_url, "admin") as admin:
        log = admin.get("/api/audit").json()
        assert any(e["action"] == "account_address_locked" and e["username"] == "locky" for e in log)
        token = admin.headers.pop("x-csrf-token")
        assert admin.post("/api/users/locky/unlock").status_code == 403                  # CSRF
        assert admin.post("/api/users/locky/unlock", headers={"x-csrf-token": token}).json()["was_locked"]
        assert any(e["action"] == "account_unlocked" for e in admin.get("/api/audit").json())
        ghost_unlock = admin.post("/api/users/no-such-user/unlock", headers={"x-csrf-token": token})
        assert ghost_unlock.status_code == 404 and "no such user" in ghost_unlock.json()["detail"]
        assert not any(e["action"] == "account_unlocked" and e["detail"] == "no-such-user"
                       for e in admin.get("/api/audit").json())
    assert login("locky", PASSWORD).status_code == 200
    with client(base_url, "analyst") as analyst:                                        # staff may not unlock
        assert analyst.post("/api/users/locky/unlock").status_code == 403


def test_the_form_login_is_throttled_too(base_url):
    with client(base_url) as c:
        for i in range(ACCOUNT_LIMIT):
            r = c.post("/login", data={"username": "bank", "password": f"bad {i}", "csrf": form_csrf(c)})
        assert r.status_code == 429 and "锁定" in r.text
        assert form_login(c, "bank").status_code == 429
    with client(base_url, "admin") as admin:
        assert admin.post("/api/users/bank/unlock").json()["was_locked"]


def audited(con, action: str, username: str | None = None) -> int:
    return con.execute("SELECT count(*) FROM audit_log WHERE action = ? AND username IS NOT DISTINCT FROM"
                       " coalesce(?, username)", [action, username]).fetchone()[0]


def test_failures_are_kept_in_the_warehouse_and_count_per_address(tmp_path):
    with Warehouse(tmp_path / "t.duckdb") as wh:
        add_user(wh.con, "ana", PASSWORD, "analyst")
        store = SessionStore(wh.con)
        for i in range(ACCOUNT_LIMIT - 1):
            assert store.login("ana", f"wrong {i}", "10.0.0.1").locked_until is None
        again = SessionStore(wh.con, address_limit=8)  # a restarted server: the failures are still there
        assert again.login("ana", "wrong 5", "10.0.0.1").locked_until is not None
        assert again.login("ana", PASSWORD, "10.0.0.1").user is None                  # locked from there
        # ... and only from there: whoever guesses cannot lock the user out of the places they work from.
        assert again.login("ana", PASSWORD, "10.0.0.2").user
        assert again.unlock("ana", by="admin") and again.login("ana", PASSWORD, "10.0.0.1").user
        # One address trying many names is stopped too, even for a right password afterwards.
        for i in range(again.address_limit):
            again.login(f"name{i % 3}", "wrong", "10.0.0.9")
        assert again.login("ana", PASSWORD, "10.0.0.9").locked_until is not None
        assert again.login("ana", PASSWORD, "10.0.0.3").user                          # other addresses are not
        with pytest.raises(AccountError):
            again.unlock("name0")                                                     # no such user


def test_parallel_logins_check_no_more_passwords_than_the_limit(tmp_path):
    """20 logins for one name at the same moment: the lock check and the reservation of a failure are one
    step, so exactly ACCOUNT_LIMIT passwords are verified; the right password is refused afterwards."""
    with Warehouse(tmp_path / "p.duckdb") as wh:
        add_user(wh.con, "ana", PASSWORD, "analyst")
        store = SessionStore(wh.con)
        start, results = threading.Barrier(20), []

        def attempt(i: int) -> None:
            start.wait()
            results.append(store.login("ana", f"wrong guess {i:02}", "10.0.0.1"))

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 20 and not any(r.user for r in results)
        assert audited(wh.con, "login_failed", "ana") == ACCOUNT_LIMIT              # passwords verified
        assert sum(r.locked_until is not None for r in results) == 20 - ACCOUNT_LIMIT + 1
        assert wh.con.execute("SELECT count(*) FROM login_failures WHERE attempt IS NOT NULL").fetchone()[0] == 0
        refused = store.login("ana", PASSWORD, "10.0.0.1")
        assert refused.user is None and refused.locked_until is not None
        assert audited(wh.con, "login_failed", "ana") == ACCOUNT_LIMIT              # not even checked


def test_guessing_from_many_addresses_spares_the_users_own_addresses(tmp_path):
    """Failures for one name spread over many addresses (each below the per-address limit) lock the name
    everywhere except where the user logged in before; the lock is audited, refusals once per lock."""
    now = [datetime(2024, 6, 1, 9, 0)]
    with Warehouse(tmp_path / "d.duckdb") as wh:
        add_user(wh.con, "ana", PASSWORD, "analyst")
        store = SessionStore(wh.con, name_limit=6, clock=lambda: now[0])
        assert store.login("ana", PASSWORD, "10.1.0.1").user                          # her office
        answers = [store.login("ana", "wrong guess", f"10.2.0.{i}").locked_until is not None for i in range(6)]
        assert answers == [False] * 5 + [True]
        assert audited(wh.con, "account_locked", "ana") == 1
        for _ in range(5):                                                           # a new address: refused
            assert store.login("ana", PASSWORD, "10.3.0.1").locked_until == now[0] + LOCKOUT
        assert audited(wh.con, "login_refused_locked", "ana") == 1                   # once per lock, not per try
        assert store.login("ana", PASSWORD, "10.1.0.1").user                          # her office still works
        now[0] += LOCKOUT + timedelta(seconds=1)                                     # the lock ends by itself
        assert store.login("ana", PASSWORD, "10.3.0.1").user


def test_a_wrong_current_password_counts_as_a_failed_login(base_url):
    """A stolen session cannot guess the password through /api/me/password: the login throttle applies."""
    with client(base_url, "guessed") as c:
        answers = [c.post("/api/me/password", json={"current_password": f"wrong guess {i:02}",
                                                   "new_password": "another horse 43"}).status_code
                   for i in range(ACCOUNT_LIMIT + 1)]
        assert answers == [403] * (ACCOUNT_LIMIT - 1) + [429] * 2
        right = c.post("/api/me/password", json={"current_password": PASSWORD, "new_password": "another horse 43"})
        assert right.status_code == 429 and int(right.headers["retry-after"]) > 0     # not even checked
    with client(base_url, "admin") as admin:
        assert admin.post("/api/users/guessed/unlock").json()["was_locked"]
    with client(base_url, "guessed"):    # logs in with the old password (asserted there): nothing changed
        pass


def test_cli_unlock_of_an_unknown_user_is_a_message(tmp_path):
    db = make_db(tmp_path)
    r = hvp("--db", str(db), "users", "unlock", "[nobody]")
    assert r.returncode == 2 and "no such user: [nobody]" in r.stderr and "Traceback" not in r.stderr
    assert hvp("--db", str(db), "users", "unlock", "locky").returncode == 0


@contextmanager
def hvp_serve(db: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    server = subprocess.Popen([HVP, "--db", str(db), "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()  # printed once the socket listens
        assert "看板 / dashboard: http://127.0.0.1:" in line, line + server.stderr.read()
        yield line.split()[3].rstrip("/"), server
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_forwarded_headers_count_only_from_trusted_proxies(tmp_path):
    """`hvp serve` ignores X-Forwarded-For/-Proto unless --trusted-proxies names the connecting address:
    otherwise anyone could pick the address the login throttle counts, or claim HTTPS."""
    db = make_db(tmp_path)
    forwarded = {"x-forwarded-for": "10.7.7.7", "x-forwarded-proto": "https"}
    for args, ip, secure in (((), "127.0.0.1", False), (("--trusted-proxies", "127.0.0.1, ::1"), "10.7.7.7", True)):
        with hvp_serve(db, *args) as (url, _):
            with client(url, **forwarded) as c:
                r = c.post("/api/login", json={"username": "admin", "password": PASSWORD})
                assert r.status_code == 200 and ("; secure" in r.headers["set-cookie"].lower()) is secure, args
            with client(url, "admin") as c:  # (a Secure cookie is not sent back over http)
                logins = [e["detail"] for e in c.get("/api/audit").json() if e["action"] == "login"]
            assert logins[:2] == ["127.0.0.1", ip], (args, logins)        # newest first


# -- open redirect ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example",
                                    "/%2F%2Fevil", "/%5Cevil.example", "javascript:alert(1)", "/\tevil", ""])
def test_after_login_only_local_paths(base_url, target):
    with client(base_url) as c:
        assert 'name="next" value="/"' in c.get("/login", params={"next": target}).text
        r = form_login(c, "analyst", next=target)
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_after_login_a_local_path_is_followed(base_url):
    with client(base_url) as c:
        r = form_login(c, "analyst", next="/records/valid_inventions?as_of=2024-12-31")
        assert r.headers["location"] == "/records/valid_inventions?as_of=2024-12-31"


# -- accounts policy --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("username", "password"), [
    ("zhao", "password"), ("zhao", "12345678"), ("zhao", " " * 8), ("zhao", " " * 16), ("zhaoqian", "zhaoqian"),
    ("zhaoqian", "ZhaoQian-2024!"), ("zhao", "qwerty123456"), ("zhao", "aaaaaaaaaaaaaaa"), ("zhao", "short 1")])
def test_weak_passwords_are_refused(username, password):
    with pytest.raises(AccountError):
        check_password(password, username)


@pytest.mark.parametrize("username", ["", "a", "<script>x</script>", "_admin", "zhang san", "x" * 33, "张三"])
def test_bad_user_names_are_refused(username):
    with pytest.raises(AccountError):
        check_username(username)


def test_good_accounts_pass_the_policy():
    for username, _, _ in ACCOUNTS:
        check_username(username)
        check_password(PASSWORD, username)
    check_password("长江大桥 永川 2024", "zhao")  # any characters, spaces included


def test_users_add_applies_the_policy(tmp_path):
    db = str(tmp_path / "cli.duckdb")
    for name, password in (("", "correct horse 42"), ("<script>x</script>", "correct horse 42"), ("zhao", "password")):
        r = hvp("--db", db, "users", "add", name, "--role", "admin", "--password", password)
        assert r.returncode == 2 and " / " in r.stderr, (name, password, r.stdout + r.stderr)
    assert hvp("--db", db, "users", "add", "zhao", "--role", "admin", "--password", "correct horse 42").returncode == 0


# -- headers, cookies, docs, language ----------------------------------------------------------------------
def test_security_headers_on_every_response(base_url):
    with client(base_url, "analyst") as c:
        for path in ("/login", "/tasks", "/api/me", "/api/nothing", "/static/app.css", "/patents/12345"):
            h = c.get(path).headers
            csp = h["content-security-policy"]
            script = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
            assert script.split() == ["script-src", "'self'"], path
            assert "frame-ancestors 'none'" in csp and h["x-frame-options"] == "DENY", path
            assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "same-origin", path


def test_templates_have_no_inline_script_or_style():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        assert " style=" not in text and "<style" not in text, template.name
        assert not re.search(r"\son[a-z]+\s*=", text) and "javascript:" not in text, template.name


def test_cookie_is_secure_behind_tls_or_a_trusted_proxy(base_url):
    with client(base_url) as plain:
        r = plain.post("/api/login", json={"username": "analyst", "password": PASSWORD})
        assert "secure" not in r.headers["set-cookie"].lower() and "httponly" in r.headers["set-cookie"].lower()
        assert "strict-transport-security" not in r.headers
    # tests/webserver.py runs uvicorn with its defaults, which trust 127.0.0.1 for X-Forwarded-Proto, as
    # `hvp serve --trusted-proxies 127.0.0.1` does (test_forwarded_headers_count_only_from_trusted_proxies).
    with client(base_url, **{"x-forwarded-proto": "https"}) as proxied:
        r = proxied.post("/api/login", json={"username": "analyst", "password": PASSWORD})
        assert "; secure" in r.headers["set-cookie"].lower()
        assert r.headers["strict-transport-security"].startswith("max-age=")


def test_api_docs_are_for_staff(base_url):
    with client(base_url) as anonymous:
        assert anonymous.get("/openapi.json").status_code == 401
        assert anonymous.get("/docs").headers["location"].startswith("/login")
        assert anonymous.get("/redoc").status_code == 303
    with client(base_url, "jia") as enterprise:
        assert enterprise.get("/openapi.json").status_code == 403
    with client(base_url, "analyst") as analyst:
        assert "/api/indicators" in analyst.get("/openapi.json").json()["paths"]
        assert analyst.get("/docs").status_code == 200


def test_api_docs_can_be_public(db, tmp_path):
    public = make_db(tmp_path)
    with serve(create_app(public, secret=SECRET, public_docs=True)) as url:
        assert httpx.get(f"{url}/openapi.json").status_code == 200


def test_unknown_languages_are_ignored_never_stored(base_url):
    with client(base_url) as c:
        r = c.get("/login", params={"lang": "中"})
        assert r.status_code == 200 and "hvp_lang" not in r.headers.get("set-cookie", "")
        assert '<html lang="zh-CN">' in r.text
        english = c.get("/login", params={"lang": "en"})
        assert "hvp_lang=en" in english.headers["set-cookie"] and '<html lang="en">' in english.text
    with client(base_url, "analyst") as c:
        c.cookies.set("hvp_lang", "x" * 20)
        r = c.get("/patents/12345", params={"lang": "中"})     # the error page too
        assert r.status_code == 422 and 'id="error"' in r.text and "hvp_lang" not in r.headers.get("set-cookie", "")


def test_charts_draw_under_the_content_security_policy(base_url):
    """In Chromium: the pages' scripts are files, their data JSON blocks; the policy blocks nothing."""
    with chromium() as driver:
        # Injected by the browser itself, before any page script: every violation is recorded.
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__csp = []; document.addEventListener('securitypolicyviolation',"
            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")})
        driver.get(f"{base_url}/login?next=/towns")
        driver.find_element(By.NAME, "username").send_keys("analyst")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        # The click returns before the next page is loaded; wait for it (and its scripts: document complete).
        WebDriverWait(driver, 60).until(lambda d: d.current_url.endswith("/towns") and d.find_elements(By.ID, "chart")
                                        and d.execute_script("return document.readyState") == "complete")
        assert driver.execute_script("return document.querySelectorAll('#chart canvas').length") == 1
        assert driver.execute_script("return document.getElementById('chart').style.height") != ""
        assert driver.execute_script("return window.__csp") == []
        driver.get(f"{base_url}/")
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "trend"))
        drawn = driver.execute_script("return [document.querySelectorAll('#trend canvas').length,"
                                      " document.querySelectorAll('.gauge canvas').length,"
                                      " document.querySelectorAll('.gauge').length]")
        assert drawn[0] == 1 and drawn[1] == drawn[2] > 0
        assert driver.execute_script("return window.__csp") == []
        # A page that did carry an inline script would be caught: the policy is really enforced.
        driver.execute_script("const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                              " document.body.appendChild(s);")
        assert driver.execute_script("return window.__ran") is None
        assert any("script-src" in v for v in driver.execute_script("return window.__csp"))
