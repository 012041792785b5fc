"""Per-request overhead of the HTTP/GraphQL stack, measured with a real load generator.

Boot and init have their own benchmark (``bench_boot.py``); this one asks what a request
costs once the server is up, because that is what a shop's tills and scanners feel.  It
starts ``openjxc serve`` exactly as a deployment would (same CLI, uvicorn, 1 and 2
workers) and drives it over loopback with ``wrk`` (``make bench`` installs it), so the
numbers include HTTP parsing, the ASGI stack, bearer authentication and GraphQL
execution, and nothing of a test client's shortcuts.

Two requests are measured, each ``CONNECTIONS`` connections for ``DURATION_S`` seconds
after a warm-up:

``typename``   ``{ __typename }`` anonymous: the floor of the stack (no database touched);
``auth_read``  ``{ me { username } }`` with a bearer token (or, on a schema without ``me``,
               ``{ products(first: 5) { … } }``): the smallest request that authenticates
               against the database, i.e. what every real screen pays at least.

Aim (issue "Kernel II: Speed"): >= 1000 small authenticated reads/s on the 2-core
reference machine; ``meets_aim`` says whether the best worker count reached it.

Everything is set up and torn down here: a fresh PostgreSQL database
``openjxc_bench_<random>`` (dropped afterwards; PostgreSQL because SQLite serialises
writers across worker processes, and authentication writes ``last_used_at``), or a SQLite
file when PostgreSQL is unreachable (the JSON says so).  Only 127.0.0.1 is used, every
run is bounded, and the server is stopped by this script.

Note that the load generator, the server's workers and PostgreSQL share the machine's
cores: on 2 cores, 2 workers compete with the generator and the database for CPU, which
is the point (a single box deployment) but means 2 workers cannot double 1 worker's rate.

    .venv/bin/python benchmarks/bench_http.py                 # prints one JSON object
    .venv/bin/python benchmarks/bench_http.py --duration 3    # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

OPENJXC = str(Path(sys.executable).with_name("openjxc"))
#: The maintenance database used to create and drop the benchmark's own database.
PG_ADMIN_URL = os.environ.get("OPENJXC_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
USERNAME = "bench"
PASSWORD = "bench-pass-123"
AIM_AUTH_READS_PER_S = 1000
CONNECTIONS = 32
DURATION_S = 10.0
WARMUP_S = 3.0
WORKER_COUNTS = (1, 2)

TYPENAME_QUERY = "{ __typename }"
ME_QUERY = "{ me { username } }"
PRODUCTS_QUERY = "{ products(first: 5) { edges { node { code } } } }"
TOKEN_MUTATION = (f'mutation {{ tokenCreate(input: {{username: "{USERNAME}", '
                  f'password: "{PASSWORD}"}}) {{ token errors {{ code }} }} }}')

#: wrk's Lua hooks: a fixed POST, and a ``done`` that prints what we need as one JSON line
#: (wrk's own report has no p95 and rounds to human units).
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
{auth}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {{"requests": %d, "duration_us": %d, "errors": {{"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}}, "p50_us": %.1f, "p95_us": %.1f, ' ..
    '"p99_us": %.1f, "max_us": %.1f, "mean_us": %.1f}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def log(message: str) -> None:
    """Progress goes to stderr: stdout carries only the JSON, for ``make bench`` logs."""
    print(f"bench_http: {message}", file=sys.stderr, flush=True)


def openjxc(*args: str) -> str:
    """Run the ``openjxc`` CLI as an operator would; its output on failure, then raise."""
    done = subprocess.run([OPENJXC, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openjxc {' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


# -- the database ----------------------------------------------------------------------------

@contextlib.contextmanager
def temporary_database(force_sqlite: bool) -> Iterator[tuple[str, str, str | None]]:
    """Yield ``(url, backend, note)`` of a new, empty database, removed afterwards.

    PostgreSQL first: several workers need a database that takes concurrent writers.  A
    random name keeps concurrent runs (and a crashed earlier run's leftover) apart.
    """
    note: str | None = None
    admin = None
    if not force_sqlite:
        try:
            import psycopg

            admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
        except Exception as exc:
            reason = (str(exc).splitlines() or [""])[0]
            note = f"PostgreSQL unreachable ({type(exc).__name__}: {reason}); used a SQLite file"
    else:
        note = "SQLite requested (--sqlite)"
    if admin is None:
        with tempfile.TemporaryDirectory(prefix="openjxc-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db", "sqlite", note
        return
    name = f"openjxc_bench_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = PG_ADMIN_URL.rsplit("/", 1)[0]
            yield f"{base}/{name}", "postgresql", note
        finally:
            # FORCE: a worker that has not let go of its pool must not leave the db behind.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def schema_has_me() -> bool:
    """Whether the basic edition's Query has ``me`` (it arrived in the same milestone;
    older trees measure the products read instead)."""
    sdl = openjxc("schema", "--edition", "basic")
    query = re.search(r"^type Query \{(.*?)^\}", sdl, re.S | re.M)
    return bool(query and re.search(r"^\s+me\s*[:(]", query.group(1), re.M))


# -- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(url: str, workers: int, log_dir: str) -> Iterator[str]:
    """Run ``openjxc serve`` (log level warning: access logs would measure the logger)
    until /healthz answers; yield its base URL; stop it and its workers afterwards."""
    port = free_port()
    log_path = Path(log_dir) / f"serve-{workers}.log"
    with open(log_path, "wb") as out:
        # A session of its own, so its uvicorn workers are stopped with it (process group).
        proc = subprocess.Popen(
            [OPENJXC, "serve", "--database", url, "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers), "--log-level", "warning"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"openjxc serve exited ({proc.returncode}):\n"
                                   + log_path.read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                raise RuntimeError("openjxc serve did not answer /healthz within 90 s")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        yield base
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (uvicorn shuts workers down), SIGKILL if stuck."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def graphql(base: str, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{base}/graphql", json={"query": query}, headers=headers, timeout=30)
    response.raise_for_status()
    return dict(response.json())


def obtain_token(base: str, url: str) -> tuple[str, str]:
    """Sign in the way a client does (``tokenCreate``); on a tree without that mutation,
    issue the token in-process, which stores the same row."""
    with contextlib.suppress(Exception):
        payload = graphql(base, TOKEN_MUTATION)
        token = ((payload.get("data") or {}).get("tokenCreate") or {}).get("token")
        if token:
            return str(token), "tokenCreate"
    from openjxc.core.env import Environment
    from openjxc.core.security.tokens import create_token

    env = Environment.open(url)
    try:
        with env.unit_of_work() as session:
            issued = create_token(session, env, USERNAME, PASSWORD)
    finally:
        env.database.dispose()
    return issued.token, "create_token (in-process)"


def check(base: str, query: str, token: str | None) -> None:
    """A wrong answer at speed is no answer: the measured request must succeed."""
    payload = graphql(base, query, token)
    if payload.get("errors") or not payload.get("data"):
        raise RuntimeError(f"{query} answered {payload}")
    if query == ME_QUERY and (payload["data"].get("me") or {}).get("username") != USERNAME:
        raise RuntimeError(f"{query} answered {payload} (not signed in?)")


# -- load generators -------------------------------------------------------------------------

def run_wrk(endpoint: str, body: str, token: str | None, connections: int,
            duration: float, tmp: str) -> dict[str, Any]:
    """One wrk run.  One wrk thread: it manages tens of thousands of requests/s, and a
    second one would only take CPU from the server on a 2-core machine."""
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    script = Path(tmp) / "post.lua"
    script.write_text(WRK_SCRIPT.format(body=body, auth=auth))
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "5s",
         "-s", str(script), endpoint],
        capture_output=True, text=True, timeout=duration + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    errors = raw["errors"]
    failed = errors["status"] + errors["read"] + errors["write"] + errors["connect"]
    seconds = raw["duration_us"] / 1e6
    return {
        "requests_per_s": round((raw["requests"] - errors["status"]) / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "requests": raw["requests"],
        "errors": failed + errors["timeout"],
    }


def run_python(endpoint: str, body: str, token: str | None, connections: int,
               duration: float, tmp: str) -> dict[str, Any]:
    """The fallback without wrk: ``connections`` asyncio tasks on one httpx client, each
    posting back to back.  It costs far more CPU per request than wrk, so on a small
    machine it understates the server; the JSON names the generator used."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    content = body.encode()

    async def load() -> tuple[list[float], int, float]:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=connections,
                              max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=5) as client:
            deadline = time.perf_counter() + duration

            async def user() -> None:
                nonlocal errors
                while (start := time.perf_counter()) < deadline:
                    try:
                        response = await client.post(endpoint, content=content,
                                                     headers=headers)
                        ok = response.status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    if ok:
                        latencies.append(time.perf_counter() - start)
                    else:
                        errors += 1

            began = time.perf_counter()
            await asyncio.gather(*(user() for _ in range(connections)))
            return latencies, errors, time.perf_counter() - began

    latencies, errors, elapsed = asyncio.run(load())
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000,
                     2)

    return {
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else float("nan"),
        "requests": len(latencies) + errors,
        "errors": errors,
    }


