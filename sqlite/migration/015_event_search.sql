-- 015_event_search: the ids the delivery explorer finds an event by, from
-- its body (herald.EventSearchKeys): systemId and the person it is about.
-- Events stored before this migration have them empty.
ALTER TABLE events ADD COLUMN system_id TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN person_id TEXT NOT NULL DEFAULT '';
-- Partial: only events that have the key, searched within a customer.
CREATE INDEX events_system_id ON events (customer_id, system_id) WHERE system_id <> '';
CREATE INDEX events_person_id ON events (customer_id, person_id) WHERE person_id <> '';
