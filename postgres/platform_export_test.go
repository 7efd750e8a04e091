package postgres

import "context"

// BreakEventsForTest makes every later insert into s's events table fail,
// so tests can check that an action whose event cannot be stored leaves no
// change behind. The function and trigger live in the store's schema.
func BreakEventsForTest(ctx context.Context, s *Store) error {
	_, err := s.pool.Exec(ctx, `CREATE FUNCTION break_events() RETURNS trigger LANGUAGE plpgsql AS
		$$ BEGIN RAISE EXCEPTION 'events are broken for this test'; END $$;
		CREATE TRIGGER break_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION break_events();`)
	return err
}
