-- What the migrator last wrote into each core row: its updated_at. The
-- loader writes updated_at from the legacy document (sendfx.keep_updated_at),
-- while every platform UPDATE sets it to now() (core.touch_updated_at), so a
-- row whose updated_at no longer equals its mark was changed by the platform
-- after it was migrated: load and replay keep it as it is and report it.
-- A NULL mark is a row created in the platform that a legacy record was
-- merged into (same email, code or slug): it took the record's legacy_id,
-- and the migrator never writes its fields.
CREATE TABLE migrator.row_marks (
    collection text NOT NULL,
    row_id     uuid NOT NULL,
    updated_at timestamptz,
    PRIMARY KEY (collection, row_id)
);
-- verify reads the marks (kept rows are not drift); reset-factory empties them.
GRANT SELECT, DELETE, TRUNCATE ON migrator.row_marks TO sendfx_operator;
