"""The cases of issue 12, each a function of the probe that records HELD or NOT HELD with its figures.

ORDER is the order they run in: cases that leave marks (a NUL title stored, a locked account, a killed server)
come after the ones those marks would spoil. The load case and the faults are in probe_faults.py.
"""

from __future__ import annotations

import io
import re
import secrets
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import httpx
import openpyxl
import probe_faults
import probe_files as pf
from probe_server import FINAL, MIB

AS_OF = "2024-06-30"
UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")


def status_of(client: httpx.Client, path: str, timeout: float = 300) -> int | str:
    """The answer's status code, or the name of what went wrong instead (a dropped connection, a timeout)."""
    try:
        return client.get(path, timeout=timeout).status_code
    except httpx.HTTPError as err:
        return type(err).__name__


def mib(n: int) -> str:
    return f"{n / MIB:,.0f} MiB"


# -- 11 accounts (no server) -------------------------------------------------------------------------------------
def accounts(probe) -> None:
    db = probe.run / "scratch-users.duckdb"
    good = "Pr0be-" + "x7" * 8
    tries = [("probe_pw1", "password"), ("probe_pw2", "12345678"), ("probe_pw3", " " * 8),
             ("probe_same", "probe_same"), ("", good), ("<script>x</script>", good)]
    let_in, tracebacks = [], 0
    for name, secret in tries:
        probe.bad_inputs += 1
        rc, out = probe.cli("--db", str(db), "users", "add", name, "--role", "analyst", "--password", secret)
        tracebacks += "Traceback" in out
        if rc == 0:
            let_in.append(repr(name or secret))
    rc, _ = probe.cli("--db", str(db), "users", "add", "probe_fine", "--role", "analyst", "--password", good)
    probe.record("11", "hvp users add with bad passwords and user names", not let_in and not tracebacks and rc == 0,
                 f"{len(tries) - len(let_in)} of {len(tries)} refused" + (f" (accepted: {', '.join(let_in)})"
                                                                         if let_in else "")
                 + f"; a good one {'created' if rc == 0 else 'REFUSED'}; tracebacks {tracebacks}")


# -- 12 the CLI while the server holds the warehouse ---------------------------------------------------------------
def lock_conflict(probe) -> None:
    path = probe.file("valid.csv", pf.valid_csv)
    probe.bad_inputs += 1
    rc, out = probe.cli("--db", str(probe.server.db), "import", str(path), timeout=120)
    first = next((line.strip() for line in out.splitlines() if line.strip()), "")
    probe.record("12", "hvp import while the server holds the warehouse", rc == 2 and "Traceback" not in out,
                 f"exit {rc}, traceback {'yes' if 'Traceback' in out else 'no'}: {first[:150]}")


# -- H headers, /docs, logout CSRF ---------------------------------------------------------------------------------
def headers(probe) -> None:
    anon = httpx.Client(base_url=probe.server.url, timeout=60)
    pages = {"/login": anon.get("/login"), "/": probe.session("analyst").get("/")}
    missing = []
    for path, r in pages.items():
        h = r.headers
        csp = {d.split()[0]: d.split()[1:] for d in h.get("content-security-policy", "").split(";") if d.split()}
        script = csp.get("script-src", csp.get("default-src"))
        if script is None or "'unsafe-inline'" in script:
            missing.append(f"{path}: script-src " + ("absent" if script is None else "allows 'unsafe-inline'"))
        if "x-frame-options" not in h and "frame-ancestors" not in csp:
            missing.append(f"{path}: X-Frame-Options")
        if h.get("x-content-type-options", "").lower() != "nosniff":
            missing.append(f"{path}: nosniff")
        if "referrer-policy" not in h:
            missing.append(f"{path}: Referrer-Policy")
    probe.record("H1", "security headers (CSP without inline script, frames, nosniff, referrer)", not missing,
                 "all present on /login and /" if not missing else "; ".join(missing))
    open_docs = {p: anon.get(p).status_code for p in ("/docs", "/openapi.json", "/redoc")}
    probe.bad_inputs += len(open_docs)
    probe.record("H2", "/docs and /openapi.json need a login", all(c != 200 for c in open_docs.values()),
                 ", ".join(f"{p} → {c}" for p, c in open_docs.items()) + " without a session")
    s = probe.new_session("analyst")
    probe.bad_inputs += 1
    r = s.client.post("/api/logout")
    still = s.get("/api/me").status_code
    probe.record("H3", "/api/logout without the CSRF token is refused", r.status_code == 403 and still == 200,
                 f"logout without token → {r.status_code}; session afterwards → {still}")


