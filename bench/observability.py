"""bench-observability: what metrics and tracing cost, measured in one run.

Two figures, each with observability off and on, alternating (off, on, on,
off, ...) so that the machine's drift hits both alike; the medians compared:

1. ingest events/s: the usage-ingestor's production code in this process
   (as bench/ingest.py runs it) on a fresh topic and database per run. *On*:
   the OpenTelemetry SDK exporting over OTLP/HTTP to a receiver, asyncpg
   instrumented, every metric recorded and ``/metrics`` rendered once a
   second. *Off*: no tracing, every shared metric replaced by a no-op.
2. HTTP latency of ``GET /api/workspaces/{id}`` on core-api as a real
   process, load from a second process. *On*: the app as shipped, exporting
   traces, scraped once a second. *Off*: the same app without
   ``instrument_app`` (no HTTP metrics middleware, no tracing). The p50 and
   p99 are measured at a fixed rate (``--rate``, open load: a request starts
   every 1/rate s whatever the answers take), the latency a client sees at
   that traffic. A second load, back to back from ``--concurrency`` workers,
   measures the most the process serves and its CPU time per request: the
   price of observability in capacity, reported beside the latency.

The issue's bars: ingest within 5%, HTTP p50 within 10%. Beside the wall-clock
figures, the CPU time the measured process spent per event / per request:
on a machine shared with other work the wall clock swings by more than the
bars, while CPU time per unit of work shows what observability itself costs.

    .venv/bin/python bench/observability.py            # 60k events per run, 3 rounds
    .venv/bin/python bench/observability.py --rounds 5
"""

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import core as core_bench
import httpx
import ingest as ingest_bench
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from sendfx_dev import servers
from sendfx_dev.cpu import process_cpu_seconds
from sendfx_dev.loadgen import LoadSpec, run_load_in_subprocess
from sendfx_dev.ports import free_port
from sendfx_dev.testing.otlp import OtlpReceiver
from sendfx_shared.collection import collect_less
from sendfx_shared.observability import tracing
from sendfx_shared.topics import OPENAI_CALL_COMPLETED
from usage_ingestor.app import running


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=60_000, help="events per ingest run")
    parser.add_argument("--rounds", type=int, default=3, help="off/on pairs per figure")
    parser.add_argument("--workspaces", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=8.0, help="HTTP load per run")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="workers of the back-to-back (capacity) load"
    )
    parser.add_argument(
        "--rate", type=float, default=100.0, help="requests/s of the fixed-rate (latency) load"
    )
    parser.add_argument(
        "--only", choices=("ingest", "http"), help="measure one of the two figures only"
    )
    parser.add_argument(
        "--sampler",
        default="",
        help="OTEL_TRACES_SAMPLER[:ARG] of the *on* side, e.g. parentbased_traceidratio:0.1"
        " (default: the SDK's, every trace recorded)",
    )
    parser.add_argument(
        "--on",
        choices=("all", "metrics"),
        default="all",
        help="what the *on* side of the HTTP figure turns on: metrics and tracing (all), "
        "or metrics only",
    )
    parser.add_argument("--serve-core-api", choices=("bare",), help=argparse.SUPPRESS)
    parser.add_argument("--serve-otlp", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    name, _, argument = args.sampler.partition(":")
    args.sampler_env = {
        **({"OTEL_TRACES_SAMPLER": name} if name else {}),
        **({"OTEL_TRACES_SAMPLER_ARG": argument} if argument else {}),
    }
    # what bench/ingest.py's stream builder and ingestor read: its defaults
    defaults = ingest_bench.argument_parser().parse_args([])
    for name in ("duplicates", "poison", "partitions", "batch_max_records", "spread_hours"):
        setattr(args, name, getattr(defaults, name))
    return args


@dataclass(frozen=True)
class Sample:
    wall: float  # events/s, or p50 ms at the fixed rate
    cpu_us: float  # CPU microseconds per event, or per request
    p99: float = 0.0  # ms at the fixed rate
    capacity: float = 0.0  # requests/s back to back


Samples = dict[str, list[Sample]]


class _Silent:
    """A metric that records nothing (the *off* side)."""

    def labels(self, *args: Any, **kwargs: Any) -> "_Silent":
        return self

    def inc(self, *args: Any) -> None: ...
    def observe(self, *args: Any) -> None: ...
    def set(self, *args: Any) -> None: ...


@contextmanager
def metrics_silenced() -> Iterator[None]:
    """Every metric object the platform's modules hold, replaced by a no-op."""
    swapped: list[tuple[Any, str, Any]] = []
    for name, module in list(sys.modules.items()):
        if not name.startswith(("sendfx_shared", "usage_ingestor", "core_api")):
            continue
        for attribute, value in list(vars(module).items()):
            if isinstance(value, MetricWrapperBase):
                swapped.append((module, attribute, value))
                setattr(module, attribute, _Silent())
    try:
        yield
    finally:
        for module, attribute, value in swapped:
            setattr(module, attribute, value)


_sdk_installed = False


@contextmanager
def tracing_on(otlp: str, sampler_env: dict[str, str]) -> Iterator[None]:
    """The SDK is installed once per process; between *on* runs it is switched
    off here (the flag the shared code reads, asyncpg un-instrumented)."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    global _sdk_installed
    if not _sdk_installed:
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp
        os.environ.update(sampler_env)
        _sdk_installed = tracing.setup_tracing("usage-ingestor")
    else:
        AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
        tracing._enabled = True  # the bench toggles what setup_tracing set
    try:
        yield
    finally:
        tracing._enabled = False
        AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]


async def _scraping(stop: asyncio.Event) -> None:
    while not stop.is_set():
        generate_latest(REGISTRY)
        await asyncio.sleep(1.0)


async def ingest_once(args: argparse.Namespace, bootstrap: str, admin_url: str, on: bool) -> Sample:
    url, workspaces = await ingest_bench.prepare_database(admin_url, args.workspaces)
    settings = await ingest_bench.fresh_topic(args, bootstrap, url, "obs")
    topic = settings.topic(OPENAI_CALL_COMPLETED)
    messages, _, _ = ingest_bench.build_stream(args, workspaces)
    await ingest_bench.publish(bootstrap, topic, messages)
    stop = asyncio.Event()
    scraper = asyncio.create_task(_scraping(stop)) if on else None
    try:
        async with running(settings) as ingestor:
            await ingest_bench.assigned(ingestor)
            started, cpu = time.perf_counter(), time.process_time()
            await ingest_bench.until(lambda: ingest_bench.done(ingestor) >= len(messages))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        stop.set()
        if scraper is not None:
            await scraper
    return Sample(len(messages) / elapsed, cpu / len(messages) * 1e6)


async def ingest_figures(
    args: argparse.Namespace, bootstrap: str, admin_url: str, otlp: str
) -> Samples:
    rates: Samples = {"off": [], "on": []}
    await ingest_once(args, bootstrap, admin_url, on=False)  # warm-up, not counted
    for round_ in range(args.rounds):
        for side in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
            if side == "on":
                with tracing_on(otlp, args.sampler_env):
                    sample = await ingest_once(args, bootstrap, admin_url, on=True)
            else:
                with metrics_silenced():
                    sample = await ingest_once(args, bootstrap, admin_url, on=False)
            rates[side].append(sample)
            print(
                f"  ingest {side:<3} {sample.wall:>9,.0f} events/s"
                f"  {sample.cpu_us:6.1f} CPU us/event",
                flush=True,
            )
    return rates


def serve_bare_core_api() -> None:
    """core-api without ``instrument_app`` (the HTTP *off* side)."""
    import core_api.main as main

    def not_instrumented(app: Any, service: str) -> None:
        return None

    main.instrument_app = not_instrumented  # type: ignore[attr-defined]
    main.run()


def start_core_api(
    url: str, kafka: str, state: Path, on: bool, otlp: str, sampler_env: dict[str, str]
) -> tuple[Any, str]:
    """core-api as shipped (*on*: exporting to ``otlp`` unless it is empty,
    metrics only) or without ``instrument_app`` (*off*); no OTEL_* variable of
    this process reaches it but the disabled instrumentations."""
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp, **sampler_env} if on and otlp else {}
    return core_bench.start_core_api(
        url,
        kafka,
        state,
        command=() if on else (__file__, "--serve-core-api", "bare"),
        inherited=lambda name: (
            not name.startswith("OTEL_") or name == "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
        ),
        **otel,
    )


def _scrape_every_second(base: str, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        httpx.get(f"{base}/metrics", timeout=5)


async def http_figures(
    args: argparse.Namespace, bootstrap: str, admin_url: str, state: Path, otlp: str
) -> Samples:
    url = await core_bench.create_database(admin_url)
    p50s: Samples = {"off": [], "on": []}
    seeded: dict[str, Any] = {}
    for round_ in range(args.rounds):
        for side in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
            process, base = start_core_api(
                url,
                bootstrap,
                state,
                side == "on",
                otlp if args.on == "all" else "",
                args.sampler_env,
            )
            stop = threading.Event()
            try:
                seeded = seeded or await asyncio.to_thread(core_bench.seed, base, 3)
                urls = [f"{base}/api/workspaces/{seeded['workspace_id']}"]
                headers = {"Authorization": f"Bearer {seeded['token']}"}
                saturated = LoadSpec("GET", urls, headers, None, args.concurrency, args.seconds)
                steady = LoadSpec("GET", urls, headers, None, 64, args.seconds, rate=args.rate)
                await asyncio.to_thread(run_load_in_subprocess, saturated)  # warm-up
                if side == "on":
                    threading.Thread(
                        target=_scrape_every_second, args=(base, stop), daemon=True
                    ).start()
                cpu = process_cpu_seconds([process.pid])
                most = await asyncio.to_thread(run_load_in_subprocess, saturated)
                cpu = process_cpu_seconds([process.pid]) - cpu
                latency = await asyncio.to_thread(run_load_in_subprocess, steady)
            finally:
                stop.set()
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
            sample = Sample(
                latency.p50_ms,
                cpu / max(most.requests, 1) * 1e6,
                latency.p99_ms,
                most.requests / most.seconds,
            )
            p50s[side].append(sample)
            print(
                f"  http   {side:<3} at {args.rate:.0f}/s p50 {latency.p50_ms:6.2f} ms"
                f" p99 {latency.p99_ms:6.2f} ms ({latency.errors} errors);"
                f" back to back {sample.capacity:,.0f} req/s, {sample.cpu_us:5.0f} CPU us/req"
                f" ({most.errors} errors)",
                flush=True,
            )
    return p50s


def _row(
    name: str, samples: Samples, pick: str, fmt: str, bar: float | None, higher_is_better: bool
) -> str:
    off = statistics.median(getattr(s, pick) for s in samples["off"])
    on = statistics.median(getattr(s, pick) for s in samples["on"])
    change = on / off - 1
    worse = -change if higher_is_better else change
    verdict = "" if bar is None else f"{bar:.0%} " + ("ok" if worse <= bar else "OVER")
    return f"{name:<32} {off:>10{fmt}} {on:>10{fmt}} {change:>+8.1%}  {verdict}"


def report(ingest: Samples, http: Samples) -> None:
    print()
    print(f"{'figure (median)':<32} {'off':>10} {'on':>10} {'change':>8}  bar")
    print("-" * 72)
    if ingest:
        print(_row("ingest events/s", ingest, "wall", ",.0f", 0.05, True))
        print(_row("ingest CPU us per event", ingest, "cpu_us", ".1f", 0.05, False))
    if http:
        print(_row("HTTP p50 ms at the fixed rate", http, "wall", ".2f", 0.10, False))
        print(_row("HTTP p99 ms at the fixed rate", http, "p99", ".2f", None, False))
        print(_row("back-to-back requests/s", http, "capacity", ",.0f", None, True))
        print(_row("core-api CPU us per request", http, "cpu_us", ".0f", None, False))


def serve_otlp(port: int) -> None:
    """The OTLP receiver, in a process of its own (in the measured process it
    would compete for the GIL); prints how many spans it got when stopped."""
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with OtlpReceiver(port) as receiver:
        stopped.wait()
        print(f"spans received on the *on* side: {len(receiver.spans):,}", flush=True)


async def bench(
    args: argparse.Namespace, bootstrap: str, admin_url: str, state: Path, otlp: str
) -> None:
    ingest: Samples = {}
    http: Samples = {}
    if args.only != "http":
        print("ingest (in process) ...", flush=True)
        ingest = await ingest_figures(args, bootstrap, admin_url, otlp)
    if args.only != "ingest":
        print("HTTP (core-api process, GET /api/workspaces/{id}) ...", flush=True)
        http = await http_figures(args, bootstrap, admin_url, state, otlp)
    tracing.shutdown_tracing()  # flush before the receiver counts
    report(ingest, http)


def main() -> None:
    args = parse_args()
    if args.serve_core_api:
        serve_bare_core_api()
        return
    if args.serve_otlp:
        serve_otlp(args.serve_otlp)
        return
    collect_less()
    state = Path(tempfile.mkdtemp(prefix="sendfx-bench-obs-"))
    port = free_port()
    receiver = subprocess.Popen([sys.executable, __file__, "--serve-otlp", str(port)])
    try:
        with servers.LocalServers(state) as local:
            kafka, postgres = local.kafka().url, local.postgres().url
            asyncio.run(bench(args, kafka, postgres, state, f"http://127.0.0.1:{port}"))
    finally:
        receiver.send_signal(signal.SIGTERM)
        receiver.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
