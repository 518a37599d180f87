"""bench-ingest: usage-ingestor throughput and latency on real Tansu + PostgreSQL.

1. Publishes N ``openai.call.completed`` events (2k workspaces, 5% duplicates,
   0.1% poison) to a fresh topic.
2. A bare aiokafka consume-and-discard loop reads the whole topic: events/s.
3. The ingestor (the production code, in this process, a fresh consumer group)
   ingests the same topic into PostgreSQL, with its hourly rollup (the calls'
   ``occurred_at`` spread over ``--spread-hours``): events/s from its
   partition assignment to the last batch committed, and the ratio to the
   bare loop of the same run.
4. Steady 1k events/s for a short window: p50/p99 event-to-row latency
   (``occurred_at`` set at send time vs. the row's ``created_at``, the start of
   the batch's transaction, both on this machine's clock).

Servers: started on free ports under a temporary folder unless ``--kafka`` /
``--postgres-url`` name running ones (a fresh database is created either way).

    .venv/bin/python bench/ingest.py            # modest: 50k events
    .venv/bin/python bench/ingest.py --full     # the issue's size: 200k events
    .venv/bin/python bench/ingest.py --replicas 2   # two ingestor processes, one group
    .venv/bin/python bench/ingest.py --history 10000000  # empty table vs 10M rows of history
    .venv/bin/python bench/ingest.py --against 1fd3352   # vs that commit's rate, in turns
"""

import argparse
import asyncio
import gc
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ingest_against
import ingest_history
import ingest_replicas
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from core_api.repositories.price_file import insert_missing_prices, read_price_file
from core_api.settings import DEFAULT_PRICES_FILE
from sendfx_dev import servers
from sendfx_dev.cpu import process_cpu_seconds
from sendfx_dev.databases import platform_database, role_url
from sendfx_dev.ownership import USAGE_INGESTOR
from sendfx_shared.collection import collect_less
from sendfx_shared.postgres import connect
from sendfx_shared.topics import OPENAI_CALL_COMPLETED
from usage_ingestor.app import Ingestor, running
from usage_ingestor.settings import IngestorSettings
from usage_ingestor.topics import ensure_topics

