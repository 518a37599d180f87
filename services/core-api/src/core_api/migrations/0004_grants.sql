-- What other processes may do with core-api's tables: exactly the README's
-- ownership table, and nothing else (the owner grants, so a drift between
-- this file and the declaration is caught by `sendfx-dev check-ownership`).
-- The roles exist before any process starts: provisioning (or a DBA running
-- deploy/postgres/roles.sql) makes them.

-- usage-ingestor prices calls with the price table admins edit here.
GRANT SELECT ON core.model_prices TO sendfx_usage_ingestor;

-- migrator load/replay upsert the legacy core rows (and evict a younger
-- rival of an older legacy record); its alias tables reference users/tiers.
GRANT SELECT, INSERT, UPDATE, DELETE
    ON core.users, core.tiers, core.workspaces, core.workspace_members,
       core.billing_accounts, core.subscriptions
    TO sendfx_migrator;
GRANT REFERENCES ON core.users, core.tiers TO sendfx_migrator;

-- The operator commands: verify reads, reset-factory empties (prices are
-- reference data and stay; the outbox goes with the rows it announced).
GRANT SELECT, DELETE, TRUNCATE
    ON core.users, core.tiers, core.workspaces, core.workspace_members,
       core.billing_accounts, core.subscriptions, core.outbox, core.outbox_dead
    TO sendfx_operator;
GRANT SELECT ON core.model_prices TO sendfx_operator;