# -- the benchmark ---------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=DURATION_S, help="seconds per case")
    parser.add_argument("--warmup", type=float, default=WARMUP_S, help="seconds per case")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--workers", default=",".join(map(str, WORKER_COUNTS)),
                        help="comma-separated worker counts")
    parser.add_argument("--sqlite", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]

    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk"))
    generate = run_wrk if use_wrk else run_python
    auth_query = ME_QUERY if schema_has_me() else PRODUCTS_QUERY
    cases = {"typename": (TYPENAME_QUERY, False), "auth_read": (auth_query, True)}

    result: dict[str, Any] = {
        "benchmark": "http",
        "generator": "wrk -t1" if use_wrk else "python asyncio+httpx",
        "cpu_count": os.cpu_count(),
        # Other work on the box (a test run, a build) takes the server's CPU: say how much.
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "queries": {name: query for name, (query, _) in cases.items()},
    }
    token: str | None = None
    by_workers: dict[str, dict[str, Any]] = {}
    with temporary_database(args.sqlite) as (url, backend, note), \
            tempfile.TemporaryDirectory(prefix="openjxc-bench-http-") as tmp:
        result["database"] = backend
        if note:
            result["database_note"] = note
        log(f"init basic edition on {backend}")
        openjxc("init", "--edition", "basic", "--database", url)
        openjxc("user", "create", USERNAME, "--password", PASSWORD, "--role", "admin",
                "--database", url)
        for workers in worker_counts:
            log(f"serve --workers {workers}")
            with server(url, workers, tmp) as base:
                if token is None:
                    token, result["token_via"] = obtain_token(base, url)
                measured: dict[str, Any] = {}
                for name, (query, authenticated) in cases.items():
                    bearer = token if authenticated else None
                    check(base, query, bearer)
                    body = json.dumps({"query": query})
                    endpoint = f"{base}/graphql"
                    generate(endpoint, body, bearer, args.connections, args.warmup, tmp)
                    log(f"  {name}: {args.duration:g} s x {args.connections} connections")
                    measured[name] = generate(endpoint, body, bearer, args.connections,
                                              args.duration, tmp)
                    check(base, query, bearer)  # and it still does after the load
                by_workers[str(workers)] = measured
    result["workers"] = by_workers
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    best = max((m["auth_read"]["requests_per_s"] for m in by_workers.values()), default=0.0)
    result["aim"] = {"auth_read_requests_per_s": AIM_AUTH_READS_PER_S}
    result["best_auth_read_requests_per_s"] = best
    result["meets_aim"] = best >= AIM_AUTH_READS_PER_S
    print(json.dumps(result))


if __name__ == "__main__":
    main()
