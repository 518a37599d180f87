-- usage-ingestor's own transactional outbox (usage.* events to core.events),
-- the same row format as core-api's and relayed by the same library.
CREATE TABLE core.usage_outbox (
    id              bigserial PRIMARY KEY,
    topic           text NOT NULL,
    message_key     text NOT NULL,
    event_type      text NOT NULL,
    event           jsonb NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_outbox_unsent ON core.usage_outbox (id) WHERE sent_at IS NULL;
CREATE INDEX usage_outbox_sent ON core.usage_outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX usage_outbox_in_backoff ON core.usage_outbox (message_key, id)
    WHERE sent_at IS NULL AND attempts > 0;

CREATE TABLE core.usage_outbox_dead (
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

CREATE FUNCTION core.notify_usage_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('usage_outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER usage_outbox_notify AFTER INSERT ON core.usage_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION core.notify_usage_outbox();

-- Each workspace's tier and monthly AI token limit, as core.events last said
-- (workspace.created / .updated / .deleted carry both, with a version per
-- workspace that orders replays): the thresholds are computed against it.
CREATE TABLE core.usage_workspace_quotas (
    workspace_id      uuid PRIMARY KEY,
    tier_code         text,
    ai_tokens_monthly bigint,
    deleted           boolean NOT NULL DEFAULT false,
    version           bigint NOT NULL,
    event_time        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
