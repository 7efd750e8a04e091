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
		return herald.Errorf(herald.ECONFLICT, "customer %q exists already", c.ID)
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
		return nil, herald.Errorf(herald.ENOTFOUND, "customer %q not found", id)
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
