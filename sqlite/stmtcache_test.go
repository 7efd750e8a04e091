package sqlite

import (
	"fmt"
	"testing"
)

// TestReadStmtsPrepareOnce: a read statement is prepared at its first use
// and reused after, the cache stops at maxReadStmts (later statements run
// unprepared), and a closed cache prepares nothing.
func TestReadStmtsPrepareOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openPlanStore(t)
	c := newReadStmts(s.read)
	defer c.close()

	first := c.get(ctx, `SELECT count(*) FROM customers`)
	if first == nil {
		t.Fatal("not prepared")
	}
	if again := c.get(ctx, `SELECT count(*) FROM customers`); again != first {
		t.Error("prepared again")
	}
	var n int
	if err := first.QueryRowContext(ctx).Scan(&n); err != nil || n != 0 {
		t.Fatalf("count = %d, %v", n, err)
	}
	if c.get(ctx, `SELECT nonsense FROM nowhere`) != nil {
		t.Error("a statement that does not prepare was cached")
	}
	for i := 1; i < maxReadStmts; i++ {
		if c.get(ctx, fmt.Sprintf(`SELECT %d`, i)) == nil {
			t.Fatalf("statement %d not prepared", i+1)
		}
	}
	if c.get(ctx, `SELECT 'one too many'`) != nil {
		t.Errorf("more than %d statements cached", maxReadStmts)
	}
	c.close()
	if c.get(ctx, `SELECT count(*) FROM customers`) != nil {
		t.Error("a closed cache returned a statement")
	}
	var nilCache *readStmts
	if nilCache.get(ctx, `SELECT 1`) != nil {
		t.Error("a nil cache returned a statement")
	}
}
