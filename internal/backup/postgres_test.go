package backup

import (
	"net/url"
	"strings"
	"testing"
)

func TestPgDump(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, url, file string
		want            string
		notes           int
	}{
		{"plain", "postgres://db.example/herald", "herald.dump",
			"pg_dump --format=custom --file=herald.dump --dbname=postgres://db.example/herald", 0},
		{"password and pgx parameters", "postgresql://herald:p%40ss@db.example:5433/herald?sslmode=verify-full&pool_max_conns=8&application_name=herald",
			"/backups/herald 1.dump",
			"pg_dump --format=custom --file='/backups/herald 1.dump' --dbname='postgres" + "ql://herald@db.example:5433/herald?application_name=herald&sslmode=verify-full'", 2},
		{"password parameter and schema", "postgres://herald@db.example/herald?password=p&search_path=tenant_a,public", "it's.dump",
			`pg_dump --format=custom --file='it'"'"'s.dump' --schema=tenant_a --dbname=postgres://herald@db.example/herald`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd, err := PgDump(tc.url, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if cmd.Line != tc.want {
				t.Errorf("command\n%s\nwant\n%s", cmd.Line, tc.want)
			}
			if len(cmd.Notes) != tc.notes {
				t.Errorf("notes %q, want %d", cmd.Notes, tc.notes)
			}
		})
	}
	for _, bad := range []string{"mysql://x/y", "postgres://herald:secret@[::1/db", "key=value"} {
		_, err := PgDump(bad, "f")
		if err == nil {
			t.Errorf("PgDump(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("PgDump(%q) error quotes the password: %v", bad, err)
		}
	}
}

// FuzzPgDump: whatever else the URL holds, the commands never hold its
// password, given in the user information or as a parameter.
func FuzzPgDump(f *testing.F) {
	f.Add("hunter2hunter2", "sslmode=require")
	f.Add("Sup3rSecretPass", "pool_max_conns=3&application_name=x")
	f.Add("abcdefgh", "search_path=a,b&options=-c%20x")
	f.Fuzz(func(t *testing.T, password, rawQuery string) {
		if len(password) < 8 || strings.Trim(password, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			return
		}
		// Skip a password the rest of the input spells out anyway.
		decoded, _ := url.QueryUnescape(rawQuery)
		if strings.Contains(rawQuery, password) || strings.Contains(decoded, password) ||
			strings.Contains("pg_dump pg_restore --format=custom --file=out.dump --no-owner --exit-on-error --schema= --dbname=postgres://herald@db.example/herald", password) {
			return
		}
		for _, u := range []*url.URL{
			{Scheme: "postgres", User: url.UserPassword("herald", password), Host: "db.example", Path: "/herald", RawQuery: rawQuery},
			{Scheme: "postgres", User: url.User("herald"), Host: "db.example", Path: "/herald", RawQuery: rawQuery + "&password=" + password},
		} {
			for _, build := range []func(string, string) (*PgCommand, error){PgDump, PgRestore} {
				cmd, err := build(u.String(), "out.dump")
				if err != nil {
					if strings.Contains(err.Error(), password) {
						t.Fatalf("error holds the password: %v", err)
					}
					continue
				}
				if strings.Contains(cmd.Line, password) {
					t.Fatalf("command holds the password: %s", cmd.Line)
				}
			}
		}
	})
}
