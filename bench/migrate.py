"""bench-migrate: extract and load N legacy records, beside a raw COPY of the same rows.

    .venv/bin/python bench/migrate.py [--count 100000] [--seed 7] [--fresh-data] [--verify]

Starts its own SecantusDB, Tansu and PostgreSQL on free ports. The legacy data
is generated once per (count, seed) into a SecantusDB data folder under
``.bench-data/`` (SecantusDB inserts about 6.6k docs/s) and reused after that.
Prints records/s for extract (MongoDB → Kafka) and load (Kafka → PostgreSQL),
and for a raw ``COPY`` of the rows the load produced into empty copies of the
tables, with the load/COPY ratio. Targets: load ≥ 20k records/s and ≥ 50 % of COPY.

Rates depend on what else the machine runs; the CPU each process spends per
record does not, so the bench also prints it, for the load and for the COPY,
and the arithmetic of the ratio target on a machine of CORES cores.
"""

import argparse
import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.mapping import TABLES
from migrator.settings import ExtractSettings, LoadSettings, OperatorSettings
from migrator.verify import run_verify
from sendfx_dev import servers
from sendfx_dev.cpu import process_cpu_seconds
from sendfx_dev.databases import drop_database, platform_database, role_url
from sendfx_dev.legacy_data import GENERATOR_VERSION, generate, insert
from sendfx_dev.ownership import MIGRATOR, OPERATOR
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER
from sendfx_shared.postgres import connect

ROOT = Path(__file__).resolve().parent.parent
CORES = 2  # the machine the targets are set for
TARGET_SHARE = 0.50  # of the raw COPY rate
console = Console()


@dataclass
class Spent:
    """Wall and CPU seconds of one step: this process, PostgreSQL, the broker."""

    seconds: float
    client: float
    postgres: float
    broker: float = 0.0

    @property
    def cpu(self) -> float:
        return self.client + self.postgres + self.broker


class Meter:
    def __init__(self, postgres_pid: int, broker_pid: int) -> None:
        self._pids = (postgres_pid, broker_pid)

    def start(self) -> Callable[[], Spent]:
        started, client = time.perf_counter(), time.process_time()
        pg, broker = (process_cpu_seconds([pid]) for pid in self._pids)

        def stop() -> Spent:
            return Spent(
                time.perf_counter() - started,
                time.process_time() - client,
                process_cpu_seconds([self._pids[0]]) - pg,
                process_cpu_seconds([self._pids[1]]) - broker,
            )

        return stop


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--count", type=int, default=100_000, help="legacy documents (default 100000)"
    )
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--batch-size", type=int, default=5000, help="load batch (default 5000)")
    parser.add_argument(
        "--fresh-data", action="store_true", help="regenerate the cached legacy data"
    )
    parser.add_argument("--verify", action="store_true", help="also time `verify` over the result")
    return parser.parse_args()


async def _generate_legacy(mongo_url: str, count: int, seed: int) -> float:
    started = time.perf_counter()
    await insert(mongo_url, "legacy", generate(count, seed))
    return time.perf_counter() - started


async def _raw_copy(admin_url: str, source_url: str, meter: Meter) -> tuple[int, Spent]:
    """COPY the rows the load wrote into empty tables of the same shape."""
    source = await connect(source_url)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    try:
        for collection in LEGACY_COLLECTIONS_IN_ORDER:
            spec = TABLES[collection]
            columns = ", ".join(spec.column_names)
            records = await source.fetch(f"SELECT {columns} FROM {spec.table}")
            rows[collection] = [tuple(r) for r in records]
    finally:
        await source.close()
    target = await connect(admin_url.rpartition("/")[0] + "/bench_copy")
    try:
        # citext travels like text on the wire; asyncpg only lacks the mapping.
        await target.set_type_codec(
            "citext",
            schema="public",
            encoder=lambda value: value.encode(),
            decoder=lambda data: data.decode(),
            format="binary",
        )
        for collection in LEGACY_COLLECTIONS_IN_ORDER:
            spec = TABLES[collection]
            name = spec.table.split(".")[1]
            # Same columns, types, defaults, checks, unique indexes; no FKs.
            await target.execute(f"CREATE TABLE public.{name} (LIKE {spec.table} INCLUDING ALL)")
        stop = meter.start()
        for collection in LEGACY_COLLECTIONS_IN_ORDER:
            spec = TABLES[collection]
            await target.copy_records_to_table(
                spec.table.split(".")[1],
                records=rows[collection],
                columns=list(spec.column_names),
                schema_name="public",
            )
        spent = stop()
    finally:
        await target.close()
    return sum(len(r) for r in rows.values()), spent


