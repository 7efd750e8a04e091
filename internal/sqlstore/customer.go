package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

var (
	qCustomerInsert     = query("CustomerInsert")
	qCustomerGet        = query("CustomerGet")
	qCustomerList       = query("CustomerList")
	qCustomerRename     = query("CustomerRename")
	qCustomerDeleteLock = query("CustomerDeleteLock")
	qCustomerDelete     = query("CustomerDelete")
)

// The customers columns every customer statement reads, in this order:
// id, name, created_at.
func (s *Store) scanCustomer(r Row) (*herald.Customer, error) {
	var c herald.Customer
	err := r.Scan(&c.ID, &c.Name, s.d.ScanTime(&c.CreatedAt))
	return &c, err
}

// CustomerCreate implements herald.Store.
func (s *Store) CustomerCreate(ctx context.Context, c *herald.Customer) error {
	if err := c.Validate(); err != nil {
		return err
	}
	createdAt := s.now()
	_, err := s.write.Exec(ctx, s.sql(qCustomerInsert), c.ID, c.Name, s.d.Time(createdAt))
	switch {
	case errors.Is(err, storerules.ErrDuplicate):
		return herald.Exists("customer", c.ID)
	case err != nil:
		return fmt.Errorf("create customer: %w", err)
	}
	c.CreatedAt = createdAt
	return nil
}

// CustomerGet implements herald.Store.
func (s *Store) CustomerGet(ctx context.Context, id string) (*herald.Customer, error) {
	c, err := s.scanCustomer(s.read.QueryRow(ctx, s.sql(qCustomerGet), id))
	if err != nil {
		return nil, wrapOp("get customer", notFound(err, "customer", id))
	}
	return c, nil
}

// CustomerList implements herald.Store.
func (s *Store) CustomerList(ctx context.Context) ([]*herald.Customer, error) {
	rows, err := s.read.Query(ctx, s.sql(qCustomerList))
	out, err := collect(rows, err, s.scanCustomer)
	return out, wrapOp("list customers", err)
}

// CustomerRename implements herald.Store.
func (s *Store) CustomerRename(ctx context.Context, id, name string) error {
	c := &herald.Customer{ID: id, Name: name}
	if err := c.Validate(); err != nil {
		return err
	}
	n, err := s.write.Exec(ctx, s.sql(qCustomerRename), name, id)
	return wrapOp("rename customer", rowsChanged(n, err, "customer", id))
}

// CustomerTable is a table that holds a customer's rows (Config.CustomerTables).
type CustomerTable struct {
	// Name is the table's, for the error if Delete fails.
	Name string
	// Delete deletes the customer's rows from the table; the customer's
	// id is its one argument.
	Delete string
}

// CustomerDelete implements herald.Store. It reads the schema for the
// tables that hold the customer's rows (Config.CustomerTables), so a table
// added by a later migration goes with the customer without a change
// here.
func (s *Store) CustomerDelete(ctx context.Context, id string) error {
	var failed string // the table whose Delete failed
	err := s.inTx(ctx, func(tx DB) error {
		// Lock the customer's row where the database can: nothing new is
		// added to it meanwhile.
		var found string
		if err := tx.QueryRow(ctx, s.sql(qCustomerDeleteLock), id).Scan(&found); err != nil {
			return notFound(err, "customer", id)
		}
		tables, err := s.customerTables(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if _, err := tx.Exec(ctx, t.Delete, id); err != nil {
				failed = t.Name
				return err
			}
		}
		_, err = tx.Exec(ctx, s.sql(qCustomerDelete), id)
		return err
	})
	if failed != "" {
		return fmt.Errorf("delete customer from %s: %w", failed, err)
	}
	return wrapOp("delete customer", err)
}
