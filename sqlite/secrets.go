package sqlite

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/internal/storecodec"
)

// checkSecrets opens every endpoint's stored secrets with the store's
// keyring, so a missing or wrong HERALD_ENCRYPTION_KEY stops Herald at
// start with a clear error rather than failing deliveries one by one.
func (s *Store) checkSecrets(ctx context.Context) error {
	rows, err := s.read.QueryContext(ctx, `SELECT id, auth FROM endpoints`)
	if err != nil {
		return fmt.Errorf("check endpoint secrets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, auth string
		if err := rows.Scan(&id, &auth); err != nil {
			return fmt.Errorf("check endpoint secrets: %w", err)
		}
		if _, err := storecodec.UnmarshalAuth([]byte(auth), s.secrets); err != nil {
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
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("reseal secrets: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, `SELECT id, auth FROM endpoints`)
	if err != nil {
		return 0, fmt.Errorf("reseal secrets: %w", err)
	}
	stale := map[string]string{}
	for rows.Next() {
		var id, auth string
		if err := rows.Scan(&id, &auth); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("reseal secrets: %w", err)
		}
		need, err := storecodec.AuthNeedsReseal([]byte(auth), s.secrets)
		if err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("reseal secrets: endpoint %s: %w", id, err)
		}
		if need {
			stale[id] = auth
		}
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("reseal secrets: %w", err)
	}
	for id, auth := range stale {
		a, err := storecodec.UnmarshalAuth([]byte(auth), s.secrets)
		if err != nil {
			return 0, fmt.Errorf("reseal secrets: endpoint %s: %w", id, err)
		}
		sealed, err := storecodec.MarshalAuth(&a, s.secrets)
		if err != nil {
			return 0, fmt.Errorf("reseal secrets: endpoint %s: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE endpoints SET auth = ? WHERE id = ?`, string(sealed), id); err != nil {
			return 0, fmt.Errorf("reseal secrets: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("reseal secrets: %w", err)
	}
	return len(stale), nil
}
