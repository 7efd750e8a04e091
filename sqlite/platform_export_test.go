package sqlite

import "context"

// BreakEventsForTest makes every later insert into s's events table fail,
// so tests can check that an action whose event cannot be stored leaves no
// change behind.
func BreakEventsForTest(ctx context.Context, s *Store) error {
	_, err := s.write.ExecContext(ctx, `CREATE TRIGGER break_events BEFORE INSERT ON events
		BEGIN SELECT RAISE(ABORT, 'events are broken for this test'); END`)
	return err
}
