"""The servers and stores of one test session, as every fixture sees them.

The session gets its own Postgres database (provisioned and migrated by each
process's own role), its own Mongo database with its own users, and its own
topic prefix, so sessions sharing servers never see each other's data.
``postgres_url`` and ``mongo_url`` carry admin credentials, for setting up and
inspecting data; ``postgres_url_for(process)`` and ``mongo_url_for(user)`` are
what a process itself gets (``service_env`` hands them to subprocesses).
"""

from dataclasses import dataclass
from pathlib import Path

from sendfx_dev import ownership
from sendfx_dev.databases import database_url, mongo_user_url, platform_database, role_url
from sendfx_shared.settings import dev_password


@dataclass(frozen=True)
class TestInfra:
    __test__ = False  # not a test class, though its name starts with Test

    postgres_admin_url: str
    kafka_bootstrap_servers: str
    mongo_server_url: str
    state_dir: Path
    run_id: str

    @property
    def mongo_database(self) -> str:
        return f"sendfx_test_{self.run_id}"

    @property
    def postgres_database(self) -> str:
        return f"sendfx_test_{self.run_id}"

    @property
    def postgres_url(self) -> str:
        """The session's database, as the admin."""
        return database_url(self.postgres_admin_url, self.postgres_database)

    def postgres_url_for(self, process: str) -> str:
        """The session's database as ``process``'s own role (``core-api``, …)."""
        return role_url(self.postgres_url, ownership.PROCESS_ROLES[process])

    def mongo_database_url(self, database: str, user: str | None = None) -> str:
        """``database`` on the session's server, as the root user or ``user``."""
        if user is None:
            head, _, query = self.mongo_server_url.partition("?")
            scheme, _, rest = head.partition("://")
            url = f"{scheme}://{rest.split('/', 1)[0]}/{database}"
            return url + (f"?{query}" if query else "")
        return mongo_user_url(
            self.mongo_server_url, database, f"{user}-{self.run_id}", dev_password(user)
        )

    @property
    def mongo_url(self) -> str:
        """The session's database, as the root user."""
        return self.mongo_database_url(self.mongo_database)

    def mongo_url_for(self, user: str) -> str:
        """The session's database as ``user`` (``feature-api``, …): users of this
        session, with the roles ``ownership.mongo_roles`` declares on it."""
        return self.mongo_database_url(self.mongo_database, user)

    @property
    def topic_prefix(self) -> str:
        return f"t{self.run_id}."

    def service_env(self, process: str) -> dict[str, str]:
        """Environment for a service subprocess: its own store, as its own
        principal, under the variable names its settings class reads."""
        from sendfx_dev.stack.process_components import SERVICES

        store: dict[str, object] = (
            {"mongo_url": self.mongo_url_for(ownership.FEATURE_API_USER)}
            if process == "feature-api"
            else {"postgres_url": self.postgres_url_for(process)}
        )
        return SERVICES[process].environment(
            kafka_bootstrap_servers=self.kafka_bootstrap_servers,
            kafka_topic_prefix=self.topic_prefix,
            **store,
        )


async def prepare_stores(infra: TestInfra) -> None:
    """The session's Postgres database migrated, its Mongo users made."""
    from pymongo import AsyncMongoClient

    await platform_database(infra.postgres_admin_url, infra.postgres_database)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url)
    try:
        await ownership.provision_mongo(
            client.admin, infra.mongo_database, infra.mongo_database, suffix=f"-{infra.run_id}"
        )
    finally:
        await client.close()
