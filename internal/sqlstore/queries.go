package sqlstore

import (
	"bufio"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// A query file holds a store's statements, each under a "-- name: X"
// line (sqlc's convention), up to the next one:
//
//	-- name: WebUserGet
//	SELECT ... FROM web_users WHERE customer_id = $1 AND id = $2;
//
// Arguments are positional in the order the Go passes them ($1 or ?1 on
// SQLite, $1 on PostgreSQL). Other comment lines and a trailing ";" are
// kept out of the statement.

// known is every statement name this package runs, registered by query.
var known = map[queryName]bool{}

// queryName names a statement of the store's query file.
type queryName string

// query registers name as a statement this package runs; New checks that
// the store's file has it.
func query(name string) queryName {
	n := queryName(name)
	if known[n] {
		panic("sqlstore: query " + name + " registered twice")
	}
	known[n] = true
	return n
}

// optional is the registered statements a store may leave out.
var optional = map[queryName]bool{}

// optionalQuery registers name as query does, for a statement a store may
// leave out because its database has no need of it (a lock where a single
// writer serializes everything); sql then returns "".
func optionalQuery(name string) queryName {
	n := query(name)
	optional[n] = true
	return n
}

// sql returns the store's text of statement n.
func (s *Store) sql(n queryName) string { return s.q[string(n)] }

// ParseQueries reads the named statements of every *.sql file in the
// directory dir of fsys.
func ParseQueries(fsys fs.FS, dir string) (map[string]string, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		if err := parseQueryFile(f, string(b), out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseQueryFile(file, text string, out map[string]string) error {
	var name string
	var body strings.Builder
	flush := func() {
		if name != "" {
			out[name] = strings.TrimSuffix(strings.TrimSpace(body.String()), ";")
		}
		body.Reset()
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		l := sc.Text()
		t := strings.TrimSpace(l)
		if n, ok := strings.CutPrefix(t, "-- name:"); ok {
			flush()
			name = strings.TrimSpace(n)
			if name == "" || strings.ContainsAny(name, " \t") {
				return fmt.Errorf("%s:%d: bad statement name %q", file, line, name)
			}
			if _, dup := out[name]; dup {
				return fmt.Errorf("%s:%d: statement %s defined twice", file, line, name)
			}
			continue
		}
		if strings.HasPrefix(t, "--") || t == "" {
			continue
		}
		if name == "" {
			return fmt.Errorf("%s:%d: SQL before the first -- name: line", file, line)
		}
		body.WriteString(l)
		body.WriteByte('\n')
	}
	flush()
	return sc.Err()
}

// checkQueries says which statements q lacks or has beyond those known.
func checkQueries(q map[string]string) error {
	var missing, extra []string
	for n := range known {
		if q[string(n)] == "" && !optional[n] {
			missing = append(missing, string(n))
		}
	}
	for n := range q {
		if !known[queryName(n)] {
			extra = append(extra, n)
		}
	}
	if len(missing)+len(extra) == 0 {
		return nil
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return fmt.Errorf("sqlstore: query file: missing %v, unknown %v", missing, extra)
}
