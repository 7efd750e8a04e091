-- 020_event_search_fts: the delivery explorer finds events by systemId and
-- person through a full-text index of one token per key, instead of two
-- B-tree indexes on events.
--
-- Each key's B-tree entry was a page of the log: a customer's keys are
-- scattered (random ids across thousands of customers), so every event's
-- two entries landed in two leaves of their own, which each commit wrote
-- whole (4 KB for a few dozen bytes, and a leaf read first once the index
-- outgrows the cache). An FTS5 index is a log-structured merge tree: a
-- commit's keys go out as one small sorted segment, which later commits
-- merge a little at a time, so a key costs its bytes, not a page.
-- BenchmarkEventInsertLogPages (1,000 customers, random keys, commits of
-- 10 events): into a table of 100,000 events, 3.20 log pages an event
-- against 4.41 with the two indexes, for 7 µs more CPU (67 against 61);
-- into a table of 1,000,000, whose indexes no longer fit the page cache,
-- 3.14 pages against 4.47 and 65 µs against 85.
--
-- The table is contentless (it stores no text, only which rows hold a
-- token) and keyed by the events row's rowid, which VACUUM and VACUUM INTO
-- (herald backup) keep for this table (TestBackupWhilePublishing checks
-- that a backup's search finds what the original's did). A token is
-- the kind (s: systemId, p: person), the customer id and the key, both
-- hex-encoded, so a key of any text is one token of the ascii tokenizer
-- and a customer's keys never match another's. The query re-checks the
-- events row (the keys' columns stay on it), so nothing rests on the
-- token's spelling but recall.
--
-- Triggers keep it: every path that inserts or deletes events (publish,
-- platform actions, retention, a customer's deletion) does so in its own
-- transaction.
CREATE VIRTUAL TABLE event_search USING fts5(
    keys, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii');

INSERT INTO event_search (rowid, keys)
SELECT rowid,
    iif(system_id <> '', 's' || hex(customer_id) || 'x' || hex(system_id), '') || ' ' ||
    iif(person_id <> '', 'p' || hex(customer_id) || 'x' || hex(person_id), '')
FROM events WHERE system_id <> '' OR person_id <> '';

CREATE TRIGGER event_search_insert AFTER INSERT ON events
WHEN new.system_id <> '' OR new.person_id <> ''
BEGIN
    INSERT INTO event_search (rowid, keys) VALUES (new.rowid,
        iif(new.system_id <> '', 's' || hex(new.customer_id) || 'x' || hex(new.system_id), '') || ' ' ||
        iif(new.person_id <> '', 'p' || hex(new.customer_id) || 'x' || hex(new.person_id), ''));
END;

CREATE TRIGGER event_search_delete AFTER DELETE ON events
WHEN old.system_id <> '' OR old.person_id <> ''
BEGIN
    DELETE FROM event_search WHERE rowid = old.rowid;
END;

DROP INDEX events_system_id;
DROP INDEX events_person_id;
