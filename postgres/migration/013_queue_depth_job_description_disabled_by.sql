-- 013_queue_depth_job_description_disabled_by: three additions for the web UI.
--
-- Who turned an endpoint off, and when (herald.Endpoint.DisabledBy and
-- DisabledAt): a web user's username, "operator", or "health monitor".
-- Endpoints disabled before this migration: those with a reason were
-- disabled by Herald itself, the rest by someone unknown; both keep their
-- last change as the time.
ALTER TABLE endpoints ADD COLUMN disabled_by text NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN disabled_at timestamptz;
UPDATE endpoints SET disabled_by = 'health monitor' WHERE NOT enabled AND disabled_reason <> '';
UPDATE endpoints SET disabled_at = updated_at WHERE NOT enabled;

-- A job's description, plain text (herald.Job.JobDescription).
ALTER TABLE jobs ADD COLUMN job_description text NOT NULL DEFAULT '';

-- Queue depth samples: the pending deliveries of each customer, one row a
-- minute. The key makes a minute's row written once however many nodes
-- sample it (ON CONFLICT DO NOTHING). Customers with nothing pending get
-- no row. Rows older than herald.QueueDepthRetention are purged with the
-- events.
CREATE TABLE queue_depth_samples (
    minute      timestamptz NOT NULL,
    customer_id text        NOT NULL,
    pending     integer     NOT NULL,
    PRIMARY KEY (minute, customer_id)
);
