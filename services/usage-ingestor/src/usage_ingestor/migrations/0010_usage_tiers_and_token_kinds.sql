-- usage-ingestor (issue 14): what OpenAI bills by, as the call reports it:
-- the served tier, the Batch API, and the token kinds with rates of their
-- own (all inside prompt_tokens / completion_tokens, as OpenAI counts them).
-- Defaults make the rows stored before this version read as they were
-- priced: standard tier, no batch, none of the new kinds. Adding a column
-- with a constant default rewrites no rows.
ALTER TABLE core.openai_usage
    ADD COLUMN service_tier text NOT NULL DEFAULT 'default',
    ADD COLUMN batch boolean NOT NULL DEFAULT false,
    ADD COLUMN cache_write_tokens bigint NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
    ADD COLUMN audio_prompt_tokens bigint NOT NULL DEFAULT 0 CHECK (audio_prompt_tokens >= 0),
    ADD COLUMN audio_completion_tokens bigint NOT NULL DEFAULT 0
        CHECK (audio_completion_tokens >= 0);
