"""The stack's servers: PostgreSQL, Kafka (Tansu) and MongoDB (SecantusDB).

Each is the one its variable names (external: used, never started), ours
from an earlier ``up`` (reused), or a new local one; then its roles, schemas
or users are provisioned (idempotent).
"""

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sendfx_dev import ownership, servers
from sendfx_dev.databases import create_database, database_url, provision_database
from sendfx_dev.servers import ComponentFailed, PostgresServer, Server
from sendfx_dev.stack.component import Component
from sendfx_dev.stack.records import Result, RunRecord
from sendfx_shared.settings import database_of

if TYPE_CHECKING:
    from sendfx_dev.stack.config import StackConfig
    from sendfx_dev.stack.runner import Stack


class Location(NamedTuple):
    url: str
    port: int
    external: bool  # named by its variable: used, never started


class ServerComponent(Component):
    variable: str  # the variable that names an external one

    def location(self, config: "StackConfig") -> Location:
        raise NotImplementedError

    def healthy(self, config: "StackConfig") -> bool:
        raise NotImplementedError

    def start(self, config: "StackConfig") -> Server:
        raise NotImplementedError

    def provision(self, stack: "Stack", url: str) -> None:
        """Roles, schemas or users every process needs (idempotent)."""

    def ensure(self, stack: "Stack") -> Result:
        result = self._ensure_server(stack)
        self.provision(stack, self.location(stack.config).url)
        return result

    def _ensure_server(self, stack: "Stack") -> Result:
        """The one ``variable`` names, ours reused, or a new one."""
        cfg = stack.config
        url, port, external = self.location(cfg)
        if external:
            if not self.healthy(cfg):
                raise ComponentFailed(self.name, f"{self.variable} does not answer: {url}", None)
            stack.record(self.name, None, port, url, False)
            return Result(self.name, "external", url)
        reused = stack.reuse(self.name, lambda: self.healthy(cfg), url)
        if reused:
            return reused
        stack.refuse_foreign_port(self.name, port, f"set {self.variable} to use that server")
        server = self.start(cfg)
        stack.record(self.name, server.pid, port, url, True, data_dir=server.data_dir)
        return Result(self.name, "started", url)


def _create_database(url: str) -> bool:
    """The database ``url`` names, created when missing; True if created."""
    database = url.rpartition("/")[2].partition("?")[0]
    return asyncio.run(create_database(database_url(url, "postgres"), database))


class Postgres(ServerComponent):
    name = "postgres"
    variable = "POSTGRES_URL"

    def location(self, config: "StackConfig") -> Location:
        return Location(config.postgres_url, config.postgres_port, config.postgres_external)

    def healthy(self, config: "StackConfig") -> bool:
        """It answers on the database the URL names (created when missing)."""
        url = config.postgres_url
        if servers.postgres_answers(url):
            return True
        try:
            _create_database(url)
        except Exception:
            return False
        return servers.postgres_answers(url)

    def start(self, config: "StackConfig") -> Server:
        return servers.start_postgres(
            config.state_dir / "postgres", config.postgres_port, config.log_of(self.name)
        )

    def ensure(self, stack: "Stack") -> Result:
        url = stack.config.postgres_url
        result = self._ensure_server(stack)
        if self._provision(stack, url) and result.outcome == "started":
            result.note = "database created"
        return result

    def provision(self, stack: "Stack", url: str) -> None:
        self._provision(stack, url)

    def _provision(self, stack: "Stack", url: str) -> bool:
        """The database (True when it had to be created), the roles and
        schemas. core-api and usage-ingestor apply their own migrations at
        start-up; the migrator is a command with no start-up, so its schema is
        migrated here, as its role, after core-api's, whose tables it
        references (applied as core-api's role: core-api finds them done)."""
        try:
            created = _create_database(url)
            database = url.rpartition("/")[2].partition("?")[0]
            asyncio.run(provision_database(url, database, migrate=("core-api", "migrator")))
        except Exception as exc:
            raise ComponentFailed(
                self.name,
                f"could not provision the roles ({exc}); POSTGRES_URL must name an admin "
                "user, or have a DBA run deploy/postgres/roles.sql",
                stack.config.log_of(self.name),
            ) from exc
        return created

    def running(self, record: RunRecord) -> Server:
        """Stopped by ``pg_ctl`` (the postmaster detaches), else by SIGINT."""
        assert record.pid is not None
        data_dir = Path(record.data_dir) if record.data_dir else None
        return PostgresServer(
            self.name, record.pid, record.port, record.url, Path(record.log), data_dir=data_dir
        )


class Kafka(ServerComponent):
    name = "kafka"
    variable = "KAFKA_BOOTSTRAP_SERVERS"

    def location(self, config: "StackConfig") -> Location:
        return Location(config.kafka_bootstrap_servers, config.kafka_port, config.kafka_external)

    def healthy(self, config: "StackConfig") -> bool:
        return servers.kafka_bootstrap_answers(config.kafka_bootstrap_servers)

    def start(self, config: "StackConfig") -> Server:
        return servers.start_tansu(config.kafka_port, config.log_of(self.name))


class MongoDB(ServerComponent):
    name = "mongodb"
    variable = "MONGO_URL"

    def location(self, config: "StackConfig") -> Location:
        return Location(config.mongo_url, config.mongo_port, config.mongo_external)

    def healthy(self, config: "StackConfig") -> bool:
        return servers.mongo_url_answers(config.mongo_url)

    def start(self, config: "StackConfig") -> Server:
        return servers.start_secantus(
            config.state_dir / "mongo", config.mongo_port, config.log_of(self.name)
        )

    def provision(self, stack: "Stack", url: str) -> None:
        from pymongo import AsyncMongoClient

        database = database_of(url)

        async def provision() -> None:
            client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
            try:
                await ownership.provision_mongo(client.admin, database, database)
            finally:
                await client.close()

        try:
            asyncio.run(provision())
        except Exception as exc:
            raise ComponentFailed(
                self.name,
                f"could not provision the users ({exc}); MONGO_URL must name a root user",
                stack.config.log_of(self.name),
            ) from exc
