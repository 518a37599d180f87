-- Tiers are identified by their code, as users are by their email: two legacy
-- tiers coded alike share one row carrying the oldest one's fields (oldest
-- createdAt, then legacy id), whatever order they arrive in. Every legacy tier
-- id is kept here, so references to a merged tier resolve to the surviving
-- row; the merged ones are reported in core.migration_rejects with their
-- document, kept here for that report.
CREATE TABLE migrator.tier_aliases (
    legacy_id  text PRIMARY KEY,
    tier_id    uuid NOT NULL REFERENCES core.tiers (id) ON DELETE CASCADE,
    code       text NOT NULL,
    created_at timestamptz NOT NULL,
    document   jsonb NOT NULL
);
CREATE INDEX tier_aliases_by_tier ON migrator.tier_aliases (tier_id);
