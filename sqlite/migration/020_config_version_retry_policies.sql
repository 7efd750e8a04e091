-- 020_config_version_retry_policies: endpoints_version counts changes to
-- retry policies too.
--
-- The dispatcher keeps endpoints and customers' retry policies in memory
-- for as long as endpoints_version has not moved
-- (herald.DispatchConfigStore), instead of reading them again after a
-- fixed two seconds: with thousands of customers, each endpoint sees an
-- event only every few seconds, so nearly every delivery read both again.
-- A retry policy's edit must therefore move the count as well. Publishing,
-- which keeps endpoints by the same count, reads them again after such an
-- edit: it is rare, and the read is one statement.
CREATE TRIGGER endpoints_version_retry_policy_insert AFTER INSERT ON retry_policies
BEGIN
    UPDATE endpoints_version SET version = version + 1;
END;
CREATE TRIGGER endpoints_version_retry_policy_update AFTER UPDATE ON retry_policies
BEGIN
    UPDATE endpoints_version SET version = version + 1;
END;
CREATE TRIGGER endpoints_version_retry_policy_delete AFTER DELETE ON retry_policies
BEGIN
    UPDATE endpoints_version SET version = version + 1;
END;
