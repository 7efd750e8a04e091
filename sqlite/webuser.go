package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

var _ herald.WebUserStore = (*Store)(nil)

const webUserColumns = `id, customer_id, username, password_hash, person_id, created_at`

func scanWebUser(r rowScanner) (*herald.WebUser, error) {
	var u herald.WebUser
	var createdAt int64
	if err := r.Scan(&u.ID, &u.CustomerID, &u.Username, &u.PasswordHash, &u.PersonID, &createdAt); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMillis(createdAt)
	return &u, nil
}

// WebUserCreate implements herald.WebUserStore.
func (s *Store) WebUserCreate(ctx context.Context, u *herald.WebUser) error {
	if err := u.Validate(); err != nil {
		return err
	}
	now := fromMillis(s.now().UnixMilli())
	id := u.ID
	if id == "" {
		id = herald.NewID(herald.IDPrefixWebUser, now)
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO web_users (`+webUserColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		id, u.CustomerID, u.Username, u.PasswordHash, u.PersonID, toMillis(now))
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
	u, err := scanWebUser(s.read.QueryRowContext(ctx,
		`SELECT `+webUserColumns+` FROM web_users WHERE username = ?`, username))
	if err != nil {
		return nil, wrapOp("get web user", notFound(err, "web user", username))
	}
	return u, nil
}

// WebUserGet implements herald.WebUserStore.
func (s *Store) WebUserGet(ctx context.Context, customerID, id string) (*herald.WebUser, error) {
	u, err := scanWebUser(s.read.QueryRowContext(ctx,
		`SELECT `+webUserColumns+` FROM web_users WHERE customer_id = ? AND id = ?`, customerID, id))
	if err != nil {
		return nil, wrapOp("get web user", notFound(err, "web user", id))
	}
	return u, nil
}

// WebUserList implements herald.WebUserStore.
func (s *Store) WebUserList(ctx context.Context, customerID string) ([]*herald.WebUser, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+webUserColumns+` FROM web_users WHERE customer_id = ? ORDER BY created_at, id`, customerID)
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
	return s.inTx(ctx, "set web user password", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE web_users SET password_hash = ? WHERE customer_id = ? AND id = ?`,
			passwordHash, customerID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return herald.NotFound("web user", id)
		}
		// A new password signs every browser out: the reason to change it
		// is often that someone else knows the old one.
		_, err = tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = ?`, id)
		return err
	})
}

// WebUserDelete implements herald.WebUserStore.
func (s *Store) WebUserDelete(ctx context.Context, customerID, id string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM web_users WHERE customer_id = ? AND id = ?`, customerID, id)
	if err != nil {
		return fmt.Errorf("delete web user: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete web user: %w", err)
	}
	if n == 0 {
		return herald.NotFound("web user", id)
	}
	return nil
}

// WebSessionCreate implements herald.WebUserStore.
func (s *Store) WebSessionCreate(ctx context.Context, ws *herald.WebSession) error {
	if err := ws.Validate(); err != nil {
		return err
	}
	var userID any // NULL for an operator's session
	if ws.UserID != "" {
		userID = ws.UserID
	}
	return s.inTx(ctx, "create web session", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at <= ?`, toMillis(ws.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO web_sessions (id_hash, user_id, customer_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			ws.IDHash, userID, ws.CustomerID, toMillis(ws.CreatedAt), toMillis(ws.ExpiresAt))
		if isForeignKeyViolation(err) {
			return herald.NotFound("web user", ws.UserID)
		}
		return err
	})
}

// WebSessionGet implements herald.WebUserStore.
func (s *Store) WebSessionGet(ctx context.Context, idHash []byte, now time.Time) (*herald.WebSession, error) {
	var ws herald.WebSession
	var userID sql.NullString
	var createdAt, expiresAt int64
	err := s.read.QueryRowContext(ctx,
		`SELECT id_hash, user_id, customer_id, created_at, expires_at FROM web_sessions WHERE id_hash = ? AND expires_at > ?`,
		idHash, toMillis(now)).Scan(&ws.IDHash, &userID, &ws.CustomerID, &createdAt, &expiresAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, herald.WebSessionNotFound()
	case err != nil:
		return nil, fmt.Errorf("get web session: %w", err)
	}
	ws.UserID = userID.String
	ws.CreatedAt, ws.ExpiresAt = fromMillis(createdAt), fromMillis(expiresAt)
	return &ws, nil
}

// WebSessionDelete implements herald.WebUserStore.
func (s *Store) WebSessionDelete(ctx context.Context, idHash []byte) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete web session: %w", err)
	}
	return nil
}
