-- Customers (internal/sqlstore/customer.go). The customer statements read
-- id, name, created_at.

-- name: CustomerInsert
INSERT INTO customers (id, name, created_at) VALUES (?, ?, ?);

-- name: CustomerGet
SELECT id, name, created_at FROM customers WHERE id = ?;

-- name: CustomerList
SELECT id, name, created_at FROM customers ORDER BY id;

-- name: CustomerRename
UPDATE customers SET name = ? WHERE id = ?;

-- CustomerDelete's: the write transaction holds the database's lock
-- already, so this only finds the customer.
-- name: CustomerDeleteLock
SELECT id FROM customers WHERE id = ?;

-- name: CustomerDelete
DELETE FROM customers WHERE id = ?;
