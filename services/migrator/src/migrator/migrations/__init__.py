"""The migrator's schema files: its bookkeeping in schema ``migrator``."""

from sendfx_shared.migrations import MigrationSet

MIGRATOR_MIGRATIONS = MigrationSet("migrator", __name__, "migrator.schema_history")
