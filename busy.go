package herald

import "fmt"

// BusyError wraps cause, a store's failure to get a lock or a connection in
// time (SQLite's SQLITE_BUSY, a PostgreSQL lock or statement timeout), as
// an EUNAVAILABLE error: the API and UI answer 503 with Retry-After, so
// the caller tries again in a moment instead of reading a 500. Stores call
// it at their boundary; cause stays in the chain for the operator's log.
func BusyError(cause error) error {
	if cause == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", &Error{Code: EUNAVAILABLE, Message: "The database is busy; try again in a moment."}, cause)
}
