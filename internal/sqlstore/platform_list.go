package sqlstore

import (
	"context"
	"strings"

	"github.com/heraldhq/herald"
)

var (
	qJobListIDs        = query("JobListIDs")
	qPersonFindByEmail = query("PersonFindByEmail")
)

// JobList implements herald.PlatformStore. The ids are read in full before
// the jobs, so the list holds one read connection at a time.
func (s *Store) JobList(ctx context.Context, customerID string) ([]*herald.Job, error) {
	rows, err := s.read.Query(ctx, s.sql(qJobListIDs), customerID, herald.MaxJobList)
	ids, err := collect(rows, err, func(r Row) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, wrapOp("list jobs", err)
	}
	out := make([]*herald.Job, 0, len(ids))
	for _, id := range ids {
		j, err := s.jobGet(ctx, s.read, customerID, id)
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
	err := s.read.QueryRow(ctx, s.sql(qPersonFindByEmail), customerID, string(typ), email).Scan(&id)
	if err != nil {
		return nil, wrapOp("find person", notFoundAs(err, herald.PersonEmailNotFound(email)))
	}
	p, err := s.personGet(ctx, s.read, customerID, id)
	if err != nil {
		return nil, wrapOp("find person", err)
	}
	return p, nil
}
