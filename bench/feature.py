"""Benchmark of feature-api: requests/s and p50/p99 latency of listing flows,
appending a message and an AI reply (the fake model answers at once),
measured from a second process on loopback.

    .venv/bin/python bench/feature.py            # quick: 5 s per route, 200 flows
    .venv/bin/python bench/feature.py --full     # 20 s per route, 2000 flows

Starts its own SecantusDB and Tansu broker on free ports (or uses
``--mongo-url`` / ``--kafka``), the fake OpenAI server and feature-api as real
processes (one uvicorn worker each), in a fresh database. SecantusDB is a
Python server (about 6.6k inserts/s and 2k indexed reads/s here), so its
figures bound every route that writes; a real MongoDB is much faster.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient

from sendfx_dev import servers
from sendfx_dev.loadgen import LoadResult, LoadSpec, run_load_in_subprocess
from sendfx_dev.ports import free_port, wait_until
from sendfx_shared.auth import Principal, TokenIssuer
from sendfx_shared.keys import SigningKeys
from sendfx_shared.settings import AuthSettings

Document = dict[str, Any]
BIN = Path(sys.executable).parent
GRAPH = {
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "greet", "type": "message", "data": {"text": "Hello!"}},
        {"id": "agent", "type": "agent", "data": {"instructions": "Help the customer."}},
    ],
    "edges": [{"source": "start", "target": "greet"}, {"source": "greet", "target": "agent"}],
}


@dataclass
class Result:
    route: str
    concurrency: int
    load: LoadResult


def measure(
    route: str, method: str, urls: list[str], body: Any, args: argparse.Namespace
) -> Result:
    spec = LoadSpec(method, urls, args.headers, body, args.concurrency, args.duration)
    return Result(route, args.concurrency, run_load_in_subprocess(spec))


# -- the processes under test ------------------------------------------------------


@contextmanager
def running(args: argparse.Namespace, state: Path) -> Iterator[str]:
    """Servers, the fake model and feature-api; yields feature-api's base URL."""
    local = servers.LocalServers(state)
    args.token_keys = SigningKeys.generate()
    pids: list[int] = []
    try:
        mongo = args.mongo_url or local.mongodb().url
        kafka = args.kafka or local.kafka().url
        host_part, _, query = mongo.partition("?")
        host = host_part.split("://", 1)[1].split("/", 1)[0]
        args.mongo_database = f"bench_feature_{uuid.uuid4().hex[:8]}"
        args.database_url = f"mongodb://{host}/{args.mongo_database}" + (
            f"?{query}" if query else ""
        )
        openai_port, api_port = free_port(), free_port()
        pids.append(
            servers.spawn(
                [str(BIN / "fake-openai"), "--port", str(openai_port)], state / "log" / "openai.log"
            )
        )
        env = {
            "MONGO_URL": args.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "KAFKA_TOPIC_PREFIX": f"bench{uuid.uuid4().hex[:6]}.",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{openai_port}/v1",
            "OPENAI_API_KEY": "sk-bench",
            "FEATURE_API_PORT": str(api_port),
            "LOG_LEVEL": "warning",
            "SENDFX_ENV": "development",
            # feature-api verifies the bench's own key (no core-api here).
            "JWT_JWKS": json.dumps(args.token_keys.jwks()),
            # One user at full speed: measure the routes, not the rate limits.
            "FEATURE_API_RATE_LIMIT_REQUESTS": "0",
            "FEATURE_API_AI_CALLS_PER_WORKSPACE": "0",
        }
        for name in ("POSTGRES_URL", "DATABASE_URL"):
            os.environ.pop(name, None)
        pids.append(
            servers.spawn([str(BIN / "feature-api")], state / "log" / "feature-api.log", env)
        )
        base = f"http://127.0.0.1:{api_port}"
        if not wait_until(lambda: httpx.get(f"{base}/healthz").status_code == 200, 60, 0.2):
            raise RuntimeError(f"feature-api did not start; see {state / 'log'}")
        yield base
    finally:
        for pid in reversed(pids):
            servers.stop_pid(pid)
        local.stop()
        if args.mongo_url and getattr(args, "mongo_database", None):
            with MongoClient[Document](args.mongo_url) as client:
                client.drop_database(args.mongo_database)


