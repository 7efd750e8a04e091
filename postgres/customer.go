package postgres

import (
	"context"
	"errors"
	"fmt"

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
	err := s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM customers WHERE id = $1`, id).
		Scan(&c.ID, &c.Name, &c.CreatedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, herald.Errorf(herald.ENOTFOUND, "customer %q not found", id)
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
