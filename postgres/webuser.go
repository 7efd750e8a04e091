package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

var _ herald.WebUserStore = (*Store)(nil)

const webUserColumns = `id, customer_id, username, password_hash, person_id, created_at`

func scanWebUser(r pgx.Row) (*herald.WebUser, error) {
	var u herald.WebUser
	if err := r.Scan(&u.ID, &u.CustomerID, &u.Username, &u.PasswordHash, &u.PersonID, &u.CreatedAt); err != nil {
		return nil, err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}

// WebUserCreate implements herald.WebUserStore.
func (s *Store) WebUserCreate(ctx context.Context, u *herald.WebUser) error {
	if err := u.Validate(); err != nil {
		return err
	}
	now := s.nowUTC()
	id := u.ID
	if id == "" {
		id = herald.NewID(herald.IDPrefixWebUser, now)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO web_users (`+webUserColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, u.CustomerID, u.Username, u.PasswordHash, u.PersonID, now)
	switch {
	case isUniqueViolation(err):
		return herald.WebUsernameTaken(u.Username)
	case isForeignKeyViolation(err):
		return herald.NotFound("customer", u.CustomerID)
	case err != nil:
		return fmt.Errorf("create web user: %w", err)
	}
	u.ID, u.CreatedAt = id, now
	return nil
}

// WebUserGetByUsername implements herald.WebUserStore.
func (s *Store) WebUserGetByUsername(ctx context.Context, username string) (*herald.WebUser, error) {
	u, err := scanWebUser(s.pool.QueryRow(ctx,
		`SELECT `+webUserColumns+` FROM web_users WHERE username = $1`, username))
	if err != nil {
		return nil, wrapOp("get web user", notFound(err, "web user", username))
	}
	return u, nil
}

// WebUserGet implements herald.WebUserStore.
func (s *Store) WebUserGet(ctx context.Context, customerID, id string) (*herald.WebUser, error) {
	u, err := scanWebUser(s.pool.QueryRow(ctx,
		`SELECT `+webUserColumns+` FROM web_users WHERE customer_id = $1 AND id = $2`, customerID, id))
	if err != nil {
		return nil, wrapOp("get web user", notFound(err, "web user", id))
	}
	return u, nil
}

// WebUserList implements herald.WebUserStore.
func (s *Store) WebUserList(ctx context.Context, customerID string) ([]*herald.WebUser, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+webUserColumns+` FROM web_users WHERE customer_id = $1 ORDER BY created_at, id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list web users: %w", err)
	}
	defer rows.Close()
	out := []*herald.WebUser{}
	for rows.Next() {
		u, err := scanWebUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list web users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list web users: %w", err)
	}
	return out, nil
}

// WebUserSetPassword implements herald.WebUserStore.
func (s *Store) WebUserSetPassword(ctx context.Context, customerID, id, passwordHash string) error {
	if err := herald.ValidateWebPasswordHash(passwordHash); err != nil {
		return err
	}
	return s.inTx(ctx, "set web user password", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE web_users SET password_hash = $1 WHERE customer_id = $2 AND id = $3`,
			passwordHash, customerID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return herald.NotFound("web user", id)
		}
		// A new password signs every browser out: the reason to change it
		// is often that someone else knows the old one.
		_, err = tx.Exec(ctx, `DELETE FROM web_sessions WHERE user_id = $1`, id)
		return err
	})
}

// WebUserDelete implements herald.WebUserStore.
func (s *Store) WebUserDelete(ctx context.Context, customerID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM web_users WHERE customer_id = $1 AND id = $2`, customerID, id)
	if err != nil {
		return fmt.Errorf("delete web user: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.NotFound("web user", id)
	}
	return nil
}

// WebSessionCreate implements herald.WebUserStore.
func (s *Store) WebSessionCreate(ctx context.Context, ws *herald.WebSession) error {
	if err := ws.Validate(); err != nil {
		return err
	}
	var userID *string // NULL for an operator's session
	if ws.UserID != "" {
		userID = &ws.UserID
	}
	return s.inTx(ctx, "create web session", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM web_sessions WHERE expires_at <= $1`, dbTime(ws.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO web_sessions (id_hash, user_id, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			ws.IDHash, userID, ws.CustomerID, dbTime(ws.CreatedAt), dbTime(ws.ExpiresAt))
		if isForeignKeyViolation(err) {
			return herald.NotFound("web user", ws.UserID)
		}
		return err
	})
}

// WebSessionGet implements herald.WebUserStore.
func (s *Store) WebSessionGet(ctx context.Context, idHash []byte, now time.Time) (*herald.WebSession, error) {
	var ws herald.WebSession
	var userID *string
	err := s.pool.QueryRow(ctx,
		`SELECT id_hash, user_id, customer_id, created_at, expires_at FROM web_sessions WHERE id_hash = $1 AND expires_at > $2`,
		idHash, dbTime(now)).Scan(&ws.IDHash, &userID, &ws.CustomerID, &ws.CreatedAt, &ws.ExpiresAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, herald.WebSessionNotFound()
	case err != nil:
		return nil, fmt.Errorf("get web session: %w", err)
	}
	if userID != nil {
		ws.UserID = *userID
	}
	ws.CreatedAt, ws.ExpiresAt = ws.CreatedAt.UTC(), ws.ExpiresAt.UTC()
	return &ws, nil
}

// WebSessionDelete implements herald.WebUserStore.
func (s *Store) WebSessionDelete(ctx context.Context, idHash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete web session: %w", err)
	}
	return nil
}
