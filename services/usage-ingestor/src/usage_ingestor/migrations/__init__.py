"""usage-ingestor's schema files: the usage tables, its outbox and quota projection."""

from sendfx_shared.migrations import MigrationSet

USAGE_INGESTOR_MIGRATIONS = MigrationSet(
    "usage-ingestor", __name__, "core.usage_ingestor_schema_history"
)
