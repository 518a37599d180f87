"""The declared ownership table, the stores' provisioning, and the drift check.

One declaration says which login role each process uses, which tables it owns
(and so may write), and what every other role may do with each table. The
PostgreSQL grants themselves are issued by the owners' migration files;
provisioning makes the roles and schemas the migrations need; and
``check_postgres`` / ``check_mongo`` compare what the stores enforce with this
declaration (``sendfx-dev check-ownership``), so a grant added by hand, a
missing one or a role that became a superuser is reported as drift. The
README's ownership table is rendered from here too.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sendfx_shared.settings import dev_password

CORE_API: Final = "sendfx_core_api"
USAGE_INGESTOR: Final = "sendfx_usage_ingestor"
MIGRATOR: Final = "sendfx_migrator"
OPERATOR: Final = "sendfx_operator"

# process (as in application_name) -> its PostgreSQL login role
PROCESS_ROLES: Final[Mapping[str, str]] = {
    "core-api": CORE_API,
    "usage-ingestor": USAGE_INGESTOR,
    "migrator-load": MIGRATOR,
    "migrator-replay": MIGRATOR,
    "migrator-verify": OPERATOR,
    "migrator-reset-factory": OPERATOR,
}
ROLES: Final = (CORE_API, USAGE_INGESTOR, MIGRATOR, OPERATOR)

READ: Final = frozenset({"SELECT"})
UPSERT: Final = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
EMPTY: Final = frozenset({"SELECT", "DELETE", "TRUNCATE"})


@dataclass(frozen=True)
class TableGrants:
    owner: str
    others: Mapping[str, frozenset[str]]


def _tables(owner: str, names: Iterable[str], **others: frozenset[str]) -> dict[str, TableGrants]:
    grantees = {role_of[k]: v for k, v in others.items()}
    return {name: TableGrants(owner, grantees) for name in names}


role_of: Final = {
    "core_api": CORE_API,
    "usage_ingestor": USAGE_INGESTOR,
    "migrator": MIGRATOR,
    "operator": OPERATOR,
}

_LOADED_CORE: Final = (
    "core.users",
    "core.tiers",
    "core.workspaces",
    "core.workspace_members",
    "core.billing_accounts",
    "core.subscriptions",
)

DECLARED: Final[Mapping[str, TableGrants]] = {
    **_tables(
        CORE_API, ("core.users", "core.tiers"), migrator=UPSERT | {"REFERENCES"}, operator=EMPTY
    ),
    **_tables(CORE_API, _LOADED_CORE[2:], migrator=UPSERT, operator=EMPTY),
    **_tables(CORE_API, ("core.model_prices",), usage_ingestor=READ, operator=READ),
    **_tables(CORE_API, ("core.outbox", "core.outbox_dead"), operator=EMPTY),
    **_tables(CORE_API, ("core.refresh_tokens", "core.login_failures"), operator=EMPTY),
    **_tables(CORE_API, ("core.core_api_schema_history", "core.request_rates")),
    **_tables(
        USAGE_INGESTOR, ("core.usage_counters",), core_api=READ, migrator=UPSERT, operator=EMPTY
    ),
    **_tables(USAGE_INGESTOR, ("core.usage_hourly",), operator=EMPTY),
    **_tables(
        USAGE_INGESTOR,
        (
            "core.openai_usage",
            "core.usage_thresholds_sent",
            "core.usage_outbox",
            "core.usage_outbox_dead",
            "core.usage_workspace_quotas",
            "core.usage_token_holders",
        ),
        operator=EMPTY,
    ),
    **_tables(USAGE_INGESTOR, ("core.usage_ingestor_schema_history",)),
    **_tables(
        MIGRATOR,
        (
            "migrator.user_aliases",
            "migrator.pending",
            "migrator.consumer_offsets",
            "migrator.tier_aliases",
            "migrator.migration_rejects",
            "migrator.row_marks",
        ),
        operator=EMPTY,
    ),
    **_tables(MIGRATOR, ("migrator.schema_history",)),
}

# Partitioned tables: their partitions (made at run time, so never listed) are
# held to the parent's declaration, as the owner's partition function grants.
PARTITIONED: Final = frozenset({"core.openai_usage"})

# schema -> (owner, roles with USAGE, roles with CREATE besides the owner)
SCHEMAS: Final[Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...]]]] = {
    "core": (CORE_API, (USAGE_INGESTOR, MIGRATOR, OPERATOR), (USAGE_INGESTOR,)),
    "migrator": (MIGRATOR, (OPERATOR,), ()),
}


# --- PostgreSQL: provisioning -------------------------------------------------


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def database_statements(database: str) -> list[str]:
    """What a database needs before the processes' migrations run in it."""
    db = _quote_ident(database)
    roles = ", ".join(ROLES)
    statements = [
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        # TEMP: the ingestor and the loader stage their batches in temp tables.
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {roles}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "CREATE EXTENSION IF NOT EXISTS citext",
    ]
    for schema, (owner, usage, create) in SCHEMAS.items():
        statements += [
            f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {owner}",
            f"ALTER SCHEMA {schema} OWNER TO {owner}",
            f"GRANT USAGE ON SCHEMA {schema} TO {', '.join(usage)}",
        ]
        if create:
            statements.append(f"GRANT CREATE ON SCHEMA {schema} TO {', '.join(create)}")
    return statements


