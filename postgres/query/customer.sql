-- Customers (internal/sqlstore/customer.go). The customer statements read
-- id, name, created_at.

-- name: CustomerInsert
INSERT INTO customers (id, name, created_at) VALUES ($1, $2, $3);

-- name: CustomerGet
SELECT id, name, created_at FROM customers WHERE id = $1;

-- name: CustomerList
SELECT id, name, created_at FROM customers ORDER BY id;

-- name: CustomerRename
UPDATE customers SET name = $1 WHERE id = $2;

-- CustomerDelete's: the row lock keeps anything new from being added to
-- the customer meanwhile.
-- name: CustomerDeleteLock
SELECT id FROM customers WHERE id = $1 FOR UPDATE;

-- name: CustomerDelete
DELETE FROM customers WHERE id = $1;
