-- core-api's tables in schema `core`: identity, tenancy, billing, prices and
-- core-api's outbox. The schema itself is made by provisioning (owned by
-- core-api's role); the usage tables in it belong to usage-ingestor.

-- The migrator writes updated_at from the legacy document, so that replays
-- produce byte-identical rows; it says so with a transaction-local setting.
-- Everybody else gets updated_at = now() on UPDATE.
CREATE FUNCTION core.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sendfx.keep_updated_at', true) = 'on' THEN
        RETURN NEW;
    END IF;
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

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'tiers', 'workspaces', 'workspace_members',
        'billing_accounts', 'subscriptions', 'model_prices']
    LOOP
        EXECUTE format('CREATE TRIGGER %I_touch BEFORE UPDATE ON core.%I
                        FOR EACH ROW EXECUTE FUNCTION core.touch_updated_at()', t, t);
    END LOOP;
END;
$$;
