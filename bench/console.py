"""bench-console: the admin console's gzipped bundle, and the time to an
interactive workspace detail page with a year of AI usage, on loopback.

Brings the whole platform up on free ports (the same code as `make up`, its
state in a temporary folder), makes a workspace and publishes a year of
`openai.call.completed` events for it (``--calls-per-day`` on each of 365
days), waits until the usage-ingestor has them all, then opens
``/admin/workspaces/<id>?from=…&to=…`` in Debian's Chromium: once right after
the browser's launch, once in a second fresh context (empty cache) and
``--rounds`` times warm, timing from the navigation to the totals and the
chart on screen. Measured, never asserted
(targets: ≤ 300 kB gzipped, ≤ 1 s).

    .venv/bin/python bench/console.py [--calls-per-day 20] [--rounds 5]
"""

import argparse
import asyncio
import gzip
import json
import os
import random
import statistics
import tempfile
import time
import uuid
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from ingest import event_bytes, publish

from sendfx_dev.browser import chromium, chromium_missing
from sendfx_dev.ports import wait_until
from sendfx_dev.stack import Stack, StackConfig, find_root
from sendfx_shared.topics import OPENAI_CALL_COMPLETED

ROOT = find_root(Path(__file__).parent)
BUILT = ROOT / "admin-console" / "dist" / "admin"


def bundle_gzipped() -> tuple[int, int]:
    """(raw, gzipped) bytes of the built html, js and css."""
    files = [p for p in BUILT.rglob("*") if p.suffix in {".js", ".css", ".html"}]
    raw = sum(p.stat().st_size for p in files)
    return raw, sum(len(gzip.compress(p.read_bytes(), 9)) for p in files)


def year_of_events(workspace: uuid.UUID, per_day: int, last: date) -> list[tuple[bytes, bytes]]:
    rng = random.Random(16)
    key = str(workspace).encode()
    messages = []
    for back in range(365):
        day = last - timedelta(days=back)
        for n in range(per_day):
            at = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(minutes=n)
            stamp = at.isoformat().replace("+00:00", "Z")
            messages.append((key, event_bytes(workspace, rng, stamp)))
    return messages


def time_to_interactive(page: Any, url: str) -> float:
    """ms from the navigation until the totals and the chart's canvas are shown."""
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.get_by_label("Usage totals").wait_for()
    page.locator("figure canvas").first.wait_for()
    return (time.perf_counter() - started) * 1000


def milestones(page: Any) -> dict[str, float]:
    """ms since the navigation started, from the page's own Performance API:
    the document's DOMContentLoaded (the bundle fetched and run) and the
    moment the usage summary's answer had arrived."""
    found: dict[str, float] = page.evaluate(
        """() => {
          const nav = performance.getEntriesByType("navigation")[0];
          const usage = performance.getEntriesByType("resource")
            .filter((e) => e.name.includes("/usage?"))
            .map((e) => e.responseEnd);
          return { dom: nav.domContentLoadedEventEnd, usage: Math.max(0, ...usage) };
        }"""
    )
    return found


def main() -> None:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls-per-day", type=int, default=20, help="events a day (20)")
    parser.add_argument("--rounds", type=int, default=5, help="warm page loads (5)")
    parser.add_argument("--screenshot", type=Path, help="save the loaded page as this PNG")
    args = parser.parse_args()
    missing = chromium_missing()
    if missing or not (BUILT / "index.html").exists():
        raise SystemExit(missing or "the console is not built: make install")
    raw, gzipped = bundle_gzipped()
    with tempfile.TemporaryDirectory(prefix="sendfx-bench-console-") as state:
        config = StackConfig.on_free_ports(ROOT, Path(state))
        stack = Stack(config, say=lambda _: None, tied_to_caller=True)
        try:
            stack.up()
            rows = measure(config, args)
        finally:
            stack.down()
    print(f"{'measure':<44} {'value':>12}")
    print(f"{'bundle, raw':<44} {raw / 1024:>9.1f} kB")
    print(f"{'bundle, gzipped (target ≤ 300 kB)':<44} {gzipped / 1024:>9.1f} kB")
    for label, value in rows:
        print(f"{label:<44} {value:>12}")


def measure(config: StackConfig, args: argparse.Namespace) -> list[tuple[str, str]]:
    last = datetime.now(UTC).date()
    first = last - timedelta(days=364)
    with httpx.Client(base_url=config.gateway_url, timeout=60) as gw:
        login = gw.post(
            "/api/auth/login",
            json={"email": "admin@sendfx.ai", "password": config.admin_password},
        )
        login.raise_for_status()
        tokens = login.json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        workspace = gw.post("/api/workspaces", json={"name": "Bench year"}, headers=headers)
        workspace.raise_for_status()
        workspace_id = uuid.UUID(workspace.json()["id"])
        events = year_of_events(workspace_id, args.calls_per_day, last)
        topic = config.kafka_topic_prefix + OPENAI_CALL_COMPLETED
        asyncio.run(publish(config.kafka_bootstrap_servers, topic, events))
        usage_url = f"/api/admin/workspaces/{workspace_id}/usage"
        query = {"from": first.isoformat(), "to": last.isoformat(), "tz": "UTC"}

        def summary() -> dict[str, Any]:
            body: dict[str, Any] = gw.get(usage_url, params=query, headers=headers).json()
            return body

        if not wait_until(lambda: summary()["totals"]["calls"] >= len(events), timeout=300):
            raise SystemExit(f"the ingestor has {summary()['totals']['calls']} of {len(events)}")
        started = time.perf_counter()
        days = len(summary()["by_day"])
        api_ms = (time.perf_counter() - started) * 1000

    page_url = f"/admin/workspaces/{workspace_id}?{httpx.QueryParams(query)}"
    session = json.dumps({**tokens, "expires_at": int(time.time() * 1000) + 3_600_000})
    # The console keeps its session in sessionStorage: put it there before the app starts.
    init = f"sessionStorage.setItem('sendfx-admin-session', {json.dumps(session)});"
    with chromium() as browser:
        colds: list[float] = []
        # The first context pays for the browser's own start-up too; the
        # second is a fresh profile (empty cache) in a running browser.
        for _ in range(2):
            context = browser.new_context(base_url=config.gateway_url)
            context.add_init_script(init)
            page = context.new_page()
            colds.append(time_to_interactive(page, page_url))
            marks = milestones(page)
            warm = [time_to_interactive(page, page_url) for _ in range(args.rounds)]
            if args.screenshot:
                page.screenshot(path=str(args.screenshot), full_page=True)
            context.close()
    return [
        ("usage events (a year)", f"{len(events):,}"),
        ("days in the summary", f"{days}"),
        ("usage summary API, one call", f"{api_ms:.0f} ms"),
        ("time to interactive, first load after launch", f"{colds[0]:.0f} ms"),
        ("time to interactive, empty cache (≤ 1 s)", f"{colds[1]:.0f} ms"),
        ("  of which: bundle loaded (DOMContentLoaded)", f"{marks['dom']:.0f} ms"),
        ("  of which: usage summary answered", f"{marks['usage']:.0f} ms"),
        (f"time to interactive, warm p50 of {len(warm)}", f"{statistics.median(warm):.0f} ms"),
        ("time to interactive, warm max", f"{max(warm):.0f} ms"),
        # On a shared machine the figures above scale with this.
        ("load average (1 min) at the end", f"{os.getloadavg()[0]:.1f}"),
    ]


if __name__ == "__main__":
    main()
