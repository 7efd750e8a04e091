-- 011_trace_context: keep the publisher's W3C trace context with each event,
-- so every attempt's span joins (or links to) the publish's trace; and a
-- per-endpoint switch for sending traceparent to the partner, on for every
-- endpoint that exists already.
ALTER TABLE events ADD COLUMN trace_context text NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN trace_context boolean NOT NULL DEFAULT true;
