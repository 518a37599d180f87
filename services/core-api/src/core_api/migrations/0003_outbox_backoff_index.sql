-- The relay holds back a key from its first row in backoff onwards; this finds
-- those rows without scanning every unsent row of the key.
CREATE INDEX outbox_in_backoff ON core.outbox (message_key, id)
    WHERE sent_at IS NULL AND attempts > 0;