# -- 6 logout, password change and deactivation end sessions -------------------------------------------------------
def logout(probe) -> None:
    s = probe.new_session("analyst")
    saved = dict(s.client.cookies)
    r = s.client.post("/api/logout", headers={"X-CSRF-Token": s.csrf})
    again = httpx.Client(base_url=probe.server.url, cookies=saved, timeout=60, follow_redirects=False)
    probe.bad_inputs += 2
    api, page = again.get("/api/me"), again.get("/")
    to_login = page.status_code in (302, 303, 307) and page.headers.get("location", "").startswith("/login")
    figures = [f"logout → {r.status_code}; saved cookie: /api/me → {api.status_code}, / → {page.status_code} "
               f"{page.headers.get('location', '')}"]
    held = r.status_code == 200 and api.status_code == 401 and to_login
    # A password change ends the user's other sessions (the one that changed it goes on).
    changer, other = probe.new_session("bank"), probe.new_session("bank")
    new = secrets.token_urlsafe(24)
    c = changer.client.post("/api/me/password", headers={"X-CSRF-Token": changer.csrf},
                            json={"current_password": probe.passwords["bank"], "new_password": new})
    if c.status_code == 200:
        probe.passwords["bank"] = new
    probe.bad_inputs += 1
    other_code, own_code = other.get("/api/me").status_code, changer.get("/api/me").status_code
    figures.append(f"password change → {c.status_code}, other session → {other_code}, own → {own_code}")
    held &= c.status_code == 200 and other_code == 401 and own_code == 200
    # A deactivated account's session stops at once.
    spare = probe.new_session("spare")
    admin = probe.session("admin")
    d = admin.client.post("/api/users/probe_spare/deactivate", headers={"X-CSRF-Token": admin.csrf})
    probe.bad_inputs += 1
    after = spare.get("/api/me").status_code
    figures.append(f"deactivation → {d.status_code}, its session → {after}")
    held &= d.status_code == 200 and after == 401
    probe.record("6", "sessions end at logout, password change and deactivation", held, "; ".join(figures))


# -- 8 open redirect -----------------------------------------------------------------------------------------------
def open_redirect(probe) -> None:
    off = []
    tries = ["//evil.example/x", "/\\evil.example/x", "https://evil.example/x", "/%2F%2Fevil.example",
             "//evil%2Eexample"]
    for target in tries:
        probe.bad_inputs += 1
        for use_shown in (False, True):  # what the page puts in its form, and the raw value posted directly
            c = httpx.Client(base_url=probe.server.url, timeout=60, follow_redirects=False)
            page = c.get("/login", params={"next": target})
            csrf = re.search(r'name="csrf" value="([^"]*)"', page.text)
            shown = re.search(r'name="next" value="([^"]*)"', page.text)
            nxt = shown.group(1).replace("&amp;", "&") if use_shown and shown else target
            r = c.post("/login", data={"username": "probe_analyst", "password": probe.passwords["analyst"],
                                       "csrf": csrf.group(1) if csrf else "", "next": nxt})
            loc = r.headers.get("location", "")
            parts = urlsplit(loc.replace("\\", "/"))
            if r.status_code >= 400 or parts.scheme or parts.netloc or loc.startswith(("//", "/\\")):
                off.append(f"{nxt} → {r.status_code} {loc}")
    probe.record("8", "/login?next=//evil.example/x", not off,
                 f"{len(tries)} hostile next values, every redirect local" if not off else "; ".join(off[:3]))


