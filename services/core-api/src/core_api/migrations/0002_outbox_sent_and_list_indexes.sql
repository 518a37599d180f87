-- core-api: the outbox marks relayed rows instead of deleting them, so a row
-- can be inspected (and tests of other writers can see theirs) after it is
-- sent; sent rows are purged by the relay after a retention period.
ALTER TABLE core.outbox ADD COLUMN sent_at timestamptz;
CREATE INDEX outbox_unsent ON core.outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_unsent_by_key ON core.outbox (message_key, id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent ON core.outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Keyset pagination of the lists core-api serves: (created_at, id).
CREATE INDEX users_by_created ON core.users (created_at, id);
CREATE INDEX workspaces_by_created ON core.workspaces (created_at, id);
CREATE INDEX workspace_members_by_created ON core.workspace_members (workspace_id, created_at, id);
CREATE INDEX subscriptions_by_workspace ON core.subscriptions (workspace_id, created_at, id);
CREATE INDEX subscriptions_by_created ON core.subscriptions (created_at, id);
CREATE INDEX tiers_by_created ON core.tiers (created_at, id);
