"""Fixtures of the core-api tests: the app on the session's real PostgreSQL and
broker, a client, users with tokens, a session-long reader of ``core.events``,
a TCP proxy the tests can cut, and core-api as a real subprocess."""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from fastapi import FastAPI

from core_api.main import create_app
from core_api.settings import ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD, CoreApiSettings
from sendfx_dev import servers
from sendfx_dev.databases import (
    create_database,
    database_url,
    drop_database,
    provision_database,
    role_url,
)
from sendfx_dev.ownership import CORE_API
from sendfx_dev.ports import free_port, port_is_open, wait_until
from sendfx_dev.testing.infra import TestInfra
from sendfx_shared.topics import CORE_EVENTS

PASSWORD = "correct horse battery"


# -- the app -------------------------------------------------------------------


@pytest.fixture(scope="session")
def core_settings(
    sendfx_infra: TestInfra, kafka_bootstrap_servers: str, topic_prefix: str
) -> CoreApiSettings:
    return CoreApiSettings(
        postgres_url=sendfx_infra.postgres_url_for("core-api"),
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        kafka_topic_prefix=topic_prefix,
        outbox_poll_interval=0.5,
    )


@pytest.fixture(scope="session")
async def core_app(core_settings: CoreApiSettings) -> AsyncIterator[FastAPI]:
    app = create_app(core_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def client(core_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=core_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://core-api") as c:
        yield c


@dataclass
class Actor:
    """A registered, logged-in user."""

    id: uuid.UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def login(client: httpx.AsyncClient, email: str, password: str) -> str:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture(scope="session")
def log_in(client: httpx.AsyncClient) -> Callable[[str, str], Any]:
    """``await log_in(email, password)``: an access token."""
    return lambda email, password: login(client, email, password)


@pytest.fixture(scope="session")
def actor_of() -> Callable[[uuid.UUID, str, str], Actor]:
    return Actor


@pytest.fixture(scope="session")
async def admin(client: httpx.AsyncClient) -> Actor:
    token = await login(client, ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD)
    me = (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})).json()
    return Actor(uuid.UUID(me["id"]), ADMIN_EMAIL, token)


NewUser = Callable[..., Any]


@pytest.fixture(scope="session")
def new_user(client: httpx.AsyncClient) -> NewUser:
    """``await new_user()``: a fresh registered user with a token."""

    async def make(name: str = "user") -> Actor:
        email = f"{name}-{uuid.uuid4().hex[:10]}@example.com"
        response = await client.post(
            "/api/auth/register", json={"email": email, "password": PASSWORD, "name": name}
        )
        assert response.status_code == 201, response.text
        return Actor(uuid.UUID(response.json()["id"]), email, await login(client, email, PASSWORD))

    return make


NewWorkspace = Callable[..., Any]


@pytest.fixture(scope="session")
def new_workspace(client: httpx.AsyncClient) -> NewWorkspace:
    """``await new_workspace(owner)``: the created workspace's JSON."""

    async def make(owner: Actor, name: str = "Acme") -> dict[str, Any]:
        response = await client.post("/api/workspaces", json={"name": name}, headers=owner.headers)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return make


@pytest.fixture(scope="session")
def add_member(client: httpx.AsyncClient) -> Callable[..., Any]:
    """``await add_member(by, workspace_id, user, role="member")``: the member JSON."""

    async def add(by: Actor, workspace_id: str, user: Actor, role: str = "member") -> Any:
        response = await client.post(
            f"/api/workspaces/{workspace_id}/members",
            json={"email": user.email, "role": role},
            headers=by.headers,
        )
        assert response.status_code == 201, response.text
        return response.json()

    return add


@pytest.fixture(scope="session")
async def tier(client: httpx.AsyncClient, admin: Actor) -> dict[str, Any]:
    """An active tier with limits, for subscriptions."""
    response = await client.post(
        "/api/admin/tiers",
        json={
            "code": f"pro-{uuid.uuid4().hex[:6]}",
            "name": "Pro",
            "price_monthly": 49.5,
            "limits": {"ai_tokens_monthly": 1_000_000, "flows": 20, "members": 10},
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# -- core.events, read for the whole session -----------------------------------


async def ensure_topic(bootstrap: str, topic: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()


@dataclass
class EventLog:
    """Every message of a topic since the session began, in arrival order."""

    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [event for _, event in self.messages]

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e["type"] == event_type]

    def with_key(self, key: str) -> list[dict[str, Any]]:
        return [e for k, e in self.messages if k == key]

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], count: int = 1, within: float = 20
    ) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            found = [e for e in self.events() if predicate(e)]
            if len(found) >= count or loop.time() > deadline:
                return found
            await asyncio.sleep(0.05)


async def read_topic(bootstrap: str, topic: str, log: EventLog) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        while not partitions:
            await consumer.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
            await asyncio.sleep(0.1)
        consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        await consumer.seek_to_beginning()
        while True:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    key = record.key.decode() if record.key else ""
                    log.messages.append((key, json.loads(record.value or b"{}")))
    finally:
        await consumer.stop()


async def read_until(
    bootstrap: str, topic: str, done: Callable[[EventLog], bool], within: float = 60
) -> EventLog:
    """Reads ``topic`` from the beginning until ``done(log)``, for at most ``within`` s."""
    log = EventLog()
    task = asyncio.create_task(read_topic(bootstrap, topic, log))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    try:
        # polling a predicate over what has arrived so far; no event to wait on
        while not done(log) and loop.time() < deadline and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return log


