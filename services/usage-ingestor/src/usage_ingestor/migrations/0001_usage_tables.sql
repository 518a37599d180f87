-- usage-ingestor's tables in schema `core`: the usage log, its rollups, the
-- quota thresholds announced, its own outbox, and what it knows of each
-- workspace's quota (learnt from core.events). No foreign key reaches
-- core-api's tables: usage is a log of what was spent, an event for a
-- workspace core-api has not announced yet must not be lost, and this process
-- may read none of core-api's tables but the prices. `price_id` names the
-- core.model_prices row the call was priced with.

CREATE FUNCTION core.usage_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The migrator loads legacy counters with their own updated_at.
    IF current_setting('sendfx.keep_updated_at', true) = 'on' THEN
        RETURN NEW;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE core.usage_counters (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL,
    metric       text NOT NULL CHECK (length(metric) > 0),
    period       text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    count        bigint NOT NULL DEFAULT 0 CHECK (count >= 0),
    legacy_id    text UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, metric, period)
);

-- One row per openai.call.completed event, unique on the CloudEvent identity.
-- No foreign key to workspaces: usage is a log of what was spent, and an
-- event for a workspace core-api has not heard of yet must not be lost.
CREATE TABLE core.openai_usage (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_source      text NOT NULL,
    event_id          text NOT NULL,
    workspace_id      uuid NOT NULL,
    user_id           uuid,
    service           text NOT NULL,
    model             text NOT NULL,
    request_id        text,
    prompt_tokens     bigint NOT NULL CHECK (prompt_tokens >= 0),
    cached_tokens     bigint NOT NULL CHECK (cached_tokens >= 0),
    completion_tokens bigint NOT NULL CHECK (completion_tokens >= 0),
    reasoning_tokens  bigint NOT NULL CHECK (reasoning_tokens >= 0),
    total_tokens      bigint NOT NULL CHECK (total_tokens >= 0),
    usage_missing     boolean NOT NULL DEFAULT false,
    latency_ms        integer,
    occurred_at       timestamptz NOT NULL,
    cost_usd          numeric(20, 10),
    price_id          uuid,
    unpriced          boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_source, event_id),
    -- usage_missing rows are never priced as 0: they carry no cost at all.
    CHECK (NOT usage_missing OR cost_usd IS NULL)
);
CREATE INDEX openai_usage_by_workspace_time ON core.openai_usage (workspace_id, occurred_at);

-- Daily rollup the usage summary is answered from.
CREATE TABLE core.usage_daily (
    workspace_id        uuid NOT NULL,
    day                 date NOT NULL,
    model               text NOT NULL,
    service             text NOT NULL,
    calls               bigint NOT NULL DEFAULT 0,
    prompt_tokens       bigint NOT NULL DEFAULT 0,
    cached_tokens       bigint NOT NULL DEFAULT 0,
    completion_tokens   bigint NOT NULL DEFAULT 0,
    reasoning_tokens    bigint NOT NULL DEFAULT 0,
    total_tokens        bigint NOT NULL DEFAULT 0,
    cost_usd            numeric(24, 10) NOT NULL DEFAULT 0,
    unpriced_calls      bigint NOT NULL DEFAULT 0,
    usage_missing_calls bigint NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, day, model, service)
);

-- Quota thresholds already announced, so each is published once per period.
CREATE TABLE core.usage_thresholds_sent (
    workspace_id      uuid NOT NULL,
    period            text NOT NULL,
    threshold_percent integer NOT NULL CHECK (threshold_percent IN (80, 100)),
    tokens_used       bigint NOT NULL,
    token_limit       bigint NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, period, threshold_percent)
);

CREATE TRIGGER usage_counters_touch BEFORE UPDATE ON core.usage_counters
    FOR EACH ROW EXECUTE FUNCTION core.usage_touch_updated_at();
CREATE TRIGGER usage_daily_touch BEFORE UPDATE ON core.usage_daily
    FOR EACH ROW EXECUTE FUNCTION core.usage_touch_updated_at();
