package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// CustomerCreate implements herald.Store.
func (s *Store) CustomerCreate(ctx context.Context, c *herald.Customer) error {
	if err := c.Validate(); err != nil {
		return err
	}
	createdAt := s.nowUTC()
	_, err := s.pool.Exec(ctx, `INSERT INTO customers (id, name, created_at) VALUES ($1, $2, $3)`,
		c.ID, c.Name, createdAt)
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
	err := s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM customers WHERE id = $1`, id).
		Scan(&c.ID, &c.Name, &c.CreatedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, herald.NotFound("customer", id)
	case err != nil:
		return nil, fmt.Errorf("get customer: %w", err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return &c, nil
}

// CustomerList implements herald.Store.
func (s *Store) CustomerList(ctx context.Context) ([]*herald.Customer, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, created_at FROM customers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*herald.Customer, error) {
		var c herald.Customer
		err := r.Scan(&c.ID, &c.Name, &c.CreatedAt)
		c.CreatedAt = c.CreatedAt.UTC()
		return &c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	if out == nil {
		out = []*herald.Customer{}
	}
	return out, nil
}

// CustomerRename implements herald.Store.
func (s *Store) CustomerRename(ctx context.Context, id, name string) error {
	c := &herald.Customer{ID: id, Name: name}
	if err := c.Validate(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE customers SET name = $1 WHERE id = $2`, name, id)
	if err != nil {
		return fmt.Errorf("rename customer: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.NotFound("customer", id)
	}
	return nil
}

// CustomerDelete implements herald.Store. It reads the schema for the
// tables that hold the customer's rows, so a table added by a later
// migration goes with the customer without a change here: every table
// with a customer_id column, and the rows of tables without one that
// hang off the customer's deliveries or endpoints (attempts, say). The
// foreign keys are not deferrable, so the tables are emptied in an order
// where each goes before the tables it references.
func (s *Store) CustomerDelete(ctx context.Context, id string) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// Lock the customer's row: nothing new is added to it meanwhile.
	var found string
	err = tx.QueryRow(ctx, `SELECT id FROM customers WHERE id = $1 FOR UPDATE`, id).Scan(&found)
	if errors.Is(err, pgx.ErrNoRows) {
		return herald.NotFound("customer", id)
	} else if err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	type table struct{ customer, delivery, endpoint bool }
	tables := map[string]*table{}
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name IN ('customer_id', 'delivery_id', 'endpoint_id')`)
	if err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	for rows.Next() {
		var name, col string
		if err := rows.Scan(&name, &col); err != nil {
			rows.Close()
			return fmt.Errorf("delete customer: %w", err)
		}
		tb := tables[name]
		if tb == nil {
			tb = &table{}
			tables[name] = tb
		}
		switch col {
		case "customer_id":
			tb.customer = true
		case "delivery_id":
			tb.delivery = true
		default:
			tb.endpoint = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	// refs[a][b]: table a references table b.
	refs := map[string]map[string]bool{}
	rows, err = tx.Query(ctx, `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
		WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`)
	if err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return fmt.Errorf("delete customer: %w", err)
		}
		if refs[from] == nil {
			refs[from] = map[string]bool{}
		}
		refs[from][to] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	// The order: repeatedly take the tables no remaining table references.
	remaining := map[string]bool{}
	for name := range tables {
		if name != "customers" {
			remaining[name] = true
		}
	}
	var order []string
	for len(remaining) > 0 {
		var next []string
		for name := range remaining {
			referenced := false
			for other := range remaining {
				if other != name && refs[other][name] {
					referenced = true
					break
				}
			}
			if !referenced {
				next = append(next, name)
			}
		}
		if len(next) == 0 { // a cycle: take them in any order
			for name := range remaining {
				next = append(next, name)
			}
		}
		slices.Sort(next)
		for _, name := range next {
			order = append(order, name)
			delete(remaining, name)
		}
	}
	for _, name := range order {
		tb := tables[name]
		var q string
		switch {
		case tb.customer:
			q = `DELETE FROM ` + pgx.Identifier{name}.Sanitize() + ` WHERE customer_id = $1`
		case tb.delivery:
			q = `DELETE FROM ` + pgx.Identifier{name}.Sanitize() + ` WHERE delivery_id IN (SELECT id FROM deliveries WHERE customer_id = $1)`
		default:
			q = `DELETE FROM ` + pgx.Identifier{name}.Sanitize() + ` WHERE endpoint_id IN (SELECT id FROM endpoints WHERE customer_id = $1)`
		}
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return fmt.Errorf("delete customer from %s: %w", name, err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM customers WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	return nil
}
