"""core-api's schema files: its tables in ``core`` and the grants it gives others."""

from sendfx_shared.migrations import MigrationSet

CORE_API_MIGRATIONS = MigrationSet("core-api", __name__, "core.core_api_schema_history")
