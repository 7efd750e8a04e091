package web

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald"
)

// CreateUser hashes password (argon2id) and stores u with it: how an
// operator's form, a CLI or a test creates a customer's administrator.
// Returns EINVALID if the password is shorter than MinPasswordLength or u
// does not validate, and the store's codes otherwise.
func CreateUser(ctx context.Context, users herald.WebUserStore, u *herald.WebUser, password string) (*herald.WebUser, error) {
	if len([]rune(password)) < MinPasswordLength || len(password) > maxPasswordLength {
		return nil, herald.Errorf(herald.EINVALID, "password must be %d to %d characters", MinPasswordLength, maxPasswordLength)
	}
	u.PasswordHash = hashPassword(password)
	if err := users.WebUserCreate(ctx, u); err != nil {
		return nil, fmt.Errorf("create web user: %w", err)
	}
	return u, nil
}