# -- 9 bad input, each a clear 4xx ---------------------------------------------------------------------------------
def bad_input(probe) -> None:
    analyst, admin = probe.session("analyst"), probe.session("admin")
    anon = httpx.Client(base_url=probe.server.url, timeout=120)
    gets = [(analyst, f"/records/valid_inventions?period=bogus&as_of={AS_OF}"),
            (analyst, f"/records/valid_inventions?group_by=x&as_of={AS_OF}"),
            (analyst, f"/api/indicators/valid_inventions/records?period=bogus&as_of={AS_OF}"),
            (analyst, f"/api/indicators/valid_inventions/records?group_by=x&as_of={AS_OF}"),
            (analyst, "/api/reports/bulletin?period=bogus&format=xlsx"),
            (analyst, "/records/valid_inventions?as_of=0001-01-01"),
            (analyst, "/records/valid_inventions?as_of=9999-12-31"),
            (analyst, "/api/indicators?as_of=0001-01-01"), (analyst, "/api/indicators?as_of=9999-12-31"),
            (analyst, "/api/highvalue?as_of=0001-01-01"), (analyst, "/api/warnings?as_of=9999-12-31"),
            (analyst, "/?as_of=9999-12-31"), (analyst, "/?lang=中"), (anon, "/login?lang=中")]
    wrong = []
    for who, path in gets:
        probe.bad_inputs += 1
        code = status_of(who.client if hasattr(who, "client") else who, path)
        lenient = "lang=" in path  # junk language: ignoring it (200) is as good as refusing it
        if not isinstance(code, int) or code >= 500 or (not lenient and not 400 <= code < 500):
            wrong.append(f"{path} → {code}")
    uploads = [("..", pf.valid_csv()), (".", pf.valid_csv()), ("a" * 296 + ".csv", pf.valid_csv()),
               ("garbage.parquet", pf.garbage_parquet()), ("utf8-then-gbk.csv", pf.utf8_then_gbk_csv())]
    for name, data in uploads:
        probe.bad_inputs += 1
        out = admin.upload(name, data, probe.args.case_seconds)
        if out.state != "rejected" or out.code >= 500:
            wrong.append(f"upload {name[:12]}{'…' if len(name) > 12 else ''} → {out.brief()}")
    total = len(gets) + len(uploads)
    probe.record("9", "unchecked input (period, group_by, lang, as_of, encodings, names, parquet)", not wrong,
                 f"{total - len(wrong)} of {total} answered 4xx" + (": " + "; ".join(wrong) if wrong else ""))


# -- 4 formulas in every export -------------------------------------------------------------------------------------
def formulas(probe) -> None:
    admin, analyst = probe.session("admin"), probe.session("analyst")
    # The file name is a formula too (it is in the import history); a server refusing such a name gets a plain one.
    out = admin.upload("=1+1.csv", pf.formulas_csv(), probe.args.case_seconds)
    if out.state == "rejected" and out.code == 422:
        out = admin.upload("formulas.csv", pf.formulas_csv(), probe.args.case_seconds)
    probe.bad_inputs += len(pf.FORMULAS) * 2 + 1
    if out.state != "done":
        probe.record("4", "formula injection in exports", False, f"the formula rows were not imported: {out.brief()}")
        return
    exports = {"highvalue": f"/api/highvalue?as_of={AS_OF}&format=xlsx",
               "records": f"/api/indicators/high_value_inventions/records?as_of={AS_OF}&format=xlsx",
               "warnings": f"/api/warnings?as_of={AS_OF}&within=90&format=xlsx",
               "bulletin": f"/api/reports/bulletin?as_of={AS_OF}&period=quarter&format=xlsx",
               "imports": "/api/imports?format=xlsx"}
    figures, bad = [], []
    for name, path in exports.items():
        try:
            r = analyst.get(path, timeout=300)
        except httpx.HTTPError as err:
            bad.append(f"{name} → {type(err).__name__}")
            continue
        if r.status_code != 200:
            bad.append(f"{name} → {r.status_code}")
            continue
        live, seen, examples = scan_xlsx(r.content)
        figures.append(f"{name} {seen} seen/{live} live")
        if live:
            bad.append(f"{name}: {live} live ({examples[0]!r})")
    csv_r = analyst.get(f"/api/highvalue?as_of={AS_OF}&format=csv")
    if csv_r.status_code == 200 and "csv" in csv_r.headers.get("content-type", ""):
        lines = [ln for ln in csv_r.text.splitlines()[1:] if any(f in ln for f in ("1+1", "SUM(A1)"))]
        unsafe = [ln for ln in lines if any(c.startswith(UNSAFE_START) for c in ln.split(","))]
        figures.append(f"csv {len(lines)} seen/{len(unsafe)} live")
        if unsafe:
            bad.append(f"csv: {len(unsafe)} live")
    report = probe.run / "errors.xlsx"
    bad_file = probe.run / "formula-errors.csv"
    bad_file.write_bytes(pf.formula_errors_csv())
    probe.cli("--db", str(probe.run / "scratch-report.duckdb"), "import", str(bad_file), "--report", str(report))
    if report.exists():
        live, seen, examples = scan_xlsx(report.read_bytes())
        figures.append(f"CLI errors report {seen} seen/{live} live")
        if live:
            bad.append(f"errors report: {live} live ({examples[0]!r})")
    total_seen = sum(int(f.split(" seen")[0].split()[-1]) for f in figures)
    probe.record("4", "formula injection in every xlsx/csv export", not bad and total_seen > 0,
                 "; ".join(figures) + (" — " + "; ".join(bad) if bad else ""))


