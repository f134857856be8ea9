"""The probe's heavy cases: 10 load with 50 clients, 7 brute force (it locks an account, so it runs late), and the
faults (kill -9 of a CLI import and of the server during an upload job; then the warehouse must be intact)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import probe_files as pf

AS_OF = "2024-06-30"
# Tables that a login or a session legitimately changes while the server runs: not part of the data compared.
VOLATILE = ("audit", "session", "login", "attempt", "throttle", "lock", "job", "known_addresses")


# -- 10 load ------------------------------------------------------------------------------------------------------
async def _burst(base: str, cookies: dict, paths: list[str], repeat: int, deadline_s: float) -> dict:
    latencies: list[float] = []
    errors: Counter = Counter()
    busy: Counter = Counter()
    answered: list[float] = []
    first_reply: list[float] = []  # time to the first answer of any kind (200, or 503 told to come back)
    light: list[float] = []        # /api/me, asked every half second while the burst runs
    done = asyncio.Event()

    async def light_client() -> None:
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=deadline_s) as c:
            while not done.is_set():
                start = time.monotonic()
                r = await c.get("/api/me")
                if r.status_code == 200:
                    light.append(time.monotonic() - start)
                else:
                    errors[f"/api/me {r.status_code}"] += 1
                await asyncio.sleep(0.5)  # a bench's pace, not a synchronisation

    async def client(path: str) -> None:
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=deadline_s) as c:
            for _ in range(repeat):
                start = time.monotonic()
                replied = False
                while True:
                    try:
                        r = await c.get(path)
                    except httpx.HTTPError as err:
                        errors[type(err).__name__] += 1
                        break
                    if not replied:
                        first_reply.append(time.monotonic() - start)
                        replied = True
                    wait = r.headers.get("retry-after")
                    if r.status_code == 503 and wait is not None:
                        busy["503"] += 1
                        if time.monotonic() - start < deadline_s:
                            await asyncio.sleep(min(float(wait), 30))  # a polite client comes back when told
                            continue
                        busy["gave up"] += 1  # still busy at the deadline: unanswered, but not an error
                    elif r.status_code != 200:
                        errors[str(r.status_code)] += 1
                    else:
                        answered.append(time.monotonic() - start)
                    break
                latencies.append(time.monotonic() - start)

    async def clients() -> None:
        await asyncio.gather(*(client(p) for p in paths))
        done.set()

    began = time.monotonic()
    await asyncio.gather(clients(), light_client())
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    f = statistics.quantiles(first_reply, n=100, method="inclusive") if len(first_reply) > 1 else first_reply * 99
    m = statistics.quantiles(light, n=100, method="inclusive") if len(light) > 1 else (light or [float("nan")]) * 99
    return {"requests": len(latencies), "errors": sum(errors.values()), "kinds": dict(errors),
            "retry_after_503": busy["503"], "gave_up": busy["gave up"], "p50": q[49], "p95": q[94],
            "max": max(latencies), "seconds": time.monotonic() - began, "answered": len(answered),
            "first": min(answered, default=float("nan")), "reply_p95": f[94], "me_p95": m[94],
            "me_max": max(light, default=float("nan")), "me_count": len(light)}


def load(probe) -> None:
    s = probe.session("analyst")
    cookies, n = dict(s.client.cookies), probe.args.clients
    day = date.fromisoformat(AS_OF)
    uncached = [f"/api/indicators?as_of={day - timedelta(days=7 * (k + 1))}&region=500118" for k in range(n)]
    figures, held = [], True
    with probe.server.measure() as w:
        u = asyncio.run(_burst(probe.server.url, cookies, uncached, 1, probe.args.load_deadline))
    s.get(f"/api/indicators?as_of={AS_OF}&region=500118", timeout=300)  # the cached question, computed once
    c = asyncio.run(_burst(probe.server.url, cookies, [f"/api/indicators?as_of={AS_OF}&region=500118"] * n, 5, 300))
    for name, r in (("uncached", u), ("cached", c)):
        held &= r["errors"] == 0 and r["answered"] > 0
        figures.append(f"{name}: {r['answered']} of {r['requests']} answered in {r['seconds']:.1f} s (first after "
                       f"{r['first']:.2f} s), p50 {r['p50']:.2f} s, "
                       f"p95 {r['p95']:.2f} s, max {r['max']:.2f} s, errors {r['errors']}"
                       + (f" {r['kinds']}" if r["kinds"] else "") + f", 503+Retry-After {r['retry_after_503']}"
                       + (f", still busy at the {probe.args.load_deadline} s deadline {r['gave_up']}"
                          if r["gave_up"] else "")
                       + f"; first reply of any kind p95 {r['reply_p95']:.2f} s; /api/me meanwhile "
                         f"{r['me_count']} asked, p95 {r['me_p95']:.2f} s, max {r['me_max']:.2f} s")
        probe.figures[f"load {name} ({n} clients)"] = figures[-1].split(": ", 1)[1]
    probe.record("10", f"{n} concurrent clients, different dates then one date", held,
                 "; ".join(figures) + f"; server RSS peak {w.peak >> 20} MiB")


# -- 7 brute force ------------------------------------------------------------------------------------------------
def brute_force(probe) -> None:
    c = httpx.Client(base_url=probe.server.url, timeout=120)
    codes: Counter = Counter()
    began = time.monotonic()
    for i in range(20):
        probe.bad_inputs += 1
        codes[c.post("/api/login", json={"username": "probe_victim", "password": f"wrong-{i}"}).status_code] += 1
    right = c.post("/api/login", json={"username": "probe_victim", "password": probe.passwords["victim"]})
    spent = time.monotonic() - began
    admin = probe.session("admin")
    log = admin.get("/api/audit")
    entries = log.json() if log.status_code == 200 else []
    locks = [e for e in entries if "probe_victim" in json.dumps(e, ensure_ascii=False)
             and "lock" in json.dumps(e, ensure_ascii=False).lower()]
    unlock = admin.client.post("/api/users/probe_victim/unlock", headers={"X-CSRF-Token": admin.csrf})
    after = c.post("/api/login", json={"username": "probe_victim", "password": probe.passwords["victim"]})
    probe.record("7", "20 wrong passwords, then the right one; then an admin unlock",
                 right.status_code != 200 and bool(locks) and after.status_code == 200,
                 f"wrong ones → {dict(codes)} in {spent:.1f} s; right one → {right.status_code} "
                 f"{right.text[:80]!r}; lockout entries in the audit log: {len(locks)}"
                 + (f" ({locks[0].get('action')})" if locks else "")
                 + f"; admin unlock → {unlock.status_code}, then the right password → {after.status_code}")


# -- F faults -------------------------------------------------------------------------------------------------------
def table_counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db))
    try:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_type = 'BASE TABLE' ORDER BY 1, 2").fetchall()
        return {f"{s}.{t}": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0] for s, t in tables}
    finally:
        con.close()


def intact(db: Path, before: dict[str, int]) -> tuple[bool, str]:
    """Reopen after the kill: every table read in full, the data tables' counts as before."""
    try:
        con = duckdb.connect(str(db))
        rows = 0
        for name in before:
            schema, table = name.split(".", 1)
            cur = con.execute(f'SELECT * FROM "{schema}"."{table}"')
            while chunk := cur.fetchmany(50_000):
                rows += len(chunk)
        size = con.execute("PRAGMA database_size").fetchone()
        con.execute("CHECKPOINT")
        con.close()
    except duckdb.Error as err:
        return False, f"reopen failed: {err}"
    after = table_counts(db)
    changed = {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
               if before.get(k) != after.get(k) and not any(v in k for v in VOLATILE)}
    return not changed, (f"{len(before)} tables, {rows:,} rows read, size {size[1]}; "
                         + ("counts as before" if not changed else f"counts changed: {changed}"))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _import_again(probe, db: Path) -> tuple[bool, str]:
    again = probe.run / "after-fault.csv"
    again.write_bytes(pf.valid_csv(serial=9_700_000 + len(probe.faults) * 10))
    rc, _ = probe.cli("--db", str(db), "import", str(again), timeout=300)
    return rc == 0, f"import afterwards: exit {rc}"


