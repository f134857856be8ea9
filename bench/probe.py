"""Replay every case of issue 12 against a real `hvp serve` and print, per case, HELD or NOT HELD with figures.

    .venv/bin/python bench/probe.py                 # the 30,000-application demo (built once, cached in --work)
    .venv/bin/python bench/probe.py --small         # a 2,000-application demo: a quicker run
    .venv/bin/python bench/probe.py --only 4,9      # some cases (1-12, H for headers/docs/logout, F for faults)

The demo warehouse is copied for each run; accounts (one per role) get long random passwords. The server's memory
is read from /proc every 50 ms; past --rss-cap-mib it is killed (and restarted) so a bomb cannot take the machine
down. See docs/security-probe.md.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import probe_cases
from probe_server import MIB, Server, Session

ROOT = Path(__file__).resolve().parent.parent
HVP = str(Path(sys.executable).with_name("hvp"))
ENTERPRISE = "重庆探针测试有限公司"


@dataclass
class Result:
    case: str
    title: str
    held: bool
    figures: str


class Probe:
    """What every case needs: the work folder, the hostile files, the server, one session per role, tallies."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.work = Path(args.work)
        self.files = self.work / "files"
        self.run = self.work / "run"
        self.files.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.run, ignore_errors=True)
        self.run.mkdir(parents=True)
        self.bad_inputs = 0
        self.faults: list[bool] = []
        self.results: list[Result] = []
        self.figures: dict[str, str] = {}
        self.passwords = {role: secrets.token_urlsafe(24) for role in ("admin", "analyst", "enterprise", "bank")}
        for extra in ("victim", "spare"):
            self.passwords[extra] = secrets.token_urlsafe(24)
        self.server: Server | None = None
        self.sessions: dict[str, Session] = {}
        self.tracebacks_before = 0

    # -- the warehouse ------------------------------------------------------------------------------------------
    def base(self) -> Path:
        """The demo warehouse for this size, built once (hvp demo) and reused."""
        folder = self.work / f"demo-{self.args.applications}"
        if not (folder / "ready").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            print(f"building the demo warehouse ({self.args.applications:,} applications) in {folder} …", flush=True)
            began = time.monotonic()
            with (folder / "build.log").open("w") as log:
                subprocess.run([HVP, "--db", str(folder / "warehouse.duckdb"), "demo", "--out", str(folder / "files"),
                                "--applications", str(self.args.applications)], stdout=log, stderr=log, check=True)
            (folder / "ready").touch()
            print(f"  built in {time.monotonic() - began:.0f} s", flush=True)
        return folder / "warehouse.duckdb"

    def template(self) -> Path:
        """The demo copied, with the probe's accounts: every warehouse of this run is a copy of it."""
        path = self.run / "template.duckdb"
        shutil.copy(self.base(), path)
        for role in ("admin", "analyst", "enterprise", "bank"):
            extra = ["--enterprise", ENTERPRISE] if role == "enterprise" else []
            self.cli("--db", str(path), "users", "add", f"probe_{role}", "--role", role,
                     "--password", self.passwords[role], *extra, check=True)
        for extra in ("victim", "spare"):  # one to lock out (7), one to deactivate (6)
            self.cli("--db", str(path), "users", "add", f"probe_{extra}", "--role", "analyst",
                     "--password", self.passwords[extra], check=True)
        return path

    def copy(self, name: str) -> Path:
        path = self.run / name
        shutil.copy(self.run / "template.duckdb", path)
        return path

    def cli(self, *args: str, timeout: float = 600, check: bool = False) -> tuple[int, str]:
        p = subprocess.run([HVP, *args], capture_output=True, text=True, timeout=timeout,
                           env={**__import__("os").environ, "COLUMNS": "200"}, cwd=ROOT)
        if check and p.returncode:
            raise RuntimeError(f"hvp {' '.join(args[:4])} …: exit {p.returncode}\n{p.stdout}{p.stderr}")
        return p.returncode, p.stdout + p.stderr

    # -- the server ---------------------------------------------------------------------------------------------
    def serve(self, db: Path) -> Server:
        server = Server(HVP, db, self.run / f"server-{db.stem}.log", self.args.rss_cap_mib * MIB)
        server.start()
        return server

    def ensure_server(self) -> None:
        """The main server up, and one session per role (again after a restart)."""
        if self.server is not None and self.server.alive:
            return
        if self.server is not None:
            print("  (server down: restarting it)", flush=True)
            self.tracebacks_before += self.server.tracebacks()
            self.server.log.rename(self.server.log.with_suffix(f".{int(time.time())}.log"))
        self.server = self.serve(self.run / "warehouse.duckdb")
        self.sessions = {role: Session(self.server.url, f"probe_{role}", self.passwords[role])
                         for role in ("admin", "analyst", "enterprise")}

    def session(self, role: str) -> Session:
        self.ensure_server()
        return self.sessions[role]

    def new_session(self, role: str) -> Session:
        self.ensure_server()
        return Session(self.server.url, f"probe_{role}", self.passwords[role])

    def file(self, name: str, make) -> Path:
        path = self.files / name
        if not path.exists():
            path.write_bytes(make())
        return path

    # -- results ------------------------------------------------------------------------------------------------
    def record(self, case: str, title: str, held: bool, figures: str) -> None:
        self.results.append(Result(case, title, held, figures))
        print(f"[{case:>3}] {'HELD    ' if held else 'NOT HELD'} {title}: {figures}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default="/tmp/hvp-probe", help="cache and run folder (default /tmp/hvp-probe)")
    p.add_argument("--small", action="store_true", help="a 2,000-application demo instead of 30,000")
    p.add_argument("--applications", type=int, default=None)
    p.add_argument("--only", default="", help="comma-separated cases: 1-12, H (headers, /docs, logout CSRF), F")
    p.add_argument("--rss-limit-mib", type=int, default=1024, help="what 'memory bounded' means (default 1 GiB)")
    p.add_argument("--rss-cap-mib", type=int, default=3072, help="kill the server past this (default 3 GiB)")
    p.add_argument("--case-seconds", type=int, default=180, help="longest wait for one upload (default 180)")
    p.add_argument("--big-rows", type=int, default=150_000, help="rows of the large import (default 150,000)")
    p.add_argument("--bomb-mib", type=int, default=1024, help="unpacked size of the bomb's sheet (default 1 GiB)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--load-deadline", type=int, default=600,
                   help="how long a load client keeps coming back after 503 + Retry-After (default 600 s)")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args()
    args.applications = args.applications or (2000 if args.small else 30_000)
    only = {c.strip().upper() for c in args.only.split(",") if c.strip()}
    probe = Probe(args)
    began = time.monotonic()
    print(f"hvpatent probe of issue 12: demo of {args.applications:,} applications, work folder {probe.work}",
          flush=True)
    probe.template()
    shutil.copy(probe.run / "template.duckdb", probe.run / "warehouse.duckdb")
    try:
        for case, run in probe_cases.ORDER:
            if only and case not in only:
                continue
            if case != "F" and case != "11":
                probe.ensure_server()
            try:
                run(probe)
            except Exception as err:  # a probe slip is a NOT HELD line, never the end of the run
                probe.record(case, "probe error", False, f"{type(err).__name__}: {str(err)[:300]}")
    finally:
        if probe.server is not None:
            probe.server.stop()
    tracebacks = probe.tracebacks_before + (probe.server.tracebacks() if probe.server else 0)
    held = sum(r.held for r in probe.results)
    print()
    for r in sorted(probe.results, key=lambda r: probe_cases.sort_key(r.case)):
        print(f"[{r.case:>3}] {'HELD    ' if r.held else 'NOT HELD'} {r.title}")
    print(f"\n{held} of {len(probe.results)} held; bad inputs tried: {probe.bad_inputs}, "
          f"faults survived: {sum(probe.faults)} of {len(probe.faults)}; tracebacks in the server log: {tracebacks}; "
          f"{(time.monotonic() - began) / 60:.1f} min")
    for k, v in probe.figures.items():
        print(f"  {k}: {v}")
    if args.json:
        Path(args.json).write_text(json.dumps({"applications": args.applications, "bad_inputs": probe.bad_inputs,
                                               "faults": probe.faults, "figures": probe.figures,
                                               "results": [asdict(r) for r in probe.results]},
                                              ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
