-- What each waiting record waits for, so a batch retries only the records
-- whose parent it brings (records that wait forever cost nothing per batch).
ALTER TABLE migrator.pending
    ADD COLUMN waits_for_collection text,
    ADD COLUMN waits_for_legacy_id  text;
CREATE INDEX pending_by_parent ON migrator.pending (waits_for_collection, waits_for_legacy_id);
