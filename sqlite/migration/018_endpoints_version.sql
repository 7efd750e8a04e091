-- 018_endpoints_version: a count of changes to customers and endpoints.
--
-- A publish keeps each customer's endpoints in memory between batches
-- (sqlite.endpointCache) and reads them again only when this count has
-- moved: reading them for every batch was about a twentieth of a node's
-- CPU under load. Triggers keep it, so every path that changes the rows
-- publishing reads (the API, the UI, the health monitor disabling an
-- endpoint, a customer's deletion) moves it in its own transaction.
CREATE TABLE endpoints_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO endpoints_version (id, version) VALUES (1, 0);

CREATE TRIGGER endpoints_version_endpoint_insert AFTER INSERT ON endpoints
BEGIN
    UPDATE endpoints_version SET version = version + 1;
END;
CREATE TRIGGER endpoints_version_endpoint_update AFTER UPDATE ON endpoints
BEGIN
    UPDATE endpoints_version SET version = version + 1;
END;
CREATE TRIGGER endpoints_version_endpoint_delete AFTER DELETE ON endpoints
BEGIN
    UPDATE endpoints_version SET version = version + 1;
END;
CREATE TRIGGER endpoints_version_customer_insert AFTER INSERT ON customers
BEGIN
    UPDATE endpoints_version SET version = version + 1;
END;
CREATE TRIGGER endpoints_version_customer_delete AFTER DELETE ON customers
BEGIN
    UPDATE endpoints_version SET version = version + 1;
END;