MODELS = ["gpt-4o-mini-2024-07-18", "gpt-4o", "gpt-4.1-mini", "gpt-5-mini", "o4-mini", "acme-x"]
SERVICES = ["ai_reply", "ai_agent", "assistant"]
LATENCY_SOURCE = "/bench/latency"


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="events to publish")
    parser.add_argument("--full", action="store_true", help="the issue's size: 200k events")
    parser.add_argument("--workspaces", type=int, default=2000)
    parser.add_argument("--duplicates", type=float, default=0.05, help="share re-sent")
    parser.add_argument("--poison", type=float, default=0.001, help="share of poison messages")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument(
        "--spread-hours",
        type=int,
        default=24,
        help="hours the calls' occurred_at spread over (hourly rollup buckets per workspace)",
    )
    parser.add_argument("--batch-max-records", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=1000, help="events/s in the latency phase")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="ingest with N usage-ingestor processes in one group (bench/ingest_replicas.py)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="also ingest into a database holding N rows of history (bench/ingest_history.py)",
    )
    parser.add_argument(
        "--history-rounds",
        type=int,
        default=3,
        help="with --history: alternated rounds (empty, history, empty, ...)",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="compare with commit REV's rate, in turns (bench/ingest_against.py),"
        " e.g. --against 1fd3352 (before the hourly rollup)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="with --against: rounds of each side")
    parser.add_argument("--kafka", help="bootstrap servers of a running broker")
    parser.add_argument("--postgres-url", help="admin URL of a running PostgreSQL")
    return parser


def parse_args() -> argparse.Namespace:
    args = argument_parser().parse_args()
    if args.full:
        args.events = 200_000
    return args


def event_bytes(
    workspace: uuid.UUID, rng: random.Random, occurred_at: str, source: str = "/bench/feature-api"
) -> bytes:
    # Pre-rendered JSON: the producer side must not be the bottleneck measured.
    prompt = rng.randint(50, 4000)
    cached = rng.choice((0, 0, prompt // 2))
    completion = rng.randint(10, 800)
    reasoning = rng.choice((0, 0, completion // 3))
    missing = rng.random() < 0.01
    if missing:
        prompt = cached = completion = reasoning = 0
    return (
        f'{{"specversion":"1.0","id":"{uuid.uuid4()}","source":"{source}",'
        f'"type":"openai.call.completed","time":"{occurred_at}",'
        f'"datacontenttype":"application/json","data":{{"workspace_id":"{workspace}",'
        f'"user_id":null,"service":"{rng.choice(SERVICES)}","model":"{rng.choice(MODELS)}",'
        f'"request_id":"chatcmpl-{uuid.uuid4().hex[:12]}","prompt_tokens":{prompt},'
        f'"cached_tokens":{cached},"completion_tokens":{completion},'
        f'"reasoning_tokens":{reasoning},"total_tokens":{prompt + completion},'
        f'"usage_missing":{"true" if missing else "false"},'
        f'"latency_ms":{rng.randint(100, 5000)},"occurred_at":"{occurred_at}"}}}}'
    ).encode()


POISON = [
    b"{not json",
    b'{"specversion":"1.0","hello":"world"}',
    b'{"specversion":"1.0","id":"p","source":"/bench","type":"openai.call.completed",'
    b'"time":"2026-11-25T08:00:00Z","data":{"workspace_id":"nope","service":"x","model":"m",'
    b'"occurred_at":"2026-11-25T08:00:00Z"}}',
]


def build_stream(
    args: argparse.Namespace, workspaces: list[uuid.UUID]
) -> tuple[list[tuple[bytes, bytes]], int, int]:
    """(key, value) messages; returns them with the counts of unique valid
    events and of poison messages."""
    rng = random.Random(42)
    n_poison = round(args.events * args.poison)
    n_dupes = round(args.events * args.duplicates)
    n_unique = args.events - n_poison - n_dupes
    # The last --spread-hours before now: months whose partitions exist. Within
    # the current UTC month, though: on a month's first day the hours before
    # midnight would be another month, doubling the batch's monthly counter
    # rows, an accident of the date and not the rollup's cost measured here.
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = max(now - timedelta(hours=args.spread_hours), now.replace(day=1, hour=0))
    # Calls spread over --spread-hours, so that a batch writes many hourly buckets.
    occurred = [
        (start + timedelta(minutes=10 * i)).isoformat().replace("+00:00", "Z")
        for i in range(max(1, args.spread_hours * 6))
    ]
    messages: list[tuple[bytes, bytes]] = []
    for _ in range(n_unique):
        workspace = rng.choice(workspaces)
        at = rng.choice(occurred)
        messages.append((str(workspace).encode(), event_bytes(workspace, rng, at)))
    originals = list(messages)
    for _ in range(n_dupes):
        # Same key, hence same partition: a redelivery later in the stream.
        messages.insert(rng.randint(len(messages) // 2, len(messages)), rng.choice(originals))
    for i in range(n_poison):
        messages.insert(rng.randint(0, len(messages)), (b"poison", POISON[i % len(POISON)]))
    return messages, n_unique, n_poison


async def publish(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=False,
        acks="all",
        linger_ms=20,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for key, value in messages:
            pending.append(await producer.send(topic, value=value, key=key))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return len(messages) / (time.perf_counter() - started)


async def bare_loop(bootstrap: str, topic: str, expected: int, max_records: int) -> float:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen = 0
        started = time.perf_counter()
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=500, max_records=max_records)
            seen += sum(len(records) for records in batch.values())
        return expected / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def assigned(ingestor: Ingestor) -> None:
    await ingestor.wait_assigned()


async def until(condition: Callable[[], bool]) -> None:
    # Polls the ingestor's own counters; 10 ms is well below a batch's duration.
    while not condition():  # noqa: ASYNC110
        await asyncio.sleep(0.01)


def done(ingestor: Ingestor) -> int:
    stats = ingestor.batches.stats
    return stats.inserted + stats.duplicates + stats.dead_lettered


async def latency_phase(
    args: argparse.Namespace, ingestor: Ingestor, bootstrap: str, workspaces: list[uuid.UUID]
) -> tuple[int, float, float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all")
    await producer.start()
    rng = random.Random(7)
    total = int(args.rate * args.latency_seconds)
    baseline = done(ingestor)
    started = time.perf_counter()
    try:
        for i in range(total):
            # Paced against the schedule, not the previous send: a steady rate.
            delay = started + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            workspace = rng.choice(workspaces)
            now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            await producer.send(
                ingestor.topic,
                value=event_bytes(workspace, rng, now, source=LATENCY_SOURCE),
                key=str(workspace).encode(),
            )
        await producer.flush()
    finally:
        await producer.stop()
    await until(lambda: done(ingestor) >= baseline + total)
    conn = await connect(ingestor.settings.postgres_url)
    try:
        row = await conn.fetchrow(
            """
            SELECT count(*) AS n,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) AS p99
            FROM (SELECT extract(epoch FROM created_at - occurred_at) * 1000 AS lag
                  FROM core.openai_usage WHERE event_source = $1) AS lags
            """,
            LATENCY_SOURCE,
        )
    finally:
        await conn.close()
    assert row is not None
    return int(row["n"]), float(row["p50"]), float(row["p99"])


async def prepare_database(
    admin_url: str, workspaces: int, ids: list[uuid.UUID] | None = None
) -> tuple[str, list[uuid.UUID]]:
    """A platform database, and ``workspaces`` workspaces (or ``ids``) as the
    ingestor knows them from core.events (its quota table), on three tiers."""
    name = f"sendfx_bench_{uuid.uuid4().hex[:8]}"
    url = await platform_database(admin_url, name)
    conn = await connect(url)
    try:
        # core-api seeds the shipped prices at its start-up
        await insert_missing_prices(conn, read_price_file(DEFAULT_PRICES_FILE))
        limits = [("bench-free", 200_000), ("bench-pro", 5_000_000), ("bench-max", None)]
        ids = ids or [uuid.uuid4() for _ in range(workspaces)]
        await conn.execute(
            "INSERT INTO core.usage_workspace_quotas"
            " (workspace_id, tier_code, ai_tokens_monthly, version, event_time)"
            " SELECT id, tier, quota, 1, now()"
            " FROM unnest($1::uuid[], $2::text[], $3::bigint[]) AS w(id, tier, quota)",
            ids,
            [limits[i % 3][0] for i in range(workspaces)],
            [limits[i % 3][1] for i in range(workspaces)],
        )
    finally:
        await conn.close()
    return role_url(url, USAGE_INGESTOR), ids


async def count_rows(url: str) -> dict[str, Any]:
    conn = await connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM core.openai_usage"
            "  WHERE event_source <> ALL(ARRAY[$1, $2])) AS rows,"
            " (SELECT sum(calls) FROM core.usage_hourly) AS rollup_calls,"
            " (SELECT count(*) FROM core.usage_hourly) AS buckets,"
            " (SELECT sum(count) FROM core.usage_counters WHERE metric = 'ai_calls') AS counted,"
            " (SELECT count(*) FROM core.usage_outbox) AS thresholds",
            LATENCY_SOURCE,
            ingest_history.HISTORY_SOURCE,
        )
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


CORES = 2  # the machine the targets are set for
TARGET_SHARE = 0.30  # of the bare loop


def cpu_rows(cpu: dict[str, float], events: int, bare_rate: float) -> list[tuple[str, str]]:
    """CPU spent per event by each process while ingesting: independent of what
    else the (shared) machine runs, unlike the rates. Then the arithmetic of the
    ratio target: on CORES cores, a rate R leaves CORES / R seconds of CPU per
    event for every process together, and PostgreSQL's share alone bounds it."""
    per_event = {name: seconds / events for name, seconds in cpu.items()}
    rows = [(f"  CPU us/event: {name}", f"{value * 1e6:.1f}") for name, value in per_event.items()]
    if len(cpu) < 3:
        return rows
    total = sum(per_event.values())
    target = TARGET_SHARE * bare_rate
    rows.append(
        (f"  idle {CORES}-core ceiling, {CORES} / CPU per event", f"{CORES / total:,.0f} events/s")
    )
    rows.append(
        (
            f"{TARGET_SHARE:.0%} of the bare loop",
            f"{target:,.0f} events/s = {CORES / target * 1e6:.1f} us CPU/event on {CORES} cores",
        )
    )
    postgres = per_event.get("postgres", 0.0)
    if postgres:
        budget = CORES / target
        rows.append(
            (
                f"  PostgreSQL alone on {CORES} cores, {CORES} / its CPU per event",
                f"{CORES / postgres:,.0f} events/s; it leaves {(budget - postgres) * 1e6:.1f} us"
                f" of the budget to the others, which use {(total - postgres) * 1e6:.1f}",
            )
        )
        rows.append(
            (
                f"  ceiling / bare loop ({CORES} / all CPU per event)",
                f"{CORES / total / bare_rate:.1%}"
                f" ({'target reachable' if total <= budget else 'target out of reach'})",
            )
        )
    return rows


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    lines = [f"{'metric'.ljust(width)} | value", f"{'-' * width}-|-{'-' * 20}"]
    lines += [f"{name.ljust(width)} | {value}" for name, value in rows]
    return "\n".join(lines)


async def fresh_topic(
    args: argparse.Namespace, bootstrap: str, url: str, name: str
) -> IngestorSettings:
    """Ingestor settings on a topic (and consumer group) of their own, created."""
    settings = IngestorSettings(
        postgres_url=url,
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=f"{name}{uuid.uuid4().hex[:6]}.",
        group_id=f"{name}-ingest-{uuid.uuid4().hex[:6]}",
        batch_max_records=args.batch_max_records,
        topic_partitions=args.partitions,
        log_level="warning",
    )
    topic = settings.topic(OPENAI_CALL_COMPLETED)
    await ensure_topics(settings, {topic: args.partitions, f"{topic}.dlq": 1})
    return settings


async def bench(
    args: argparse.Namespace, bootstrap: str, admin_url: str, server_pids: dict[str, int]
) -> None:
    url, workspaces = await prepare_database(admin_url, args.workspaces)
    if args.history:
        await bench_history(args, bootstrap, (admin_url, url), workspaces)
        return
    settings = await fresh_topic(args, bootstrap, url, "bench")
    topic = settings.topic(OPENAI_CALL_COMPLETED)
    messages, unique, poison = build_stream(args, workspaces)
    if args.replicas:
        await bench_replicas(args, settings, url, messages, unique, poison)
        return
    gc.freeze()  # the bench's own data is no garbage for the ingestor to rescan
    produce_rate = await publish(bootstrap, topic, messages)
    bare_rate = await bare_loop(bootstrap, topic, len(messages), args.batch_max_records)

    async with running(settings) as ingestor:
        await assigned(ingestor)
        started = time.perf_counter()
        cpu_before = {name: process_cpu_seconds([pid]) for name, pid in server_pids.items()}
        own_before = time.process_time()
        await until(lambda: done(ingestor) >= len(messages))
        elapsed = time.perf_counter() - started
        cpu = {
            name: process_cpu_seconds([pid]) - cpu_before[name] for name, pid in server_pids.items()
        }
        cpu["ingestor"] = time.process_time() - own_before
        stats = ingestor.batches.stats
        ingested = dict(vars(stats))
        n, p50, p99 = await latency_phase(args, ingestor, bootstrap, workspaces)
    counts = await count_rows(url)
    ingest_rate = len(messages) / elapsed
    print(
        table(
            [
                ("events published", f"{len(messages)}"),
                (
                    "  unique valid / duplicates / poison",
                    f"{unique} / {len(messages) - unique - poison} / {poison}",
                ),
                ("workspaces", f"{args.workspaces}"),
                ("produce rate (events/s)", f"{produce_rate:,.0f}"),
                ("bare aiokafka consume (events/s)", f"{bare_rate:,.0f}"),
                ("ingestor into PostgreSQL (events/s)", f"{ingest_rate:,.0f}"),
                ("ingestor / bare loop", f"{ingest_rate / bare_rate:.1%}"),
                ("batches", f"{ingested['batches']}"),
                (
                    "  seconds validating+pricing / in the DB",
                    f"{ingested['seconds_parsing']:.2f} / {ingested['seconds_writing']:.2f}"
                    f" of {elapsed:.2f}",
                ),
                *cpu_rows(cpu, len(messages), bare_rate),
                ("rows inserted / expected", f"{counts['rows']} / {unique}"),
                ("rollup calls / counter calls", f"{counts['rollup_calls']} / {counts['counted']}"),
                (
                    f"hourly rollup buckets ({args.spread_hours} h spread)",
                    f"{counts['buckets']:,}",
                ),
                ("dead-lettered", f"{ingested['dead_lettered']}"),
                ("threshold events (outbox)", f"{counts['thresholds']}"),
                (f"latency at {args.rate}/s for {args.latency_seconds:g}s: events", f"{n}"),
                ("event-to-row latency p50 (ms)", f"{p50:.1f}"),
                ("event-to-row latency p99 (ms)", f"{p99:.1f}"),
            ]
        )
    )
    if counts["rows"] != unique or ingested["dead_lettered"] != poison:
        raise SystemExit("MISMATCH: the ingestor did not meter every unique event exactly once")


async def bench_replicas(
    args: argparse.Namespace,
    settings: IngestorSettings,
    url: str,
    messages: list[tuple[bytes, bytes]],
    unique: int,
    poison: int,
) -> None:
    logs = Path(tempfile.mkdtemp(prefix="sendfx-bench-replicas-"))
    topic = settings.topic(OPENAI_CALL_COMPLETED)
    _, rows = await ingest_replicas.run(
        settings,
        args.replicas,
        lambda: publish(settings.kafka_bootstrap_servers, topic, messages),
        len(messages),
        logs,
    )
    counts = await count_rows(url)
    print(
        table(
            [
                ("events published (unique / poison)", f"{len(messages)} ({unique} / {poison})"),
                *rows,
                ("rows inserted / expected", f"{counts['rows']} / {unique}"),
                ("rollup calls / counter calls", f"{counts['rollup_calls']} / {counts['counted']}"),
                ("instance logs", str(logs)),
            ]
        )
    )
    if counts["rows"] != unique:
        raise SystemExit("MISMATCH: the ingestors did not meter every unique event exactly once")


async def bench_history(
    args: argparse.Namespace, bootstrap: str, urls: tuple[str, str], workspaces: list[uuid.UUID]
) -> None:
    admin_url, url = urls
    full_url, _ = await prepare_database(admin_url, len(workspaces), workspaces)
    await ingest_history.prepare(url, workspaces, 0)
    fill_seconds = await ingest_history.prepare(full_url, workspaces, args.history)
    gc.freeze()
    rates: dict[str, list[float]] = {"empty": [], "history": []}
    writing: dict[str, list[float]] = {"empty": [], "history": []}
    unique = 0
    # Rounds, each with a stream of new events on a topic of its own, ingested
    # into both databases, in alternated order: the machine's load drifts, and
    # the first round is the cold one. Before each, both lose the rollups (their
    # updates' dead rows would otherwise pile up in the history one only) and
    # the empty one its calls.
    for round_ in range(args.history_rounds):
        messages, unique, _ = build_stream(args, workspaces)
        settings = await fresh_topic(args, bootstrap, url, f"history{round_}")
        await publish(bootstrap, settings.topic(OPENAI_CALL_COMPLETED), messages)
        phases = [("empty", url), ("history", full_url)]
        for kind, db in phases if round_ % 2 == 0 else phases[::-1]:
            await ingest_history.reset(db, calls=kind == "empty")
            await ingest_history.checkpoint(admin_url)
            update = {"postgres_url": db, "group_id": f"{settings.group_id}-{kind}"}
            rate, stats = await ingest_history.ingest_rate(
                settings.model_copy(update=update), len(messages), done, until
            )
            rates[kind].append(rate)
            writing[kind].append(stats["seconds_writing"])
    counts = [await count_rows(url), await count_rows(full_url)]
    print(table(ingest_history.rows(args.history, fill_seconds, (rates, writing), counts)))
    expected = [unique, unique * args.history_rounds]
    if [c["rows"] for c in counts] != expected:
        raise SystemExit("MISMATCH: the ingestor did not meter every unique event exactly once")


def main() -> None:
    args = parse_args()
    if args.against:
        ingest_against.compare(args)
        return
    collect_less()  # as the usage-ingestor console script does
    state = Path(tempfile.mkdtemp(prefix="sendfx-bench-ingest-"))
    try:
        with servers.LocalServers(state) as local:
            server_pids: dict[str, int] = {}
            bootstrap = args.kafka
            if not bootstrap:
                broker = local.kafka()
                bootstrap = broker.url
                server_pids["broker"] = broker.pid
            admin_url = args.postgres_url
            if not admin_url:
                pg = local.postgres()
                admin_url = pg.url
                server_pids["postgres"] = pg.pid
            asyncio.run(bench(args, bootstrap, admin_url, server_pids))
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