_ROLE_ATTRIBUTES: Final = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def roles_sql(database: str = "sendfx") -> str:
    """deploy/postgres/roles.sql: what a DBA runs (psql, as an admin) on a managed
    database where the platform has no admin user of its own."""
    lines = [
        "-- Rendered by `sendfx-dev roles-sql`: the login roles of the sendfx processes",
        "-- and what their migrations need. Run as an admin with psql, once per",
        "-- database, passing each role's password:",
        "--   psql -v core_api_password=... -v usage_ingestor_password=... \\",
        "--        -v migrator_password=... -v operator_password=... -f roles.sql",
        "-- Then give each process its own role in POSTGRES_URL (or POSTGRES_USER /",
        "-- POSTGRES_PASSWORD); the processes' migrations issue the table grants.",
        "\\set ON_ERROR_STOP on",
    ]
    for role in ROLES:
        variable = role.removeprefix("sendfx_") + "_password"
        lines += [
            f"SELECT format('CREATE ROLE %I', '{role}')",
            f"  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') \\gexec",
            f"ALTER ROLE {role} {_ROLE_ATTRIBUTES} PASSWORD :'{variable}';",
        ]
    lines += [f"{s};" for s in database_statements(database)]
    return "\n".join(lines) + "\n"


async def provision_postgres(
    admin: Any, database: str, passwords: Mapping[str, str] | None = None
) -> None:
    """Idempotently make the roles (on the cluster ``admin`` is connected to, as a
    superuser) and the schemas of ``database``; ``admin`` must be connected to it."""
    for role in ROLES:
        password = (passwords or {}).get(role, dev_password(role))
        if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            await admin.execute(f"CREATE ROLE {role}")
        await admin.execute(
            f"ALTER ROLE {role} {_ROLE_ATTRIBUTES} PASSWORD {_quote_literal(password)}"
        )
    for statement in database_statements(database):
        await admin.execute(statement)


# --- PostgreSQL: the drift check ----------------------------------------------

_LIVE_GRANTS: Final = """
SELECT n.nspname || '.' || c.relname AS table_name,
       (SELECT rn.nspname || '.' || rc.relname FROM pg_class rc
        JOIN pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE c.relispartition AND rc.oid = pg_partition_root(c.oid)) AS root,
       pg_get_userbyid(c.relowner) AS owner,
       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee,
       a.privilege_type
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a ON true
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p')
"""


async def check_postgres(admin: Any) -> list[str]:
    """Every difference between the live database and ``DECLARED``; empty: none."""
    drift: list[str] = []
    roles = {
        r["rolname"]: r
        for r in await admin.fetch(
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls"
            " FROM pg_roles WHERE rolname = ANY($1::text[])",
            list(ROLES),
        )
    }
    for role in ROLES:
        found = roles.get(role)
        if found is None:
            drift.append(f"role {role}: missing")
            continue
        for attribute in ("rolsuper", "rolcreaterole", "rolcreatedb", "rolbypassrls"):
            if found[attribute]:
                drift.append(f"role {role}: has {attribute.removeprefix('rol')}")
    live: dict[str, tuple[str, dict[str, set[str]]]] = {}
    roots: dict[str, str] = {}
    for row in await admin.fetch(_LIVE_GRANTS, list(SCHEMAS)):
        owner, grants = live.setdefault(row["table_name"], (row["owner"], {}))
        if row["root"] is not None:
            roots[row["table_name"]] = row["root"]
        if row["grantee"] is not None and row["grantee"] != owner:
            grants.setdefault(row["grantee"], set()).add(row["privilege_type"])
    for table in sorted(set(live) | set(DECLARED)):
        root = roots.get(table)
        declared = DECLARED.get(table if root not in PARTITIONED else root)
        if table not in live:
            drift.append(f"{table}: declared but missing")
            continue
        owner, grants = live[table]
        if declared is None:
            drift.append(f"{table}: not declared (owner {owner})")
            continue
        if owner != declared.owner:
            drift.append(f"{table}: owned by {owner}, declared {declared.owner}")
        for grantee in sorted(set(grants) | set(declared.others)):
            has = grants.get(grantee, set())
            wanted = set(declared.others.get(grantee, frozenset()))
            if has != wanted:
                extra, lacking = sorted(has - wanted), sorted(wanted - has)
                drift.append(
                    f"{table}: {grantee} has {', '.join(extra) or 'nothing extra'}"
                    f"{' beyond the declaration' if extra else ''}"
                    f"{'; lacks ' + ', '.join(lacking) if lacking else ''}"
                )
    return drift