def faults(probe) -> None:
    big = pf.big_csv(probe.files / f"big-{probe.args.big_rows}.csv", probe.args.big_rows)
    for case, run in (("F1", kill_cli), ("F2", kill_server)):
        try:
            run(probe, big)
        except Exception as err:  # a fault the probe could not stage counts as not survived
            probe.faults.append(False)
            probe.record(case, "probe error", False, f"{type(err).__name__}: {str(err)[:300]}")


def kill_cli(probe, big: Path) -> None:
    db = probe.copy("fault-cli.duckdb")
    before = table_counts(db)
    log = (probe.run / "fault-cli.log").open("w")
    proc = subprocess.Popen([probe_hvp(), "--db", str(db), "import", str(big)], stdout=log, stderr=log)
    wal, size0, began = Path(f"{db}.wal"), db.stat().st_size, time.monotonic()
    while proc.poll() is None:  # kill once it writes (a WAL or a larger file) or after 38 s of its CPU
        if wal.exists() or db.stat().st_size != size0 or _cpu_seconds(proc.pid) > 38:
            break
        time.sleep(0.1)
    cpu = _cpu_seconds(proc.pid) if proc.poll() is None else 0
    if proc.poll() is not None:
        probe.faults.append(False)
        probe.record("F1", "kill -9 of a CLI import", False, f"the import ended (exit {proc.returncode}) before the "
                                                             f"kill: use a larger --big-rows")
        return
    writing = wal.exists() or db.stat().st_size != size0
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    ok, how = intact(db, before)
    again, words = _import_again(probe, db)
    probe.faults.append(ok and again)
    probe.record("F1", f"kill -9 of a CLI import of {probe.args.big_rows:,} rows", ok and again,
                 f"killed after {time.monotonic() - began:.1f} s ({cpu:.1f} s CPU, "
                 f"{'while writing' if writing else 'while reading'}); {how}; {words}")


