package backup

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// libpqParams are the connection parameters libpq (and so pg_dump and
// pg_restore) accepts in a URL's query, less the secrets. pgx accepts
// more (pool_max_conns, search_path as a run-time parameter, ...), which
// libpq refuses.
// https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS
var libpqParams = []string{
	"host", "hostaddr", "port", "dbname", "user", "passfile", "require_auth",
	"channel_binding", "connect_timeout", "client_encoding", "options",
	"application_name", "fallback_application_name", "keepalives",
	"keepalives_idle", "keepalives_interval", "keepalives_count",
	"tcp_user_timeout", "replication", "gssencmode", "sslmode",
	"sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslcertmode",
	"sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer",
	"ssl_min_protocol_version", "ssl_max_protocol_version", "min_protocol_version",
	"max_protocol_version", "krbsrvname", "gsslib", "gssdelegation", "service",
	"target_session_attrs", "load_balance_hosts",
}

// PgCommand is a pg_dump or pg_restore command line for Herald's database.
type PgCommand struct {
	// Line is the command, quoted for a POSIX shell. It never holds a
	// password.
	Line string
	// Notes say what was left out of the URL and why.
	Notes []string
}

// PgDump returns the pg_dump command that backs up the database at
// rawURL (HERALD_DATABASE) into file, in pg_dump's custom format (one
// consistent snapshot, taken while nodes run; pg_restore reads it).
func PgDump(rawURL, file string) (*PgCommand, error) {
	u, schema, notes, err := libpqURL(rawURL)
	if err != nil {
		return nil, err
	}
	args := []string{"pg_dump", "--format=custom", "--file=" + shellQuote(file)}
	if schema != "" {
		args = append(args, "--schema="+shellQuote(schema))
	}
	args = append(args, "--dbname="+shellQuote(u))
	return &PgCommand{Line: strings.Join(args, " "), Notes: notes}, nil
}

// PgRestore returns the pg_restore command that restores file, written
// by PgDump's command, into the (empty) database at rawURL.
func PgRestore(rawURL, file string) (*PgCommand, error) {
	u, _, notes, err := libpqURL(rawURL)
	if err != nil {
		return nil, err
	}
	line := strings.Join([]string{"pg_restore", "--no-owner", "--exit-on-error", "--dbname=" + shellQuote(u), shellQuote(file)}, " ")
	return &PgCommand{Line: line, Notes: notes}, nil
}

// libpqURL is rawURL without its password and with only the parameters
// libpq knows; search_path, which pgx sends as a run-time parameter,
// comes back as the schema Herald's tables are in (its first entry).
func libpqURL(rawURL string) (u, schema string, notes []string, err error) {
	p, err := url.Parse(rawURL)
	// The error would quote the URL, password included.
	if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") || p.Opaque != "" {
		return "", "", nil, errors.New("the database URL does not parse as a postgres:// URL")
	}
	// libpq has no use for a fragment, and it could hold anything.
	if p.Fragment != "" {
		p.Fragment, p.RawFragment = "", ""
		notes = append(notes, "the URL's #fragment is left out: libpq does not use it")
	}
	if p.User != nil {
		if _, ok := p.User.Password(); ok {
			p.User = url.User(p.User.Username())
			notes = append(notes, "the password in the URL is left out: give it in PGPASSWORD or ~/.pgpass")
		}
	}
	q := p.Query()
	for k := range q {
		switch {
		case k == "password" || k == "sslpassword":
			q.Del(k)
			notes = append(notes, fmt.Sprintf("the URL's %s is left out: give it in PGPASSWORD or ~/.pgpass", k))
		case k == "search_path":
			schema = strings.TrimSpace(strings.Split(q.Get(k), ",")[0])
			q.Del(k)
		case !slices.Contains(libpqParams, k):
			q.Del(k)
			notes = append(notes, fmt.Sprintf("the URL's %s is left out: libpq does not know it", k))
		}
	}
	slices.Sort(notes)
	p.RawQuery = q.Encode()
	return p.String(), schema, notes, nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
