package sqlstore

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/internal/storecodec"
)

var (
	qSecretsList      = query("SecretsList")
	qSecretsListStale = query("SecretsListForReseal")
	qSecretsReseal    = query("SecretsReseal")
)

// CheckSecrets opens every endpoint's stored secrets with the store's
// keyring, so a missing or wrong HERALD_ENCRYPTION_KEY stops Herald at
// start with a clear error rather than failing deliveries one by one. The
// stores' Open calls it once the migrations are applied. It is a function,
// not a method, so that it does not become one of the stores'.
func CheckSecrets(ctx context.Context, s *Store) error {
	rows, err := s.read.Query(ctx, s.sql(qSecretsList))
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
	err := s.tx(ctx, "reseal secrets", func(tx DB) error {
		rows, err := tx.Query(ctx, s.sql(qSecretsListStale))
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
			// A string, as EndpointCreate passes auth.
			if _, err := tx.Exec(ctx, s.sql(qSecretsReseal), string(sealed), id); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
