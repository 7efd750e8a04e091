-- 019_endpoints_version: a count of changes to customers and endpoints.
--
-- A publish keeps each customer's endpoints in memory between batches
-- (storerules.EndpointCache) and checks, in the statement that inserts the
-- batch, that this count has not moved since it read them; if it has, the
-- batch reads the endpoints again. Reading them for every batch was a
-- round trip and two statements per batch, about 4 % of a node's CPU at
-- full speed. Row-level triggers keep it, so every path that changes the
-- rows publishing reads (the API, the UI, the health monitor disabling an
-- endpoint, a customer's deletion), on any node, moves it in its own
-- transaction; a statement that changes no row does not.
CREATE TABLE endpoints_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint  NOT NULL
);
INSERT INTO endpoints_version (id, version) VALUES (1, 0);

CREATE FUNCTION herald_endpoints_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE endpoints_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER endpoints_version_endpoints AFTER INSERT OR UPDATE OR DELETE ON endpoints
    FOR EACH ROW EXECUTE FUNCTION herald_endpoints_version_bump();
CREATE TRIGGER endpoints_version_customers AFTER INSERT OR DELETE ON customers
    FOR EACH ROW EXECUTE FUNCTION herald_endpoints_version_bump();