def cpu_rows(load: Spent, loaded: int, copy: Spent, copied: int) -> list[tuple[str, str]]:
    """CPU per record of each process, then the ratio target's arithmetic: on
    CORES cores, a rate R leaves CORES / R seconds of CPU per record for every
    process together; the load's own CPU per record bounds its rate."""
    rows = [
        (f"CPU µs/record, load: {name}", f"{seconds / loaded * 1e6:.1f}")
        for name, seconds in (
            ("this process", load.client),
            ("PostgreSQL", load.postgres),
            ("broker", load.broker),
        )
    ]
    rows += [
        (f"CPU µs/row, raw COPY: {name}", f"{seconds / copied * 1e6:.1f}")
        for name, seconds in (("this process", copy.client), ("PostgreSQL", copy.postgres))
    ]
    target = TARGET_SHARE * copied / copy.seconds
    ceiling = CORES / (load.cpu / loaded)
    rows += [
        (
            f"{TARGET_SHARE:.0%} of raw COPY",
            f"{target:,.0f} records/s = {CORES / target * 1e6:.1f} µs CPU/record on {CORES} cores",
        ),
        (
            f"load's ceiling on {CORES} idle cores ({CORES} / its CPU per record)",
            f"{ceiling:,.0f} records/s = {ceiling / (copied / copy.seconds):.0%} of raw COPY"
            f" ({'target reachable' if ceiling >= target else 'target out of reach'})",
        ),
    ]
    return rows


async def _bench(
    args: argparse.Namespace, pg_url: str, kafka: str, mongo_url: str, meter: Meter
) -> None:
    base = pg_url.rpartition("/")[0]
    for database in ("bench_load", "bench_copy"):
        await drop_database(pg_url, database)
        await platform_database(pg_url, database)
    legacy_url = mongo_url.replace("/?", "/legacy?")
    extract_settings = ExtractSettings(legacy_mongo_url=legacy_url, kafka_bootstrap_servers=kafka)
    load_settings = LoadSettings(
        postgres_url=role_url(f"{base}/bench_load", MIGRATOR),
        kafka_bootstrap_servers=kafka,
        load_batch_size=args.batch_size,
    )
    stop = meter.start()
    extracted = await run_extract(extract_settings)
    extract = stop()
    stop = meter.start()
    loaded = await run_load(load_settings)
    load = stop()
    copied, copy = await _raw_copy(f"{base}/bench_load", f"{base}/bench_load", meter)
    verify_s: float | None = None
    if args.verify:
        started = time.perf_counter()
        report = await run_verify(
            OperatorSettings(
                legacy_mongo_url=legacy_url, postgres_url=role_url(f"{base}/bench_load", OPERATOR)
            )
        )
        verify_s = time.perf_counter() - started
        assert not report.has_drift, "verify found drift right after a load"

    migrated = sum(loaded.outcome.migrated.values())
    table = Table(title=f"bench-migrate: {extracted.published} legacy records")
    for column in ("step", "records", "seconds", "records/s", "client CPU s"):
        table.add_column(column, justify="left" if column == "step" else "right")
    rate_load = loaded.consumed / load.seconds
    rate_copy = copied / copy.seconds
    for step, records, seconds, cpu_s in (
        (
            "extract (MongoDB → Kafka)",
            extracted.published,
            extract.seconds,
            f"{extract.client:.2f}",
        ),
        ("load (Kafka → PostgreSQL)", loaded.consumed, load.seconds, f"{load.client:.2f}"),
        ("raw COPY of the same rows", copied, copy.seconds, ""),
        *([("verify (both stores)", extracted.published, verify_s, "")] if verify_s else []),
    ):
        rate = f"{records / seconds:,.0f}"
        table.add_row(step, str(records), f"{seconds:.2f}", rate, cpu_s)
    table.add_row("load / raw COPY", "", "", f"{rate_load / rate_copy:.0%}", "", style="bold")
    console.print(table)
    arithmetic = Table(title="CPU per record (independent of the machine's other load)")
    arithmetic.add_column("metric")
    arithmetic.add_column("value", justify="right")
    for row in cpu_rows(load, loaded.consumed, copy, copied):
        arithmetic.add_row(*row)
    console.print(arithmetic)
    console.print(
        f"migrated {migrated}, rejected {len(loaded.rejects)}, merged {len(loaded.merges)}; "
        f"targets: load ≥ 20,000 records/s ({'met' if rate_load >= 20_000 else 'NOT met'}), "
        f"≥ 50% of COPY ({'met' if rate_load >= rate_copy / 2 else 'NOT met'})"
    )


def main() -> None:
    args = _parse()
    name = f"migrate-v{GENERATOR_VERSION}-{args.count}-{args.seed}"
    cache = ROOT / ".bench-data" / name
    if args.fresh_data:
        shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    state = Path(tempfile.mkdtemp(prefix="sendfx-bench-migrate-"))
    try:
        with servers.LocalServers(state) as local:
            mongo = local.mongodb(cache / "mongo")
            pg = local.postgres()
            kafka = local.kafka()
            legacy_url = mongo.url.replace("/?", "/legacy?")
            marker = cache / "READY"
            if not marker.exists():
                took = asyncio.run(_generate_legacy(legacy_url, args.count, args.seed))
                marker.write_text(f"{args.count} {args.seed}\n")
                console.print(f"generated {args.count} legacy documents in {took:.1f}s ({cache})")
            asyncio.run(_bench(args, pg.url, kafka.url, mongo.url, Meter(pg.pid, kafka.pid)))
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