# --- MongoDB --------------------------------------------------------------------

FEATURE_API_USER: Final = "feature-api"
EXTRACT_USER: Final = "migrator-extract"
OPERATOR_USER: Final = "sendfx-operator"


def mongo_roles(feature_db: str, legacy_db: str) -> dict[str, list[dict[str, str]]]:
    """user (in ``admin``) -> its roles, for a feature and a legacy database."""
    return {
        FEATURE_API_USER: [{"role": "readWrite", "db": feature_db}],
        EXTRACT_USER: [
            {"role": "read", "db": legacy_db},
            {"role": "readWrite", "db": f"{legacy_db}_migrator"},
        ],
        OPERATOR_USER: [
            {"role": "readWrite", "db": feature_db},
            {"role": "read", "db": legacy_db},
            # reset-factory clears extract's checkpoints too
            {"role": "readWrite", "db": f"{legacy_db}_migrator"},
        ],
    }


async def provision_mongo(
    admin_db: Any,
    feature_db: str,
    legacy_db: str,
    *,
    suffix: str = "",
    passwords: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Create or update the users (``admin_db``: the ``admin`` database, as root);
    returns user -> password. ``suffix`` scopes the names (test sessions)."""
    made: dict[str, str] = {}
    for user, roles in mongo_roles(feature_db, legacy_db).items():
        name = user + suffix
        password = (passwords or {}).get(user, dev_password(user))
        found = await admin_db.command("usersInfo", {"user": name, "db": "admin"})
        command = "updateUser" if found["users"] else "createUser"
        await admin_db.command(command, name, pwd=password, roles=roles)
        made[user] = password
    return made


async def check_mongo(
    admin_db: Any, feature_db: str, legacy_db: str, suffix: str = ""
) -> list[str]:
    drift: list[str] = []
    for user, roles in mongo_roles(feature_db, legacy_db).items():
        name = user + suffix
        found = await admin_db.command("usersInfo", {"user": name, "db": "admin"})
        if not found["users"]:
            drift.append(f"mongo user {name}: missing")
            continue
        has = {(r["role"], r["db"]) for r in found["users"][0]["roles"]}
        wanted = {(r["role"], r["db"]) for r in roles}
        if has != wanted:
            drift.append(f"mongo user {name}: roles {sorted(has)}, declared {sorted(wanted)}")
    return drift


# --- the README's table -------------------------------------------------------


def _named(table: str) -> str:
    return f"`{table}` (and its partitions)" if table in PARTITIONED else f"`{table}`"


def ownership_markdown() -> str:
    """The README's ownership table: process → role → tables written → tables read."""
    processes = {
        CORE_API: "core-api",
        USAGE_INGESTOR: "usage-ingestor",
        MIGRATOR: "migrator load / replay",
        OPERATOR: "migrator verify / reset-factory",
    }
    rows = ["| process | PostgreSQL role | tables written | tables read (besides its own) |"]
    rows.append("|---|---|---|---|")
    for role, process in processes.items():
        owned = [t for t, g in DECLARED.items() if g.owner == role]
        written = owned + [t for t, g in DECLARED.items() if g.others.get(role, READ) - READ]
        read = [t for t, g in DECLARED.items() if g.others.get(role) == READ]
        rows.append(
            f"| {process} | `{role}` | {', '.join(map(_named, written)) or '—'} "
            f"| {', '.join(map(_named, read)) or '—'} |"
        )
    return "\n".join(rows) + "\n"
