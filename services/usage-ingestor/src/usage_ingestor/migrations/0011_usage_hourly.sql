-- usage-ingestor (issue 14): the hourly rollup replaces the daily one. A UTC
-- day is a union of whole UTC hours, and so is a day of any time zone whose
-- offset is a whole number of hours at that day's edges; the summary answers
-- the few hours that straddle a day's edge otherwise (India's +05:30, a
-- daylight-saving change at midnight) from the calls themselves, so any IANA
-- zone's days are exact. `service_tier` is the tier the call was priced at:
-- `batch` for a Batch API call, else the tier the response named.
CREATE TABLE core.usage_hourly (
    workspace_id            uuid NOT NULL,
    hour                    timestamptz NOT NULL,
    model                   text NOT NULL,
    service                 text NOT NULL,
    service_tier            text NOT NULL,
    calls                   bigint NOT NULL DEFAULT 0,
    prompt_tokens           bigint NOT NULL DEFAULT 0,
    cached_tokens           bigint NOT NULL DEFAULT 0,
    completion_tokens       bigint NOT NULL DEFAULT 0,
    reasoning_tokens        bigint NOT NULL DEFAULT 0,
    total_tokens            bigint NOT NULL DEFAULT 0,
    cache_write_tokens      bigint NOT NULL DEFAULT 0,
    audio_prompt_tokens     bigint NOT NULL DEFAULT 0,
    audio_completion_tokens bigint NOT NULL DEFAULT 0,
    cost_usd                numeric(24, 10) NOT NULL DEFAULT 0,
    unpriced_calls          bigint NOT NULL DEFAULT 0,
    usage_missing_calls     bigint NOT NULL DEFAULT 0,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, hour, model, service, service_tier),
    CHECK (hour = date_trunc('hour', hour, 'UTC'))
);
CREATE TRIGGER usage_hourly_touch BEFORE UPDATE ON core.usage_hourly
    FOR EACH ROW EXECUTE FUNCTION core.usage_touch_updated_at();

-- The rows stored so far, rolled up the new way (the daily rollup held them
-- at a coarser grain only).
INSERT INTO core.usage_hourly (workspace_id, hour, model, service, service_tier, calls,
    prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, total_tokens,
    cache_write_tokens, audio_prompt_tokens, audio_completion_tokens, cost_usd,
    unpriced_calls, usage_missing_calls)
SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), model, service,
    CASE WHEN batch THEN 'batch' ELSE service_tier END, count(*), sum(prompt_tokens),
    sum(cached_tokens), sum(completion_tokens), sum(reasoning_tokens), sum(total_tokens),
    sum(cache_write_tokens), sum(audio_prompt_tokens), sum(audio_completion_tokens),
    coalesce(sum(cost_usd), 0), count(*) FILTER (WHERE unpriced),
    count(*) FILTER (WHERE usage_missing)
FROM core.openai_usage
GROUP BY 1, 2, 3, 4, 5;

-- The usage routes moved from core-api to this process (it owns the rollups):
-- core-api's read of the daily rollup goes with the table. core-api still
-- serves the counters (core.usage_counters keeps its declared read grant).
DROP TABLE core.usage_daily;

GRANT SELECT, DELETE, TRUNCATE ON core.usage_hourly TO sendfx_operator;
