-- usage-ingestor: the (event_source, event_id) key is only ever compared for
-- equality (ON CONFLICT), and equality under a deterministic collation is byte
-- equality: a "C"-collated unique index enforces exactly the same uniqueness,
-- but compares with memcmp instead of the locale's strcoll on every index
-- probe (about 5% of PostgreSQL's CPU per ingested event).
-- ON CONFLICT (event_source, event_id) infers it (no COLLATE is named there).
CREATE UNIQUE INDEX openai_usage_event_key
    ON core.openai_usage (event_source COLLATE "C", event_id COLLATE "C");
ALTER TABLE core.openai_usage DROP CONSTRAINT openai_usage_event_source_event_id_key;
