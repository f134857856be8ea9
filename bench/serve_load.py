"""Load on the dashboard's overview: C concurrent clients for S seconds on loopback.

Prints when the server answered first after its start (``--started``), the first response of each overview
question (the server warms them for its default day, the day asked when no --as-of is given), then
requests/s, p50/p95/p99 latency and errors.
    python bench/serve_load.py --url http://127.0.0.1:8010 --user analyst --password ... --clients 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

OVERVIEW = ["/api/indicators?region=500118", "/api/plan/progress"]
PAGE = "/"  # the dashboard's first page: plan progress and the region's figures


async def _client(base: str, cookies, paths: list[str], until: float, latencies: list[float], errors: list[str]):
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=60) as c:
        i = 0
        while time.perf_counter() < until:
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            try:
                r = await c.get(path)
                if r.status_code != 200:
                    errors.append(str(r.status_code))
            except httpx.HTTPError as err:
                errors.append(type(err).__name__)
            latencies.append(time.perf_counter() - start)


async def _up(c: httpx.AsyncClient, started: float | None) -> None:
    """Wait for the server to accept connections (bounded: 120 s)."""
    deadline = time.time() + 120
    while True:
        try:
            await c.get("/login")
            break
        except httpx.TransportError:
            if time.time() > deadline:
                raise
            await asyncio.sleep(0.2)
    if started is not None:
        print(f"server up {time.time() - started:.2f} s after its start")


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--as-of", default=None, help="default: the server's default day (the one it warms)")
    p.add_argument("--started", type=float, default=None, help="the server's start (epoch seconds)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=30)
    args = p.parse_args()
    suffix = "" if args.as_of is None else f"as_of={args.as_of}"
    paths = [x + (("&" if "?" in x else "?") + suffix if suffix else "") for x in OVERVIEW]
    async with httpx.AsyncClient(base_url=args.url, timeout=600) as c:
        await _up(c, args.started)
        r = await c.post("/api/login", json={"username": args.user, "password": args.password})
        r.raise_for_status()
        cookies = c.cookies
        for path in [PAGE + (f"?{suffix}" if suffix else ""), *paths]:
            start = time.perf_counter()
            (await c.get(path)).raise_for_status()
            since = f", {time.time() - args.started:.2f} s after the server's start" if args.started else ""
            print(f"first {path.split('?')[0]}: {time.perf_counter() - start:.3f} s{since}")
    latencies: list[float] = []
    errors: list[str] = []
    until = time.perf_counter() + args.seconds
    began = time.perf_counter()
    await asyncio.gather(*[_client(args.url, cookies, paths, until, latencies, errors) for _ in range(args.clients)])
    elapsed = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    rate = len(latencies) / elapsed
    print(f"{args.clients} clients, {elapsed:.1f} s: {len(latencies):,} requests, {rate:,.0f} req/s, "
          f"p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, errors {len(errors)}"
          + (f" ({', '.join(sorted(set(errors)))})" if errors else ""))


if __name__ == "__main__":
    asyncio.run(main())
