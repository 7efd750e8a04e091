package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/sqlstore"
)

// customerTables is CustomerDelete's sqlstore.Config.CustomerTables: every
// table with a customer_id column, and the tables without one whose rows
// hang off the customer's deliveries or endpoints (attempts, say). The
// foreign keys are not deferrable, so the tables are emptied in an order
// where each goes before the tables it references.
func customerTables(ctx context.Context, tx sqlstore.DB) ([]sqlstore.CustomerTable, error) {
	type table struct{ customer, delivery, endpoint bool }
	tables := map[string]*table{}
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name IN ('customer_id', 'delivery_id', 'endpoint_id')`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, col string
		if err := rows.Scan(&name, &col); err != nil {
			rows.Close()
			return nil, err
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
		return nil, err
	}
	// refs[a][b]: table a references table b.
	refs := map[string]map[string]bool{}
	rows, err = tx.Query(ctx, `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
		WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return nil, err
		}
		if refs[from] == nil {
			refs[from] = map[string]bool{}
		}
		refs[from][to] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The order: repeatedly take the tables no remaining table references.
	remaining := map[string]bool{}
	for name := range tables {
		if name != "customers" {
			remaining[name] = true
		}
	}
	var out []sqlstore.CustomerTable
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
			tb, from := tables[name], `DELETE FROM `+pgx.Identifier{name}.Sanitize()
			var q string
			switch {
			case tb.customer:
				q = from + ` WHERE customer_id = $1`
			case tb.delivery:
				q = from + ` WHERE delivery_id IN (SELECT id FROM deliveries WHERE customer_id = $1)`
			default:
				q = from + ` WHERE endpoint_id IN (SELECT id FROM endpoints WHERE customer_id = $1)`
			}
			out = append(out, sqlstore.CustomerTable{Name: name, Delete: q})
			delete(remaining, name)
		}
	}
	return out, nil
}
