package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// JobList implements herald.PlatformStore.
func (s *Store) JobList(ctx context.Context, customerID string) ([]*herald.Job, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM jobs WHERE customer_id = $1 ORDER BY created_at, id LIMIT $2`,
		customerID, herald.MaxJobList)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	out := make([]*herald.Job, 0, len(ids))
	for _, id := range ids {
		j, err := getJob(ctx, s.pool, customerID, id)
		if err != nil {
			return nil, wrapOp("list jobs", err)
		}
		out = append(out, j)
	}
	return out, nil
}

// PersonFindByEmail implements herald.PlatformStore. It reads the
// customer's people (the primary key's prefix); people have no email
// index, as only the career portal looks people up this way.
func (s *Store) PersonFindByEmail(ctx context.Context, customerID string, typ herald.PersonType, email string) (*herald.Person, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, herald.PersonEmailNotFound(email)
	}
	var id string
	err := s.pool.QueryRow(ctx, `SELECT id FROM people WHERE customer_id = $1 AND type = $2 AND lower(email) = lower($3)
		ORDER BY created_at, id LIMIT 1`, customerID, string(typ), email).Scan(&id)
	if err != nil {
		return nil, wrapOp("find person", notFoundAs(err, herald.PersonEmailNotFound(email)))
	}
	p, err := getPerson(ctx, s.pool, customerID, id)
	if err != nil {
		return nil, wrapOp("find person", err)
	}
	return p, nil
}