def seed(base: str, args: argparse.Namespace) -> dict[str, Any]:
    """A workspace with one member (as the projection would have it), its
    flows, and conversations to write to."""
    user_id, workspace_id = uuid.uuid4(), str(uuid.uuid4())
    issuer = TokenIssuer(args.token_keys, AuthSettings().jwt_issuer, ("feature-api",))
    token, _ = issuer.issue(Principal(user_id=user_id, email="bench@example.com", role="user"))
    args.headers = {"Authorization": f"Bearer {token}"}
    with MongoClient[Document](args.database_url) as client:
        db = client[args.mongo_database]
        db["rm_workspaces"].insert_one(
            {"_id": workspace_id, "name": "Bench", "slug": "bench", "deleted": False, "version": 1}
        )
        db["rm_members"].insert_one(
            {
                "_id": f"{workspace_id}:{user_id}",
                "workspace_id": workspace_id,
                "user_id": str(user_id),
                "role": "owner",
                "active": True,
                "version": 1,
            }
        )
    with httpx.Client(base_url=base, headers=args.headers, timeout=60) as client:
        for number in range(args.flows):
            made = client.post(
                f"/api/workspaces/{workspace_id}/flows", json={"name": f"flow {number}", **GRAPH}
            )
            made.raise_for_status()
        client.post(
            f"/api/workspaces/{workspace_id}/knowledge",
            json={"title": "Refunds", "text": "Refunds are paid within 14 days of the request."},
        ).raise_for_status()
        conversations = []
        for _ in range(args.conversations):
            cid = client.post(f"/api/workspaces/{workspace_id}/conversations", json={}).json()["id"]
            client.post(
                f"/api/conversations/{cid}/messages", json={"content": "how do refunds work?"}
            ).raise_for_status()
            conversations.append(cid)
    return {"workspace_id": workspace_id, "conversations": conversations}


def usage_relayed(args: argparse.Namespace) -> tuple[int, int]:
    with MongoClient[Document](args.database_url) as client:
        outbox = client[args.mongo_database]["outbox"]
        wanted = {"topic": "openai.call.completed"}
        total = outbox.count_documents(wanted)
        wait_until(lambda: outbox.count_documents({**wanted, "sent_at": None}) == 0, 60, 0.5)
        return total - outbox.count_documents({**wanted, "sent_at": None}), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per route")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--flows", type=int, default=200, help="flows in the listed workspace")
    parser.add_argument("--conversations", type=int, default=16, help="conversations written to")
    parser.add_argument("--full", action="store_true", help="20 s per route and 2000 flows")
    parser.add_argument("--mongo-url", help="an existing MongoDB server instead of SecantusDB")
    parser.add_argument("--kafka", help="an existing Kafka bootstrap instead of Tansu")
    args = parser.parse_args()
    if args.full:
        args.duration, args.flows = max(args.duration, 20.0), max(args.flows, 2000)
    state = Path(tempfile.mkdtemp(prefix="bench-feature-"))
    try:
        with running(args, state) as base:
            print(f"seeding {args.flows} flows and {args.conversations} conversations ...")
            seeded = seed(base, args)
            wid, conversations = seeded["workspace_id"], seeded["conversations"]
            results = [
                measure(
                    "list flows (page of 50)",
                    "GET",
                    [f"{base}/api/workspaces/{wid}/flows?limit=50"],
                    None,
                    args,
                ),
                measure(
                    "append message",
                    "POST",
                    [f"{base}/api/conversations/{c}/messages" for c in conversations],
                    {"content": "a customer message of a few words"},
                    args,
                ),
                measure(
                    "AI reply (fake model)",
                    "POST",
                    [f"{base}/api/conversations/{c}/ai-reply" for c in conversations],
                    None,
                    args,
                ),
            ]
            relayed, total = usage_relayed(args)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    print()
    heads = ("conc", "requests", "errors", "req/s", "p50 ms", "p99 ms")
    print(f"{'route':<26} " + " ".join(f"{h:>{max(4, len(h))}}" for h in heads))
    for r in results:
        print(
            f"{r.route:<26} {r.concurrency:>4} {r.load.requests:>8} {r.load.errors:>6} "
            f"{r.load.rps:>5.1f} {r.load.p50_ms:>6.1f} {r.load.p99_ms:>6.1f}"
        )
    for r in results:
        if r.load.failures:
            print(f"{r.route}: failures by status {r.load.failures}")
    print(f"\nopenai.call.completed relayed to Kafka: {relayed}/{total}")


if __name__ == "__main__":
    main()
