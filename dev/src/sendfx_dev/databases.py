"""One way to get a platform database: create it, provision it, migrate it.

Used by ``sendfx-dev up``, the pytest plugin, the end-to-end harness and the
benchmarks alike: the database is created when missing, the roles and schemas
are provisioned (``ownership``), and each process's migrations are applied as
that process's own role, so every table is owned as in production.
"""

from collections.abc import Iterable
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sendfx_dev import ownership
from sendfx_shared.migrations import MigrationSet, apply_migrations
from sendfx_shared.postgres import connect
from sendfx_shared.settings import dev_password, with_credentials

EVERY_PROCESS: Final = ("core-api", "usage-ingestor", "migrator")


def _sets(processes: Iterable[str]) -> list[tuple[str, MigrationSet]]:
    # Imported here: sendfx_dev must not need the services to be importable.
    from core_api.migrations import CORE_API_MIGRATIONS
    from migrator.migrations import MIGRATOR_MIGRATIONS
    from usage_ingestor.migrations import USAGE_INGESTOR_MIGRATIONS

    known = {
        "core-api": (ownership.CORE_API, CORE_API_MIGRATIONS),
        "usage-ingestor": (ownership.USAGE_INGESTOR, USAGE_INGESTOR_MIGRATIONS),
        "migrator": (ownership.MIGRATOR, MIGRATOR_MIGRATIONS),
    }
    # in the order their tables depend on each other
    return [known[p] for p in EVERY_PROCESS if p in set(processes)]


def database_url(server_url: str, database: str) -> str:
    """``server_url`` (any database) pointed at ``database``."""
    base, _, tail = server_url.rpartition("/")
    _, _, query = tail.partition("?")
    return f"{base}/{database}" + (f"?{query}" if query else "")


def role_url(server_url: str, role: str, password: str | None = None) -> str:
    """``server_url`` with ``role``'s credentials instead of the admin's."""
    scheme, _, rest = server_url.partition("://")
    host = rest.rsplit("@", 1)[-1]
    return with_credentials(f"{scheme}://{host}", role, password or dev_password(role))


async def create_database(admin_url: str, database: str) -> bool:
    """Create ``database`` on the server ``admin_url`` names when missing; True if created."""
    admin = await connect(admin_url)
    try:
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            return False
        await admin.execute(f'CREATE DATABASE "{database}"')
        return True
    finally:
        await admin.close()


async def provision_database(
    admin_url: str, database: str, *, migrate: Iterable[str] = EVERY_PROCESS
) -> None:
    """Roles and schemas in ``database``, then the migrations of the processes
    named in ``migrate``, each as that process's own role (a long-running
    process left out applies its own at start-up)."""
    url = database_url(admin_url, database)
    admin = await connect(url)
    try:
        await ownership.provision_postgres(admin, database)
    finally:
        await admin.close()
    for role, migrations in _sets(migrate):
        connection = await connect(role_url(url, role), application_name=migrations.process)
        try:
            await apply_migrations(connection, migrations)
        finally:
            await connection.close()


async def platform_database(admin_url: str, database: str) -> str:
    """Created, provisioned and migrated; returns the admin URL of ``database``."""
    await create_database(admin_url, database)
    await provision_database(admin_url, database)
    return database_url(admin_url, database)


async def drop_database(admin_url: str, database: str) -> None:
    """Drop a database even while sessions are still connected."""
    admin = await connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()


def mongo_user_url(server_url: str, database: str | None, user: str, password: str) -> str:
    """``server_url`` as ``user`` (a user of the ``admin`` database), naming
    ``database`` (or the one it names)."""
    parts = urlsplit(server_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "authSource"]
    query.append(("authSource", "admin"))
    path = f"/{database}" if database is not None else parts.path
    url = urlunsplit(parts._replace(netloc=host, path=path, query=urlencode(query)))
    return with_credentials(url, user, password)
