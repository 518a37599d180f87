-- The migrator's own bookkeeping, beside the core rows it loads (schema
-- `migrator`, written only by `migrator load` / `replay`; emptied by `reset-factory`).
-- (schema `migrator` itself is made by provisioning, owned by the migrator role)

-- Every legacy user id and the row it became: accounts whose emails differ
-- only in case share one row, and references to any of them resolve here.
CREATE TABLE migrator.user_aliases (
    legacy_id  text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES core.users (id) ON DELETE CASCADE,
    email      citext NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX user_aliases_by_user ON migrator.user_aliases (user_id);

-- Records whose parent has not arrived yet; retried after every batch, and
-- reported in core.migration_rejects while they wait at the end of a run.
CREATE TABLE migrator.pending (
    collection    text NOT NULL,
    legacy_id     text NOT NULL,
    document      jsonb NOT NULL,
    reason        text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection, legacy_id)
);

-- Where `migrator load` got to, written in the same transaction as the rows
-- (exactly-once effect without broker-side transactions or a group join).
CREATE TABLE migrator.consumer_offsets (
    topic       text NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);

-- Legacy records the migrator could not migrate, with the reason.
CREATE TABLE migrator.migration_rejects (
    id          bigserial PRIMARY KEY,
    collection  text NOT NULL,
    legacy_id   text NOT NULL,
    reason      text NOT NULL,
    document    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (collection, legacy_id)
);
CREATE TRIGGER migration_rejects_touch BEFORE UPDATE ON migrator.migration_rejects
    FOR EACH ROW EXECUTE FUNCTION core.touch_updated_at();
