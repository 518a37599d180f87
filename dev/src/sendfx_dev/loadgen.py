"""HTTP load from a process of its own, for the benchmarks.

The load runs in a separate Python process (``python -m sendfx_dev.loadgen``)
so that the client's CPU is not the server's, as with any real client. Each
worker sends requests back to back for ``duration`` seconds, cycling through
``urls`` so that writes spread over several documents.

With ``rate`` set the load is open: requests start on a fixed schedule of
``rate`` a second, whatever the answers take (at most ``concurrency`` in
flight), and each latency counts from the request's scheduled start. That is
the latency a client sees at that traffic; back-to-back workers measure
throughput instead (their p50 is mostly queueing, by Little's law).
"""

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class LoadSpec:
    method: str
    urls: list[str]
    headers: dict[str, str]
    body: Any
    concurrency: int
    duration: float
    rate: float | None = None  # requests a second on a fixed schedule (open load)


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def quantile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def generate_load(spec: LoadSpec) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    statuses: dict[str, int] = {}
    limits = httpx.Limits(max_connections=spec.concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60, headers=spec.headers) as client:
        deadline = time.perf_counter() + spec.duration

        async def send(url: str, since: float) -> None:
            """One request; its latency counts from ``since``."""
            nonlocal errors
            try:
                response = await client.request(spec.method, url, json=spec.body)
                failed = response.status_code >= 400
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                failed, status = True, type(exc).__name__
            if failed:
                statuses[status] = statuses.get(status, 0) + 1
            latencies.append(time.perf_counter() - since)
            errors += failed

        async def worker(offset: int) -> None:
            turn = offset
            while time.perf_counter() < deadline:
                url = spec.urls[turn % len(spec.urls)]
                turn += spec.concurrency
                await send(url, time.perf_counter())

        async def scheduled(rate: float) -> None:
            in_flight = asyncio.Semaphore(spec.concurrency)

            async def one(url: str, due: float) -> None:
                try:
                    await send(url, due)
                finally:
                    in_flight.release()

            tasks: list[asyncio.Task[None]] = []
            start = time.perf_counter()
            for n in range(int(rate * spec.duration)):
                due = start + n / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                await in_flight.acquire()
                tasks.append(asyncio.create_task(one(spec.urls[n % len(spec.urls)], due)))
            await asyncio.gather(*tasks)

        began = time.perf_counter()
        if spec.rate:
            await scheduled(spec.rate)
        else:
            await asyncio.gather(*(worker(n) for n in range(spec.concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        errors=errors,
        seconds=elapsed,
        p50_ms=quantile(latencies, 0.50) * 1000,
        p99_ms=quantile(latencies, 0.99) * 1000,
        failures=statuses,
    )


def run_load_in_subprocess(spec: LoadSpec) -> LoadResult:
    out = subprocess.run(
        [sys.executable, "-m", "sendfx_dev.loadgen", json.dumps(asdict(spec))],
        capture_output=True,
        text=True,
        check=True,
    )
    return LoadResult(**json.loads(out.stdout))


def main() -> None:
    spec = LoadSpec(**json.loads(sys.argv[1]))
    print(json.dumps(asdict(asyncio.run(generate_load(spec)))))


if __name__ == "__main__":
    main()
