-- Request rate windows (sendfx_shared.throttle): one counter per subject and
-- window, shared by every core-api instance. Unlogged: counters are
-- short-lived and cheap to lose on a crash (limits restart from zero).
CREATE UNLOGGED TABLE core.request_rates (
    key        text PRIMARY KEY,
    count      integer NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX request_rates_expiry ON core.request_rates (expires_at);
