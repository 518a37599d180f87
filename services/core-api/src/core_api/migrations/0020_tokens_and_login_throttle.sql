-- Revocable sessions and login throttling (issue 12).

-- A user's auth version: bumped whenever what a token vouches for changes
-- (role, active, password), whoever writes the row (core-api, the migrator).
-- Tokens carry the version they were issued at; an older one is refused.
ALTER TABLE core.users ADD COLUMN auth_version integer NOT NULL DEFAULT 0;

-- Refresh tokens: only a SHA-256 of the random token is stored. A login
-- starts a family; each refresh marks its token rotated and adds the next.
-- A rotated token presented again means it leaked: the family is revoked.
CREATE TABLE core.refresh_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES core.users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON core.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_live_by_user ON core.refresh_tokens (user_id)
    WHERE revoked_at IS NULL;

CREATE FUNCTION core.users_auth_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.role IS DISTINCT FROM OLD.role
       OR NEW.is_active IS DISTINCT FROM OLD.is_active
       OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
        NEW.auth_version := OLD.auth_version + 1;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER users_auth_version BEFORE UPDATE ON core.users
    FOR EACH ROW EXECUTE FUNCTION core.users_auth_version();

-- A deactivation or a password change ends every session of the user. As
-- the table's owner (SECURITY DEFINER), so another writer of core.users (the
-- migrator) needs no rights on the refresh tokens.
CREATE FUNCTION core.users_end_sessions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = core, pg_temp AS $$
BEGIN
    UPDATE core.refresh_tokens SET revoked_at = now()
     WHERE user_id = NEW.id AND revoked_at IS NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER users_end_sessions AFTER UPDATE ON core.users
    FOR EACH ROW
    WHEN ((OLD.is_active AND NOT NEW.is_active)
          OR NEW.password_hash IS DISTINCT FROM OLD.password_hash)
    EXECUTE FUNCTION core.users_end_sessions();

-- Failed logins per (account, address), per address and per account, so
-- every core-api instance sees the same counts. `blocked_until` is when the
-- next attempt for that key is allowed again.
CREATE TABLE core.login_failures (
    scope            text NOT NULL CHECK (scope IN ('pair', 'address', 'account')),
    key              text NOT NULL,
    failures         integer NOT NULL CHECK (failures > 0),
    last_failure_at  timestamptz NOT NULL,
    blocked_until    timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
-- Counts past their window are pruned a few at a time on later failures.
CREATE INDEX login_failures_last ON core.login_failures (last_failure_at);
