"""Benchmark of core-api and the usage routes: requests/s and p50/p99 latency of
login, get workspace, list members (core-api) and the usage summary of a
workspace with a year of usage (1M calls at full size) over the hourly
rollup, in UTC and in two other zones (usage-ingestor), measured from a
second process on loopback; the CSV export of the whole year (time and the
ingestor's peak memory growth); and the outbox relay's events/s.

    .venv/bin/python bench/core.py                 # quick: 100k usage rows, 5 s per route
    .venv/bin/python bench/core.py --rows 1000000  # the issue's full size

Starts its own embedded PostgreSQL and Tansu broker on free ports (or uses
``--postgres-url`` / ``--kafka``), a fresh database, and core-api and
usage-ingestor as real processes (one uvicorn worker each). Load comes from
``wrk`` when it is installed (``apt-get install -y wrk``), else from an
httpx-based async generator in a separate process (``--tool`` chooses).
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from sendfx_dev import servers
from sendfx_dev.databases import drop_database, platform_database, role_url
from sendfx_dev.loadgen import LoadSpec, run_load_in_subprocess
from sendfx_dev.ownership import CORE_API, USAGE_INGESTOR
from sendfx_dev.ports import free_port, wait_until
from sendfx_shared.postgres import connect

MODELS = ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "o3-mini", "gpt-4.1-nano")
SERVICES = ("ai_reply", "ai_agent", "assistant")
TIERS = ("default", "default", "default", "flex", "priority")
# Whole-hour offsets, a half-hour one (each day's edge inside a UTC hour) and one
# with daylight saving.
SUMMARY_ZONES = ("UTC", "Asia/Kolkata", "America/New_York")
PASSWORD = "bench password 123"
ADMIN_PASSWORD = "bench-admin-password"
DAYS = 365


# -- load generation ---------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    concurrency: int


@dataclass
class Measured:
    scenario: str
    tool: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_httpx(scenario: Scenario, duration: float) -> Measured:
    spec = LoadSpec(
        scenario.method,
        [scenario.url],
        scenario.headers,
        scenario.body,
        scenario.concurrency,
        duration,
    )
    result = run_load_in_subprocess(spec)
    return Measured(
        scenario.name,
        "httpx",
        scenario.concurrency,
        result.requests,
        result.errors,
        result.seconds,
        result.p50_ms,
        result.p99_ms,
    )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(scenario: Scenario, duration: float, workdir: Path) -> Measured:
    script = workdir / f"{scenario.name.replace(' ', '_')}.lua"
    lines = [f'wrk.method = "{scenario.method}"']
    for key, value in scenario.headers.items():
        lines.append(f'wrk.headers["{key}"] = "{value}"')
    if scenario.body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append(f"wrk.body = [[{json.dumps(scenario.body)}]]")
    script.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{scenario.concurrency}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(script),
            scenario.url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))  # type: ignore[union-attr]
    seconds = _ms(re.search(r"requests in ([\d.]+\w+)", out).group(1)) / 1000  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    return Measured(scenario.name, "wrk", scenario.concurrency, requests, errors, seconds, p50, p99)


# -- infrastructure ----------------------------------------------------------------


@contextmanager
def infrastructure(args: argparse.Namespace, state: Path) -> Iterator[tuple[str, str]]:
    """(postgres admin url, kafka bootstrap), started here unless given."""
    with servers.LocalServers(state) as local:
        yield args.postgres_url or local.postgres().url, args.kafka or local.kafka().url


async def create_database(admin_url: str) -> str:
    return await platform_database(admin_url, f"bench_core_{uuid.uuid4().hex[:8]}")


# -- data --------------------------------------------------------------------------


async def _usage_records(
    workspace_id: uuid.UUID, rows: int, chunk: int = 50_000
) -> AsyncIterator[tuple[Any, ...]]:
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=DAYS)
    for first in range(0, rows, chunk):
        for n in range(first, min(rows, first + chunk)):
            prompt = rng.randint(50, 4000)
            cached = rng.randint(0, prompt) if n % 3 == 0 else 0
            completion = rng.randint(10, 1500)
            missing = n % 97 == 0
            yield (
                "/sendfx/feature-api",
                f"bench-{n}",
                workspace_id,
                MODELS[n % len(MODELS)],
                SERVICES[n % len(SERVICES)],
                0 if missing else prompt,
                0 if missing else cached,
                0 if missing else completion,
                0,
                0 if missing else prompt + completion,
                missing,
                start + timedelta(seconds=n * DAYS * 86400 / rows),
                None if missing else Decimal(prompt + completion) / Decimal(1_000_000),
                TIERS[n % len(TIERS)],
            )
        await asyncio.sleep(0)


async def load_usage(url: str, workspace_id: uuid.UUID, rows: int) -> tuple[float, float]:
    """COPY ``rows`` usage rows, then build the hourly rollup in one statement;
    returns the seconds each took."""
    conn = await connect(url)
    try:
        began = time.perf_counter()
        await conn.copy_records_to_table(
            "openai_usage",
            schema_name="core",
            columns=[
                "event_source",
                "event_id",
                "workspace_id",
                "model",
                "service",
                "prompt_tokens",
                "cached_tokens",
                "completion_tokens",
                "reasoning_tokens",
                "total_tokens",
                "usage_missing",
                "occurred_at",
                "cost_usd",
                "service_tier",
            ],
            records=_usage_records(workspace_id, rows),
        )
        copied = time.perf_counter() - began
        began = time.perf_counter()
        await conn.execute(
            """
            INSERT INTO core.usage_hourly (workspace_id, hour, model, service, service_tier,
                calls, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens,
                total_tokens, cost_usd, unpriced_calls, usage_missing_calls)
            SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), model, service,
                   service_tier, count(*), sum(prompt_tokens), sum(cached_tokens),
                   sum(completion_tokens), sum(reasoning_tokens), sum(total_tokens),
                   coalesce(sum(cost_usd), 0), count(*) FILTER (WHERE unpriced),
                   count(*) FILTER (WHERE usage_missing)
            FROM core.openai_usage WHERE workspace_id = $1
            GROUP BY 1, 2, 3, 4, 5
            """,
            workspace_id,
        )
        await conn.execute("ANALYZE core.usage_hourly")
        await conn.execute("ANALYZE core.openai_usage")
        return copied, time.perf_counter() - began
    finally:
        await conn.close()


async def outbox_latency_ms(url: str) -> tuple[int, float, float]:
    """Commit-to-acknowledged latency of the events the API wrote so far
    (``created_at`` is the writing transaction's start, ``sent_at`` the
    relay's mark after the broker's ack): count, p50, p99."""
    conn = await connect(url)
    try:
        row = await conn.fetchrow(
            """
            SELECT count(*) AS n,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
            FROM (SELECT extract(epoch FROM sent_at - created_at) * 1000 AS ms
                  FROM core.outbox WHERE sent_at IS NOT NULL) AS latencies
            """
        )
        assert row is not None
        return int(row["n"]), float(row["p50"] or 0), float(row["p99"] or 0)
    finally:
        await conn.close()


async def measure_outbox(url: str, events: int) -> float:
    """Events/s of the running relay: ``events`` rows committed at once, timed
    until the relay has marked the last one sent."""
    conn = await connect(url)
    try:
        began = time.perf_counter()
        await conn.execute(
            """
            INSERT INTO core.outbox (topic, message_key, event_type, event)
            SELECT 'core.events', 'bench-' || (n % 64), 'bench.event',
                   jsonb_build_object('specversion', '1.0', 'id', gen_random_uuid()::text,
                       'source', '/sendfx/bench', 'type', 'bench.event',
                       'time', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                       'datacontenttype', 'application/json', 'data', jsonb_build_object('n', n))
            FROM generate_series(1, $1) AS n
            """,
            events,
        )
        # polling the table is the measurement: nothing to wait on
        while await conn.fetchval(  # noqa: ASYNC110
            "SELECT count(*) FROM core.outbox WHERE sent_at IS NULL"
        ):
            await asyncio.sleep(0.05)
        return events / (time.perf_counter() - began)
    finally:
        await conn.close()


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))  # type: ignore[union-attr]


async def measure_export(
    usage_base: str, seeded: dict[str, Any], pid: int, runs: int
) -> tuple[int, int, list[float], int]:
    """The whole year's calls as CSV, ``runs`` times: (rows, bytes, seconds of
    each run, the ingestor's peak RSS growth in KiB over its RSS before, sampled
    every 10 ms while the export streams)."""
    today = date.today()
    url = (
        f"{usage_base}/api/admin/workspaces/{seeded['workspace_id']}/usage/calls"
        f"?from={today - timedelta(days=DAYS + 1)}&to={today}"
    )
    headers = {"Authorization": f"Bearer {seeded['admin']}", "Accept": "text/csv"}
    baseline = _rss_kib(pid)
    peak = baseline
    streaming = True

    async def sample() -> None:
        nonlocal peak
        while streaming:
            peak = max(peak, _rss_kib(pid))
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(sample())
    seconds: list[float] = []
    rows = size = 0
    async with httpx.AsyncClient(timeout=600) as client:
        for _ in range(runs):
            began = time.perf_counter()
            rows = size = 0
            async with client.stream("GET", url, headers=headers) as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    rows += chunk.count(b"\n")
            seconds.append(time.perf_counter() - began)
    streaming = False
    await sampler
    return rows - 1, size, seconds, peak - baseline


# -- the run -----------------------------------------------------------------------


def start_service(
    name: str,
    module: str,
    state: Path,
    port: int,
    *,
    command: Sequence[str] = (),
    inherited: Callable[[str], bool] = lambda name: True,
    **env_vars: str,
) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m module`` (or ``python *command``) as a real process, once its
    /healthz answers 200; of this process's environment it inherits the
    variables ``inherited`` keeps, but the MongoDB URLs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MONGO_URL", "LEGACY_MONGO_URL") and inherited(k)
    }
    env.update(LOG_LEVEL="warning", POSTGRES_POOL_MAX="20", **env_vars)
    log_path = state / "log" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, *(command or ("-m", module))],
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200

    if not wait_until(healthy, 60, 0.2):
        process.kill()
        raise SystemExit(f"{name} did not start; see {log_path}")
    return process, base


def start_core_api(
    url: str,
    kafka: str,
    state: Path,
    *,
    command: Sequence[str] = (),
    inherited: Callable[[str], bool] = lambda name: True,
    **env_vars: str,
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    return start_service(
        "core-api",
        "core_api.main",
        state,
        port,
        command=command,
        inherited=inherited,
        **env_vars,
        POSTGRES_URL=role_url(url, CORE_API),
        KAFKA_BOOTSTRAP_SERVERS=kafka,
        KAFKA_TOPIC_PREFIX="bench.",
        CORE_API_PORT=str(port),
        ADMIN_PASSWORD=ADMIN_PASSWORD,
        # One user at full speed: measure the routes, not the rate limit.
        CORE_API_RATE_LIMIT_REQUESTS="0",
    )


def start_usage_ingestor(
    url: str, kafka: str, state: Path, core_api: str
) -> tuple[subprocess.Popen[bytes], str]:
    """It serves the usage routes (the summary, the calls and their CSV),
    verifying tokens with core-api's public keys."""
    port = free_port()
    return start_service(
        "usage-ingestor",
        "usage_ingestor.main",
        state,
        port,
        POSTGRES_URL=role_url(url, USAGE_INGESTOR),
        KAFKA_BOOTSTRAP_SERVERS=kafka,
        KAFKA_TOPIC_PREFIX="bench.",
        USAGE_INGESTOR_PORT=str(port),
        JWT_JWKS_URL=f"{core_api}/api/auth/jwks",
        USAGE_INGESTOR_RATE_LIMIT_REQUESTS="0",
    )


