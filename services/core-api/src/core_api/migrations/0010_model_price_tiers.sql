-- core-api: prices by served tier (issue 14). A price version is now one
-- (model, service_tier, effective_from): `default` for the standard rates,
-- `batch` for the Batch API, `flex`, `priority`, `scale`, ... as OpenAI's
-- responses name the tier that served a call. Every token kind has its own
-- rate; a kind without one (NULL) leaves a call using it unpriced.
ALTER TABLE core.model_prices
    ADD COLUMN service_tier text NOT NULL DEFAULT 'default'
        CHECK (service_tier ~ '^[a-z0-9_.-]{1,32}$'),
    ADD COLUMN cache_write_per_mtok numeric(12, 6) CHECK (cache_write_per_mtok >= 0),
    ADD COLUMN audio_input_per_mtok numeric(12, 6) CHECK (audio_input_per_mtok >= 0),
    ADD COLUMN audio_output_per_mtok numeric(12, 6) CHECK (audio_output_per_mtok >= 0);

ALTER TABLE core.model_prices DROP CONSTRAINT model_prices_model_effective_from_key;
ALTER TABLE core.model_prices ADD CONSTRAINT model_prices_model_tier_effective_from_key
    UNIQUE (model, service_tier, effective_from);

-- OpenAI bills prompt tokens written to its cache at the ordinary input rate
-- (no surcharge): the shipped file's versions say so from now on, and the
-- versions it seeded before this column existed get the same rate.
UPDATE core.model_prices SET cache_write_per_mtok = input_per_mtok, updated_at = now()
WHERE source = 'file' AND cache_write_per_mtok IS NULL;
