-- usage-ingestor (issue 17): core.openai_usage partitioned by month of
-- occurred_at (UTC), so an insert maintains the indexes of one month, not of
-- the whole history, and old months go by dropping a table (retention) while
-- core.usage_hourly and core.usage_counters keep their totals.
--
-- Exactly once across partitions: a unique index of a partitioned table must
-- hold the partition column, so the key becomes (event_source, event_id,
-- occurred_at). That is the event's identity (CONTRACT.md: (source, id)) as
-- long as every copy of an event carries the occurred_at of the first, and
-- every copy does: occurred_at is set once, when the producer builds the
-- event, which is stored in its outbox and re-sent byte for byte by the relay
-- and by Kafka (a redelivery is the same record, read again). A different
-- occurred_at under a reused (source, id) is a producer's bug, not a
-- redelivery, and is stored as a second call (README "History that grows").
--
-- Partitions are named openai_usage_YYYY_MM and made ahead of need by
-- core.usage_ensure_partitions (the ingestor calls it at start and
-- periodically); an event of a month with no partition yet lands in
-- openai_usage_default, never lost, and the next maintenance moves it into
-- the month's own partition.

ALTER TABLE core.openai_usage RENAME TO openai_usage_unpartitioned;
ALTER INDEX core.openai_usage_event_key RENAME TO openai_usage_unpartitioned_event_key;
ALTER INDEX core.openai_usage_by_workspace_time
    RENAME TO openai_usage_unpartitioned_by_workspace_time;
ALTER INDEX core.openai_usage_pkey RENAME TO openai_usage_unpartitioned_pkey;

CREATE TABLE core.openai_usage (
    LIKE core.openai_usage_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS
) PARTITION BY RANGE (occurred_at);
ALTER TABLE core.openai_usage ADD PRIMARY KEY (id, occurred_at);
-- "C" collation as in 0002: equality only, compared bytewise.
CREATE UNIQUE INDEX openai_usage_event_key
    ON core.openai_usage (event_source COLLATE "C", event_id COLLATE "C", occurred_at);
CREATE INDEX openai_usage_by_workspace_time ON core.openai_usage (workspace_id, occurred_at);

CREATE TABLE core.openai_usage_default PARTITION OF core.openai_usage DEFAULT;

-- One month's partition, unless it exists; true if made now. The default
-- partition's rows of that month move into it first (a partition cannot be
-- attached while the default holds rows of its range). Each partition gets
-- the operator's grants: those on the parent cover access through it, not
-- TRUNCATE's check of every partition nor a direct read of one.
CREATE FUNCTION core.usage_create_month(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', month)::date;
    name text := 'openai_usage_' || to_char(first, 'YYYY_MM');
    lo timestamptz := first::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass('core.' || name) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- Inserts routed to the default wait until the month is attached.
    LOCK TABLE core.openai_usage_default IN EXCLUSIVE MODE;
    EXECUTE format('CREATE TABLE core.%I (LIKE core.openai_usage INCLUDING DEFAULTS'
        ' INCLUDING CONSTRAINTS)', name);
    -- The range as a CHECK first lets ATTACH skip scanning the new table.
    EXECUTE format('ALTER TABLE core.%I ADD CONSTRAINT %I CHECK (occurred_at >= %L'
        ' AND occurred_at < %L)', name, name || '_range', lo, hi);
    EXECUTE format('WITH moved AS (DELETE FROM core.openai_usage_default'
        ' WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)'
        ' INSERT INTO core.%I SELECT * FROM moved', name) USING lo, hi;
    EXECUTE format('ALTER TABLE core.openai_usage ATTACH PARTITION core.%I'
        ' FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    EXECUTE format('ALTER TABLE core.%I DROP CONSTRAINT %I', name, name || '_range');
    EXECUTE format('GRANT SELECT, DELETE, TRUNCATE ON core.%I TO sendfx_operator', name);
    RETURN true;
END;
$$;

-- The current month (UTC) and `ahead` more, and a partition for every month
-- found in the default one (emptying it); returns the partitions made now.
-- Instances running it together take turns (a transaction-scoped lock).
CREATE FUNCTION core.usage_ensure_partitions(ahead integer) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    month date;
BEGIN
    PERFORM pg_advisory_xact_lock(0x55534150);  -- "USAP"
    FOR month IN
        SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => n))::date
        FROM generate_series(0, ahead) AS n
        UNION
        SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date
        FROM core.openai_usage_default
        ORDER BY 1
    LOOP
        IF core.usage_create_month(month) THEN
            RETURN NEXT 'core.openai_usage_' || to_char(month, 'YYYY_MM');
        END IF;
    END LOOP;
END;
$$;

-- Retention: detaches and drops every month's partition that ends before the
-- first day (UTC) of the month `keep_months` before the current one (so the
-- current month and `keep_months` whole months before it stay); returns the
-- partitions dropped. The rollups (usage_hourly) and counters are untouched.
CREATE FUNCTION core.usage_drop_partitions(keep_months integer) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    cutoff date := (date_trunc('month', now() AT TIME ZONE 'UTC')
        - make_interval(months => keep_months))::date;
    part text;
BEGIN
    IF keep_months < 0 THEN
        RAISE EXCEPTION 'keep_months must be >= 0, not %', keep_months;
    END IF;
    PERFORM pg_advisory_xact_lock(0x55534150);
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'core.openai_usage'::regclass
          AND c.relname ~ '^openai_usage_[0-9]{4}_[0-9]{2}$'
          AND to_date(substr(c.relname, 14), 'YYYY_MM') < cutoff
        ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE core.openai_usage DETACH PARTITION core.%I', part);
        EXECUTE format('DROP TABLE core.%I', part);
        RETURN NEXT 'core.' || part;
    END LOOP;
END;
$$;

-- The months the stored rows need, then the rows themselves.
SELECT core.usage_create_month(m)
FROM (SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS m
      FROM core.openai_usage_unpartitioned) AS months;
SELECT core.usage_ensure_partitions(3);
INSERT INTO core.openai_usage SELECT * FROM core.openai_usage_unpartitioned;
DROP TABLE core.openai_usage_unpartitioned;

GRANT SELECT, DELETE, TRUNCATE ON core.openai_usage, core.openai_usage_default
    TO sendfx_operator;
