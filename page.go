package herald

import (
	"encoding/base64"
	"strings"
)

// Page sizes of the list methods (DeliveryList, DeliveryFind,
// OperatorEventList, ReplayJobList): what a Limit of 0 means, and the most
// one page holds.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// PageLimit is the page size a list returns for the Limit a caller asked
// for: DefaultPageLimit for 0, at most MaxPageLimit. Returns EINVALID for a
// negative limit.
func PageLimit(limit int) (int, error) {
	switch {
	case limit < 0:
		return 0, Errorf(EINVALID, "limit cannot be negative")
	case limit == 0:
		return DefaultPageLimit, nil
	case limit > MaxPageLimit:
		return MaxPageLimit, nil
	}
	return limit, nil
}

// cursorPrefix versions the cursor format, so it can change without
// misreading cursors that clients hold.
const cursorPrefix = "v1:"

// NewCursor returns the NextCursor of a page whose last record has the id
// lastID. Lists page by id ("id < cursor ORDER BY id DESC"), and the id is
// base64'd so that callers treat the cursor as opaque.
func NewCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + lastID))
}

// ParseCursor returns the id in a cursor that NewCursor made for a list of
// records whose ids start with idPrefix (IDPrefixDelivery, ...). Returns
// EINVALID for anything else, such as a cursor of another list.
func ParseCursor(cursor, idPrefix string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		if id, ok := strings.CutPrefix(string(b), cursorPrefix); ok && strings.HasPrefix(id, idPrefix) {
			return id, nil
		}
	}
	return "", Errorf(EINVALID, "cursor is not one this API returned")
}