@pytest.fixture(scope="session")
def topic_tools() -> Any:
    """``ensure_topic`` and ``read_until``, for tests that use a topic of their own."""

    @dataclass(frozen=True)
    class Tools:
        ensure_topic: Callable[..., Any] = ensure_topic
        read_until: Callable[..., Any] = read_until

    return Tools()


@pytest.fixture(scope="session")
async def core_events(kafka_bootstrap_servers: str, topic_prefix: str) -> AsyncIterator[EventLog]:
    topic = f"{topic_prefix}{CORE_EVENTS}"
    await ensure_topic(kafka_bootstrap_servers, topic)
    log = EventLog()
    task = asyncio.create_task(read_topic(kafka_bootstrap_servers, topic, log))
    try:
        yield log
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


# -- a TCP proxy between a client and the broker --------------------------------


class TcpProxy:
    """Forwards a local port to the broker; ``cut()`` drops every connection
    and refuses new ones until ``restore()``."""

    def __init__(self, target_host: str, target_port: int, port: int | None = None) -> None:
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.cut_now = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_now:
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, upstream_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    if self.cut_now:
                        break
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self._writers -= {writer, upstream_writer}

    def cut(self) -> None:
        self.cut_now = True
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def restore(self) -> None:
        self.cut_now = False

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)


@dataclass
class ProxiedBroker:
    bootstrap: str
    proxy: TcpProxy


@pytest.fixture
async def proxied_broker(sendfx_infra: TestInfra) -> AsyncIterator[ProxiedBroker]:
    """A broker of its own that advertises the proxy's address, so that every
    client connection (bootstrap and partition leader alike) goes through the
    proxy, and ``proxy.cut()`` is a real broker outage for its clients."""
    broker_port, proxy_port = free_port(), free_port()
    log = sendfx_infra.state_dir / "log" / f"tansu-proxied-{broker_port}.log"
    pid = servers.spawn(
        [
            str(servers.tansu_binary()),
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{broker_port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{proxy_port}",
            "--storage-engine",
            "memory://tansu/",
        ],
        log,
        env={"RUST_LOG": "warn"},
    )
    proxy = TcpProxy("127.0.0.1", broker_port, proxy_port)
    await proxy.start()
    bootstrap = f"127.0.0.1:{proxy_port}"
    try:
        answered = await asyncio.to_thread(
            wait_until, lambda: servers.kafka_bootstrap_answers(bootstrap), 30, 0.3
        )
        assert answered, f"the proxied broker did not start; see {log}"
        yield ProxiedBroker(bootstrap, proxy)
    finally:
        await proxy.stop()
        servers.stop_pid(pid)


# -- a database of its own, migrated from empty ---------------------------------


@pytest.fixture
async def empty_database(sendfx_infra: TestInfra) -> AsyncIterator[str]:
    """A database of this test's own with no table in it (its roles and schemas
    provisioned, as `make up` does); the admin's URL; dropped after the test."""
    name = f"core_fresh_{uuid.uuid4().hex[:10]}"
    await create_database(sendfx_infra.postgres_admin_url, name)
    await provision_database(sendfx_infra.postgres_admin_url, name, migrate=())
    try:
        yield database_url(sendfx_infra.postgres_admin_url, name)
    finally:
        await drop_database(sendfx_infra.postgres_admin_url, name)


@pytest.fixture
async def fresh_database(empty_database: str) -> str:
    """An empty database, migrated by every process's own role."""
    name = empty_database.rpartition("/")[2]
    await provision_database(empty_database, name)
    return empty_database


# -- core-api as a real process --------------------------------------------------


@dataclass
class CoreProcess:
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core_api.main"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        healthy = wait_until(lambda: self._healthy(), timeout=60, interval=0.2)
        assert healthy, f"core-api did not start; log: {self.log_path.read_text()[-3000:]}"

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"core-api exited: {self.log_path.read_text()[-3000:]}")
        if not port_is_open(self.port):
            return False
        return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)
            self.process.wait(timeout=30)


def core_process_env(
    infra: TestInfra, postgres_url: str, port: int, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URL", "LEGACY_MONGO_URL")}
    env.update(infra.service_env("core-api"))
    env.update(
        POSTGRES_URL=role_url(postgres_url, CORE_API), CORE_API_PORT=str(port), LOG_LEVEL="warning"
    )
    env.update(extra)
    return env


@pytest.fixture
def spawn_core(sendfx_infra: TestInfra) -> Iterator[Callable[..., CoreProcess]]:
    """``spawn_core(postgres_url, **env)``: a core-api process (call ``.start()``),
    stopped after the test."""
    spawned: list[CoreProcess] = []

    def make(postgres_url: str, **env: str) -> CoreProcess:
        port = free_port()
        process = CoreProcess(
            core_process_env(sendfx_infra, postgres_url, port, **env),
            port,
            sendfx_infra.state_dir / f"core-api-{port}.log",
        )
        spawned.append(process)
        return process

    yield make
    for process in spawned:
        process.kill(signal.SIGTERM)


@pytest.fixture(scope="session")
def core_server(sendfx_infra: TestInfra, postgres_url: str) -> Iterator[CoreProcess]:
    """core-api on a port of its own, on the session database (relay off: the
    in-process app's relay serves this database)."""
    port = free_port()
    server = CoreProcess(
        core_process_env(sendfx_infra, postgres_url, port, CORE_API_OUTBOX_RELAY="false"),
        port,
        sendfx_infra.state_dir / f"core-api-{port}.log",
    )
    server.start()
    try:
        yield server
    finally:
        server.kill(signal.SIGTERM)