def kill_server(probe, big: Path) -> None:
    db = probe.copy("fault-server.duckdb")
    before = table_counts(db)
    server = probe.serve(db)
    try:
        from probe_server import Session

        admin = Session(server.url, "probe_admin", probe.passwords["admin"])
        sent = time.monotonic()
        try:
            r = admin.submit(big.name, big.read_bytes(), timeout=15)
            job = r.json() if r.status_code == 202 else None
        except httpx.TimeoutException:  # an upload answered in the request: it is importing now
            r, job = None, None
        state = "in the request"
        if job:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                job = admin.job(job["job_id"])
                if job["status"] != "queued" and (job.get("progress") or {}).get("rows_read", 0) > 0:
                    break
                time.sleep(0.2)
            state = f"job {job['status']}, {job.get('progress', {}).get('rows_read', 0):,} rows read"
        elif r is not None:
            state = f"upload answered {r.status_code} before the kill"
        server.kill9()
        seconds = time.monotonic() - sent
    finally:
        server.stop()
    ok, how = intact(db, before)
    again, words = _import_again(probe, db)
    done_early = job is not None and job.get("status") in ("done", "rejected", "failed")
    held = ok and again and not done_early
    probe.faults.append(held)
    probe.record("F2", "kill -9 of the server during an upload job", held,
                 f"killed {seconds:.1f} s after the upload ({state}); {how}; {words}")


def probe_hvp() -> str:
    import sys

    return str(Path(sys.executable).with_name("hvp"))