def scan_xlsx(data: bytes) -> tuple[int, int, list[str]]:
    """(cells a spreadsheet would run as formulas, cells holding one of the probe's formulas, examples)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    live, seen, examples = 0, 0, []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if not isinstance(v, str):
                    continue
                if any(f in v for f in (*pf.FORMULAS, "=1+1.csv")):
                    seen += 1
                if cell.data_type == "f" or (v.startswith(UNSAFE_START) and not cell.quotePrefix):
                    live += 1
                    examples.append(v[:40])
    return live, seen, examples


# -- 3 malformed rows, 5 control characters -------------------------------------------------------------------------
def malformed(probe) -> None:
    admin = probe.session("admin")
    for kind, title in (("wide", "a CSV row with 10^6 columns"), ("extra", "a CSV row with one extra column")):
        data, line = pf.bad_row_csv(kind)
        probe.bad_inputs += 1
        with probe.server.measure() as w:
            out = admin.upload(f"{kind}.csv", data, probe.args.case_seconds)
        named = out.names_row({line, line - 1})
        bounded = w.peak < probe.args.rss_limit_mib * MIB and not w.capped
        probe.record("3", title, out.state == "rejected" and named and bounded,
                     f"{out.brief()}; row named: {'yes' if named else 'no'}; server RSS {mib(w.start)} → peak "
                     f"{mib(w.peak)}" + (" (cap hit, server killed)" if w.capped else ""))
        probe.ensure_server()


def control_chars(probe) -> None:
    admin, analyst = probe.session("admin"), probe.session("analyst")
    figures, held = [], True
    for name, (data, line) in (("nul.csv", pf.bad_row_csv("nul")), ("soh.csv", pf.bad_row_csv("soh")),
                               ("nul.jsonl", pf.nul_jsonl())):
        probe.bad_inputs += 1
        out = admin.upload(name, data, probe.args.case_seconds)
        named = out.names_row({line, line - 1}) and any(e.get("field") for e in out.errors)
        # A NUL byte in a CSV may also refuse the whole file as binary, if the reason says so.
        binary = name == "nul.csv" and any("NUL" in str(e) for e in out.errors)
        held &= out.state == "rejected" and (named or binary)
        figures.append(f"{name}: {out.brief()[:130]}; row/field named: {'yes' if named else 'no'}")
    codes = {name: status_of(analyst.client, path) for name, path in
             (("highvalue", f"/api/highvalue?as_of={AS_OF}&format=xlsx"),
              ("warnings", f"/api/warnings?as_of={AS_OF}&format=xlsx"),
              ("records", f"/api/indicators/valid_inventions/records?as_of={AS_OF}&format=xlsx"))}
    probe.record("5", "control characters in a title (NUL in CSV, U+0001 in CSV, \\u0000 in JSON lines)",
                 held and all(c == 200 for c in codes.values()),
                 " | ".join(figures) + "; exports afterwards: " + ", ".join(f"{k} {v}" for k, v in codes.items()))


# -- 1 the bomb, 2 responsiveness during a big import ----------------------------------------------------------------
def bomb(probe) -> None:
    path = pf.bomb_xlsx(probe.files / f"bomb-{probe.args.bomb_mib}.xlsx", probe.args.bomb_mib)
    packed, unpacked = pf.sheet_size(path)
    probe.bad_inputs += 1
    with probe.server.measure() as w:
        out = probe.session("admin").upload("bomb.xlsx", path.read_bytes(), probe.args.case_seconds)
    bounded = w.peak < probe.args.rss_limit_mib * MIB and not w.capped
    probe.figures["bomb"] = f"{packed / MIB:.1f} MiB → {unpacked / MIB:,.0f} MiB; RSS peak {mib(w.peak)}"
    probe.record("1", f"decompression bomb ({packed / MIB:.1f} MiB xlsx, sheet {unpacked / MIB:,.0f} MiB)",
                 out.state == "rejected" and bounded,
                 f"{out.brief()}; server RSS {mib(w.start)} → peak {mib(w.peak)}"
                 + (f" (cap {probe.args.rss_cap_mib} MiB hit, server killed)" if w.capped else ""))
    probe.ensure_server()


def large_sheet(probe) -> None:
    """Under every unpacking limit, so read for real: memory must stay bounded (a streaming reader)."""
    path = pf.large_xlsx(probe.files / "large-400.xlsx")
    packed, unpacked = pf.sheet_size(path)
    admin = probe.session("admin")
    with probe.server.measure() as w:
        out = admin.upload("large.xlsx", path.read_bytes(), probe.args.case_seconds)
        if out.state == "timeout" and out.body.get("job_id"):
            began = time.monotonic()
            admin.cancel(out.body["job_id"])
            final = admin.job(out.body["job_id"], wait=30)
            out.state = f"still running after {probe.args.case_seconds} s ({final.get('progress')}); cancel → " \
                        f"{final.get('status')} after {time.monotonic() - began:.0f} s"
            if final.get("status") not in FINAL:
                probe.server.stop()  # the queue would hold every later import behind this one
                out.state += " (server restarted)"
    bounded = w.peak < probe.args.rss_limit_mib * MIB and not w.capped
    probe.figures["large sheet"] = f"{packed / MIB:.1f} MiB → {unpacked / MIB:,.0f} MiB; RSS peak {mib(w.peak)}"
    probe.record("1b", f"a large sheet under the limits ({packed / MIB:.1f} MiB xlsx, {unpacked / MIB:,.0f} MiB)",
                 bounded and not out.state.startswith(("failed", "http", "no answer")),
                 f"{out.brief()}; server RSS {mib(w.start)} → peak {mib(w.peak)}"
                 + (f" (cap {probe.args.rss_cap_mib} MiB hit, server killed)" if w.capped else ""))
    probe.ensure_server()


def responsive(probe) -> None:
    big = pf.big_csv(probe.files / f"big-{probe.args.big_rows}.csv", probe.args.big_rows)
    admin = probe.session("admin")
    holder: dict = {}
    began = time.monotonic()
    if_job = threading.Event()

    def send() -> None:
        r = admin.submit(big.name, big.read_bytes(), timeout=probe.args.case_seconds * 3)
        holder["submit"] = r
        if_job.set()

    t = threading.Thread(target=send, daemon=True)
    t.start()
    if_job.wait(10)
    sub = holder.get("submit")
    job_id = sub.json().get("job_id") if sub is not None and sub.status_code == 202 else None
    samples, states = [], Counter()
    other = probe.new_session("analyst")
    for _ in range(8):
        state = admin.job(job_id)["status"] if job_id else ("in request" if t.is_alive() else "over")
        states[state] += 1
        if state in ("done", "rejected", "failed", "cancelled", "over"):
            break
        start = time.monotonic()
        try:
            code = other.client.get("/api/me", timeout=10).status_code
        except httpx.TimeoutException:
            code = "timeout"
        samples.append((time.monotonic() - start, code))
        time.sleep(0.5)
    worst = max((s for s, _ in samples), default=0)
    ok = bool(samples) and all(c == 200 for _, c in samples) and worst < 2
    ending = ""
    if job_id:
        c = admin.cancel(job_id)
        final = admin.job(job_id, wait=60)
        ending = f"; cancel → {c.status_code}, job {final.get('status')} ({final.get('progress', {})})"
    else:
        t.join(probe.args.case_seconds * 3)
        ending = f"; upload answered after {time.monotonic() - began:.0f} s" if not t.is_alive() else ""
    probe.record("2", f"/api/me during a {probe.args.big_rows:,}-row import", ok,
                 f"{'job ' + job_id[:8] if job_id else 'upload in the request'}; {len(samples)} samples while "
                 f"{dict(states)}, slowest {worst:.2f} s ({', '.join(str(c) for _, c in samples) or 'none'}){ending}")


def sort_key(case: str) -> tuple:
    digits = re.match(r"\d+", case)
    return (1, int(digits.group()), case) if digits else (2 if case.startswith("H") else 3, 0, case)


ORDER = [("11", accounts), ("12", lock_conflict), ("H", headers), ("6", logout), ("8", open_redirect),
         ("9", bad_input), ("4", formulas), ("3", malformed), ("1", bomb), ("1", large_sheet), ("2", responsive),
         ("10", probe_faults.load), ("5", control_chars), ("7", probe_faults.brute_force), ("F", probe_faults.faults)]