def seed(base: str, members: int) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=60) as client:
        admin = client.post(
            "/api/auth/login", json={"email": "admin@sendfx.ai", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        email = f"bench-{uuid.uuid4().hex[:6]}@example.com"
        client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
        token = client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()[
            "access_token"
        ]
        owner = {"Authorization": f"Bearer {token}"}
        workspace = client.post("/api/workspaces", json={"name": "Bench"}, headers=owner).json()
        for i in range(members):
            other = f"member{i}-{uuid.uuid4().hex[:6]}@example.com"
            client.post("/api/auth/register", json={"email": other, "password": PASSWORD})
            client.post(
                f"/api/workspaces/{workspace['id']}/members", json={"email": other}, headers=owner
            )
    return {"admin": admin, "token": token, "email": email, "workspace_id": workspace["id"]}


def scenarios(
    base: str, usage_base: str, seeded: dict[str, Any], concurrency: int
) -> list[Scenario]:
    user = {"Authorization": f"Bearer {seeded['token']}"}
    admin = {"Authorization": f"Bearer {seeded['admin']}"}
    wid = seeded["workspace_id"]
    today = date.today()
    period = f"from={today - timedelta(days=DAYS)}&to={today}"
    return [
        Scenario(
            "login",
            "POST",
            f"{base}/api/auth/login",
            {},
            {"email": seeded["email"], "password": PASSWORD},
            2,
        ),
        Scenario("get workspace", "GET", f"{base}/api/workspaces/{wid}", user, None, concurrency),
        Scenario(
            "list members", "GET", f"{base}/api/workspaces/{wid}/members", user, None, concurrency
        ),
        *(
            Scenario(
                f"usage summary 1y {zone}"[:24],
                "GET",
                f"{usage_base}/api/admin/workspaces/{wid}/usage?{period}&tz={zone}",
                admin,
                None,
                concurrency,
            )
            for zone in SUMMARY_ZONES
        ),
    ]


def print_table(results: list[Measured], extra: list[tuple[str, str]]) -> None:
    header = (
        f"{'scenario':<24} {'tool':<6} {'conc':>4} {'requests':>9} {'req/s':>9} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.scenario:<24} {r.tool:<6} {r.concurrency:>4} {r.requests:>9} {r.rps:>9.1f} "
            f"{r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>6}"
        )
    print()
    for name, value in extra:
        print(f"{name:<40} {value}")


async def bench(
    args: argparse.Namespace, pg_admin: str, kafka: str, state: Path, tool: str
) -> None:
    url = await create_database(pg_admin)
    process, base = start_core_api(url, kafka, state)
    ingestor, usage_base = start_usage_ingestor(url, kafka, state, base)
    try:
        print(f"core-api at {base}; seeding {args.members} members ...", flush=True)
        seeded = await asyncio.to_thread(seed, base, args.members)
        print(f"loading {args.rows:,} usage rows (COPY) and the hourly rollup ...", flush=True)
        copied, rolled = await load_usage(url, uuid.UUID(seeded["workspace_id"]), args.rows)
        results = []
        for scenario in scenarios(base, usage_base, seeded, args.concurrency):
            print(f"  {scenario.name} ({tool}, {args.duration:.0f} s) ...", flush=True)
            if tool == "wrk":
                results.append(await asyncio.to_thread(run_wrk, scenario, args.duration, state))
            else:
                results.append(await asyncio.to_thread(run_httpx, scenario, args.duration))
        print(f"  CSV export of {args.rows:,} calls x {args.export_runs} ...", flush=True)
        exported = await measure_export(usage_base, seeded, ingestor.pid, args.export_runs)
        latency = await outbox_latency_ms(url)
        print(f"  outbox relay ({args.outbox_events:,} events) ...", flush=True)
        events_per_second = await measure_outbox(url, args.outbox_events)
    finally:
        for started in (ingestor, process):
            started.send_signal(signal.SIGTERM)
            started.wait(timeout=30)
        await drop_database(pg_admin, url.rpartition("/")[2])
    print()
    print_table(
        results,
        [
            ("usage rows in core.openai_usage", f"{args.rows:,}"),
            ("COPY rows/s", f"{args.rows / copied:,.0f}"),
            ("hourly rollup INSERT...SELECT", f"{rolled:.2f} s"),
            ("CSV export: rows / MB", f"{exported[0]:,} / {exported[1] / 1e6:,.1f}"),
            (
                "CSV export seconds (each run)",
                ", ".join(f"{t:.2f}" for t in exported[2])
                + f" ({exported[0] / min(exported[2]):,.0f} rows/s at best)",
            ),
            ("CSV export: ingestor peak RSS growth", f"{exported[3] / 1024:,.1f} MiB"),
            ("outbox relay events/s (to Kafka, acks=all)", f"{events_per_second:,.0f}"),
            (
                "outbox commit -> Kafka ack (API events)",
                f"p50 {latency[1]:.0f} ms, p99 {latency[2]:.0f} ms (n={latency[0]})",
            ),
        ],
    )


def main(args: argparse.Namespace) -> None:
    state = Path(tempfile.mkdtemp(prefix="bench-core-"))
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "httpx")
    try:
        # The servers start outside the event loop: their readiness probes run their own.
        with infrastructure(args, state) as (pg_admin, kafka):
            asyncio.run(bench(args, pg_admin, kafka, state, tool))
    finally:
        shutil.rmtree(state, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=100_000,
        help="usage rows of the benchmark workspace (the issue's size: 1000000)",
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per route")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent connections")
    parser.add_argument("--members", type=int, default=20, help="members of the workspace")
    parser.add_argument("--outbox-events", type=int, default=20_000)
    parser.add_argument("--export-runs", type=int, default=3, help="CSV exports of the year")
    parser.add_argument("--tool", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--postgres-url", help="an admin URL of a PostgreSQL to use")
    parser.add_argument("--kafka", help="bootstrap servers of a broker to use")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
