package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/storecodec"
)

// checkSecrets opens every endpoint's stored secrets with the store's
// keyring, so a missing or wrong HERALD_ENCRYPTION_KEY stops Herald at
// start with a clear error rather than failing deliveries one by one.
func (s *Store) checkSecrets(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT id, auth FROM endpoints`)
	if err != nil {
		return fmt.Errorf("check endpoint secrets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var auth []byte
		if err := rows.Scan(&id, &auth); err != nil {
			return fmt.Errorf("check endpoint secrets: %w", err)
		}
		if _, err := storecodec.UnmarshalAuth(auth, s.secrets); err != nil {
			return fmt.Errorf("endpoint %s: %w", id, err)
		}
	}
	return rows.Err()
}

// SecretsReseal seals again, with the keyring's primary key, every endpoint
// secret stored in plain text or under another key, in one transaction,
// and returns how many endpoints it rewrote. `herald
// rotate-encryption-key` opens the store with the new key and the old one
// and calls it.
func (s *Store) SecretsReseal(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, auth FROM endpoints FOR UPDATE`)
		if err != nil {
			return err
		}
		stale := map[string][]byte{}
		for rows.Next() {
			var id string
			var auth []byte
			if err := rows.Scan(&id, &auth); err != nil {
				rows.Close()
				return err
			}
			need, err := storecodec.AuthNeedsReseal(auth, s.secrets)
			if err != nil {
				rows.Close()
				return fmt.Errorf("endpoint %s: %w", id, err)
			}
			if need {
				stale[id] = auth
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for id, auth := range stale {
			a, err := storecodec.UnmarshalAuth(auth, s.secrets)
			if err != nil {
				return fmt.Errorf("endpoint %s: %w", id, err)
			}
			sealed, err := storecodec.MarshalAuth(&a, s.secrets)
			if err != nil {
				return fmt.Errorf("endpoint %s: %w", id, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE endpoints SET auth = $1 WHERE id = $2`, sealed, id); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reseal secrets: %w", err)
	}
	return n, nil
}
