-- The W3C trace context (traceparent, tracestate) of the request that wrote
-- the row, so the relay continues that trace into the Kafka headers.
-- NULL when tracing is off or nothing was being traced.
ALTER TABLE core.outbox ADD COLUMN trace_context jsonb;
