package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

var _ herald.WebUserStore = (*Store)(nil)

var (
	qWebUserInsert        = query("WebUserInsert")
	qWebUserGetByUsername = query("WebUserGetByUsername")
	qWebUserGet           = query("WebUserGet")
	qWebUserList          = query("WebUserList")
	qWebUserSetPassword   = query("WebUserSetPassword")
	qWebUserDelete        = query("WebUserDelete")
	qWebSessionsOfUser    = query("WebSessionDeleteOfUser")
	qWebSessionsExpired   = query("WebSessionDeleteExpired")
	qWebSessionInsert     = query("WebSessionInsert")
	qWebSessionGet        = query("WebSessionGet")
	qWebSessionDelete     = query("WebSessionDelete")
)

// The web_users columns every web user statement reads, in this order:
// id, customer_id, username, password_hash, person_id, created_at.
func (s *Store) scanWebUser(r Row) (*herald.WebUser, error) {
	var u herald.WebUser
	err := r.Scan(&u.ID, &u.CustomerID, &u.Username, &u.PasswordHash, &u.PersonID, s.d.ScanTime(&u.CreatedAt))
	return &u, err
}

// WebUserCreate implements herald.WebUserStore.
func (s *Store) WebUserCreate(ctx context.Context, u *herald.WebUser) error {
	if err := u.Validate(); err != nil {
		return err
	}
	now := s.now()
	id := u.ID
	if id == "" {
		id = herald.NewID(herald.IDPrefixWebUser, now)
	}
	_, err := s.write.Exec(ctx, s.sql(qWebUserInsert),
		id, u.CustomerID, u.Username, u.PasswordHash, u.PersonID, s.d.Time(now))
	switch {
	case errors.Is(err, storerules.ErrDuplicate):
		return herald.WebUsernameTaken(u.Username)
	case errors.Is(err, ErrForeignKey):
		return herald.NotFound("customer", u.CustomerID)
	case err != nil:
		return fmt.Errorf("create web user: %w", err)
	}
	u.ID, u.CreatedAt = id, now
	return nil
}

// WebUserGetByUsername implements herald.WebUserStore.
func (s *Store) WebUserGetByUsername(ctx context.Context, username string) (*herald.WebUser, error) {
	u, err := s.scanWebUser(s.read.QueryRow(ctx, s.sql(qWebUserGetByUsername), username))
	if err != nil {
		return nil, wrapOp("get web user", notFound(err, "web user", username))
	}
	return u, nil
}

// WebUserGet implements herald.WebUserStore.
func (s *Store) WebUserGet(ctx context.Context, customerID, id string) (*herald.WebUser, error) {
	u, err := s.scanWebUser(s.read.QueryRow(ctx, s.sql(qWebUserGet), customerID, id))
	if err != nil {
		return nil, wrapOp("get web user", notFound(err, "web user", id))
	}
	return u, nil
}

// WebUserList implements herald.WebUserStore.
func (s *Store) WebUserList(ctx context.Context, customerID string) ([]*herald.WebUser, error) {
	rows, err := s.read.Query(ctx, s.sql(qWebUserList), customerID)
	out, err := collect(rows, err, s.scanWebUser)
	return out, wrapOp("list web users", err)
}

// WebUserSetPassword implements herald.WebUserStore.
func (s *Store) WebUserSetPassword(ctx context.Context, customerID, id, passwordHash string) error {
	if err := herald.ValidateWebPasswordHash(passwordHash); err != nil {
		return err
	}
	return s.tx(ctx, "set web user password", func(tx DB) error {
		n, err := tx.Exec(ctx, s.sql(qWebUserSetPassword), passwordHash, customerID, id)
		if err := rowsChanged(n, err, "web user", id); err != nil {
			return err
		}
		// A new password signs every browser out: the reason to change it
		// is often that someone else knows the old one.
		_, err = tx.Exec(ctx, s.sql(qWebSessionsOfUser), id)
		return err
	})
}

// WebUserDelete implements herald.WebUserStore.
func (s *Store) WebUserDelete(ctx context.Context, customerID, id string) error {
	n, err := s.write.Exec(ctx, s.sql(qWebUserDelete), customerID, id)
	return wrapOp("delete web user", rowsChanged(n, err, "web user", id))
}

// WebSessionCreate implements herald.WebUserStore. Expired sessions are
// deleted on the way, so the table holds only live ones.
func (s *Store) WebSessionCreate(ctx context.Context, ws *herald.WebSession) error {
	if err := ws.Validate(); err != nil {
		return err
	}
	var userID any // NULL for an operator's session
	if ws.UserID != "" {
		userID = ws.UserID
	}
	return s.tx(ctx, "create web session", func(tx DB) error {
		if _, err := tx.Exec(ctx, s.sql(qWebSessionsExpired), s.d.Time(ws.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.sql(qWebSessionInsert),
			ws.IDHash, userID, ws.CustomerID, s.d.Time(ws.CreatedAt), s.d.Time(ws.ExpiresAt))
		if errors.Is(err, ErrForeignKey) {
			return herald.NotFound("web user", ws.UserID)
		}
		return err
	})
}

// WebSessionGet implements herald.WebUserStore.
func (s *Store) WebSessionGet(ctx context.Context, idHash []byte, now time.Time) (*herald.WebSession, error) {
	var ws herald.WebSession
	var userID *string
	err := s.read.QueryRow(ctx, s.sql(qWebSessionGet), idHash, s.d.Time(now)).
		Scan(&ws.IDHash, &userID, &ws.CustomerID, s.d.ScanTime(&ws.CreatedAt), s.d.ScanTime(&ws.ExpiresAt))
	switch {
	case errors.Is(err, storerules.ErrNotFound):
		return nil, herald.WebSessionNotFound()
	case err != nil:
		return nil, fmt.Errorf("get web session: %w", err)
	}
	if userID != nil {
		ws.UserID = *userID
	}
	return &ws, nil
}

// WebSessionDelete implements herald.WebUserStore.
func (s *Store) WebSessionDelete(ctx context.Context, idHash []byte) error {
	_, err := s.write.Exec(ctx, s.sql(qWebSessionDelete), idHash)
	return wrapOp("delete web session", err)
}
