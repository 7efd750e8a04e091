package sqlite

import (
	"context"

	"github.com/heraldhq/herald/internal/sqlstore"
)

// customerTables is CustomerDelete's sqlstore.Config.CustomerTables: every
// table with a customer_id column, and the tables without one whose rows
// hang off the customer's deliveries or endpoints (attempts, say), those
// first, while the rows they are found through still exist. Foreign keys
// are checked at commit (defer_foreign_keys), so the order of the deletes
// does not matter otherwise.
func customerTables(ctx context.Context, tx sqlstore.DB) ([]sqlstore.CustomerTable, error) {
	// This pragma lasts until the transaction ends.
	if _, err := tx.Exec(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT m.name,
			max(p.name = 'customer_id'), max(p.name = 'delivery_id'), max(p.name = 'endpoint_id')
		FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'customers'
		GROUP BY m.name ORDER BY m.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var linked, own []sqlstore.CustomerTable
	for rows.Next() {
		var name string
		var customer, delivery, endpoint bool
		if err := rows.Scan(&name, &customer, &delivery, &endpoint); err != nil {
			return nil, err
		}
		switch {
		case customer:
			own = append(own, sqlstore.CustomerTable{Name: name,
				Delete: `DELETE FROM "` + name + `" WHERE customer_id = ?`})
		case delivery:
			linked = append(linked, sqlstore.CustomerTable{Name: name,
				Delete: `DELETE FROM "` + name + `" WHERE delivery_id IN (SELECT id FROM deliveries WHERE customer_id = ?)`})
		case endpoint:
			linked = append(linked, sqlstore.CustomerTable{Name: name,
				Delete: `DELETE FROM "` + name + `" WHERE endpoint_id IN (SELECT id FROM endpoints WHERE customer_id = ?)`})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return append(linked, own...), nil
}
