package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
)

// CustomerCreate implements herald.Store.
func (s *Store) CustomerCreate(ctx context.Context, c *herald.Customer) error {
	if err := c.Validate(); err != nil {
		return err
	}
	createdAt := fromMillis(s.now().UnixMilli())
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO customers (id, name, created_at) VALUES (?, ?, ?)`,
		c.ID, c.Name, toMillis(createdAt))
	switch {
	case isUniqueViolation(err):
		return herald.Exists("customer", c.ID)
	case err != nil:
		return fmt.Errorf("create customer: %w", err)
	}
	c.CreatedAt = createdAt
	return nil
}

// CustomerGet implements herald.Store.
func (s *Store) CustomerGet(ctx context.Context, id string) (*herald.Customer, error) {
	var c herald.Customer
	var createdAt int64
	err := s.read.QueryRowContext(ctx,
		`SELECT id, name, created_at FROM customers WHERE id = ?`, id).
		Scan(&c.ID, &c.Name, &createdAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, herald.NotFound("customer", id)
	case err != nil:
		return nil, fmt.Errorf("get customer: %w", err)
	}
	c.CreatedAt = fromMillis(createdAt)
	return &c, nil
}

// CustomerList implements herald.Store.
func (s *Store) CustomerList(ctx context.Context) ([]*herald.Customer, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, created_at FROM customers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	out := []*herald.Customer{}
	for rows.Next() {
		var c herald.Customer
		var createdAt int64
		if err := rows.Scan(&c.ID, &c.Name, &createdAt); err != nil {
			return nil, fmt.Errorf("list customers: %w", err)
		}
		c.CreatedAt = fromMillis(createdAt)
		out = append(out, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	return out, nil
}

// CustomerRename implements herald.Store.
func (s *Store) CustomerRename(ctx context.Context, id, name string) error {
	c := &herald.Customer{ID: id, Name: name}
	if err := c.Validate(); err != nil {
		return err
	}
	res, err := s.write.ExecContext(ctx, `UPDATE customers SET name = ? WHERE id = ?`, name, id)
	if err != nil {
		return fmt.Errorf("rename customer: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("rename customer: %w", err)
	} else if n == 0 {
		return herald.NotFound("customer", id)
	}
	return nil
}

// CustomerDelete implements herald.Store. It reads the schema for the
// tables that hold the customer's rows, so a table added by a later
// migration goes with the customer without a change here: every table
// with a customer_id column, and the rows of tables without one that
// hang off the customer's deliveries or endpoints (attempts, say).
// Foreign keys are checked at commit (defer_foreign_keys), so the order
// of the deletes does not matter.
func (s *Store) CustomerDelete(ctx context.Context, id string) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE id = ?`, id).Scan(&n); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	if n == 0 {
		return herald.NotFound("customer", id)
	}
	// This pragma lasts until the transaction ends.
	if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.name,
			max(p.name = 'customer_id'), max(p.name = 'delivery_id'), max(p.name = 'endpoint_id')
		FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'customers'
		GROUP BY m.name ORDER BY m.name`)
	if err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	type table struct {
		name                         string
		customer, delivery, endpoint bool
	}
	var tables []table
	for rows.Next() {
		var tb table
		if err := rows.Scan(&tb.name, &tb.customer, &tb.delivery, &tb.endpoint); err != nil {
			rows.Close()
			return fmt.Errorf("delete customer: %w", err)
		}
		tables = append(tables, tb)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	// First the rows found through the customer's deliveries and
	// endpoints, while those still exist; then the customer's own rows.
	for _, tb := range tables {
		var q string
		switch {
		case tb.customer:
			continue
		case tb.delivery:
			q = `DELETE FROM "` + tb.name + `" WHERE delivery_id IN (SELECT id FROM deliveries WHERE customer_id = ?)`
		case tb.endpoint:
			q = `DELETE FROM "` + tb.name + `" WHERE endpoint_id IN (SELECT id FROM endpoints WHERE customer_id = ?)`
		default:
			continue
		}
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("delete customer from %s: %w", tb.name, err)
		}
	}
	for _, tb := range tables {
		if !tb.customer {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM "`+tb.name+`" WHERE customer_id = ?`, id); err != nil {
			return fmt.Errorf("delete customer from %s: %w", tb.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	return nil
}
