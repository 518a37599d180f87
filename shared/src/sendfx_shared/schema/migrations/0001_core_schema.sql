-- The core schema: identity, tenancy, billing, usage. Owned by core-api;
-- the usage-ingestor writes the usage tables, the migrator's load upserts rows.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA IF NOT EXISTS core;

CREATE FUNCTION core.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE core.users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         citext NOT NULL UNIQUE CHECK (email = btrim(email) AND email LIKE '%_@_%'),
    password_hash text NOT NULL,
    name          text NOT NULL DEFAULT '',
    role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    is_active     boolean NOT NULL DEFAULT true,
    legacy_id     text UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE core.tiers (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code              text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]*$'),
    name              text NOT NULL,
    price_monthly     numeric(12, 2) NOT NULL DEFAULT 0 CHECK (price_monthly >= 0),
    ai_tokens_monthly bigint CHECK (ai_tokens_monthly >= 0),
    flows             integer CHECK (flows >= 0),
    members           integer CHECK (members >= 0),
    is_active         boolean NOT NULL DEFAULT true,
    legacy_id         text UNIQUE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE core.workspaces (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(btrim(name)) > 0),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    owner_id   uuid REFERENCES core.users (id),
    tier_id    uuid REFERENCES core.tiers (id),
    version    bigint NOT NULL DEFAULT 1,
    legacy_id  text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE core.workspace_members (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES core.workspaces (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES core.users (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    version      bigint NOT NULL DEFAULT 1,
    legacy_id    text UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, user_id)
);
-- One owner per workspace.
CREATE UNIQUE INDEX workspace_members_one_owner
    ON core.workspace_members (workspace_id) WHERE role = 'owner';
CREATE INDEX workspace_members_by_user ON core.workspace_members (user_id);

CREATE TABLE core.billing_accounts (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id       uuid NOT NULL UNIQUE REFERENCES core.workspaces (id) ON DELETE CASCADE,
    stripe_customer_id text UNIQUE,
    email              citext,
    country            text CHECK (country ~ '^[A-Z]{2}$'),
    legacy_id          text UNIQUE,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE core.subscriptions (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id           uuid NOT NULL REFERENCES core.workspaces (id) ON DELETE CASCADE,
    tier_id                uuid NOT NULL REFERENCES core.tiers (id),
    status                 text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
    current_period_start   timestamptz,
    current_period_end     timestamptz,
    stripe_subscription_id text UNIQUE,
    cancel_at_period_end   boolean NOT NULL DEFAULT false,
    version                bigint NOT NULL DEFAULT 1,
    legacy_id              text UNIQUE,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (current_period_end IS NULL OR current_period_start IS NULL
           OR current_period_end >= current_period_start)
);
-- At most one live subscription per workspace.
CREATE UNIQUE INDEX subscriptions_one_live
    ON core.subscriptions (workspace_id) WHERE status <> 'canceled';

CREATE TABLE core.usage_counters (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES core.workspaces (id) ON DELETE CASCADE,
    metric       text NOT NULL CHECK (length(metric) > 0),
    period       text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    count        bigint NOT NULL DEFAULT 0 CHECK (count >= 0),
    legacy_id    text UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, metric, period)
);

-- Prices per model, versioned by the date they take effect. USD per 1M tokens.
CREATE TABLE core.model_prices (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    model                 text NOT NULL,
    effective_from        date NOT NULL,
    input_per_mtok        numeric(12, 6) NOT NULL CHECK (input_per_mtok >= 0),
    cached_input_per_mtok numeric(12, 6) NOT NULL CHECK (cached_input_per_mtok >= 0),
    output_per_mtok       numeric(12, 6) NOT NULL CHECK (output_per_mtok >= 0),
    reasoning_per_mtok    numeric(12, 6) CHECK (reasoning_per_mtok >= 0),
    source                text NOT NULL DEFAULT 'file',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (model, effective_from)
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
    price_id          uuid REFERENCES core.model_prices (id),
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

-- Transactional outbox: rows written with the state change they announce,
-- relayed to Kafka in id order per key.
CREATE TABLE core.outbox (
    id              bigserial PRIMARY KEY,
    topic           text NOT NULL,
    message_key     text NOT NULL,
    event_type      text NOT NULL,
    event           jsonb NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_by_key ON core.outbox (message_key, id);

-- Rows that kept failing, moved aside with their error.
CREATE TABLE core.outbox_dead (
    id          bigint PRIMARY KEY,
    topic       text NOT NULL,
    message_key text NOT NULL,
    event_type  text NOT NULL,
    event       jsonb NOT NULL,
    attempts    integer NOT NULL,
    last_error  text,
    created_at  timestamptz NOT NULL,
    moved_at    timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION core.notify_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('core_outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON core.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION core.notify_outbox();

-- Legacy records the migrator could not migrate, with the reason.
CREATE TABLE core.migration_rejects (
    id          bigserial PRIMARY KEY,
    collection  text NOT NULL,
    legacy_id   text NOT NULL,
    reason      text NOT NULL,
    document    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (collection, legacy_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'tiers', 'workspaces', 'workspace_members',
        'billing_accounts', 'subscriptions', 'usage_counters', 'model_prices',
        'usage_daily', 'migration_rejects']
    LOOP
        EXECUTE format('CREATE TRIGGER %I_touch BEFORE UPDATE ON core.%I
                        FOR EACH ROW EXECUTE FUNCTION core.touch_updated_at()', t, t);
    END LOOP;
END;
$$;
