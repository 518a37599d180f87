-- Every batch updates thousands of counter and hourly rows; a row trigger
-- calling plpgsql to set updated_at cost about a microsecond of the server's
-- CPU per row. The ingestor's upsert and reprice's update now write
-- `updated_at = now()` themselves, and the migrator writes the legacy value
-- (it set `sendfx.keep_updated_at` for the trigger to leave it), so the
-- stamp stays what the migrator's row marks compare. An operator's own
-- UPDATE of these tables must set updated_at too.
DROP TRIGGER usage_counters_touch ON core.usage_counters;
DROP TRIGGER usage_hourly_touch ON core.usage_hourly;
DROP FUNCTION core.usage_touch_updated_at();
