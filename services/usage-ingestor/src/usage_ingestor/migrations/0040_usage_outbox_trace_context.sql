-- The W3C trace context (traceparent, tracestate) of the batch that wrote the
-- row, so the relay continues that trace into the Kafka headers.
-- NULL when tracing is off or nothing was being traced.
ALTER TABLE core.usage_outbox ADD COLUMN trace_context jsonb;
