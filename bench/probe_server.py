"""A real `hvp serve` for bench/probe.py: started on a free loopback port, its memory sampled from /proc in a
thread (with a cap: past it the server is killed so a bomb cannot take the machine down), and clients that
log in and upload through the job API (or the older answer-in-the-request upload, if that is what runs)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

FINAL = {"done", "rejected", "failed", "cancelled"}
MIB = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (VmRSS from /proc; psutil is not installed)."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            text = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            pass
    return total


@dataclass
class Window:
    """Memory during one case: the largest sample and whether the cap was hit."""
    start: int = 0
    peak: int = 0
    capped: bool = False
    seconds: float = 0.0


@dataclass
class Server:
    hvp: str
    db: Path
    log: Path
    cap_bytes: int
    port: int = 0
    proc: subprocess.Popen | None = None
    window: Window = field(default_factory=Window)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 180) -> None:
        self.port = free_port()
        out = self.log.open("a")
        self.proc = subprocess.Popen([self.hvp, "--db", str(self.db), "serve", "--port", str(self.port)],
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"server did not listen within {timeout:.0f} s")
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.is_set() and self.alive:
            rss = rss_bytes(self.proc.pid)
            self.window.peak = max(self.window.peak, rss)
            if rss > self.cap_bytes:
                self.window.capped = True
                self.kill9()
                return
            self._stop.wait(0.05)

    def rss(self) -> int:
        return rss_bytes(self.proc.pid) if self.alive else 0

    @contextmanager
    def measure(self):
        """Memory peak over the `with` block."""
        now = self.rss()
        self.window = Window(start=now, peak=now)
        began = time.monotonic()
        yield self.window
        self.window.seconds = time.monotonic() - began

    def kill9(self) -> None:
        if self.alive:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        self._stop.set()
        if self.alive:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill9()

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback") if self.log.exists() else 0


class Session:
    """A logged-in client: cookies plus the CSRF token the API answers at login."""

    def __init__(self, base: str, username: str, password: str, timeout: float = 120):
        self.client = httpx.Client(base_url=base, timeout=timeout, follow_redirects=False)
        r = self.client.post("/api/login", json={"username": username, "password": password})
        if r.status_code != 200:
            raise RuntimeError(f"login {username}: {r.status_code} {r.text[:200]}")
        self.csrf = r.json().get("csrf", "")

    def get(self, path: str, **kw) -> httpx.Response:
        return self.client.get(path, **kw)

    def submit(self, name: str, data: bytes, timeout: float = 120) -> httpx.Response:
        return self.client.post("/api/imports", files={"file": (name, data)}, data={"csrf": self.csrf},
                                headers={"X-CSRF-Token": self.csrf}, timeout=timeout)

    def job(self, job_id: str, wait: float = 0) -> dict:
        return self.client.get(f"/api/imports/jobs/{job_id}", params={"wait": int(wait)}, timeout=wait + 60).json()

    def cancel(self, job_id: str) -> httpx.Response:
        return self.client.post(f"/api/imports/jobs/{job_id}/cancel", headers={"X-CSRF-Token": self.csrf})

    def upload(self, name: str, data: bytes, limit: float = 120) -> Outcome:
        """Upload and follow the job to its end (or `limit` seconds). Works with the job API (202) and with an
        upload answered in the request (200/422), so the probe runs before and after the job API lands."""
        began = time.monotonic()
        try:
            r = self.submit(name, data, timeout=limit)
        except httpx.TimeoutException:
            return Outcome("timeout", 0, {}, time.monotonic() - began)
        except httpx.HTTPError as err:
            return Outcome("no answer", 0, {"error": type(err).__name__}, time.monotonic() - began)
        if r.status_code != 202:
            body = _json(r)
            accepted = r.status_code == 200 and body.get("accepted")
            state = "done" if accepted else "rejected" if 400 <= r.status_code < 500 else f"http {r.status_code}"
            return Outcome(state, r.status_code, body, time.monotonic() - began)
        job = r.json()
        while job.get("status") not in FINAL:
            left = limit - (time.monotonic() - began)
            if left <= 0:
                return Outcome("timeout", 202, job, time.monotonic() - began)
            try:
                job = self.job(job["job_id"], min(20, max(1, left)))
            except httpx.HTTPError as err:
                return Outcome("no answer", 202, {"error": type(err).__name__, **job}, time.monotonic() - began)
        state = job["status"]
        if state == "done" and not (job.get("result") or {}).get("accepted", True):
            state = "rejected"
        return Outcome(state, 202, job, time.monotonic() - began)


@dataclass
class Outcome:
    """How an upload ended: done | rejected | failed | cancelled | timeout | no answer | http NNN."""
    state: str
    code: int
    body: dict
    seconds: float

    @property
    def result(self) -> dict:
        return (self.body.get("result") or {}) if self.code == 202 else self.body

    @property
    def errors(self) -> list[dict]:
        return self.result.get("errors") or []

    def names_row(self, rows: set[int]) -> bool:
        """An error that names one of `rows` (as its row field or in its words)."""
        for e in self.errors:
            if e.get("row") in rows:
                return True
            text = " ".join(str(v) for v in e.values())
            if any(re.search(rf"(第\s*{r}\s*行|\brow\s*{r}\b|\bline\s*{r}\b)", text, re.I) for r in rows):
                return True
        return False

    def brief(self) -> str:
        first = self.errors[0] if self.errors else {}
        words = first.get("reason") or first.get("message") or self.body.get("detail") or ""
        where = f"row {first.get('row')} {first.get('field') or ''} " if first.get("row") else ""
        return f"{self.state} ({self.code}) in {self.seconds:.1f} s" + (f": {where}{str(words)[:90]}" if words else "")


def _json(r: httpx.Response) -> dict:
    try:
        body = r.json()
    except ValueError:
        return {"detail": r.text[:200]}
    return body if isinstance(body, dict) else {"detail": body}
