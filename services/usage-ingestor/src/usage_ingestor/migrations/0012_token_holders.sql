-- What usage-ingestor knows of each user's tokens, learnt from user.* on
-- core.events: its admin usage routes refuse the token of a deactivated user,
-- or one issued before a role or password change (auth_version), as core-api
-- does, with no read of core-api's tables.
CREATE TABLE core.usage_token_holders (
    user_id      uuid PRIMARY KEY,
    is_active    boolean NOT NULL,
    auth_version bigint NOT NULL CHECK (auth_version >= 0),
    event_time   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The operator commands: verify reads, reset-factory empties.
GRANT SELECT, DELETE, TRUNCATE ON core.usage_token_holders TO sendfx_operator;
