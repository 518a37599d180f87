-- What other processes may do with usage-ingestor's tables: exactly the
-- README's ownership table (checked by `sendfx-dev check-ownership`).

-- core-api serves the usage summary and the counters from the rollups:
-- one declared read-only grant.
GRANT SELECT ON core.usage_daily, core.usage_counters TO sendfx_core_api;

-- migrator load/replay upsert the legacy usage counters.
GRANT SELECT, INSERT, UPDATE, DELETE ON core.usage_counters TO sendfx_migrator;

-- The operator commands: verify reads, reset-factory empties.
GRANT SELECT, DELETE, TRUNCATE
    ON core.openai_usage, core.usage_counters, core.usage_daily, core.usage_thresholds_sent,
       core.usage_outbox, core.usage_outbox_dead, core.usage_workspace_quotas
    TO sendfx_operator;
