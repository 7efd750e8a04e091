-- 024_config_version_retry_policies: endpoints_version counts changes to
-- retry policies too.
--
-- The dispatcher keeps endpoints and customers' retry policies in memory
-- for as long as endpoints_version has not moved
-- (herald.DispatchConfigStore), instead of reading them again after a
-- fixed two seconds: with thousands of customers, each endpoint sees an
-- event only every few seconds, so nearly every delivery read both again
-- (herald bench --customers 10000 --rate 1500: two statements per
-- delivery). A retry policy's edit must therefore move the count as well.
-- Publishing, which keeps endpoints by the same count, reads them again
-- after such an edit: it is rare, and the read is one statement.
CREATE TRIGGER endpoints_version_retry_policies AFTER INSERT OR UPDATE OR DELETE ON retry_policies
    FOR EACH ROW EXECUTE FUNCTION herald_endpoints_version_bump();
