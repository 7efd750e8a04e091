package herald

import (
	"time"
	"unicode/utf8"
)

// MaxCustomerIDLength bounds customer ids; iCIMS uses short numeric strings.
const MaxCustomerIDLength = 64

// Customer is a tenant of the platform. Its ID is the customer's own string
// ("6269"), chosen by the operator, and appears in every event body.
type Customer struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Validate returns an EINVALID error naming the first field that breaks a rule.
func (c *Customer) Validate() error {
	if c.ID == "" {
		return Errorf(EINVALID, "id is required")
	}
	if len(c.ID) > MaxCustomerIDLength {
		return Errorf(EINVALID, "id cannot be longer than %d characters", MaxCustomerIDLength)
	}
	for _, r := range c.ID {
		// Ids appear in URL paths (/customers/{id}/...), so keep them to
		// characters that need no escaping.
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return Errorf(EINVALID, "id may contain only letters, digits, '-', '_' and '.'")
		}
	}
	if c.Name == "" {
		return Errorf(EINVALID, "name is required")
	}
	if utf8.RuneCountInString(c.Name) > 200 {
		return Errorf(EINVALID, "name cannot be longer than 200 characters")
	}
	return nil
}
